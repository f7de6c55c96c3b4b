"""Privacy (issue 18): PII detection, redacted exports (text and audio), consent scope, erasure.

Real Presidio with the bundled spaCy model, real SQLite, real WAV files: nothing mocked. The
study is generated here (two participants whose transcripts are full of personal data in several
formats), so the tests need no shared data.
"""
from __future__ import annotations

import io
import json
import re
import subprocess
import wave
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("presidio_analyzer", reason="the privacy extra is not installed")

from interview_miner import consent, export as E, forget, persona_review, redact  # noqa: E402
from interview_miner.app import MAIN_SCRIPT  # noqa: E402
from interview_miner.cli import main  # noqa: E402
from interview_miner.models import INTERVIEWER, PARTICIPANT, Interview, Quote, Segment, Theme, Word  # noqa: E402
from interview_miner.overlay import Edit  # noqa: E402
from interview_miner.privacy import PiiDetector  # noqa: E402
from interview_miner.vocab import nps_band  # noqa: E402

MARIA = "Maria Schulz"
PETER = "Peter Jensen"
# Every string that identifies someone; none may survive a redacted export.
PII = {
    "maria.schulz@example.com": "EMAIL_ADDRESS",
    "+45 20 12 34 56": "PHONE_NUMBER",  # Danish, international format
    "(415) 555-0132": "PHONE_NUMBER",  # US national format
    "020 7946 0958": "PHONE_NUMBER",  # UK national format
    "+49 30 901820": "PHONE_NUMBER",  # German
    "DE89370400440532013000": "IBAN_CODE",
    "4111 1111 1111 1111": "CREDIT_CARD",
    "https://zyxel-dental.example.org/booking": "URL",
    "12 Baker Street": "STREET_ADDRESS",
    "Nørrebrogade 14": "STREET_ADDRESS",
    "Brightsmile Clinics": "CUSTOM_TERM",  # the study's own term: a client's name
    "Henrik Vestergaard": "PERSON",  # someone the participant talks about
}
NAMES = (MARIA, "Maria", "Schulz", PETER, "Jensen")
MARIA_LINES = [
    ("trigger", "no_shows", f"Hi, I'm {MARIA}, I run a dental practice and no-shows were costing us real money."),
    ("criteria", "price", "Mail me at maria.schulz@example.com or call +45 20 12 34 56 if the invoice is wrong."),
    ("fear", "data", "Our booking page https://zyxel-dental.example.org/booking leaked once, so data safety matters."),
    ("objection", "price", "We pay from IBAN DE89370400440532013000 and the card 4111 1111 1111 1111 was declined."),
    ("other", None, "The office is at 12 Baker Street and before that at Nørrebrogade 14, near Brightsmile Clinics."),
    ("alternatives", "spreadsheet", "My colleague Henrik Vestergaard kept a quixotic zyxelbrook spreadsheet."),
]
PETER_LINES = [
    ("trigger", "no_shows", f"I'm {PETER}; missed appointments hurt our small clinic every week."),
    ("criteria", "price", "Call me on (415) 555-0132 or 020 7946 0958, or my Berlin line +49 30 901820."),
    ("fear", "data", "Patient data must never leave the building."),
]


def _words(text: str, start: float, end: float) -> list[Word]:
    tokens = text.split()
    step = (end - start) / max(len(tokens), 1)
    return [Word(round(start + i * step, 3), round(start + (i + 1) * step, 3), " " + t) for i, t in enumerate(tokens)]


