"""Runs the stages over the store: add files, transcribe (resumable), label speakers.

Each function reads its input from the store, calls the stage functions (which do no I/O of their
own) and writes results in transactions. The CLI and the Streamlit app both call these; long work
is started as a job in a worker process (`interview_miner.worker`) that reports progress through
the `jobs` table, so a page reload or a second tab loses nothing.
"""
from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import capture, speakers, transcribe
from .errors import InterviewMinerError
from .models import Interview, PARTICIPANT
from .store import Store

Progress = Callable[[float, str], None]

# Audio is decoded and transcribed in windows of this many seconds, so memory stays bounded on
# 1-3 hour files. Segments ending within GUARD_S of a window's end are re-done in the next window
# (they may be cut mid-word).
WINDOW_S = float(os.environ.get("INTERVIEW_MINER_WINDOW_S", 600))
GUARD_S = 3.0


@dataclass
class Report:
    """What a batch call did: the interviews touched and one line per failed file."""

    added: list[Interview] = field(default_factory=list)
    existing: list[Interview] = field(default_factory=list)
    done: list[Interview] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

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
            interview, is_new = add_file(store, path, participant, metadata or {}, max_bytes, name)
        except InterviewMinerError as e:
            report.errors.append(str(e).replace(str(path), name) if name != path.name else str(e))
            continue
        (report.added if is_new else report.existing).append(interview)
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
    if kind == "audio":
        info = capture.probe_audio(path)
        stored = capture.store_recording(path, content_hash, recordings_dir_for(store))
        meta = {**metadata, "channels": info.channels, "codec": info.codec}
        interview = Interview(
            id=None, content_hash=content_hash, file_name=file_name, kind="audio",
            stored_path=str(stored), participant=participant, metadata=meta,
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
    interview = Interview(
        id=None, content_hash=content_hash, file_name=file_name, kind="transcript",
        participant=participant or _personal_name(names.get(PARTICIPANT)), metadata=meta,
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
    n_speakers: int = 2,
    show_progress: bool = False,
    on_progress: Progress | None = None,
) -> Report:
    """Transcribe and label speakers for every audio interview not yet done (or just `ids`).

    Resumable: segments are stored as they are produced, so a killed run continues where it
    stopped. A file that fails is recorded as failed with its reason; the rest still run.
    """
    options = options or transcribe.TranscribeOptions()
    report = Report()
    interviews = [i for i in store.list_interviews(ids) if i.kind == "audio"]
    if ids:
        missing = set(map(int, ids)) - {i.id for i in store.list_interviews(ids)}
        report.errors += [f"interview {m}: no such interview" for m in sorted(missing)]
    todo = [i for i in interviews if ids or not _is_done(store, i, options)]
    if not todo:
        return report
    model = transcribe.load_model(options.model, options.compute_type)
    profile = functools.cache(lambda: interviewer_profile(store))  # once per batch, only if needed
    total = sum(i.duration or 0 for i in todo) or 1.0
    done_s = 0.0
    for interview in todo:
        def file_progress(seconds: float, msg: str, base=done_s, name=interview.file_name) -> None:
            if on_progress:
                on_progress(min(1.0, (base + seconds) / total), f"{name}: {msg}")
        try:
            transcribe_interview(store, interview, model, options, n_speakers, show_progress, file_progress,
                                 voice_profile=profile)
            report.done.append(store.get_interview(interview.id))
        except InterviewMinerError as e:
            store.update_interview(interview.id, status="failed", error=str(e))
            report.errors.append(str(e))
        done_s += interview.duration or 0
    return report


def _is_done(store: Store, interview: Interview, options: transcribe.TranscribeOptions) -> bool:
    t = store.get_transcription(interview.id)
    return bool(t and t["run_key"] == options.key(interview.content_hash) and t["completed"] and t["speakers_done"])


def transcribe_interview(
    store: Store,
    interview: Interview,
    model,
    options: transcribe.TranscribeOptions,
    n_speakers: int = 2,
    show_progress: bool = False,
    on_progress: Callable[[float, str], None] | None = None,
    voice_profile: Callable[[], Any] | None = None,
) -> None:
    """Transcribe (resuming), then label speakers. `voice_profile` returns the study's interviewer
    voice (computed at most once per batch by the caller); None means: look it up now."""
    path = interview.stored_path
    if not path or not Path(path).exists():
        raise InterviewMinerError(f"{interview.file_name}: stored recording is missing ({path})")
    key = options.key(interview.content_hash)
    state = store.get_transcription(interview.id)
    if state and state["run_key"] != key:
        store.reset_transcription(interview.id)  # new model or settings: a new transcript
        state = None
    if not state:
        store.set_transcription(
            interview.id, run_key=key, model=transcribe.model_identity(options.model),
            settings=repr(options), committed_until=0.0, completed=0, speakers_done=0,
        )
        state = store.get_transcription(interview.id)
    if not state["completed"]:
        store.update_interview(interview.id, status="transcribing", error=None)
        _transcribe_audio(store, interview, model, options, state["committed_until"] or 0.0, show_progress, on_progress)
    if store.segment_count(interview.id) == 0:
        raise InterviewMinerError(f"{interview.file_name}: no speech detected in the recording")
    if not store.get_transcription(interview.id)["speakers_done"]:
        if on_progress:
            on_progress(interview.duration or 0, "labelling speakers")
        segments = store.segments(interview.id, apply_edits=False)
        labelled = speakers.assign_speakers(
            path, segments, n_speakers=n_speakers,
            interviewer_profile=voice_profile() if voice_profile else interviewer_profile(store),
        )
        with store.transaction():
            store.replace_segments(interview.id, labelled)
            store.set_transcription(interview.id, speakers_done=1)
    store.update_interview(interview.id, status="transcribed", error=None)


def interviewer_profile(store: Store):
    """The study's interviewer voice, from the latest interview whose speakers a researcher
    corrected (never from machine labels alone, so one machine mistake cannot spread). The
    interviewer is usually one voice across a study: on real calls this beats clustering one
    file alone."""
    corrected = {int(e["entity_id"]) for e in store.edit_history("segment") if e["field"] == "speaker"}
    if not corrected:
        return None
    for interview in reversed(store.list_interviews()):
        if interview.kind != "audio" or not interview.stored_path or not Path(interview.stored_path).exists():
            continue
        segments = store.segments(interview.id)
        if any(s.id in corrected for s in segments):
            return speakers.voice_profile(interview.stored_path, segments)
    return None


def _transcribe_audio(
    store: Store,
    interview: Interview,
    model,
    options: transcribe.TranscribeOptions,
    start: float,
    show_progress: bool,
    on_progress: Progress | None,
) -> None:
    from tqdm import tqdm

    duration = interview.duration or capture.decoded_duration(interview.stored_path)
    language = interview.language or options.language
    recent = store.segments(interview.id, apply_edits=False)[-2:]
    bar = tqdm(
        total=round(duration, 1), initial=round(start, 1), unit="s", desc=interview.file_name[:30],
        disable=not show_progress, file=sys.stderr, bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s audio [{elapsed}<{remaining}]",
    )
    pos = start
    with bar:
        while pos < duration - 0.25:
            window_end = pos + WINDOW_S
            is_last = window_end >= duration - 0.25
            audio = capture.read_audio(interview.stored_path, pos, window_end)
            if len(audio) == 0:
                break
            segments, info = transcribe.transcribe_window(model, audio, pos, options, language)
            if language is None:
                language = info.language
                store.update_interview(
                    interview.id, language=info.language,
                    language_probability=round(float(info.language_probability), 3),
                )
            last_end = None
            for seg in segments:
                if not is_last and seg.end > window_end - GUARD_S:
                    break
                seg.flags = transcribe.quality_flags(seg, recent)
                store.commit_transcribed(interview.id, [seg], committed_until=seg.end)
                recent = (recent + [seg])[-2:]
                last_end = seg.end
                bar.update(max(0.0, min(seg.end, bar.total) - bar.n))
                if on_progress:
                    on_progress(seg.end, f"transcribed {seg.end:.0f}/{duration:.0f} s")
            if is_last:
                break
            pos = last_end if last_end and last_end > pos + 1 else window_end - GUARD_S
            store.set_transcription(interview.id, committed_until=pos)
        bar.update(max(0.0, duration - bar.n))
    store.set_transcription(interview.id, committed_until=duration, completed=1)


# =============================================================================================
# Mining: quotes -> embeddings -> categories -> themes -> NPS (stages 4-9)
# =============================================================================================


@dataclass
class MineReport:
    """What `mine` did: counts per stage and one line per thing worth telling the user."""

    interviews: int = 0
    quotes: int = 0
    embedded: int = 0  # vectors computed this run (the rest came from the cache)
    cached: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    corrections: int = 0
    themes: int = 0
    themed_quotes: int = 0
    reused_theme_ids: int = 0
    nps: dict[int, int] = field(default_factory=dict)
    nps_listen: list[Any] = field(default_factory=list)  # nps.AudioScore: answers to listen to
    seconds: dict[str, float] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    @property
    def unthemed(self) -> int:
        return self.quotes - self.themed_quotes

    @property
    def unthemed_share(self) -> float:
        return self.unthemed / self.quotes if self.quotes else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "interviews": self.interviews, "quotes": self.quotes, "embedded": self.embedded,
            "cached": self.cached, "categories": self.categories, "corrections": self.corrections,
            "themes": self.themes, "unthemed": self.unthemed, "unthemed_share": round(self.unthemed_share, 4),
            "reused_theme_ids": self.reused_theme_ids, "nps": self.nps, "seconds": self.seconds,
            "messages": self.messages,
        }


