"""Speaker attribution: the labelled dev corpus, real speech, AMI meetings, and the stage's cost.

Transcribes each corpus file with the real engine (bundled tiny.en, default options), caches the
segments to a temp JSON file (transcription is ~20 s a file; the speakers stage is what we iterate
on), runs `speakers.assign_speakers` and scores hypothesis segments against the ground-truth turns:

- participant time: for each true participant turn, the fraction of its span covered by hypothesis
  segments labelled participant (summed over turns);
- overall time: the same over both speakers' turns (interviewer turns must be covered by
  interviewer segments);
- confusion: the share of true turn time covered by a segment labelled as the *other* speaker
  (coverage alone would reward segments stretched over everything; this is the price of that).

Then real speech (../shared/data/speech, real voices, not synthetic):
- a two-voice mono conversation built from real clips with known turn times (JFK's `jfk.flac`
  phrases alternating with the left speaker of `stereo_diarization.wav`), scored as time accuracy
  under the best label-to-speaker mapping (neither voice asks questions, so roles are arbitrary);
- the same conversation with one voice per stereo channel (the channel-energy path);
- the real `stereo_diarization.wav` (two speakers talking over each other, one per channel):
  words of the transcript that belong to only one side's reference text must land on that side;
  then the same clip mixed down to mono (voice clustering only).

Then the AMI meeting excerpts (../shared/data/speech/ami, real far-field meetings, RTTM references):
speaker-time accuracy per file under the best one-to-one label mapping, with `n_speakers` the
reference count (or `--auto`): of the labelled transcript, of its ceiling (every word perfectly
labelled: tiny.en hears 0-9 words on some excerpts, and a transcript holds one voice at a time), and
of the diarization timeline itself with its purity; overlap-flagged segments, the stage's seconds.

`--long MINUTES` times the stage on one long file (corpus interviews back to back): wall and CPU
real-time factor, peak memory.

`--overhead AUDIO` instead times `interview-miner transcribe` (speakers included, fresh process)
against a bare faster-whisper call on 2 minutes of AUDIO, alternating, and reports peak memory.

Usage: python bench/speaker_eval.py [--sets corpus ami real] [--auto] [--corpus DIR] [--cache FILE]
       [--refresh] [--files dev01 dev03] [--merge N] [--oracle] [--fill-pauses S] [--no-real]
       [--overhead AUDIO] [--long MINUTES]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from interview_miner import capture, diarize, speakers, transcribe  # noqa: E402
from interview_miner.models import INTERVIEWER, PARTICIPANT, Segment, Word  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ami_measures import (AMI, ami_reference, overlap, reference_voices, speaker_time_accuracy,  # noqa: E402
                          timeline_accuracy, timeline_ceiling, transcript_oracle)

DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "corpus" / "dev"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "interview_miner_speaker_bench.json"
SPEECH = ROOT.parent / "shared" / "data" / "speech"
SR = 16000


def transcribe_file(path: Path) -> list[Segment]:
    return transcribe_audio(capture.read_audio(path))


def transcribe_audio(audio) -> list[Segment]:
    model = transcribe.load_model()
    segments, _ = transcribe.transcribe_window(model, audio, 0.0, transcribe.TranscribeOptions(), "en")
    return list(segments)


# ---------------------------------------------------------------------------------------------
# Real speech: a conversation built from real clips, and the real stereo clip
# ---------------------------------------------------------------------------------------------

# Phrase cuts (seconds) at the pauses of each real clip, found from their energy envelopes.
JFK_PHRASES = [(0.2, 2.3), (3.1, 7.7), (8.0, 10.6)]  # "And so my fellow Americans" | "ask not ... you" | "ask what ..."
LEFT_PHRASES = [(0.2, 2.55), (2.55, 4.8)]  # "He began ... the wizard," | "who had vanished ... left."


def real_conversation(speech_dir: Path = SPEECH, gap: float = 0.5, stereo: bool = False):
    """Alternate JFK's phrases with the left speaker of the stereo clip: (audio, turns).

    Each phrase is brought to the same loudness; `turns` holds speaker ("jfk" | "left"), start,
    end. With `stereo`, JFK is on the left channel and the other voice on the right.
    """
    import numpy as np

    jfk = capture.read_audio(speech_dir / "jfk.flac")
    left = capture.read_channels(speech_dir / "stereo_diarization.wav")[0]
    parts = [("jfk", jfk, JFK_PHRASES[0]), ("left", left, LEFT_PHRASES[0]), ("jfk", jfk, JFK_PHRASES[1]),
             ("left", left, LEFT_PHRASES[1]), ("jfk", jfk, JFK_PHRASES[2])]
    chunks, turns, t = [], [], 0.3
    for who, audio, (a, b) in parts:
        x = audio[int(a * SR) : int(b * SR)]
        x = x * (0.08 / np.sqrt(np.mean(x**2)))
        side = 0 if who == "jfk" or not stereo else 1
        chunk = np.zeros((2, len(x) + int(gap * SR)), dtype=np.float32)
        chunk[side, : len(x)] = x
        chunks.append(chunk)
        turns.append({"speaker": who, "start": round(t, 3), "end": round(t + len(x) / SR, 3)})
        t += chunk.shape[1] / SR
    lead = np.zeros((2, int(0.3 * SR)), dtype=np.float32)
    audio = np.concatenate([lead, *chunks], axis=1)
    return (audio if stereo else audio.sum(0)), turns


def best_mapping_accuracy(turns: list[dict], hyp: list[Segment]) -> tuple[float, float]:
    """(word, time) accuracy under the best one-to-one mapping of hypothesis labels to speakers.

    Word accuracy: a word is right when its label maps to the true speaker at its midpoint (what
    labelling decides); time accuracy also counts what the transcript's timing leaves uncovered.
    """
    from itertools import permutations

    truth = sorted({t["speaker"] for t in turns})
    labels = sorted({s.speaker for s in hyp}) + [None] * len(truth)
    total = sum(t["end"] - t["start"] for t in turns)
    words = [(w, s.speaker) for s in hyp for w in s.words]

    def who(t: float) -> str:
        return min(turns, key=lambda u: max(u["start"] - t, t - u["end"], 0.0))["speaker"]

    best = (0.0, 0.0)
    for perm in permutations(labels, len(truth)):
        ok = sum(overlap(t["start"], t["end"], s.start, s.end) for t in turns for s in hyp
                 if s.speaker == perm[truth.index(t["speaker"])])
        good = sum(1 for w, lab in words if lab == perm[truth.index(who((w.start + w.end) / 2))])
        best = max(best, (good / max(len(words), 1), ok / total))
    return best


def _norm(word: str) -> str:
    return re.sub(r"[^a-z]", "", word.lower())


def stereo_clip_check(segments: list[Segment], speech_dir: Path = SPEECH) -> tuple[int, int, dict]:
    """On the real stereo clip: of the words that appear in only one side's reference (by their
    first four letters: tiny.en garbles the overlapped stretch), how many got that side's label.

    The label of a side is the one most of that side's words got; returns (right, total, labels).
    """
    refs = {side: {_norm(w)[:4] for w in (speech_dir / f"stereo_diarization.{side}.txt").read_text().split()}
            for side in ("left", "right")}
    own = [(w, side) for s in segments for w in s.words for side, other in (("left", "right"), ("right", "left"))
           if _norm(w.word)[:4] in refs[side] and _norm(w.word)[:4] not in refs[other] and len(_norm(w.word)) > 2]
    label = {id(w): s.speaker for s in segments for w in s.words}
    side_label = {}
    for side in ("left", "right"):
        got = [label[id(w)] for w, sd in own if sd == side]
        side_label[side] = max(set(got), key=got.count) if got else None
    if side_label["left"] == side_label["right"]:
        side_label = {"left": side_label["left"], "right": None}
    right = sum(1 for w, side in own if label[id(w)] == side_label[side])
    return right, len(own), side_label


def real_speech(speech_dir: Path = SPEECH) -> None:
    if not (speech_dir / "jfk.flac").exists():
        print(f"real speech not found: {speech_dir}", file=sys.stderr)
        return
    print("\nreal speech")
    with tempfile.TemporaryDirectory() as tmp:
        for stereo, gap in ((False, 0.5), (False, 0.1), (True, 0.1)):
            audio, turns = real_conversation(speech_dir, gap=gap, stereo=stereo)
            path = Path(tmp) / f"conversation_{'stereo' if stereo else 'mono'}.wav"
            capture.write_wav(path, audio)
            segs = transcribe_audio(capture.read_audio(path))
            t0 = time.perf_counter()
            out = speakers.assign_speakers(str(path), segs)
            secs = time.perf_counter() - t0
            n = sum(1 for s in out for _ in s.words)
            word_acc, time_acc = best_mapping_accuracy(turns, out)
            print(f"  jfk+left conversation ({'stereo, a voice a side' if stereo else 'mono'}, {gap} s between "
                  f"turns, {audio.shape[-1] / SR:.1f} s, {len(segs)}->{len(out)} segments, {n} words): word accuracy "
                  f"{word_acc:.3f}, time accuracy {time_acc:.3f} (best mapping), {secs:.2f} s")
        clip = speech_dir / "stereo_diarization.wav"
        segs = transcribe_audio(capture.read_audio(clip))
        for name, path in (("stereo channels", clip), ("mixed to mono", Path(tmp) / "mix.wav")):
            if name == "mixed to mono":
                capture.write_wav(path, capture.read_audio(clip))
            out = speakers.assign_speakers(str(path), [Segment(**{**asdict(s), "words": list(s.words)}) for s in segs])
            right, total, side_label = stereo_clip_check(out, speech_dir)
            print(f"  stereo_diarization.wav, {name}: {right}/{total} side-specific words on their side's "
                  f"label {side_label}; segments: " + " | ".join(f"[{s.speaker}] {s.text}" for s in out))


def ami_eval(cache: dict, cache_path: Path, files: list[str] | None = None, auto: bool = False) -> list[dict]:
    """Per AMI excerpt, with `n_speakers` the reference count (or "auto"): speaker-time accuracy of
    the labelled transcript (what the product stores), of the diarization timeline (what the speaker
    stage decides, and its purity), and the transcript's ceiling (perfect word labels)."""
    if not AMI.exists():
        print(f"AMI excerpts not found: {AMI}", file=sys.stderr)
        return []
    reference, rows = ami_reference(), []
    print(f"\nAMI excerpts (real meetings; n_speakers = {'auto' if auto else 'the reference count'}); transcript: "
          "labelled words (tiny.en); oracle: every word of this transcript perfectly labelled, no widening to the timeline; timeline: the diarization itself;\n"
          "ref_voices: the timeline with each piece's voice decided by the reference (perfect clustering); ceiling: any identities on this timeline's voice activity")
    print(f"{'file':6} {'spk':>3} {'got':>3} {'words':>5} {'transcript':>10} {'oracle':>7} {'timeline':>8} "
          f"{'purity':>6} {'ref_voices':>10} {'ceiling':>7} {'ovl_segs':>8} {'stage_s':>7} {'cpu_s':>6}")
    for wav in sorted(AMI.glob("*.wav")):
        if wav.stem not in reference or (files and wav.stem not in files):
            continue
        turns = reference[wav.stem]
        n = len({t[0] for t in turns})
        segs, fresh = load_segments(wav, cache, False)
        if fresh:
            cache_path.write_text(json.dumps(cache))
        t0, c0 = time.perf_counter(), time.process_time()
        out = speakers.assign_speakers(str(wav), segs, n_speakers=None if auto else n)
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        words = [(w.start, w.end) for s in segs for w in s.words]
        heard = diarize.listen(capture.read_audio(wav))
        timeline = diarize.resolve(heard, None if auto else n, words)
        tl_acc, purity = timeline_accuracy(turns, timeline)
        row = {"file": wav.stem, "speakers": n, "labels": len({s.speaker for s in out}), "words": len(words),
               "accuracy": speaker_time_accuracy(turns, out), "oracle": transcript_oracle(turns, segs),
               "timeline": tl_acc, "purity": purity, "seconds": secs, "cpu": cpu,
               "ref_voices": timeline_accuracy(turns, reference_voices(turns, heard, n, words))[0],
               "ceiling": timeline_ceiling(turns, timeline)}
        rows.append(row)
        print(f"{wav.stem:6} {n:3d} {row['labels']:3d} {len(words):5d} {row['accuracy']:10.3f} {row['oracle']:7.3f} "
              f"{tl_acc:8.3f} {purity:6.3f} {row['ref_voices']:10.3f} {row['ceiling']:7.3f} "
              f"{sum('overlap' in s.flags for s in out):8d} {secs:7.2f} {cpu:6.2f}")
    for label, pick in (("two-speaker files (target >= 0.85 each)", lambda r: r["speakers"] == 2),
                        ("3-4 speaker files (target >= 0.70 mean)", lambda r: r["speakers"] >= 3)):
        chosen = [r for r in rows if pick(r)]
        if chosen:
            print(f"{label}: mean transcript {np.mean([r['accuracy'] for r in chosen]):.3f}, oracle "
                  f"{np.mean([r['oracle'] for r in chosen]):.3f}, timeline {np.mean([r['timeline'] for r in chosen]):.3f} "
                  f"(purity {np.mean([r['purity'] for r in chosen]):.3f}), with the reference's voices "
                  f"{np.mean([r['ref_voices'] for r in chosen]):.3f}, ceiling {np.mean([r['ceiling'] for r in chosen]):.3f}")
    return rows