def build_study(store, audio: dict[str, Path] | None = None) -> dict[str, int]:
    """Two interviews full of PII, mined by hand (quotes, categories, themes, NPS, personas)."""
    ids, quotes, cats, members, nps_rows = {}, [], [], {}, []
    for n, (name, lines, score) in enumerate(((MARIA, MARIA_LINES, 9), (PETER, PETER_LINES, 6))):
        path = (audio or {}).get(name)
        i = store.add_interview(Interview(
            id=None, content_hash=f"pii-{n}", file_name=f"{name.replace(' ', '_').lower()}_call.{'wav' if path else 'txt'}",
            kind="audio" if path else "transcript", stored_path=str(path) if path else None, participant=name,
            metadata={"employer": "Quillfeather Dental" if n == 0 else "Nordlys Klinik", "role": "Owner"}, duration=60.0,
            status="transcribed"))
        ids[name] = i.id
        segments, t = [], 0.0
        for k, (cat, theme, text) in enumerate(lines + [("nps_score", None, f"I'd give it {score}.")]):
            question = "What happened?" if k else "Tell me about yourself."
            segments.append(Segment(t, t + 1, question, INTERVIEWER, _words(question, t, t + 1)))
            segments.append(Segment(t + 1, t + 5, text, PARTICIPANT, _words(text, t + 1, t + 5)))
            qid = f"q{n}_{k}"
            quotes.append(Quote(qid, i.id, t + 1, t + 5, text, question=question, index=k))
            cats.append((qid, cat, 0.9))
            if theme:
                members.setdefault(f"{cat}_{theme}", []).append(qid)
            if cat == "nps_score":
                nps_rows.append({"interview_id": i.id, "score": score, "klass": nps_band(score), "quote_id": qid,
                                 "text": text})
            t += 6.0
        store.replace_segments(i.id, segments)
    store.save_quotes(quotes)
    store.save_categories(cats)
    store.save_themes([Theme(id=k, category=k.split("_")[0], label=k.split("_", 1)[1].replace("_", " ").capitalize(),
                             keywords=["zyxelbrook"] if "spreadsheet" in k else [], quote_ids=v)
                       for k, v in sorted(members.items())])
    store.save_nps(nps_rows)
    redact.set_study_terms(store, ["Brightsmile Clinics"])
    persona_review.suggest_and_save(store)
    return ids


@pytest.fixture
def study(store):
    build_study(store)
    return store


# ---------------------------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------------------------


def test_pii_found_in_generated_transcript(study):
    detector = redact.detector_for(study)
    found = {}
    for i in study.list_interviews():
        for s in study.segments(i.id):
            for span in detector.find(s.text):
                found[span.text] = span.kind
    for text, kind in PII.items():
        assert found.get(text) == kind, (text, kind, found)
    assert found.get(MARIA) == "PERSON" and found.get(PETER) == "PERSON"
    # nothing harmless is taken for PII
    assert not {t for t in found if t in ("no-shows", "dental practice", "spreadsheet", "Patient data")}


def test_dismissed_finding_is_left_alone_everywhere(study):
    d = redact.detector_for(study)
    assert any(s.text == "Henrik Vestergaard" for s in d.find(MARIA_LINES[5][2]))
    study.save_edit(Edit("pii", "PERSON:henrik vestergaard", "status", "dismissed"))
    assert not any(s.text == "Henrik Vestergaard" for s in redact.detector_for(study).find(MARIA_LINES[5][2]))


def test_detection_never_reaches_the_network():
    """The e-mail recogniser's tldextract reads only its bundled suffix list."""
    import tldextract.tldextract as tld

    PiiDetector().find("write to a@b.co.uk")
    assert tld.TLD_EXTRACTOR.suffix_list_urls == ()


# ---------------------------------------------------------------------------------------------
# Redacted exports: every format, no original PII string
# ---------------------------------------------------------------------------------------------