_CATEGORIZERS: dict[str, Any] = {}


def mine(
    store: Store,
    embed_model: str | None = None,
    on_progress: Progress | None = None,
    show_progress: bool = False,
    theme_options: Any = None,
) -> MineReport:
    """Quotes -> embeddings -> categories -> themes -> NPS over every transcribed interview.

    Machine rows are replaced in one transaction at the end; researcher edits (category
    corrections, theme moves/renames/merges) are keyed by content-stable ids, so they survive.
    Raises ModelNotFoundError (naming it) when `embed_model` cannot be found.
    """
    import time

    import numpy as np

    from . import categorize as categorize_mod
    from . import embed as embed_mod
    from . import nps as nps_mod
    from . import quotes as quotes_mod
    from . import themes as themes_mod

    report = MineReport()
    clock = time.perf_counter()

    def step(name: str, fraction: float, message: str) -> None:
        nonlocal clock
        t = time.perf_counter()
        report.seconds[name] = round(t - clock, 3)
        clock = t
        if on_progress:
            on_progress(fraction, message)

    def progress(fraction: float, message: str) -> None:
        if on_progress:
            on_progress(fraction, message)

    # Resolve the model first: a bad --embed-model fails before any work is done.
    embed_mod.resolve_model(embed_model)
    all_interviews = store.list_interviews()
    interviews = [i for i in all_interviews if i.status == "transcribed" and store.segment_count(i.id)]
    pending = [i.file_name for i in all_interviews if i.status != "transcribed"]
    if pending:
        report.messages.append(
            f"not mined yet (not transcribed): {', '.join(pending[:5])}" + (" ..." if len(pending) > 5 else "")
        )
    report.interviews = len(interviews)
    progress(0.0, f"splitting quotes in {len(interviews)} interviews")

    # 1. Quotes
    all_quotes = []
    silent = []
    for n, interview in enumerate(interviews):
        qs = quotes_mod.split_quotes(interview, store.segments(interview.id))
        if not qs:
            silent.append(interview.file_name)
        all_quotes += qs
        progress(0.15 * (n + 1) / max(1, len(interviews)), f"quotes: {interview.file_name}")
    report.quotes = len(all_quotes)
    if silent and all_quotes:
        report.messages.append(
            f"no participant speech in {len(silent)} interview(s): {', '.join(silent[:5])}"
            + (" ..." if len(silent) > 5 else "") + " (check speaker labels with `transcript`)"
        )
    if not all_quotes:
        with store.transaction():
            store.save_quotes([])
            store.save_categories([])
            store.save_themes([])
            store.save_nps([])
        report.messages.append(
            "no participant speech to mine: add and transcribe interviews first, or check that "
            "speakers are labelled (participant vs interviewer)"
            if not interviews else
            "no participant speech to mine: every transcribed segment is labelled interviewer or "
            "unlabelled; fix speaker labels with `interview-miner speakers ID --swap/--set`"
        )
        step("quotes", 1.0, report.messages[-1])
        return report
    step("quotes", 0.15, f"{len(all_quotes)} quotes from {len(interviews)} interviews")

    # 2. Embeddings (cached by model and text hash)
    embedder = embed_mod.LazyEmbedder(embed_model)  # loads the model only if something is not cached
    questions = sorted({q.question for q in all_quotes if q.question})
    texts = [quotes_mod.embedding_text(q.text) for q in all_quotes] + questions

    def cached_encode(batch: list[str]) -> np.ndarray:
        hashes = [embed_mod.text_hash(t) for t in batch]
        cached = store.get_embeddings(embedder.name, hashes)
        vecs, new = embed_mod.embed_texts(batch, embedder, cached)
        if new:
            store.save_embeddings(embedder.name, new, vecs.shape[1])
            report.embedded += len(new)
        return vecs

    hashes = [embed_mod.text_hash(t) for t in texts]
    cached = store.get_embeddings(embedder.name, hashes)
    n_missing = len(set(hashes) - set(cached))
    report.cached = len(set(hashes)) - n_missing

    def on_batch(done: int, total: int) -> None:
        progress(0.15 + 0.5 * done / max(1, total), f"embedding {done}/{total} new sentences")

    if n_missing:
        progress(0.15, f"embedding {n_missing} new sentences ({report.cached} cached)")
    vecs, new = embed_mod.embed_texts(texts, embedder, cached, show_progress=show_progress, on_batch=on_batch)
    if new:
        store.save_embeddings(embedder.name, new, vecs.shape[1])
        report.embedded += len(new)
    quote_vecs = vecs[: len(all_quotes)]
    # A quote is embedded without its leading fillers; its vector is also filed under the hash of
    # its full text, so anything looking a quote's vector up by sha256(quote text) finds it.
    aliases = {
        embed_mod.text_hash(q.text): embed_mod.to_bytes(v)
        for q, t, v in zip(all_quotes, texts, quote_vecs) if t != q.text
    }
    if aliases:
        have = store.get_embeddings(embedder.name, aliases)
        missing_aliases = {h: b for h, b in aliases.items() if h not in have}
        if missing_aliases:
            store.save_embeddings(embedder.name, missing_aliases, quote_vecs.shape[1])
    question_vecs = {t: vecs[len(all_quotes) + i] for i, t in enumerate(questions)}
    step("embed", 0.65, f"embedded {report.embedded} new sentences, {report.cached} from cache")

    # 3. Categories (+ researcher corrections)
    quote_ids = {q.id for q in all_quotes}
    corrections = {
        qid: e["category"] for qid, e in store.current_edits("quote").items()
        if qid in quote_ids and e.get("category") in categorize_mod.CAT_INDEX
    }
    report.corrections = len(corrections)
    categorizer = _CATEGORIZERS.get(embedder.name)
    if categorizer is None:  # prototypes are embedded once per process (and cached in the store)
        categorizer = _CATEGORIZERS[embedder.name] = categorize_mod.Categorizer(cached_encode)
    cats = categorize_mod.categorize(
        all_quotes, quote_vecs, question_vecs, cached_encode, corrections, categorizer=categorizer
    )
    for q, (c, conf) in zip(all_quotes, cats):
        q.category, q.confidence = c, conf
    report.categories = dict(sorted(_count(c for c, _ in cats).items()))
    step("categorize", 0.75, "categorized quotes")

    # 4. NPS (before themes: nps_score themes are grouped by class)
    results = nps_mod.extract(all_quotes)
    report.nps = {r.interview_id: r.score for r in results}
    answered = {q.interview_id for q in all_quotes if nps_mod.is_nps_question(q.question)}
    missing_nps = sorted(answered - set(report.nps))
    if missing_nps:  # no readable score: listen again to that answer, biased towards 0-10
        heard, attempts = nps_mod.scores_from_audio(all_quotes, _recordings(interviews, missing_nps), _score_models)
        results += heard
        report.nps.update({r.interview_id: r.score for r in heard})
        missing_nps = sorted(answered - set(report.nps))
        report.nps_listen = [a for a in attempts if a.needs_listening]
    if missing_nps:
        names = {i.id: i.file_name for i in interviews}
        at = {a.interview_id: f" (listen to confirm at {int(a.start // 60)}:{int(a.start % 60):02d})" for a in report.nps_listen}
        report.messages.append(
            "recommendation question asked but no 0-10 score found in: "
            + ", ".join(names.get(i, str(i)) + at.get(i, "") for i in missing_nps)
        )

    # 5. Themes (ids matched to the previous run's)
    previous = store.machine_themes()
    # Themes a researcher has touched (renamed, tagged, quotes moved into them) keep their id
    # whenever any of their quotes is still together.
    protected = set(store.current_edits("theme")) | {
        str(e["theme_id"]) for e in store.current_edits("quote").values() if e.get("theme_id")
    }
    participants = {i.id: (i.participant or i.file_name) for i in interviews}
    theme_list = themes_mod.build_themes(
        all_quotes, quote_vecs, previous=previous, nps_scores=report.nps, participants=participants,
        options=theme_options, protected=protected, encode=cached_encode,
    )
    prev_ids = {t.id for t in previous}
    report.themes = len(theme_list)
    report.reused_theme_ids = sum(1 for t in theme_list if t.id in prev_ids)
    report.themed_quotes = sum(len(t.quote_ids) for t in theme_list)
    step("themes", 0.95, f"{len(theme_list)} themes")

    # 6. Write everything in one transaction.
    with store.transaction():
        store.save_quotes(all_quotes)
        store.save_categories((q.id, q.category, q.confidence) for q in all_quotes)
        store.save_themes(theme_list)
        store.save_nps([r.row() for r in results])
    if report.unthemed_share > 0.15:
        report.messages.append(f"{report.unthemed} of {report.quotes} quotes ({report.unthemed_share:.0%}) fit no theme")
    step("write", 1.0, f"mined {report.quotes} quotes into {report.themes} themes")
    return report


def _recordings(interviews: list[Interview], ids: list[int]) -> dict[int, str]:
    """Interview id -> stored recording, for those of `ids` that have one on disk."""
    return {i.id: i.stored_path for i in interviews
            if i.id in ids and i.kind == "audio" and i.stored_path and Path(i.stored_path).exists()}


def _score_models() -> list:
    """Whisper models that re-score a recommendation answer: the bundled tiny.en and, when
    installed, the bundled base model (two models mishear differently)."""
    models = [transcribe.load_model(None)]
    if transcribe.bundled_base_path() is not None:
        models.append(transcribe.load_model("base"))
    return models


def _count(items) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return out
