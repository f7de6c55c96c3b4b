"""Capture: file recognition, transcript importers, content keys, bad input. Real files, real SQLite."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from interview_miner import capture, pipeline
from interview_miner.errors import CorruptAudioError, EmptyTranscriptError, FileTooLargeError, UnsupportedFormatError, describe
from interview_miner.store import SCHEMA_VERSION, Store

from conftest import shared_path

ZOOM_VTT = """WEBVTT

1
00:00:01.200 --> 00:00:04.900
Dana Lee: How did you first hear about us?

2
00:00:05.300 --> 00:00:09.100
Tom Reilly: A colleague mentioned it at a conference.

3
00:00:09.400 --> 00:00:12.000
Tom Reilly: We signed up the same week.
"""

TEAMS_VTT = """WEBVTT

0f1c-1
00:00:00.000 --> 00:00:03.500
<v Dana Lee>What made you start looking?</v>

0f1c-2
00:00:03.800 --> 00:00:08.250
<v Priya Shah>Double bookings, every single Monday.</v>
"""

SRT = """1
00:00:00,500 --> 00:00:03,000
Interviewer: Why did you switch?

2
00:00:03,400 --> 00:00:07,800
Participant: The old tool kept losing appointments.
"""

OTTER_TXT = """Dana Lee  0:03
What was going on when you started looking?

Marcus Bell  0:09
Phones were ringing off the hook.
We could not keep up.
"""

PLAIN_TXT = """Interviewer: Tell me about your role?
Helen Carr: I own a dental practice.
We have two chairs.
Interviewer: What would make you hesitate?
Helen Carr: Data breaches, mostly.
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "name,text,expected",
    [
        ("zoom.vtt", ZOOM_VTT, [("Dana Lee", 1.2), ("Tom Reilly", 5.3), ("Tom Reilly", 9.4)]),
        ("teams.vtt", TEAMS_VTT, [("Dana Lee", 0.0), ("Priya Shah", 3.8)]),
        ("call.srt", SRT, [("Interviewer", 0.5), ("Participant", 3.4)]),
        ("otter.txt", OTTER_TXT, [("Dana Lee", 3.0), ("Marcus Bell", 9.0)]),
    ],
)
def test_transcript_formats_keep_speakers_and_times(tmp_path, name, text, expected):
    turns = capture.parse_transcript(write(tmp_path, name, text))
    assert [(t.speaker_name, t.start) for t in turns] == expected
    assert all(t.text and "<" not in t.text for t in turns)


def test_plain_txt_continuation_lines_join_the_turn(tmp_path):
    turns = capture.parse_transcript(write(tmp_path, "plain.txt", PLAIN_TXT))
    assert [t.speaker_name for t in turns] == ["Interviewer", "Helen Carr", "Interviewer", "Helen Carr"]
    assert turns[1].text == "I own a dental practice. We have two chairs."


def test_imported_transcript_gets_roles_and_participant_name(store, tmp_path):
    report = pipeline.add_files(store, [str(write(tmp_path, "zoom.vtt", ZOOM_VTT))])
    assert report.ok and len(report.added) == 1
    interview = report.added[0]
    assert interview.kind == "transcript" and interview.status == "transcribed"
    assert interview.participant == "Tom Reilly"
    segments = store.segments(interview.id)
    assert [s.speaker for s in segments] == ["interviewer", "participant", "participant"]
    assert segments[1].start == pytest.approx(5.3) and segments[1].end == pytest.approx(9.1)
    assert interview.metadata["speaker_names"] == {"Dana Lee": "interviewer", "Tom Reilly": "participant"}


def test_transcript_without_times_gets_estimated_monotonic_times(store, tmp_path):
    interview = pipeline.add_files(store, [str(write(tmp_path, "plain.txt", PLAIN_TXT))]).added[0]
    segments = store.segments(interview.id)
    assert all(b.start >= a.end for a, b in zip(segments, segments[1:]))
    assert all("estimated_times" in s.flags for s in segments)
    assert interview.metadata["times_estimated"] is True


def test_same_content_twice_is_recognised_not_duplicated(store, tmp_path):
    a = write(tmp_path, "a.srt", SRT)
    b = write(tmp_path, "renamed.srt", SRT)
    first = pipeline.add_files(store, [str(a)])
    second = pipeline.add_files(store, [str(b)])
    assert len(first.added) == 1 and not second.added
    assert second.existing[0].id == first.added[0].id
    assert len(store.list_interviews()) == 1