def _export_text(store, fmt: str, tmp_path: Path, *args: str) -> str:
    out = tmp_path / f"out-{fmt}"
    assert main(["export", "--db", store.path, "--format", fmt, "--out", str(out), *args]) == 0
    if fmt == "transcripts":
        return "\n".join(p.read_text(encoding="utf-8") + p.name for p in sorted(out.iterdir()))
    data = out.read_bytes()
    if fmt == "pdf":
        return subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    if fmt in ("xlsx", "qdpx"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") + n for n in z.namelist())
    return data.decode("utf-8-sig")


def _normalised(text: str) -> str:
    """Markdown escapes brackets and HTML quotes: compare the words."""
    return " ".join(text.replace("&#x27;", "'").replace("\\", "").split())


@pytest.mark.parametrize("fmt", [f for f in E.STUDY_FORMATS if f != "qdc"] + ["qdc"])
def test_every_export_format_in_redact_mode_has_no_pii(study, tmp_path, fmt):
    plain = _normalised(_export_text(study, fmt, tmp_path / "plain"))
    redacted = _normalised(_export_text(study, fmt, tmp_path / "redacted", "--redact"))
    leaked = [s for s in list(PII) + list(NAMES) + ["Quillfeather Dental"] if s in redacted]
    assert not leaked, leaked
    if fmt != "qdc":  # the codebook carries no quotes: nothing to compare
        assert any(s in plain for s in PII)
        assert "[EMAIL]" in redacted or "[PHONE]" in redacted
        assert re.search(r"\bP[12]\b", redacted)


def test_pseudonyms_are_stable_and_never_reused(study):
    before = redact.pseudonyms(study, study.list_interviews())
    assert sorted(before.values()) == ["P1", "P2"]
    assert redact.pseudonyms(study, study.list_interviews()) == before
    forget.forget(study, participant=PETER)
    study.add_interview(Interview(None, "new", "new.txt", "transcript", participant="Zoë New"))
    after = redact.pseudonyms(study, study.list_interviews())
    maria = min(before)
    assert after[maria] == before[maria]
    assert "P3" in after.values() and "P2" not in after.values()


def test_redaction_is_an_output_transformation(study):
    quotes_before = [(q.id, q.text, q.theme_id, q.category) for q in study.quotes()]
    personas_before = [(p.id, p.interview_ids) for p in study.personas()]
    red = E.load_study(study, privacy=redact.ExportPrivacy(redact=True))
    assert all("maria.schulz@example.com" not in q.text for q in red.quotes)
    assert [(q.id, q.theme_id, q.category) for q in red.quotes] == [(q[0], q[2], q[3]) for q in quotes_before]
    assert [(q.id, q.text, q.theme_id, q.category) for q in study.quotes()] == quotes_before
    assert [(p.id, p.interview_ids) for p in study.personas()] == personas_before


def test_study_setting_redacts_shareable_formats_by_default(study, tmp_path):
    assert main(["pii", "settings", "--db", study.path, "--redact-shareable"]) == 0
    assert "maria.schulz@example.com" not in _export_text(study, "md", tmp_path / "a")
    assert "maria.schulz@example.com" in _export_text(study, "md", tmp_path / "b", "--no-redact")
    assert "maria.schulz@example.com" in _export_text(study, "json", tmp_path / "c")  # a hand-over, not shareable


def test_single_transcript_redacted(study, tmp_path, capsys):
    iid = study.list_interviews()[0].id
    assert main(["transcript", "--db", study.path, str(iid), "--redact"]) == 0
    out = capsys.readouterr().out
    assert "[EMAIL]" in out and "maria.schulz@example.com" not in out and MARIA not in out
    assert main(["transcript", "--db", study.path, str(iid), "--format", "json", "--redact"]) == 0
    doc = json.loads(capsys.readouterr().out)
    words = " ".join(w["word"] for s in doc["segments"] for w in s["words"])
    assert [p for p in list(PII) + ["Maria", "Schulz"] if p in words] == []
    assert " P1 " in words + " " and "[PHONE]" in words  # the words say what the text says


# ---------------------------------------------------------------------------------------------
# Audio: redacted spans are silent (or bleeped) in exported recordings
# ---------------------------------------------------------------------------------------------


def _tone_wav(path: Path, seconds: float = 60.0, rate: int = 16000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    audio = 0.5 * np.sin(2 * np.pi * 220 * t)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((audio * 32767).astype("<i2").tobytes())
    return path


def _rms(audio: np.ndarray, start: float, end: float, rate: int = 16000) -> float:
    part = audio[int(start * rate):int(end * rate)]
    return float(np.sqrt(np.mean(part ** 2)))


def _qdpx_audio(path: Path) -> np.ndarray:
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith(".wav"))
        with wave.open(io.BytesIO(z.read(name))) as w:
            return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32767


@pytest.mark.parametrize("mode", ["silence", "bleep"])
def test_audio_redaction_silences_the_right_spans(store, tmp_path, mode):
    build_study(store, audio={MARIA: _tone_wav(tmp_path / "maria.wav")})
    maria = next(i for i in store.list_interviews() if i.participant == MARIA)
    spans = redact.redacted_times(store.segments(maria.id), redact.detector_for(store))
    assert len(spans) >= 10
    out = tmp_path / "study.qdpx"
    assert main(["export", "--db", store.path, "--format", "qdpx", "--out", str(out), "--redact",
                 "--redact-audio", mode]) == 0
    audio = _qdpx_audio(out)
    inside = [_rms(audio, a, b) for a, b in spans]
    expected = 0.0 if mode == "silence" else 0.2 / np.sqrt(2)
    assert max(abs(r - expected) for r in inside) < 0.01, inside
    # speech between findings is untouched (the 220 Hz tone at 0.5: RMS 0.354)
    untouched = _rms(audio, 54.5, 59.5)
    assert abs(untouched - 0.5 / np.sqrt(2)) < 0.01
    assert Path(maria.stored_path).read_bytes() == (tmp_path / "maria.wav").read_bytes()  # original kept


# ---------------------------------------------------------------------------------------------
# Consent
# ---------------------------------------------------------------------------------------------


def test_consent_scope_filters_exports(study, tmp_path):
    ids = {i.participant: i.id for i in study.list_interviews()}
    consent.set_consent(study, ids[MARIA], "analysis", "2026-01-10", "2027-01-10")
    consent.set_consent(study, ids[PETER], "quotes")
    data = json.loads(_export_text(study, "json", tmp_path))
    maria_quotes = [q for q in data["quotes"] if q["interview_id"] == ids[MARIA]]
    assert maria_quotes and all(q["text"] == consent.WITHHELD for q in maria_quotes)
    assert any("missed appointments" in q["text"] for q in data["quotes"])
    # counts do not change: analysis still sees her
    assert len(data["quotes"]) == len(study.quotes())
    md = _export_text(study, "md", tmp_path / "md")
    assert "dental practice" not in md and "missed appointments" in md
    for fmt in E.STUDY_FORMATS:  # every format renders the withheld study, none shows her words
        text = _normalised(_export_text(study, fmt, tmp_path / f"all-{fmt}"))
        assert "dental practice" not in text and "zyxelbrook spreadsheet" not in text, fmt
        assert fmt == "qdc" or "missed appointments" in text, fmt


def test_consent_without_audio_scope_leaves_recording_out(store, tmp_path):
    build_study(store, audio={MARIA: _tone_wav(tmp_path / "maria.wav", 60)})
    maria = next(i for i in store.list_interviews() if i.participant == MARIA)
    out = tmp_path / "a.qdpx"
    E.export_study(store, "qdpx", out)
    assert any(n.endswith(".wav") for n in zipfile.ZipFile(out).namelist())
    consent.set_consent(store, maria.id, "quotes")
    E.export_study(store, "qdpx", out)
    assert not any(n.endswith(".wav") for n in zipfile.ZipFile(out).namelist())


def test_consent_on_add_and_study_view(store, tmp_path, capsys):
    f = tmp_path / "call.txt"
    f.write_text("Interviewer: Hello?\nParticipant: Hi there, nice to meet you.\n")
    assert main(["add", "--db", store.path, str(f), "--participant", "Ann", "--consent", "internal",
                 "--consent-date", "2025-01-02", "--retention-until", "2025-12-31"]) == 0
    assert main(["add", "--db", store.path, str(f), "--consent", "everything"]) == 1  # refused before adding
    assert "unknown consent scope" in capsys.readouterr().err
    assert len(store.list_interviews()) == 1
    [row] = consent.consent_report(store)
    assert row.consent == consent.Consent("quotes", "2025-01-02", "2025-12-31") and row.expired
    assert main(["consent", "--db", store.path]) == 0
    out = capsys.readouterr().out
    assert "quotes in internal reports" in out and "past their retention date" in out
    assert main(["consent", "--db", store.path, str(row.interview_id), "--scope", "audio",
                 "--retention-until", "2099-01-01"]) == 0
    assert consent.consent_report(store)[0].consent.scope == "audio"
    assert main(["consent", "--db", store.path, str(row.interview_id), "--scope", "audio",
                 "--consent-date", "2025-02-30"]) == 1
    assert consent.consent_report(store)[0].consent.date == "2025-01-02"  # nothing written


# ---------------------------------------------------------------------------------------------
# Erasure
# ---------------------------------------------------------------------------------------------


def _raw_bytes(db_path: str) -> bytes:
    data = Path(db_path).read_bytes()
    for suffix in ("-wal", "-journal"):
        p = Path(db_path + suffix)
        if p.exists():
            data += p.read_bytes()
    return data


def test_forget_leaves_no_bytes_behind(store, tmp_path):
    rec = _tone_wav(tmp_path / "maria.wav", 5)
    ids = build_study(store, audio={MARIA: rec})
    maria = ids[MARIA]
    qids = [q.id for q in store.quotes(maria)]
    # every place her words can hide: edits, a PII decision, consent, a cached embedding, a job log
    store.add_edit("quote", qids[0], "text", "Fixed: zyxelbrook quixotic quote by Maria Schulz")
    store.add_edit("segment", store.segments(maria)[1].id, "text", "Maria Schulz said zyxelbrook")
    store.add_edit("pii", "EMAIL_ADDRESS:maria.schulz@example.com", "status", "confirmed")
    consent.set_consent(store, maria, "quotes", "2026-01-01")
    from interview_miner.embed import text_hash
    store.save_embeddings("m", {text_hash(q.text): b"\x01" * 8 for q in store.quotes(maria)}, 2)
    pid = store.personas()[0].id
    persona_review.set_members(store, pid, [maria, ids[PETER]])
    persona_review.set_field(store, pid, "goals", "Grow like Maria Schulz did")
    job = store.create_job("mine", {"ids": [maria]})
    store.update_job(job, status="done", message="mined maria_schulz_call.wav")
    redact.pseudonyms(store, store.list_interviews())
    store.db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    before = _raw_bytes(store.path)
    secrets = [b"zyxelbrook", b"quixotic", "Maria Schulz".encode(), b"maria.schulz@example.com",
               "Nørrebrogade".encode(), b"DE89370400440532013000", b"maria_schulz", b"Quillfeather"]
    assert all(s in before for s in secrets)
    assert any("Quillfeather Dental" in p.demographics for p in store.personas())  # built from her metadata

    assert main(["forget", "--db", store.path, "--participant", "maria schulz", "--yes"]) == 0

    after = _raw_bytes(store.path)
    assert [s for s in secrets if s in after] == []
    assert not rec.exists()
    assert [i.participant for i in store.list_interviews()] == [PETER]
    assert all(q.interview_id == ids[PETER] for q in store.quotes())
    assert store.db.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 0
    assert all(maria not in p.interview_ids for p in store.personas())
    assert all(set(t.quote_ids) <= {q.id for q in store.quotes()} for t in store.themes())
    assert maria not in store.nps()
    # the other participant's study still exports
    assert "missed appointments" in E.render_study(E.load_study(store), "md")


def test_forget_unknown_participant_changes_nothing(study, capsys):
    size = Path(study.path).stat().st_size
    n = len(study.quotes())
    assert main(["forget", "--db", study.path, "--participant", "Nobody Here", "--yes"]) == 1
    assert main(["forget", "--db", study.path, "999", "--yes"]) == 1
    err = capsys.readouterr().err
    assert "no interview with participant 'Nobody Here'" in err and "999" in err
    assert len(study.quotes()) == n and Path(study.path).stat().st_size == size


def test_forget_refuses_while_a_job_runs_on_the_interview(study, capsys):
    import sys

    maria = next(i.id for i in study.list_interviews() if i.participant == MARIA)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "interview_miner.worker"],
                               start_new_session=True)
    try:
        job = study.create_job("transcribe", {"ids": [maria]})
        study.update_job(job, status="running", pid=sleeper.pid)
        with pytest.raises(forget.InterviewBusyError, match=f"job {job}"):
            forget.forget(study, [maria])
        assert study.get_interview(maria).participant == MARIA
        assert main(["forget", "--db", study.path, str(maria), "--yes"]) == 1
        assert "wait for the job" in capsys.readouterr().err
        peter = next(i.id for i in study.list_interviews() if i.participant == PETER)
        forget.forget(study, [peter])  # a job on someone else does not block
    finally:
        sleeper.kill()


