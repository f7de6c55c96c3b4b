"""Why batched Whisper decoding loses accuracy on the corpus: WER per decoding configuration.

    python bench/batched_sweep.py seq                       # sequential WhisperModel.transcribe
    python bench/batched_sweep.py batched '{"batch_size": 8}'
    python bench/batched_sweep.py batched '{"batch_size": 8, "chunk_length": 15}'
    python bench/batched_sweep.py regions '{"batch_size": 8, "min_silence_duration_ms": 500}'
    python bench/batched_sweep.py continue '{"batch_size": 8}'
    python bench/batched_sweep.py seq '{}' --sets speech corpus

Prints per file the WER with its substitutions / deletions / insertions (the error type is the
diagnosis: batched decoding's extra errors on the corpus are deletions), pooled WER per set and the
process's CPU seconds (user + system; less disturbed than wall time on a shared CPU). Modes:
- `seq`: `WhisperModel.transcribe` as our sequential default runs it (beam 5, VAD, word timestamps);
- `batched`: faster-whisper's `BatchedInferencePipeline` with the given keyword options (its VAD
  glues speech into chunks of up to `chunk_length` s and decodes them without timestamp tokens);
- `regions`: the batched pipeline over our own clips: one per VAD speech region (pauses kept);
- `continue`: an experiment, not product code: timestamp-token mode over clips of VAD regions
  merged up to 30 s, and each clip whose decoded words end before its speech does is decoded again
  from its last word (what sequential decoding does by seeking), up to 3 rounds per batch.
All modes: tiny.en int8 (the bundled default), English. Reads ../shared/data (measuring only).
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import speed_bench as sb  # noqa: E402  (data, normalisation and pooled WER shared with the speed bench)

SR = 16000
COMMON = dict(language="en", beam_size=5, word_timestamps=True)


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def speech_regions(audio, max_s: float = 30.0, min_silence_ms: int = 160) -> list[tuple[float, float]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    ts = get_speech_timestamps(audio, VadOptions(max_speech_duration_s=max_s, min_silence_duration_ms=min_silence_ms))
    return [(t["start"] / SR, t["end"] / SR) for t in ts]


def merged_clips(regions: list[tuple[float, float]], max_s: float = 30.0) -> list[list]:
    """Consecutive speech regions merged into clips of at most max_s (pauses inside kept)."""
    clips: list[list] = []
    for a, b in regions:
        if clips and b - clips[-1][0] <= max_s:
            clips[-1][1] = b
            clips[-1][2].append((a, b))
        else:
            clips.append([a, b, [(a, b)]])
    return clips


def decode_continuing(model, audio, batch_size: int = 8, rounds: int = 3, min_left_s: float = 1.0, **kw) -> list:
    """The `continue` experiment (see the module docstring). Segments are matched to their clip by
    the pipeline's `seek` (the clip's offset in frames)."""
    from faster_whisper import BatchedInferencePipeline

    pipe = BatchedInferencePipeline(model)
    clips = merged_clips(speech_regions(audio))
    out = []
    for g in range(0, len(clips), batch_size):
        pending, group = [tuple(c) for c in clips[g : g + batch_size]], []
        for _ in range(rounds):
            if not pending:
                break
            segs, _ = pipe.transcribe(audio, clip_timestamps=[{"start": a, "end": b} for a, b, _ in pending],
                                      batch_size=batch_size, without_timestamps=False, **COMMON, **kw)
            segs = list(segs)
            left = []
            for a, b, speech in pending:
                mine = [s for s in segs if s.seek == int(a * 100)]
                group += mine
                if not mine:
                    continue
                last = max((s.words[-1].end if s.words else s.end) for s in mine)
                if sum(max(0.0, min(e, b) - max(s0, last)) for s0, e in speech) >= min_left_s:
                    left.append((last, b, [(max(s0, last), e) for s0, e in speech if e > last]))
            pending = left
        out += sorted(group, key=lambda s: s.start)
    return out


def decode(model, mode: str, audio, cfg: dict) -> list:
    from faster_whisper import BatchedInferencePipeline

    if mode == "seq":  # the config may change the common options (beam_size)
        return list(model.transcribe(audio, vad_filter=True, **{**COMMON, **cfg})[0])
    if mode == "continue":
        return decode_continuing(model, audio, **cfg)
    cfg = dict(cfg)
    if mode == "regions":
        regions = speech_regions(audio, 30.0, cfg.pop("min_silence_duration_ms", 500))
        cfg["clip_timestamps"] = [{"start": a, "end": b} for a, b in regions]
    return list(BatchedInferencePipeline(model).transcribe(audio, **COMMON, **cfg)[0])


def main(argv: list[str] | None = None) -> int:
    import jiwer

    from interview_miner import capture, transcribe

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["seq", "batched", "regions", "continue"])
    ap.add_argument("config", nargs="?", default="{}", help="JSON keyword options of the mode")
    ap.add_argument("--sets", nargs="*", default=["corpus"], choices=["speech", "corpus", "heldout"])
    ap.add_argument("--heldout", type=Path, help="voiced held-out interviews (bench/voice_corpus.py): hold*.wav + hold*.json")
    a = ap.parse_args(argv)
    cfg = json.loads(a.config)
    model = transcribe.load_model("default")
    clips = list(sb.speech_clips()) if "speech" in a.sets else []
    if "corpus" in a.sets:
        clips += [(f.name, capture.read_audio(f), sb.corpus_reference(f)) for f in sb.corpus_files()]
    if "heldout" in a.sets:  # the voiced held-out interviews: their reference is the truth's turns
        clips += [(f.name, capture.read_audio(f), " ".join(t["text"] for t in json.loads(f.with_suffix(".json").read_text())["turns"]))
                  for f in sorted(a.heldout.glob("hold*.wav"))]
    c0, hyps, per = cpu_s(), {}, {}
    for name, audio, ref in clips:
        hyps[name] = " ".join(s.text.strip() for s in decode(model, a.mode, audio, cfg))
        o = jiwer.process_words(sb.normalize(ref), sb.normalize(hyps[name]) or "-")
        per[name] = {"wer": round(o.wer, 4), "sub": o.substitutions, "del": o.deletions, "ins": o.insertions}
        print(name, per[name], file=sys.stderr, flush=True)
    refs = {name: ref for name, _, ref in clips}
    pooled = {group: sb.wer([refs[n] for n in names], [hyps[n] for n in names])
              for group, names in (("speech", [n for n in refs if not n.startswith(("dev", "hold"))]),
                                   ("corpus", [n for n in refs if n.startswith("dev")]),
                                   ("heldout", [n for n in refs if n.startswith("hold")])) if names}
    print(json.dumps({"mode": a.mode, "config": cfg, "pooled": pooled, "cpu_s": round(cpu_s() - c0, 1), "per_file": per}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
