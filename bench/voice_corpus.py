"""Voice a labelled transcript corpus with espeak-ng, so audio-mode `eval` can run on interviews
the miner was never measured on.

The shared dev corpus is the only labelled *audio* the project has, and tuning on it is easy to do
by accident. The held-out transcripts in tests/data/heldout (other products, other question
wording) have no audio; this script gives them some, in voices the dev corpus does not use, and
writes the corpus format `interview-miner eval` reads: `<id>.json` with real sentence and turn
times, plus `<id>.wav` (16 kHz mono).

Each sentence is voiced on its own and trimmed of espeak's leading/trailing silence with sox, so
the times in the JSON are where the words really are. Pauses: 0.25 s between sentences of a turn,
0.8 s between turns.

Run: python bench/voice_corpus.py tests/data/heldout /tmp/heldout-audio
     python bench/voice_corpus.py IN OUT --interviewer en-gb+f4 --participant en-us+m7
Needs `espeak-ng` and `sox` on PATH (Debian packages of the same names).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

RATE = 16000
SENTENCE_GAP_S = 0.25
TURN_GAP_S = 0.8
# Voices the dev corpus does not use (it uses en-us+f3 / en+m3 and similar), rotated per file.
INTERVIEWER_VOICES = [("en-gb+f4", 160, 55), ("en-us+f2", 168, 62)]
PARTICIPANT_VOICES = [("en-us+m7", 165, 35), ("en-gb+m4", 158, 42), ("en-us+f5", 170, 58), ("en+m6", 160, 30)]


def voice(text: str, voice_name: str, speed: int, pitch: int, workdir: Path) -> np.ndarray:
    """One utterance as int16 samples at RATE, with espeak's silence at both ends trimmed."""
    raw, trimmed = workdir / "raw.wav", workdir / "trimmed.wav"
    subprocess.run(["espeak-ng", "-v", voice_name, "-s", str(speed), "-p", str(pitch), "-w", str(raw), text],
                   check=True, capture_output=True)
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(trimmed),
                    "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"],
                   check=True, capture_output=True)
    with wave.open(str(trimmed)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def voice_interview(truth: dict, voices: dict[str, tuple[str, int, int]], workdir: Path) -> tuple[dict, np.ndarray]:
    """The interview's audio and its truth with every turn and sentence re-timed to that audio."""
    pieces: list[np.ndarray] = []
    t = 0.5
    pieces.append(np.zeros(int(t * RATE), dtype=np.int16))
    turns = []
    for turn in truth["turns"]:
        name, speed, pitch = voices[turn["speaker"]]
        turn = dict(turn)
        texts = [s["text"] for s in turn.get("sentences") or []] or [turn["text"]]
        new_sentences = []
        turn_start = t
        for i, text in enumerate(texts):
            if i:
                pieces.append(np.zeros(int(SENTENCE_GAP_S * RATE), dtype=np.int16))
                t += SENTENCE_GAP_S
            samples = voice(text, name, speed, pitch, workdir)
            start, t = t, t + len(samples) / RATE
            pieces.append(samples)
            if turn.get("sentences"):
                new_sentences.append({**turn["sentences"][i], "start": round(start, 3), "end": round(t, 3)})
        turn["start"], turn["end"] = round(turn_start, 3), round(t, 3)
        if new_sentences:
            turn["sentences"] = new_sentences
        turns.append(turn)
        pieces.append(np.zeros(int(TURN_GAP_S * RATE), dtype=np.int16))
        t += TURN_GAP_S
    audio = np.concatenate(pieces)
    out = {**truth, "turns": turns, "duration": round(len(audio) / RATE, 3),
           "interviewer_voice": {"engine": "espeak-ng", "voice": voices["interviewer"][0],
                                 "speed": voices["interviewer"][1], "pitch": voices["interviewer"][2]},
           "participant_voice": {"engine": "espeak-ng", "voice": voices["participant"][0],
                                 "speed": voices["participant"][1], "pitch": voices["participant"][2]}}
    return out, audio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="folder of <id>.json transcripts (dev-corpus format)")
    parser.add_argument("out", type=Path, help="folder to write <id>.json + <id>.wav into")
    parser.add_argument("--interviewer", help="espeak-ng voice for every interviewer (default: rotate)")
    parser.add_argument("--participant", help="espeak-ng voice for every participant (default: rotate)")
    args = parser.parse_args(argv)
    for tool in ("espeak-ng", "sox"):
        if not shutil.which(tool):
            print(f"{tool} is not installed (apt-get install {tool})", file=sys.stderr)
            return 2
    args.out.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in args.corpus.glob("*.json") if p.stem[-1:].isdigit())
    with tempfile.TemporaryDirectory() as tmp:
        for n, path in enumerate(files):
            truth = json.loads(path.read_text(encoding="utf-8"))
            voices = {
                "interviewer": (args.interviewer, 160, 55) if args.interviewer else INTERVIEWER_VOICES[n % len(INTERVIEWER_VOICES)],
                "participant": (args.participant, 165, 38) if args.participant else PARTICIPANT_VOICES[n % len(PARTICIPANT_VOICES)],
            }
            out, audio = voice_interview(truth, voices, Path(tmp))
            wav = args.out / f"{path.stem}.wav"
            with wave.open(str(wav), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(RATE)
                w.writeframes(audio.tobytes())
            out["audio"] = {"file": wav.name, "format": "wav", "sample_rate": RATE, "channels": 1, "codec": "pcm_s16le"}
            (args.out / f"{path.stem}.json").write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
            print(f"{path.stem}: {out['duration']:.1f} s, voices {voices['interviewer'][0]} / {voices['participant'][0]}")
    (args.out / "READY").write_text("voiced by bench/voice_corpus.py\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