# ---------------------------------------------------------------------------------------------
# Encryption at rest (optional extra)
# ---------------------------------------------------------------------------------------------


def test_encrypted_copy_opens_only_with_the_passphrase(study, tmp_path, monkeypatch):
    pytest.importorskip("sqlcipher3", reason="the encryption extra is not installed")
    from interview_miner.encryption import StudyLockedError
    from interview_miner.store import Store

    out = tmp_path / "locked.db"
    monkeypatch.setenv("INTERVIEW_MINER_PASSPHRASE", "correct horse")
    assert main(["encrypt", "--db", study.path, "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert b"SQLite format 3" not in raw and b"zyxelbrook" not in raw
    locked = Store(out)
    assert len(locked.quotes()) == len(study.quotes())
    locked.add_edit("quote", locked.quotes()[0].id, "starred", True)  # writes go through the cipher too
    locked.close()
    assert b"zyxelbrook" not in out.read_bytes() + (Path(str(out) + "-wal").read_bytes()
                                                    if Path(str(out) + "-wal").exists() else b"")
    monkeypatch.setenv("INTERVIEW_MINER_PASSPHRASE", "wrong")
    with pytest.raises(StudyLockedError, match="passphrase does not open it"):
        Store(out)
    monkeypatch.delenv("INTERVIEW_MINER_PASSPHRASE")
    with pytest.raises(StudyLockedError, match="encrypted"):
        Store(out)


# ---------------------------------------------------------------------------------------------
# App
# ---------------------------------------------------------------------------------------------


def _app(db_path, monkeypatch, page: str):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("INTERVIEW_MINER_DB", str(db_path))
    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=120).run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_transcript_page_shows_findings_and_dismisses_one(study, monkeypatch):
    at = _app(study.path, monkeypatch, "transcript")
    next(t for t in at.toggle if t.label == "Show personal data").set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = "\n".join(str(m.value) for m in at.markdown).replace("\\", "")
    assert "**maria.schulz@example.com**" in shown  # highlighted in the transcript
    at.button(key=f"pii_no_{_finding_index(at, 'Henrik Vestergaard')}").click().run()
    assert study.current_edits("pii")["PERSON:henrik vestergaard"] == {"status": "dismissed"}
    findings = [str(m.value) for m in at.markdown if str(m.value).startswith("`[")]
    assert findings and not any("Henrik Vestergaard" in f for f in findings)


def _finding_index(at, words: str) -> int:
    """Position of a finding in the page's list (its buttons are keyed by it)."""
    findings = [str(m.value) for m in at.markdown if str(m.value).startswith("`[")]
    return next(n for n, text in enumerate(findings) if words in text)


def test_privacy_page_shows_consent_and_expired_retention(study, monkeypatch):
    maria = next(i.id for i in study.list_interviews() if i.participant == MARIA)
    consent.set_consent(study, maria, "analysis", "2024-01-01", "2025-01-01")
    at = _app(study.path, monkeypatch, "privacy")
    assert any("Retention expired for 1 interview" in str(w.value) and MARIA in str(w.value) for w in at.warning)
    assert any("without a consent record" in str(c.value) for c in at.caption)
