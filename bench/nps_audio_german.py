"""The NPS audio check in another language: generated German answers, re-heard by base alone.

Six answers (four stating a score, two without a number), each in five espeak-ng voice settings,
half with white noise (fresh noise each run, so counts move by one or two between runs). Each is
transcribed by the bundled multilingual base in German, as the pipeline would; an answer whose
transcript states a score is "read", the others go to `nps_audio.score_from_audio` with German
readings and `suggest_only` (what `rescore_from_recordings` does for a language other than
English). Outcomes: the score the audio points to is right / wrong, or none stands out; for an
answer without a number, none is right.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/nps_audio_german.py
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from interview_miner import capture, nps, nps_audio, transcribe  # noqa: E402
from interview_miner.vocab import digits_for_number_words  # noqa: E402

ANSWERS = [("Ich würde sagen, eine Acht.", 8), ("Hm, ich gebe eine Sieben.", 7), ("Eine Neun, ganz klar.", 9),
           ("Vielleicht eine Sechs, ehrlich gesagt.", 6),
           ("Das ist schwer zu sagen, wir sind noch in der Testphase.", None),
           ("Fragen Sie mich nach dem Sommer noch einmal.", None)]
VOICES = [("de", 150, 50, False), ("de", 175, 40, True), ("de+m3", 160, 45, False), ("de+f2", 150, 60, True),
          ("de", 130, 30, True)]


def say(text: str, path: Path, voice: str, speed: int, pitch: int, noise: bool) -> Path:
    raw, clean = path.with_suffix(".raw.wav"), path.with_suffix(".clean.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", str(clean if noise else path), "pad", "0.3", "0.5"],
                   check=True, capture_output=True)
    if noise:
        hiss = path.with_suffix(".noise.wav")
        length = subprocess.run(["soxi", "-D", str(clean)], check=True, capture_output=True, text=True).stdout.strip()
        subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(hiss), "synth", length, "whitenoise", "vol", "0.03"],
                       check=True)
        subprocess.run(["sox", "-m", str(clean), str(hiss), str(path)], check=True)
    return path


def main() -> None:
    base = transcribe.load_model("base")
    work = Path(tempfile.mkdtemp(prefix="nps-de-"))
    tally: Counter = Counter()
    for n, ((text, want), voice) in enumerate((a, v) for a in ANSWERS for v in VOICES):
        audio = capture.read_audio(say(text, work / f"a{n}.wav", *voice))
        segments, _ = transcribe.transcribe_window(base, audio, 0.0, transcribe.TranscribeOptions(model="base"), "de")
        heard = " ".join(s.text.strip() for s in segments)
        read = nps.parse_score(digits_for_number_words(heard, "de"))
        if read is not None:
            outcome, detail = ("read right" if read == want else "read wrong"), ""
        else:
            t0 = time.perf_counter()
            check = nps_audio.score_from_audio([base], audio, 1, 0.0, len(audio) / 16000, heard, language="de",
                                               suggest_only=True)
            got = check.suggested
            outcome = "none stands out" if got is None else ("points right" if got == want else "points wrong")
            detail = f"  margin {check.margin:.2f}  {time.perf_counter() - t0:.0f} s  -> {check.heard!r}"
        kind = "number" if want is not None else "no number"
        tally[kind, outcome] += 1
        print(f"{kind:9}  {outcome:15}  {text!r} {voice}  heard {heard!r}{detail}", flush=True)
    for kind in ("number", "no number"):
        print(f"{kind}: " + ", ".join(f"{o} {c}" for (k, o), c in sorted(tally.items()) if k == kind))


if __name__ == "__main__":
    main()