def long_file_rtf(cache: dict, cache_path: Path, corpus: Path, minutes: float = 12.0, files: list[str] | None = None) -> None:
    """The stage's real-time factor on one long recording: corpus interviews put back to back (with
    their cached transcripts shifted) until `minutes`; wall and CPU seconds, models loaded first
    (a once-per-process cost the worker pays once), and the process's peak memory; then how much
    of each speaker's time is labelled right. With `files` (`--files dev01`) only those interviews
    are repeated: two voices for the whole recording, as in a long interview (all six interviews
    hold more voices than the two labels asked for, so their accuracy says little)."""
    import resource

    audio, segments, turns, t = [], [], [], 0.0
    truths = [p for p in sorted(corpus.glob("dev*.json")) if not files or p.stem in files]
    for truth_path in truths * int(np.ceil(minutes * 60 / 120 / len(truths)) + 1):
        if t >= minutes * 60:
            break
        truth = json.loads(truth_path.read_text())
        path = corpus / truth["audio"]["file"]
        turns += [{**u, "start": u["start"] + t, "end": u["end"] + t} for u in truth["turns"]]
        segs, fresh = load_segments(path, cache, False)
        if fresh:
            cache_path.write_text(json.dumps(cache))
        x = capture.read_audio(path)
        for sg in segs:
            words = [Word(w.start + t, w.end + t, w.word, w.probability) for w in sg.words]
            segments.append(Segment(**{**asdict(sg), "start": sg.start + t, "end": sg.end + t, "words": words}))
        audio.append(x)
        t += len(x) / SR
    with tempfile.TemporaryDirectory() as tmp:
        path = capture.write_wav(Path(tmp) / "long.wav", np.concatenate(audio))
        speakers.load_models()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0, c0 = time.perf_counter(), time.process_time()
        out = speakers.assign_speakers(str(path), segments)
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sc = score(turns, out)
    print(f"\nspeaker stage on one {t / 60:.1f}-minute file: participant time {sc['part_ok'] / sc['part_total']:.4f}, overall "
          f"{(sc['part_ok'] + sc['int_ok']) / (sc['part_total'] + sc['int_total']):.4f}, confusion "
          f"{sc['wrong'] / (sc['part_total'] + sc['int_total']):.4f}")
    print(f"speaker stage on one {t / 60:.1f}-minute file ({len(segments)} segments -> {len(out)}): {secs:.1f} s wall "
          f"({secs / t:.4f}x real time), {cpu:.1f} s CPU ({cpu / t:.4f}x; target < 0.02x); peak memory of this "
          f"process {peak:.0f} MB ({before:.0f} MB before the stage: models loaded, audio decoded and joined)")


