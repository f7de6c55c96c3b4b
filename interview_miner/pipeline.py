"""Runs the stages over the store: add files, transcribe (resumable), label speakers, mine.

Each function reads its input from the store, calls the stage functions (which do no I/O of their
own) and writes results in transactions. Mining is a `mining.Miner` (its stages passed in);
`mine` only loads its inputs and writes its result. `whole_job.process` runs these in order as the
whole job (add -> transcribe -> mine -> personas -> export). The CLI and the Streamlit app both call these; long work is started as a job
in a worker process (`interview_miner.worker`) that reports progress through the `jobs` table, so
a page reload or a second tab loses nothing.
"""
from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import bundled, capture, codebook, guide, languages, lanes, overlay, sides, speakers, transcribe
from .errors import InterviewMinerError, MissingRecordingError, NoSpeechError
from .executor import ExecutorSettings
from .mining import MineReport, Miner, MiningResult, VectorCache
from .models import Interview, PARTICIPANT, TranscriptionState
from .store import Store

Progress = Callable[[float, str], None]
log = logging.getLogger(__name__)

from .lanes import WINDOW_S  # noqa: F401 - the transcription window, read by ray_executor


@dataclass
class Report:
    """What a batch call did: the interviews touched and one line per failed file (`errors`, the
    facts); `failures` keeps the typed errors behind them, so the CLI and the app can add their
    own advice (`errors.hints(report.failures, surface)`)."""

    added: list[Interview] = field(default_factory=list)
    existing: list[Interview] = field(default_factory=list)
    done: list[Interview] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failures: list[InterviewMinerError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def recordings_dir_for(store: Store) -> Path:
    env = os.environ.get("INTERVIEW_MINER_RECORDINGS")
    if env:
        return Path(env)
    base = Path(store.path).resolve().parent if store.path != ":memory:" else Path.cwd()
    return base / "recordings"


# ---------------------------------------------------------------------------------------------
# Capture
# ---------------------------------------------------------------------------------------------


def add_files(
    store: Store,
    paths: list[str],
    participant: str | None = None,
    metadata: dict[str, Any] | None = None,
    max_bytes: int | None = None,
    display_names: dict[str, str] | None = None,
) -> Report:
    """Add audio (copied under recordings/<sha256>) and transcripts (imported as segments).

    A bad file is reported and skipped; the others are still added. `display_names` maps a path to
    the name the user knows it by (browser uploads arrive under temporary names).
    """
    report = Report()
    for path in capture.expand_paths(paths):
        name = (display_names or {}).get(str(path), path.name)
        try:
            if capture.file_kind(path) == "project":  # a REFI-QDA project: many interviews at once
                from .qdpx_import import import_qdpx

                imported = import_qdpx(store, path, recordings_dir_for(store))
                report.added += imported.interviews
                report.errors += [f"{name}: {note}" for note in imported.notes]  # what could not come along
                continue
            interview, is_new = add_file(store, path, participant, metadata or {}, max_bytes, name)
        except InterviewMinerError as e:
            report.errors.append(str(e).replace(str(path), name) if name != path.name else str(e))
            report.failures.append(e)
            continue
        (report.added if is_new else report.existing).append(interview)
    return report


def add_tracks(
    store: Store,
    paths: list[str],
    participant: str | None = None,
    metadata: dict[str, Any] | None = None,
    max_bytes: int | None = None,
    display_names: dict[str, str] | None = None,
) -> Report:
    """Add the separate tracks of one call (a file per person, 2 to 8: Zoom's "separate audio file
    for each participant", Riverside, SquadCast) as one interview: a recording with a channel per
    track (`capture.merge_tracks`), each transcribed alone and its words that person's (`sides`).
    Track 1 becomes the first (left) channel. A bad track is reported and nothing is added."""
    report = Report()
    files = capture.expand_paths(paths)
    names = [(display_names or {}).get(str(p), p.name) for p in files]
    try:
        if len(files) not in capture.TRACK_LAYOUTS:
            raise InterviewMinerError(
                f"separate tracks: give one audio file per person of one call (2 to {max(capture.TRACK_LAYOUTS)}), "
                f"got {len(files)}" + (f" ({', '.join(names)})" if files else "")
                + ("; a call with more people: add its mixed recording" if len(files) > 2 else ""))
        for path in files:
            if capture.file_kind(path) != "audio":
                raise InterviewMinerError(f"{path}: a track must be an audio file")
            capture.check_size(path, max_bytes)
        content_hash = capture.tracks_hash([capture.sha256_file(path) for path in files])
        existing = store.find_interview_by_hash(content_hash)
        if existing:
            report.existing.append(existing)
            return report
        folder = recordings_dir_for(store)
        folder.mkdir(parents=True, exist_ok=True)
        stored = folder / f"{content_hash}.flac"
        if not stored.exists():
            capture.merge_tracks(files, stored)
        info = capture.probe_audio(stored)
        metadata, language = languages.split_language(metadata or {})
        interview = Interview(
            id=None, content_hash=content_hash, file_name=" + ".join(names), kind="audio",
            stored_path=str(stored), participant=participant, language=language,
            metadata={**metadata, "channels": info.channels, "codec": info.codec, "tracks": names},
            duration=round(info.duration, 3), status="added",
        )
        report.added.append(store.add_interview(interview))
    except InterviewMinerError as e:
        message = str(e)
        for path, name in zip(files, names):
            message = message.replace(str(path), name)
        report.errors.append(message)
        report.failures.append(e)
    return report


def add_file(
    store: Store,
    path: Path,
    participant: str | None,
    metadata: dict[str, Any],
    max_bytes: int | None = None,
    file_name: str | None = None,
) -> tuple[Interview, bool]:
    kind = capture.file_kind(path)
    capture.check_size(path, max_bytes)
    content_hash = capture.sha256_file(path)
    existing = store.find_interview_by_hash(content_hash)
    if existing:
        return existing, False
    file_name = file_name or path.name
    metadata, language = languages.split_language(metadata)  # `--meta language=da`: this interview's language
    if kind == "audio":
        info = capture.probe_audio(path)
        stored = capture.store_recording(path, content_hash, recordings_dir_for(store))
        meta = {**metadata, "channels": info.channels, "codec": info.codec}
        interview = Interview(
            id=None, content_hash=content_hash, file_name=file_name, kind="audio",
            stored_path=str(stored), participant=participant, metadata=meta, language=language,
            duration=round(info.duration, 3), status="added",
        )
        return store.add_interview(interview), True
    turns = capture.parse_transcript(path)
    segments, estimated = capture.turns_to_segments(turns)
    segments, roles = speakers.label_imported(segments)
    names = {role: name for name, role in roles.items()}
    meta = {**metadata, "speaker_names": roles}
    if estimated:
        meta["times_estimated"] = True
    guessed = None if language else languages.guess_text_language(" ".join(s.text for s in segments))
    interview = Interview(
        id=None, content_hash=content_hash, file_name=file_name, kind="transcript",
        participant=participant or _personal_name(names.get(PARTICIPANT)), metadata=meta,
        language=language or (guessed.language if guessed else None),
        language_probability=guessed.probability if guessed else None,
        duration=round(max(s.end for s in segments), 3), status="transcribed",
    )
    with store.transaction():
        interview = store.add_interview(interview)
        store.replace_segments(interview.id, segments)
    return interview, True


def _personal_name(name: str | None) -> str | None:
    if not name or name.lower() in {"participant", "interviewee", "respondent", "unknown", "customer"}:
        return None
    return name


# ---------------------------------------------------------------------------------------------
# Transcription
# ---------------------------------------------------------------------------------------------


def transcribe_interviews(
    store: Store,
    ids: list[int] | None = None,
    options: transcribe.TranscribeOptions | None = None,
    n_speakers: int | None = speakers.DEFAULT_SPEAKERS,
    show_progress: bool = False,
    on_progress: Progress | None = None,
    executor: ExecutorSettings | None = None,
    model: Any = None,
) -> Report:
    """Transcribe and label speakers for every audio interview not yet done (or just `ids`).

    Resumable: segments are stored as they are produced, so a killed run continues where it
    stopped. A file that fails is recorded as failed with its reason; the rest still run.
    `executor`: where the heavy work runs (None or `local`: this process; `ray`: a Ray cluster,
    `ray_executor`, with this store still the only writer). `model`: what decodes the audio
    (`lanes.decode_window`; the Ray executor passes its workers for calls split by side); None:
    the options' Whisper, loaded here.
    """
    if executor is not None and executor.is_ray:
        from . import ray_executor  # imports Ray: only when asked for

        return ray_executor.transcribe_interviews(store, ids, options, n_speakers, show_progress, on_progress, executor)
    options = transcribe.for_hardware(options or transcribe.TranscribeOptions())
    report = Report()
    todo, report.errors = transcription_todo(store, ids, options)
    if not todo:
        return report
    profile = functools.cache(lambda: interviewer_profile(store))  # once per batch, only if needed
    total = sum(i.duration or 0 for i in todo) or 1.0
    done_s = 0.0
    for interview in todo:
        def file_progress(seconds: float, msg: str, base=done_s, name=interview.file_name) -> None:
            if on_progress:
                on_progress(min(1.0, (base + seconds) / total), f"{name}: {msg}")
        try:
            own = with_study_vocabulary(store, interview_options(interview, options), interview)
            whisper = model or transcribe.load_model(own.model, own.compute_type, **own.model_threads)  # once per process
            transcribe_interview(store, interview, whisper, own, n_speakers, show_progress, file_progress,
                                 voice_profile=profile)
            report.done.append(store.get_interview(interview.id))
        except InterviewMinerError as e:
            store.update_interview(interview.id, status="failed", error=str(e))
            report.errors.append(str(e))
            report.failures.append(e)
        done_s += interview.duration or 0
    return report


def with_study_vocabulary(store: Store, options: transcribe.TranscribeOptions,
                          interview: Interview) -> transcribe.TranscribeOptions:
    """`options` with the study's names (`hotwords.study_vocabulary`: the guide's names, the
    interviewer's questions so far) that the decoded text is respelled with, logged so the
    researcher sees them; they are stored with the transcription settings. Recomputed per
    interview: a batch learns as it goes. Only `--vocab` reaches Whisper as hotwords (hotwords.py)."""
    from .hotwords import study_vocabulary

    try:
        found = study_vocabulary(store)
    except codebook.CodebookFileError as e:  # a hand-broken guide must not stop transcription
        log.warning("%s: no study vocabulary (%s)", interview.file_name, e)
        found = ""
    if found:
        log.info("%s: study names %s", interview.file_name, found)
    if options.hotwords:
        log.info("%s: hotwords %s", interview.file_name, options.hotwords)
    return replace(options, vocabulary=found or None)
def transcription_todo(store: Store, ids: list[int] | None,
                       options: transcribe.TranscribeOptions) -> tuple[list[Interview], list[str]]:
    """The audio interviews to transcribe (every one not done with these options, or just `ids`)
    and one error line per id that names no interview."""
    interviews = [i for i in store.list_interviews(ids) if i.kind == "audio"]
    errors = []
    if ids:
        missing = set(map(int, ids)) - {i.id for i in store.list_interviews(ids)}
        errors = [f"interview {m}: no such interview" for m in sorted(missing)]
    return [i for i in interviews if ids or not _is_done(store, i, options)], errors


def _is_done(store: Store, interview: Interview, options: transcribe.TranscribeOptions) -> bool:
    t = store.get_transcription(interview.id)
    if not (t and t.completed and t.speakers_done):
        return False
    # A finished transcript made with the model this interview's language called for is done
    # (without listening to the recording again to decide which model that was).
    own = replace(options, language=chosen_language(interview, options))
    either = (own, replace(own, model=transcribe.MULTILINGUAL_MODEL) if own.model == transcribe.DEFAULT_MODEL else own)
    return t.run_key in {o.key(interview.content_hash) for o in either}


def chosen_language(interview: Interview, options: transcribe.TranscribeOptions) -> str | None:
    """The language an interview is transcribed in when someone said which: the interview's own
    (set when it was added; a detected one carries a probability and is not a choice), else the
    study's (`options.language`). None: detect it."""
    own = interview.language if interview.language and interview.language_probability is None else None
    return own or options.language


def interview_options(interview: Interview, options: transcribe.TranscribeOptions) -> transcribe.TranscribeOptions:
    """The options this interview is transcribed with: its language (chosen, else the study's)
    and the model that language needs (`transcribe.options_for`); with neither language known
    nor a model chosen, a few stretches of the recording are listened to first."""
    language = chosen_language(interview, options)
    own = replace(options, language=language)
    if language is None and transcribe.model_identity(options.model) == bundled.WHISPER_DEFAULT \
            and interview.stored_path and Path(interview.stored_path).exists():
        probe = transcribe.load_model(transcribe.MULTILINGUAL_MODEL, options.compute_type)
        heard = transcribe.sample_languages(probe, interview.stored_path, interview.duration or 0.0)
        return transcribe.options_for(own, None, heard)
    return transcribe.options_for(own, language)


def transcribe_interview(
    store: Store,
    interview: Interview,
    model,
    options: transcribe.TranscribeOptions,
    n_speakers: int | None = speakers.DEFAULT_SPEAKERS,
    show_progress: bool = False,
    on_progress: Callable[[float, str], None] | None = None,
    voice_profile: Callable[[], Any] | None = None,
) -> None:
    """Transcribe (resuming), then label speakers. `voice_profile` returns the study's interviewer
    voice (computed at most once per batch by the caller); None means: look it up now."""
    path = interview.stored_path
    if not path or not Path(path).exists():
        raise MissingRecordingError(interview.file_name, path)
    state = start_transcription(store, interview, options)
    # The audio-only half of the speaker stage (decode, segmentation, voice embeddings) runs in a
    # background thread while Whisper decodes; only the cheap word assignment waits for Whisper.
    # Not for long recordings: there the stage is a small share of the wall time (~0.02x real time
    # against Whisper's ~0.06x), and running both at once raised a 60-minute file's peak memory
    # from ~1.2 GB to 1.85 GB (bench/speed_bench.py transcribe --long).
    overlap = (interview.duration or 0) <= speakers.BACKGROUND_MAX_S
    # A call with a person per channel is labelled by channel (`sides`): no voices to listen for.
    by_sides = options.split_channels and 2 <= capture.audio_channels(path) <= sides.MAX_SIDES and sides.sides_apart(path)
    voice_work = (speakers.listen_in_background(path, n_speakers)
                  if overlap and not state.speakers_done and not by_sides else None)
    if not state.completed:
        store.update_interview(interview.id, status="transcribing", error=None)
        lanes.transcribe_audio(store, interview, model, options, state, chosen_language(interview, options),
                               show_progress, on_progress)
    if store.segment_count(interview.id) == 0:
        raise NoSpeechError(interview.file_name)
    if not store.get_transcription(interview.id).speakers_done:
        if voice_work is None:  # the voice work starts now, after Whisper: let Whisper's buffers go first
            return_freed_memory()
        if on_progress:
            on_progress(interview.duration or 0, "labelling speakers")
        segments = store.segments(interview.id, apply_edits=False)
        labelled = speakers.assign_speakers(
            path, segments, n_speakers=n_speakers,
            interviewer_profile=voice_profile() if voice_profile else interviewer_profile(store),
            voice_work=voice_work,
        )
        with store.transaction():
            store.replace_segments(interview.id, labelled)
            store.set_transcription(interview.id, speakers_done=1)
    store.update_interview(interview.id, status="transcribed", error=None)


def return_freed_memory() -> None:
    """Hand memory freed by a finished stage back to the system. glibc keeps freed blocks for
    reuse, so after Whisper's per-window buffers (~0.3 GB each) a process stays that big through
    the next stage; `malloc_trim` returns them. A no-op where the C library has no such call."""
    import gc

    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def start_transcription(store: Store, interview: Interview, options: transcribe.TranscribeOptions) -> TranscriptionState:
    """The interview's transcription state for these options: the stored one (a run to resume),
    or a fresh one when there is none or it was made with another model or settings."""
    key = options.key(interview.content_hash)
    state = store.get_transcription(interview.id)
    if state and state.run_key != key:
        store.reset_transcription(interview.id)  # new model or settings: a new transcript
        state = None
    if not state:
        store.set_transcription(
            interview.id, run_key=key, model=transcribe.model_identity(options.model),
            settings=repr(options), committed_until=0.0, completed=0, speakers_done=0,
        )
        state = store.get_transcription(interview.id)
    return state


def interviewer_profile(store: Store):
    """The study's interviewer voice, from the latest interview whose speakers a researcher
    corrected (never from machine labels alone, so one machine mistake cannot spread). The
    interviewer is usually one voice across a study: on real calls this beats clustering one
    file alone."""
    corrected = overlay.speaker_corrected_segments(store.current_edits("segment"))
    if not corrected:
        return None
    for interview in reversed(store.list_interviews()):
        if interview.kind != "audio" or not interview.stored_path or not Path(interview.stored_path).exists():
            continue
        segments = store.segments(interview.id)
        if any(s.id in corrected for s in segments):
            return speakers.voice_profile(interview.stored_path, segments)
    return None


# =============================================================================================
# Mining: quotes -> embeddings -> categories -> themes -> NPS (stages 4-9), by a `Miner`
# =============================================================================================


def mine(
    store: Store,
    embed_model: str | None = None,
    on_progress: Progress | None = None,
    show_progress: bool = False,
    theme_options: Any = None,
    miner: Miner | None = None,
) -> MineReport:
    """Quotes -> embeddings -> categories -> themes -> NPS over every transcribed interview.

    Reads the inputs from the store, runs `miner` (a new default `Miner(embed_model=...,
    theme_options=...)` when None; pass a long-lived one to embed the categorizer's prototypes
    once) and replaces the machine rows in one transaction. Researcher edits (category
    corrections, theme moves/renames/merges) are keyed by content-stable ids, so they survive.
    Raises ModelNotFoundError (naming it) when `embed_model` cannot be found.
    """
    if miner is None:
        miner = Miner(embed_model=embed_model, theme_options=theme_options)
    elif embed_model is not None or theme_options is not None:
        raise ValueError("pass embed_model/theme_options to the Miner, not next to it")
    interviews = store.list_interviews()
    quote_edits = store.current_edits("quote")
    before = store.quotes(apply_edits=False)
    study_codebook = codebook.load(store)
    result = miner.mine(
        interviews,
        {i.id: store.segments(i.id) for i in interviews if i.status == "transcribed"},
        previous_themes=store.machine_themes(),
        corrections=overlay.category_corrections(quote_edits, study_codebook.keys),
        protected=overlay.researcher_theme_ids(store.current_edits("theme"), quote_edits),
        on_progress=on_progress, show_progress=show_progress,
        cache=VectorCache(store.get_embeddings, store.save_embeddings),
        priors=study_codebook.priors(guide.load(store)),
        nps_scores={int(iid): e["score"] for iid, e in store.current_edits("nps").items() if "score" in e},
    )
    started = time.perf_counter()
    successors = overlay.quote_successors(before, result.quotes)
    carried = overlay.carried_edits(successors, quote_edits, store.current_edits("persona"))
    save_mining(store, result, carried)
    report = result.report
    if carried:
        moved = {e.entity_id for e in carried if e.entity == "quote"}
        report.messages.append(f"kept {len(carried)} researcher edits on {len(moved)} quotes whose words changed "
                               "(a corrected transcript or a new split gives a quote a new id)")
    if result.quotes:
        report.seconds["write"] = round(time.perf_counter() - started, 3)
        if on_progress:
            on_progress(1.0, f"mined {report.quotes} quotes into {report.themes} themes")
    return report


def save_mining(store: Store, result: MiningResult, carried: Iterable[overlay.Edit] = ()) -> None:
    """Replace the machine quotes, categories, themes and NPS with `result`, and store the edits
    `carried` over to quotes whose id changed (`overlay.carried_edits`), in one transaction."""
    with store.transaction():
        for edit in carried:
            store.save_edit(edit)
        store.save_quotes(result.quotes)
        store.save_categories((q.id, q.category, q.confidence) for q in result.quotes)
        store.save_themes(result.themes)
        store.save_nps([r.row() for r in result.nps])
        store.save_nps_to_confirm([
            {"interview_id": a.interview_id, "listen_at": a.start, "suggested": a.suggested}
            for a in result.report.nps_listen])