def test_folder_argument_adds_supported_files_only(store, tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    write(folder, "one.srt", SRT)
    write(folder, "two.vtt", TEAMS_VTT)
    write(folder, "notes.docx", "not a transcript")
    report = pipeline.add_files(store, [str(folder)])
    assert sorted(i.file_name for i in report.added) == ["one.srt", "two.vtt"]
    assert not report.errors


def test_empty_transcript_is_refused(tmp_path):
    with pytest.raises(EmptyTranscriptError, match="empty.vtt"):
        capture.parse_transcript(write(tmp_path, "empty.vtt", "WEBVTT\n\n"))


def test_unsupported_type_names_the_file():
    with pytest.raises(UnsupportedFormatError, match=r"report\.docx.*unsupported file type '\.docx'"):
        capture.file_kind("report.docx")


@pytest.mark.parametrize("name", ["jfk.flac", "multilingual.mp3", "stereo_diarization.wav"])
def test_probe_real_audio_formats(name):
    info = capture.probe_audio(shared_path("speech", name))
    expected = {"jfk.flac": 11.0, "multilingual.mp3": 60.0, "stereo_diarization.wav": 5.0}[name]
    assert info.duration == pytest.approx(expected, abs=0.2)


def test_m4a_audio_is_added_and_copied_under_its_hash(store):
    path = shared_path("corpus", "dev", "dev03.m4a")
    interview = pipeline.add_files(store, [str(path)], participant="Marcus", metadata={"segment": "smb"}).added[0]
    assert interview.stored_path.endswith(f"{interview.content_hash}.m4a")
    assert os.path.getsize(interview.stored_path) == os.path.getsize(path)
    assert interview.participant == "Marcus" and interview.metadata["segment"] == "smb"
    assert interview.duration == pytest.approx(145.15, abs=0.1)


def test_stereo_channels_are_read_separately():
    channels = capture.read_channels(shared_path("speech", "stereo_diarization.wav"))
    assert channels.shape == (2, 80000)
    assert not np.allclose(channels[0], channels[1])


def test_read_audio_gives_mono_or_every_channel_of_the_shared_stereo_clip():
    path = shared_path("speech", "stereo_diarization.wav")
    mono, both = capture.read_audio(path), capture.read_audio(path, channels="all")
    assert mono.shape == (80000,) and both.shape == (2, 80000)
    assert np.allclose(mono, both.mean(axis=0), atol=1e-3)  # mono is the mix of the two sides
    window = capture.read_audio(path, 1.0, 2.5, channels="all")
    assert window.shape == (2, 24000) and np.allclose(window, both[:, 16000:40000], atol=1e-4)
    windows = [chunk for _, chunk in capture.read_audio_windows(path, 0.0, window_s=2.0, channels="all")]
    assert [w.shape for w in windows] == [(2, 32000), (2, 32000), (2, 16000)]


def test_read_audio_keeps_a_generated_files_channels_apart(tmp_path):
    t = np.arange(3 * 16000) / 16000
    left = 0.5 * np.sin(2 * np.pi * 440 * t)
    right = np.where(t >= 1.0, 0.5 * np.sin(2 * np.pi * 660 * t), 0.0)  # silent for the first second
    stereo = capture.write_wav(tmp_path / "two-sides.wav", np.stack([left, right]))
    both = capture.read_audio(stereo, channels="all")
    assert both.shape == (2, 48000)
    assert np.allclose(both[0], left, atol=1e-3) and np.allclose(both[1], right, atol=1e-3)
    assert np.allclose(capture.read_audio(stereo), (left + right) / 2, atol=1e-3)
    assert np.allclose(capture.read_channels(stereo), both)
    mono = capture.write_wav(tmp_path / "one-side.wav", left)
    assert capture.read_audio(mono, channels="all").shape == (1, 48000)
    assert capture.read_channels(mono) is None


def test_too_large_file_error_carries_the_numbers_and_each_surface_words_the_advice(tmp_path):
    path = capture.write_wav(tmp_path / "call.wav", np.zeros(16000))
    with pytest.raises(FileTooLargeError) as caught:
        capture.check_size(path, max_bytes=1000)
    error = caught.value
    assert (error.path, error.size, error.limit) == (str(path), path.stat().st_size, 1000)
    assert str(path) in str(error) and "--" not in str(error)  # the facts, no CLI flag
    assert "--max-size" in describe(error, "cli")
    assert "--" not in describe(error, "app") and "interview-miner" not in describe(error, "app")


def test_decoding_a_corrupt_file_names_it(tmp_path):
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(os.urandom(20_000))
    with pytest.raises(CorruptAudioError, match="broken.mp3"):
        capture.read_audio(broken)


def test_windowed_decoding_matches_whole_file():
    path = shared_path("corpus", "dev", "dev01.wav")
    whole = capture.read_audio(path, 10.0, 40.0)
    windows = [chunk for _, chunk in capture.read_audio_windows(path, 10.0, window_s=7.0)]
    stitched = np.concatenate(windows)[: len(whole)]
    assert len(whole) == 30 * 16000
    assert np.allclose(whole, stitched, atol=1e-4)


def test_a_long_recording_is_decoded_into_one_array_not_held_twice(tmp_path):
    """The speaker stage decodes a whole recording (3 hours: 691 MB as float32). Joining a list of
    windows at the end held it twice for a moment; now the windows fill one array sized from the
    header. Same samples either way, whatever the format or the part asked for."""
    import tracemalloc

    rng = np.random.default_rng(0)
    path = capture.write_wav(tmp_path / "long.wav", rng.uniform(-0.5, 0.5, 16000 * 600).astype(np.float32))
    tracemalloc.start()
    audio = capture.read_audio(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(audio) == 16000 * 600
    assert peak < 1.75 * audio.nbytes, peak / audio.nbytes  # the array and one window decoding: 1.49x (2.03x before)
    for name in ("dev02.mp3", "dev03.m4a"):
        f = shared_path("corpus", "dev", name)
        joined = np.concatenate([chunk for _, chunk in capture.read_audio_windows(f, 0.0, window_s=60.0)])
        assert np.array_equal(capture.read_audio(f), joined)
        part = np.concatenate([chunk for _, chunk in capture.read_audio_windows(f, 3.0, window_s=60.0)])
        assert np.array_equal(capture.read_audio(f, 3.0, 9.5), part[: int(6.5 * 16000)])


def _bad_files(tmp_path):
    corrupt = tmp_path / "corrupt.mp3"
    corrupt.write_bytes(os.urandom(50_000))
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    silent = capture.write_wav(tmp_path / "silent.wav", np.zeros(16000 * 3))
    textfile = tmp_path / "notes.wav"
    textfile.write_text("this is not audio at all\n" * 100)
    unsupported = tmp_path / "brief.docx"
    unsupported.write_bytes(b"PK\x03\x04")
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(shared_path("speech", "stereo_diarization.wav").read_bytes()[:44])
    return [corrupt, empty, silent, textfile, unsupported, truncated]


def test_bad_files_get_one_line_errors_and_the_good_one_is_still_added(tmp_path):
    good = shared_path("speech", "jfk.flac")
    bad = _bad_files(tmp_path)
    db = tmp_path / "study.db"
    proc = subprocess.run(
        [sys.executable, "-m", "interview_miner", "add", "--db", str(db), str(good), *map(str, bad)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1
    assert "added 1: jfk.flac" in proc.stdout
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == len(bad), proc.stderr
    reasons = {
        "corrupt.mp3": "not a readable audio file",
        "empty.wav": "empty",
        "silent.wav": "silent",
        "notes.wav": "not a readable audio file",
        "brief.docx": "unsupported file type",
        "truncated.wav": "",
    }
    for path in bad:
        line = next(ln for ln in errors if path.name in ln)
        assert reasons[path.name] in line
        assert "Traceback" not in proc.stderr
    store = Store(db)
    assert [i.file_name for i in store.list_interviews()] == ["jfk.flac"]
    assert sorted(p.suffix for p in (tmp_path / "recordings").iterdir()) == [".flac"]


def test_file_over_the_size_limit_is_refused(tmp_path):
    db = tmp_path / "study.db"
    proc = subprocess.run(
        [sys.executable, "-m", "interview_miner", "add", "--db", str(db), "--max-size", "100K",
         str(shared_path("speech", "jfk.flac"))],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1
    assert "jfk.flac" in proc.stderr and "over the" in proc.stderr and "limit" in proc.stderr
    assert "hint: raise the limit with --max-size" in proc.stderr  # the CLI words its own advice
    assert Store(db).list_interviews() == []


def test_list_json_contract(tmp_path):
    db = tmp_path / "study.db"
    srt = write(tmp_path, "call.srt", SRT)
    subprocess.run([sys.executable, "-m", "interview_miner", "add", "--db", str(db), str(srt)], check=True, capture_output=True)
    out = subprocess.run([sys.executable, "-m", "interview_miner", "list", "--db", str(db), "--json"],
                         check=True, capture_output=True, text=True).stdout
    doc = json.loads(out)
    assert doc["schema_version"] == 1
    rows = doc["interviews"]
    assert rows == [{"id": 1, "file_name": "call.srt", "participant": None, "status": "transcribed",
                     "duration": 7.8, "language": "en"}]  # an imported transcript's language is recognised


def test_db_from_environment_variable(tmp_path):
    db = tmp_path / "env.db"
    env = {**os.environ, "INTERVIEW_MINER_DB": str(db)}
    subprocess.run([sys.executable, "-m", "interview_miner", "add", str(write(tmp_path, "t.srt", SRT))],
                   check=True, capture_output=True, env=env, cwd=tmp_path)
    assert len(Store(db).list_interviews()) == 1


def test_schema_is_versioned_and_reopening_migrates_nothing(tmp_path):
    db = tmp_path / "s.db"
    first = Store(db)
    assert first.schema_version == SCHEMA_VERSION >= 2
    assert first.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    applied = first.db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
    first.close()
    again = Store(db)
    assert again.db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == applied


def test_failed_transaction_leaves_no_half_written_rows(store, tmp_path):
    interview = pipeline.add_files(store, [str(write(tmp_path, "call.srt", SRT))]).added[0]
    before = store.segment_count(interview.id)
    with pytest.raises(RuntimeError):
        with store.transaction() as db:
            db["segments"].delete_where("interview_id = ?", [interview.id])
            raise RuntimeError("crash mid-write")
    assert store.segment_count(interview.id) == before