BARE = """
import sys
from faster_whisper import WhisperModel
from interview_miner import transcribe
model = WhisperModel(transcribe.resolve_model("default"), device="cpu", compute_type="int8")
segments, _ = model.transcribe(sys.argv[1], language="en", beam_size=5, vad_filter=True, word_timestamps=True)
print(len(list(segments)))
"""


def overhead(audio: Path, seconds: float = 120.0, repeat: int = 2, modes_wanted: list[str] | None = None,
             against: Path | None = None) -> None:
    """`interview-miner transcribe` (speakers included) against a bare faster-whisper call with the
    same model and settings, and against the CLI with `--speakers 1` (no speaker stage: what the rest
    of the CLI costs), each a fresh process timed from start to exit (start-up costs count), run in
    turn back to back; the first `seconds` of `audio`. Wall and CPU seconds and peak memory per run
    (os.wait4: each process's own figures). `against`: another checkout (e.g. the main branch)
    whose CLI runs each round too, in turn with this one's, so a change is compared under the same
    load; `interview-miner --help` is timed for each checkout (the start-up alone)."""
    import subprocess

    checkouts = {"": ROOT, **({" (against)": against} if against else {})}
    modes = {"bare": "bare faster-whisper", "cli1": "transcribe --speakers 1", "ours": "transcribe (speakers)"}
    modes = {m: label for m, label in modes.items() if m == "bare" or not modes_wanted or m in modes_wanted}
    runs: dict[str, list[tuple[float, float, float]]] = {}
    labels = {"bare": modes["bare"]}
    with tempfile.TemporaryDirectory() as tmp:
        clip = capture.write_wav(Path(tmp) / "clip.wav", capture.read_audio(audio, 0.0, seconds))
        for r in range(repeat):
            for mode in modes:
                for suffix, root in (checkouts.items() if mode != "bare" else [("", ROOT)]):
                    env = {**os.environ, "PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1"}
                    cmd = [sys.executable, "-c", BARE, str(clip)]
                    if mode != "bare":
                        db = Path(tmp) / f"study{r}{mode}{len(suffix)}.db"
                        subprocess.run([sys.executable, "-m", "interview_miner", "add", str(clip), "--db", str(db)],
                                       env=env, cwd=root, check=True, capture_output=True)
                        cmd = [sys.executable, "-m", "interview_miner", "transcribe", "--db", str(db), "--language", "en",
                               *(["--speakers", "1"] if mode == "cli1" else [])]
                    labels[mode + suffix] = modes[mode] + suffix
                    runs.setdefault(mode + suffix, []).append(_timed(cmd, env, root))
            for suffix, root in checkouts.items():
                env = {**os.environ, "PYTHONPATH": str(root)}
                labels["help" + suffix] = "--help" + suffix
                runs.setdefault("help" + suffix, []).append(_timed([sys.executable, "-m", "interview_miner", "--help"], env, root))
    print(f"\n{seconds:.0f} s of {audio.name}, {repeat} runs each, in turn (fresh processes; the machine may be shared; "
          f"load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
          + (f"; against: {against}" if against else "") + "):")
    med = {m: np.median(np.array(v), axis=0) for m, v in runs.items()}
    for m, label in labels.items():
        ratio = "" if m.startswith("help") else (f"; median ratio to bare: wall {med[m][0] / med['bare'][0]:.2f}x, "
                                                 f"CPU {med[m][1] / med['bare'][1]:.2f}x")
        print(f"  {label:35} wall {' '.join(f'{w:.2f}' for w, _, _ in runs[m])} s (median {med[m][0]:.2f}), "
              f"CPU {' '.join(f'{c:.1f}' for _, c, _ in runs[m])} s, peak {max(p for _, _, p in runs[m]):.0f} MB{ratio}")
    print("  target: transcribe with speakers within 1.10x of bare faster-whisper")


