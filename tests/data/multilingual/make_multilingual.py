"""Build the labelled multilingual test interviews from their scripts (scripts/devNN.LANG.script).

Each script is a Danish, Finnish or Chinese version of a shared dev interview (../shared/data/
corpus/dev): the same questions, categories and themes, written anew in natural phrasing. This
voices every turn with espeak-ng (interviewer: a female voice, participant: a male one, as
scripts/make_sample.sh does), one sentence at a time so each labelled sentence's true start and
end are known, and writes per language folder LANG/:

- devNN.json: the corpus shape of ../shared/data/corpus/dev/devNN.json (turns, sentences with
  category/theme/start/end), plus "language";
- devNN.ogg: the voiced interview (16 kHz mono Vorbis);
- devNN.txt: the transcript as "Interviewer: ..." / "Participant: ..." lines.

Script format: "# comment", "@participant NAME|ROLE", "Q: question" (interviewer turn),
"A: category|theme|sentence" (one participant sentence; consecutive A lines are one turn; an
empty theme means none).

    python tests/data/multilingual/make_multilingual.py [--no-audio]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
VOICES = {"da": "da", "fi": "fi", "zh": "cmn"}
INTERVIEWER = {"variant": "+f3", "speed": 160, "pitch": 60}
PARTICIPANT = {"variant": "+m3", "speed": 155, "pitch": 38}
SENTENCE_GAP_S, TURN_GAP_S = 0.25, 0.7
SR = 16000


def parse_script(path: Path) -> tuple[dict, list[dict]]:
    participant: dict = {}
    turns: list[dict] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@participant "):
            name, role = line.split(" ", 1)[1].split("|")
            participant = {"name": name.strip(), "role": role.strip()}
        elif line.startswith("Q: "):
            turns.append({"speaker": "interviewer", "turn_type": "question", "text": line[3:].strip()})
        elif line.startswith("A: "):
            category, theme, text = line[3:].split("|", 2)
            sentence = {"text": text.strip(), "category": category.strip(), "theme": theme.strip() or None}
            if not turns or turns[-1]["speaker"] != "participant":
                turns.append({"speaker": "participant", "turn_type": "answer", "sentences": []})
            turns[-1]["sentences"].append(sentence)
        else:
            raise ValueError(f"{path}: cannot read line {raw!r}")
    return participant, turns


def _voice(text: str, voice: str, style: dict, out: Path) -> float:
    subprocess.run(["espeak-ng", "-v", voice + style["variant"], "-s", str(style["speed"]), "-p", str(style["pitch"]),
                    "-w", str(out.with_suffix(".raw.wav")), text], check=True)
    subprocess.run(["sox", str(out.with_suffix(".raw.wav")), "-r", str(SR), "-c", "1", str(out)], check=True)
    return float(subprocess.run(["soxi", "-D", str(out)], check=True, capture_output=True, text=True).stdout)


def _silence(seconds: float, out: Path) -> None:
    subprocess.run(["sox", "-n", "-r", str(SR), "-c", "1", str(out), "trim", "0", f"{seconds:.3f}"], check=True)


def _joined(turn: dict, lang: str) -> str:
    sep = "" if lang == "zh" else " "
    return sep.join(s["text"] for s in turn["sentences"]) if turn["speaker"] == "participant" else turn["text"]


def build(script: Path, audio: bool) -> Path:
    stem, lang = script.name.split(".")[:2]
    out_dir = HERE / lang
    out_dir.mkdir(exist_ok=True)
    participant, turns = parse_script(script)
    voice = VOICES[lang]
    parts: list[Path] = []
    clock = 0.5
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        lead = tmpdir / "lead.wav"
        _silence(clock, lead)
        parts.append(lead)
        for index, turn in enumerate(turns):
            turn["index"] = index
            pieces = turn["sentences"] if turn["speaker"] == "participant" else [turn]
            style = PARTICIPANT if turn["speaker"] == "participant" else INTERVIEWER
            turn["start"] = round(clock, 3)
            for n, piece in enumerate(pieces):
                wav = tmpdir / f"{index:03d}-{n:02d}.wav"
                seconds = _voice(piece["text"], voice, style, wav) if audio else 0.08 * len(piece["text"]) + 0.5
                if audio:
                    parts.append(wav)
                if turn["speaker"] == "participant":
                    piece.update(index=n, start=round(clock, 3), end=round(clock + seconds, 3))
                clock += seconds
                gap = SENTENCE_GAP_S if n < len(pieces) - 1 else TURN_GAP_S
                if audio:
                    pause = tmpdir / f"{index:03d}-{n:02d}-gap.wav"
                    _silence(gap, pause)
                    parts.append(pause)
                if n < len(pieces) - 1:
                    clock += gap
            turn["end"] = round(clock, 3)
            turn["text"] = _joined(turn, lang)
            clock += TURN_GAP_S
        if audio:
            subprocess.run(["sox", *map(str, parts), "-C", "0", str(out_dir / f"{stem}.ogg")], check=True)
    truth = {
        "id": stem, "language": lang, "source": f"Written anew from the shared corpus's {stem} (same categories and themes)",
        "participant": participant,
        "interviewer_voice": {"engine": "espeak-ng", "voice": voice + INTERVIEWER["variant"], "speed": INTERVIEWER["speed"], "pitch": INTERVIEWER["pitch"]},
        "participant_voice": {"engine": "espeak-ng", "voice": voice + PARTICIPANT["variant"], "speed": PARTICIPANT["speed"], "pitch": PARTICIPANT["pitch"]},
        "audio": {"file": f"{stem}.ogg", "format": "ogg", "sample_rate": SR, "channels": 1, "codec": "vorbis"},
        "duration": round(clock, 3),
        "n_exchanges": sum(1 for t in turns if t["speaker"] == "interviewer"),
        "turns": [{k: t[k] for k in ("index", "speaker", "turn_type", "start", "end", "text", "sentences") if k in t} for t in turns],
    }
    (out_dir / f"{stem}.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    lines = [f"{'Interviewer' if t['speaker'] == 'interviewer' else 'Participant'}: {t['text']}" for t in turns]
    (out_dir / f"{stem}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out_dir / f"{stem}.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-audio", action="store_true", help="labels and transcripts only (estimated times)")
    args = parser.parse_args()
    for script in sorted((HERE / "scripts").glob("*.script")):
        print("wrote", build(script, audio=not args.no_audio).relative_to(HERE))


if __name__ == "__main__":
    main()
