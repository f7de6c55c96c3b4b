"""Auto-vocabulary on transcription (issue 9): the study's own names (the guide's `names`, the names
in its questions and in the interviewer's turns so far) respell what Whisper heard close to them,
are logged and stored with the transcription settings, and never make a finished transcript stale.
They are not handed to Whisper as `hotwords` (that made tiny.en skip speech, see hotwords.py); the
researcher's own `--vocab` is.

Real components: the bundled tiny.en through faster-whisper on a real recording (the vocabulary
clip from faster-whisper's own tests), a real SQLite study, the bundled spaCy tagger.
"""
from __future__ import annotations

import logging

import pytest

from interview_miner import guide, hotwords, pipeline, transcribe
from interview_miner.models import Segment

from conftest import shared_path

GUIDE_WITH_NAMES = """title: Tools study
names: [ComfyUI]
sections:
  - title: Questions
    questions:
      - text: Which other products did you consider, besides Jane App?
        category: alternatives
"""


def test_the_guide_names_and_the_interviewers_questions_make_the_study_vocabulary(store):
    assert hotwords.study_vocabulary(store) == ""  # the default guide names no product
    guide.save_text(store, GUIDE_WITH_NAMES)
    assert guide.load(store).names == ["ComfyUI"]
    assert guide.parse_guide(guide.to_yaml(guide.load(store))).names == ["ComfyUI"]
    interview = pipeline.add_files(store, [str(shared_path("speech", "jfk.flac"))]).added[0]
    store.replace_segments(interview.id, [Segment(0, 2, "Did you try Cliniko before that?", speaker="interviewer"),
                                          Segment(2, 4, "Yes, Rotaly too.", speaker="participant")])
    store.update_interview(interview.id, status="transcribed")
    words = hotwords.study_vocabulary(store).split()
    assert words[0] == "ComfyUI" and {"Jane", "Cliniko"} <= set(" ".join(words).replace("Jane App", "Jane").split())
    assert "Rotaly" not in words  # participants' words are not the study's vocabulary


def test_the_vocabulary_is_not_part_of_the_transcript_key():
    """It grows with each interview transcribed; a finished transcript must stay done."""
    plain = transcribe.TranscribeOptions()
    taught = transcribe.TranscribeOptions(vocabulary="ClinicFlow Cliniko")
    assert plain.key("abc") == taught.key("abc")
    assert taught.all_hotwords is None and taught.names == ["ClinicFlow", "Cliniko"]  # respelling only
    both = transcribe.TranscribeOptions(hotwords="HIPAA, Jane App", vocabulary="ClinicFlow")
    assert both.all_hotwords == "HIPAA, Jane App" and both.names == ["HIPAA", "Jane", "App", "ClinicFlow"]
    assert transcribe.TranscribeOptions(hotwords="HIPAA").key("abc") != plain.key("abc")  # the researcher's own: a new key
    with pytest.raises(ValueError):
        guide.parse_guide("title: t\nnames: ClinicFlow\nsections: []\n")


@pytest.mark.slow
def test_the_researchers_vocab_reaches_whisper_as_hotwords_on_real_audio(store, caplog):
    """`--vocab` is asked for explicitly and makes tiny.en write a name it cannot spell at all."""
    clip = str(shared_path("speech", "hotwords.mp3"))
    model = transcribe.load_model(None)
    audio = __import__("interview_miner.capture", fromlist=["read_audio"]).read_audio(clip)
    plain, _ = model.transcribe(audio, language="en", beam_size=5, vad_filter=True)
    assert "ComfyUI" not in " ".join(s.text for s in plain)  # without the hint tiny.en misspells it

    guide.save_text(store, GUIDE_WITH_NAMES)  # the guide's names alone do not reach Whisper ...
    interview = pipeline.add_files(store, [clip]).added[0]
    assert pipeline.with_study_vocabulary(store, transcribe.TranscribeOptions(), interview).all_hotwords is None
    with caplog.at_level(logging.INFO, logger="interview_miner"):
        report = pipeline.transcribe_interviews(store, n_speakers=1, options=transcribe.TranscribeOptions(hotwords="ComfyUI"))
    assert report.ok, report.errors
    assert "ComfyUI" in " ".join(s.text for s in store.segments(interview.id))
    assert "ComfyUI" in store.get_transcription(interview.id).settings  # stored with the settings
    assert any("hotwords ComfyUI" in r.getMessage() for r in caplog.records)  # and shown to the researcher


@pytest.mark.slow
def test_a_name_from_the_guide_respells_what_whisper_heard_on_real_audio(store, tmp_path, caplog):
    """A product name Whisper does not know comes back as ordinary words ("clinic floor"); the guide's
    `names:` put it back together in the transcript and in the timed words the speakers stage uses."""
    import shutil
    import subprocess

    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    clip = tmp_path / "booking.wav"
    subprocess.run(["espeak-ng", "-v", "en-us+m3", "-s", "160", "-w", str(clip),
                    "Last spring we moved every booking over to ClinicFlow, and honestly ClinicFlow saved us hours."],
                   check=True)
    guide.save_text(store, GUIDE_WITH_NAMES.replace("[ComfyUI]", "[ClinicFlow]"))
    interview = pipeline.add_files(store, [str(clip)]).added[0]
    with caplog.at_level(logging.INFO, logger="interview_miner"):
        report = pipeline.transcribe_interviews(store, n_speakers=1, options=transcribe.TranscribeOptions(language="en"))
    assert report.ok, report.errors
    segments = store.segments(interview.id)
    text = " ".join(s.text for s in segments)
    assert text.count("ClinicFlow") == 2, text
    assert [w.word.strip(" ,.") for s in segments for w in s.words].count("ClinicFlow") == 2
    assert "saved us hours" in text  # nothing heard is lost
    assert any("study names ClinicFlow" in r.getMessage() for r in caplog.records)
    assert not any("hotwords" in r.getMessage() for r in caplog.records)


def test_a_broken_guide_file_does_not_stop_transcription(store, caplog):
    interview = pipeline.add_files(store, [str(shared_path("speech", "jfk.flac"))]).added[0]
    guide.guide_path(store).write_text("title: t\nsections: [\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="interview_miner"):
        options = pipeline.with_study_vocabulary(store, transcribe.TranscribeOptions(hotwords="HIPAA"), interview)
    assert options.vocabulary is None and options.all_hotwords == "HIPAA"
    assert any("no study vocabulary" in r.getMessage() and "line" in r.getMessage() for r in caplog.records)


def test_texts_without_a_possible_name_never_load_the_tagger():
    from interview_miner import hotwords

    hotwords._tagger.cache_clear()
    plain = ["What made you start looking?", "Tell me about the last time that happened.", "I see. And then?"]
    assert hotwords.auto_hotwords(plain) == ""
    assert hotwords._tagger.cache_info().currsize == 0  # nothing was tagged: no model loaded
    assert hotwords.auto_hotwords(plain + ["Did you compare it with HubSpot before?"]) == "HubSpot"


def test_an_exported_guide_shows_where_the_names_go(tmp_path):
    """`names:` is in the exported file even when empty, and reads back as no names."""
    text = guide.to_yaml(guide.default_guide())
    assert "\nnames: []\n" in text
    assert guide.parse_guide(text).names == []