def _timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak MB of one command in a fresh process, run in `cwd` (the
    checkout: `python -m` and `-c` import from the working folder before PYTHONPATH)."""
    import subprocess

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if status:
        raise RuntimeError(f"{' '.join(cmd)} failed ({status})")
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def load_segments(path: Path, cache: dict, refresh: bool) -> tuple[list[Segment], bool]:
    key = f"{path.name}:{path.stat().st_size}"
    if refresh or key not in cache:
        t0 = time.perf_counter()
        segs = transcribe_file(path)
        print(f"  transcribed {path.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        cache[key] = [asdict(s) for s in segs]
        return segs, True
    out = []
    for d in cache[key]:
        d = dict(d)
        d["words"] = [Word(**w) for w in d["words"]]
        out.append(Segment(**d))
    return out, False


def score(turns: list[dict], hyp: list[Segment]) -> dict[str, float]:
    """Seconds of each true speaker's turns covered by hypothesis segments with the same label."""
    out = {"part_total": 0.0, "part_ok": 0.0, "int_total": 0.0, "int_ok": 0.0, "wrong": 0.0}
    for t in turns:
        who = "part" if t["speaker"] == PARTICIPANT else "int"
        want = PARTICIPANT if who == "part" else INTERVIEWER
        out[f"{who}_total"] += t["end"] - t["start"]
        out[f"{who}_ok"] += sum(overlap(t["start"], t["end"], s.start, s.end) for s in hyp if s.speaker == want)
        out["wrong"] += sum(overlap(t["start"], t["end"], s.start, s.end) for s in hyp if s.speaker != want)
    return out


