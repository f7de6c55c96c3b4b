"""NPS scores re-heard from audio, measured on answers the method was never tuned on.

Two sets, neither of them the shared dev corpus:
- generated: short interviewer-question + participant-answer clips voiced with espeak-ng (voices,
  speeds and wordings unlike the dev corpus's), a third of them answering without any number
  ("It depends on the day") and half with white noise mixed in;
- heldout: the recommendation answers of the voiced held-out interviews (bench/voice_corpus.py
  writes them to /tmp/heldout-audio: holdNN.wav + holdNN.json with turn times).

Each clip is transcribed with the default model (tiny.en) as the pipeline would; when the answer's
transcript has a readable score it is "read" (right or wrong), otherwise the answer's audio window
goes to `score_from_audio` of the nps_audio module under test (`--nps-module` loads another copy,
e.g. the previous commit's nps_audio.py, for a before/after). Outcomes: read-right, read-wrong, audio-right,
audio-wrong, flagged ("listen to confirm"); for answers with no number, flagged is the right outcome
and any score is wrong.

`--echo` (generated set only): the interviewer says the true score back after each answer with a
number ("Why nine?"), as 7 of 30 labelled interviews do, and the answer is read as `nps.extract`
reads it: a readable answer the heard echo contradicts is a conflict, taken by neither and sent to
the audio check (outcomes conflict-right / conflict-wrong / conflict-flagged); an answer with no
readable score takes the heard echo (echo-right / echo-wrong). What it measures: how often a
misread answer is caught, and how often a misheard echo sends a rightly read answer to the check.

    PYTHONPATH=$PWD HF_HUB_OFFLINE=1 .venv/bin/python bench/nps_audio_eval.py --work /tmp/nps-bench \
        [--nps-module /tmp/nps_before.py] [--set generated|heldout|both] [--echo] [--json out.json]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import random
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# Voices/speeds unlike the dev corpus's participants (en+m3, en-gb-x-rp+f4, en-us-nyc+m2,
# en-gb-scotland+f2, en-029+m5, en-gb-x-gbclan+f1) and the held-out ones.
VOICES = (("en-gb-x-gbcwmd+m1", 150, 45), ("en-us+f4", 185, 70), ("en-gb+f3", 140, 55),
          ("en-029+f2", 175, 60), ("en-gb-scotland+m5", 190, 35), ("en-us-nyc+f1", 160, 65),
          ("en-us+m2", 145, 30))
QUESTION_VOICE = ("en-gb-x-rp+m6", 170, 50)
QUESTIONS = ("How likely are you to recommend it to a friend, zero to ten?",
             "On a scale of zero to ten, would you recommend us?",
             "And how likely is it that you'd recommend the product to a colleague?")
WITH_NUMBER = ("{N}, I'd say.", "Honestly? Probably {a}.", "I'd give it {a}, maybe.", "Hmm, {a}, I think.",
               "Somewhere around {n}.", "{N} out of ten.", "That's {a} from me.", "Oh, easily {a}.",
               "Let's say {n}.", "I'm going to go with {n}.", "Well, {a}. It does the job.")
WITHOUT_NUMBER = ("It depends on the day, really.", "I'd rather not put a number on it.",
                  "Hard to say, we've only had it a month.", "Ask me again after the busy season.",
                  "Good question. Let me think about that.", "Depends who's asking, honestly.")


@dataclass
class Case:
    name: str
    text: str
    score: int | None  # None: no number said
    voice: tuple[str, int, int] = ("", 0, 0)
    noise: bool = False
    question: str = ""
    wav: str = ""
    answer_start: float = 0.0  # seconds into the clip where the answer begins
    answer_end: float | None = None
    echo_start: float | None = None  # the interviewer's "Why nine?" after the answer (--echo)


@dataclass
class Outcome:
    name: str
    truth: int | None
    transcript: str
    outcome: str  # read-right | read-wrong | audio-right | audio-wrong | flagged-right | flagged
    got: int | None = None
    margin: float = 0.0
    heard: str = ""
    seconds: float = 0.0
    suggested: int | None = None  # a score pointed to but not taken (shown beside "listen to confirm")
    model_margins: tuple = ()


def generated_cases(seed: int = 7) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for k in range(33):
        score = k % 11
        template = rng.choice(WITH_NUMBER)
        a = ("an " if score == 8 else "a ") + WORDS[score]
        text = template.format(N=WORDS[score].capitalize(), n=WORDS[score], a=a)
        cases.append(Case(f"gen{k:02d}", text, score, rng.choice(VOICES), k % 2 == 1, rng.choice(QUESTIONS)))
    for k, text in enumerate(WITHOUT_NUMBER * 2):
        cases.append(Case(f"none{k:02d}", text, None, rng.choice(VOICES), k % 2 == 0, rng.choice(QUESTIONS)))
    return cases


def _say(text: str, voice: tuple[str, int, int], path: Path) -> None:
    name, speed, pitch = voice
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", name, "-s", str(speed), "-p", str(pitch), "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", str(path)], check=True, capture_output=True)
    raw.unlink()


def _duration(path: Path) -> float:
    return float(subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True, text=True).stdout)


def synthesize(case: Case, work: Path, echo: bool = False) -> Case:
    """question, 0.6 s pause, answer, 0.8 s silence (with `echo` and a score: then the interviewer's
    "Why {score}?" and 0.8 s more); white noise (SNR ~20 dB) mixed in when `noise`."""
    out = work / f"{case.name}.wav"
    q, a, e = work / f"{case.name}.q.wav", work / f"{case.name}.a.wav", work / f"{case.name}.e.wav"
    _say(case.question, QUESTION_VOICE, q)
    _say(case.text, case.voice, a)
    pause = work / "pause.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(pause), "trim", "0", "0.6"], check=True)
    tail = work / "tail.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(tail), "trim", "0", "0.8"], check=True)
    clean = work / f"{case.name}.clean.wav"
    parts = [q, pause, a, tail]
    if echo and case.score is not None:
        _say(f"Why {WORDS[case.score]}?", QUESTION_VOICE, e)
        parts += [e, tail]
    subprocess.run(["sox", *map(str, parts), str(clean)], check=True)
    if case.noise:
        length = _duration(clean)
        noise = work / f"{case.name}.noise.wav"
        subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(noise), "synth", str(length), "whitenoise",
                        "vol", "0.03"], check=True)
        subprocess.run(["sox", "-m", str(clean), str(noise), str(out)], check=True)
        noise.unlink()
    else:
        clean.rename(out)
    case.answer_start = _duration(q) + 0.6
    case.answer_end = case.answer_start + _duration(a)
    case.echo_start = case.answer_end + 0.8 if e.exists() else None
    for p in (q, a, e, clean):
        p.unlink(missing_ok=True)
    case.wav = str(out)
    return case


def heldout_cases(folder: Path) -> list[Case]:
    cases = []
    for meta in sorted(folder.glob("hold*.json")):
        turns = json.loads(meta.read_text())["turns"]
        for i, turn in enumerate(turns[:-1]):
            if turn["speaker"] == "interviewer" and re.search(r"recommend", turn["text"], re.I):
                answer = turns[i + 1]
                first = answer.get("sentences", [{"text": answer["text"]}])[0]["text"]
                from interview_miner import nps
                cases.append(Case(meta.stem, answer["text"], nps.parse_score(first), wav=str(meta.with_suffix(".wav")),
                                  answer_start=answer["start"], answer_end=answer["end"], question=turn["text"]))
                break
    return cases


def answer_transcript(model, case: Case, cache: dict) -> tuple[str, float, float, str]:
    """What the default model hears in the answer: the words of the clip's transcription (whole
    file, word timestamps, as the pipeline transcribes) that start inside the answer's turn, and
    their time span (the quote's window); then what it hears of the interviewer's echo, if any."""
    key = case.name + ("+echo" if case.echo_start is not None else "")
    if key in cache and len(cache[key]) == 4:
        return tuple(cache[key])
    from interview_miner import capture

    audio = capture.read_audio(case.wav)
    segments, _ = model.transcribe(audio, beam_size=5, word_timestamps=True, vad_filter=False)
    words = [w for s in segments for w in (s.words or [])]
    end = case.answer_end if case.answer_end is not None else len(audio) / 16000
    echo = " ".join(w.word.strip() for w in words if case.echo_start is not None and w.start >= case.echo_start - 0.3)
    end = min(end, case.echo_start - 0.3) if case.echo_start is not None else end
    inside = [w for w in words if case.answer_start - 0.3 <= w.start < end + 0.3]
    if case.answer_end is not None and case.echo_start is None and inside:  # held-out: the first sentence of the answer turn
        first = []
        for w in inside:
            first.append(w)
            if re.search(r"[.?!]$", w.word.strip()):
                break
        inside = first
    text = " ".join(w.word.strip() for w in inside)
    span = (inside[0].start, inside[-1].end) if inside else (case.answer_start, end)
    cache[key] = (text, *span, echo)
    return text, *span, echo


def load_nps(path: str | None):
    if not path:
        from interview_miner import nps_audio
        return nps_audio
    spec = importlib.util.spec_from_file_location("interview_miner._nps_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def evaluate(cases: list[Case], nps_module, models, cache: dict) -> list[Outcome]:
    from interview_miner import capture

    from interview_miner import nps

    out = []
    for case in cases:
        text, start, end, echo_heard = answer_transcript(models[0], case, cache)
        read = nps_module.parse_score(text)
        echo = nps.echoed_score(echo_heard) if echo_heard else None
        prefix = ""
        if read is not None and echo is not None and echo != read:
            prefix = "conflict-"  # neither is taken: the audio check decides (nps.extract)
            print(f"{case.name:8} truth={case.score} read {read} from {text!r}, echo {echo} from {echo_heard!r}", flush=True)
        elif read is not None:
            out.append(Outcome(case.name, case.score, text, "read-right" if read == case.score else "read-wrong", read))
            continue
        elif echo is not None:
            out.append(Outcome(case.name, case.score, text, "echo-right" if echo == case.score else "echo-wrong", echo,
                               heard=echo_heard))
            continue
        lo, hi = max(0.0, start - nps_module._PAD_S), end + nps_module._PAD_S
        audio = capture.read_audio(case.wav, lo, hi)
        t = time.perf_counter()
        got = nps_module.score_from_audio(models, audio, 0, lo, hi, text)
        seconds = round(time.perf_counter() - t, 1)
        if got.score is None:
            outcome = "flagged-right" if case.score is None else "flagged"
        else:
            outcome = "audio-right" if got.score == case.score else "audio-wrong"
        if prefix:
            outcome = prefix + {"audio-right": "right", "audio-wrong": "wrong"}.get(outcome, "flagged")
        suggested = getattr(got, "suggested", None)
        out.append(Outcome(case.name, case.score, text, outcome, got.score, got.margin, got.heard, seconds,
                           suggested, tuple(getattr(got, "model_margins", ()))))
        print(f"{case.name:8} truth={case.score} heard={text!r:40} -> {outcome} {got.score} "
              f"margin={got.margin} {getattr(got, 'model_margins', ())} suggested={suggested} ({seconds}s)", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/nps-bench"))
    ap.add_argument("--set", choices=("generated", "heldout", "both"), default="both")
    ap.add_argument("--heldout", type=Path, default=Path("/tmp/heldout-audio"))
    ap.add_argument("--nps-module", help="path of an nps_audio.py to measure instead of the package's")
    ap.add_argument("--only", help="regex: only cases whose name matches")
    ap.add_argument("--echo", action="store_true", help="the interviewer says the score back after each answer (generated set)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    from interview_miner import bundled, transcribe

    args.work.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    if args.set in ("generated", "both"):
        cases += [c if (args.work / f"{c.name}.json").exists() and _restore(c, args.work, args.echo)
                  else _store(synthesize(c, args.work, args.echo), args.work) for c in generated_cases()]
    if args.set in ("heldout", "both"):
        if not (args.heldout / "READY").exists():
            print(f"no held-out audio at {args.heldout} (bench/voice_corpus.py writes it)", file=sys.stderr)
        else:
            cases += heldout_cases(args.heldout)
    if args.only:
        cases = [c for c in cases if re.search(args.only, c.name)]
    models = [transcribe.load_model(None)] + ([transcribe.load_model("base")] if bundled.whisper_base_path() else [])
    cache_path = args.work / "transcripts.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    outcomes = evaluate(cases, load_nps(args.nps_module), models, cache)
    cache_path.write_text(json.dumps(cache, indent=1))
    counts = Counter(o.outcome for o in outcomes)
    print(dict(sorted(counts.items())))
    if args.json:
        args.json.write_text(json.dumps({"counts": counts, "outcomes": [asdict(o) for o in outcomes]}, indent=1))
    return 0


def _store(case: Case, work: Path) -> Case:
    (work / f"{case.name}.json").write_text(json.dumps(asdict(case)))
    return case


def _restore(case: Case, work: Path, echo: bool = False) -> Case:
    saved = json.loads((work / f"{case.name}.json").read_text())
    with_echo = saved.get("echo_start") is not None
    if saved["text"] != case.text or not Path(saved["wav"]).exists() or with_echo != (echo and case.score is not None):
        return False
    case.__dict__.update({k: tuple(v) if k == "voice" else v for k, v in saved.items()})
    return case


if __name__ == "__main__":
    raise SystemExit(main())