def merge(segs: list[Segment]) -> Segment:
    words = [w for s in segs for w in s.words]
    return Segment(segs[0].start, segs[-1].end, " ".join(s.text for s in segs), words=words,
                   avg_logprob=segs[0].avg_logprob, no_speech_prob=segs[0].no_speech_prob)


def oracle(turns: list[dict], segments: list[Segment], fill_pauses: float) -> list[Segment]:
    """Each word labelled by the true turn nearest its midpoint, split as the real stage splits."""
    def truth(t: float) -> str:
        return min(turns, key=lambda u: max(u["start"] - t, t - u["end"], 0.0))["speaker"]

    items = [w for s in segments for w in s.words]
    owner = [i for i, s in enumerate(segments) for _ in s.words]
    labels = [truth((w.start + w.end) / 2) for w in items]
    out = speakers._split(segments, items, owner, labels)
    for s in out:
        s.speaker = str(s.speaker)
    return speakers._fill(out, fill_pauses)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--refresh", action="store_true", help="re-transcribe even when cached")
    ap.add_argument("--files", nargs="*", help="interview ids (dev01 ...); default all in manifest")
    ap.add_argument("--n-speakers", type=int, default=2)
    ap.add_argument("--fill-pauses", type=float, default=speakers.FILL_PAUSE_S,
                    help="seconds of pause a turn runs on across (0: segment times from words only)")
    ap.add_argument("--merge", type=int, default=1,
                    help="stress test: merge every N consecutive Whisper segments into one, so most "
                    "segments hold both voices and must be split at word times")
    ap.add_argument("--profile", metavar="ID",
                    help="label interview ID first, take its interviewer's voice profile and use it "
                    "(interviewer_profile) for every file: the study-level signal")
    ap.add_argument("--no-real", action="store_true", help="skip the real-speech checks")
    ap.add_argument("--sets", nargs="*", choices=("corpus", "ami", "real"), default=["corpus", "ami", "real"],
                    help="which evaluations to run (default all)")
    ap.add_argument("--overhead", type=Path, metavar="AUDIO",
                    help="only time `interview-miner transcribe` against bare faster-whisper on 2 minutes of AUDIO")
    ap.add_argument("--repeat", type=int, default=2, help="--overhead: runs of each command")
    ap.add_argument("--modes", nargs="*", choices=("cli1", "ours"), help="--overhead: which CLI runs next to bare (default both)")
    ap.add_argument("--against", type=Path, metavar="CHECKOUT",
                    help="--overhead: also run another checkout's CLI (e.g. /work/main), in turn with this one's")
    ap.add_argument("--long", type=float, metavar="MINUTES",
                    help="only time the speaker stage on one long file (corpus interviews back to back)")
    ap.add_argument("--auto", action="store_true", help="AMI: --speakers auto instead of the reference count")
    ap.add_argument("--oracle", action="store_true",
                    help="label words from the ground truth instead: the ceiling the transcript's timing allows")
    args = ap.parse_args(argv)
    if args.overhead:
        overhead(args.overhead, repeat=args.repeat, modes_wanted=args.modes, against=args.against)
        return 0
    cache = json.loads(args.cache.read_text()) if args.cache.exists() else {}
    if args.long:
        long_file_rtf(cache, args.cache, args.corpus, args.long, args.files)
        return 0
    if "ami" in args.sets:
        ami_eval(cache, args.cache, args.files, args.auto)
    if "corpus" not in args.sets:
        if "real" in args.sets and not args.no_real:
            real_speech()
        return 0
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    truths = sorted(args.corpus.glob("dev*.json"))
    if args.files:
        truths = [t for t in truths if t.stem in args.files]
    profile = None
    if args.profile:
        first = json.loads((args.corpus / f"{args.profile}.json").read_text())
        path = args.corpus / first["audio"]["file"]
        segs, _ = load_segments(path, cache, False)
        profile = speakers.voice_profile(str(path), speakers.assign_speakers(str(path), segs))
        print(f"interviewer profile from {args.profile}")
    totals = {"part_total": 0.0, "part_ok": 0.0, "int_total": 0.0, "int_ok": 0.0, "wrong": 0.0}
    total_audio = total_secs = total_cpu = 0.0
    print(f"{'file':8} {'dur_s':>6} {'segs':>5} {'out':>5} {'part_acc':>8} {'int_acc':>8} {'all_acc':>8} {'confus':>7} {'spk_s':>6} {'cpu_s':>6}")
    for truth_path in truths:
        truth = json.loads(truth_path.read_text())
        audio_path = args.corpus / truth["audio"]["file"]
        segments, fresh = load_segments(audio_path, cache, args.refresh)
        if fresh:
            args.cache.write_text(json.dumps(cache))
        if args.merge > 1:
            segments = [merge(segments[i : i + args.merge]) for i in range(0, len(segments), args.merge)]
        t0, c0 = time.perf_counter(), time.process_time()
        if args.oracle:
            labelled = oracle(truth["turns"], segments, args.fill_pauses)
        else:
            labelled = speakers.assign_speakers(
                str(audio_path), segments, n_speakers=args.n_speakers, fill_pauses=args.fill_pauses,
                interviewer_profile=profile,
            )
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        s = score(truth["turns"], labelled)
        for k in totals:
            totals[k] += s[k]
        total_audio += truth["duration"]
        total_secs += secs
        total_cpu += cpu
        part = s["part_ok"] / s["part_total"]
        inter = s["int_ok"] / s["int_total"]
        both = (s["part_ok"] + s["int_ok"]) / (s["part_total"] + s["int_total"])
        wrong = s["wrong"] / (s["part_total"] + s["int_total"])
        print(f"{truth_path.stem:8} {truth['duration']:6.1f} {len(segments):5d} {len(labelled):5d} "
              f"{part:8.3f} {inter:8.3f} {both:8.3f} {wrong:7.3f} {secs:6.2f} {cpu:6.2f}")
    part = totals["part_ok"] / totals["part_total"]
    inter = totals["int_ok"] / totals["int_total"]
    both = (totals["part_ok"] + totals["int_ok"]) / (totals["part_total"] + totals["int_total"])
    wrong = totals["wrong"] / (totals["part_total"] + totals["int_total"])
    print(f"{'overall':8} {total_audio:6.1f} {'':5} {'':5} {part:8.3f} {inter:8.3f} {both:8.3f} {wrong:7.3f} {total_secs:6.2f} {total_cpu:6.2f}")
    print(f"speakers stage: {total_secs / max(total_audio, 1e-9):.4f} x real time "
          f"({total_secs / max(len(truths), 1):.2f} s wall, {total_cpu / max(len(truths), 1):.2f} s CPU per file; "
          f"the first file includes loading torch and the voice models)")
    if "real" in args.sets and not args.no_real and not args.oracle:
        real_speech()
    return 0


if __name__ == "__main__":
    sys.exit(main())
