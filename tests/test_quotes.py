"""Quote splitting on literal transcripts with the real spaCy model (no store, no embeddings)."""
from __future__ import annotations

import pytest

from interview_miner import quotes as Q
from interview_miner.models import INTERVIEWER, PARTICIPANT, Interview, Segment, Word


def seg(speaker: str, text: str, start: float, end: float, words: bool = True) -> Segment:
    """A segment with Whisper-style word timestamps (leading spaces) spread over its span."""
    toks = text.split()
    step = (end - start) / len(toks)
    ws = [Word(round(start + i * step, 3), round(start + (i + 1) * step, 3), " " + t) for i, t in enumerate(toks)] if words else []
    return Segment(start=start, end=end, text=" " + text, speaker=speaker, words=ws)


INTERVIEW = Interview(id=7, content_hash="c0ffee" * 10, file_name="call.wav", kind="audio", language="en")


def transcript() -> list[Segment]:
    return [
        seg(INTERVIEWER, "Thanks for joining. How did you first hear about us?", 0.0, 4.0),
        seg(PARTICIPANT, "Yeah. A friend of mine uses it at her clinic, and she swore by it.", 4.5, 9.0),
        seg(PARTICIPANT, "Then I saw their stand at a conference and booked a", 9.0, 12.0),
        seg(PARTICIPANT, "demo the same week.", 12.0, 13.6),
        seg(INTERVIEWER, "Mm-hmm.", 13.8, 14.2),
        seg(PARTICIPANT, "Sure.", 14.4, 14.8),
        seg(INTERVIEWER, "Was there anything that worried you about switching?", 15.0, 18.0),
        seg(PARTICIPANT, "Patient data, mostly. If something leaks, that's my name on the door.", 18.5, 23.5),
        seg(INTERVIEWER, "Right.", 23.6, 24.0),
        seg(PARTICIPANT, "And I was worried older patients would never book online.", 24.2, 27.5),
        seg(INTERVIEWER, "How likely are you to recommend it, from zero to ten?", 28.0, 31.0),
        seg(PARTICIPANT, "Ten, no question. It gave us back an hour a day on the front desk.", 31.5, 36.0),
    ]


@pytest.fixture(scope="module")
def quotes():
    return Q.split_quotes(INTERVIEW, transcript())


def test_only_participant_speech_is_quoted(quotes):
    texts = " ".join(q.text for q in quotes)
    assert "hear about us" not in texts and "worried you" not in texts and "Mm-hmm" not in texts
    assert all(q.speaker == PARTICIPANT for q in quotes)
    assert all(q.interview_id == 7 for q in quotes)


def test_sentences_joined_across_segments_and_back_channels_dropped(quotes):
    texts = [q.text for q in quotes]
    # Whisper cut "booked a | demo" over two segments: one quote, with the later segment's end time.
    demo = next(q for q in quotes if q.text.startswith("Then I saw"))
    assert demo.text == "Then I saw their stand at a conference and booked a demo the same week."
    assert demo.start == pytest.approx(9.0) and demo.end == pytest.approx(13.6)
    assert "Yeah." not in texts and "Sure." not in texts
    assert not any(t.startswith("Yeah") for t in texts)


def test_fragment_merged_into_next_sentence_but_score_kept_alone(quotes):
    texts = [q.text for q in quotes]
    assert "Patient data, mostly. If something leaks, that's my name on the door." in texts
    assert "Ten, no question." in texts  # a stated score is never merged into its reason
    assert "It gave us back an hour a day on the front desk." in texts


@pytest.mark.parametrize("turn, expected", [
    # a list of points, each its own sentence: a fragment is not glued to the next point
    ("Fewer calls, mostly. And less chaos at the front desk.",
     ["Fewer calls, mostly.", "And less chaos at the front desk."]),
    ("Cost, mostly. But the contract length worried me more than the price.",
     ["Cost, mostly.", "But the contract length worried me more than the price."]),
    # a fragment opening with "and" stays apart from the sentence before it, too
    ("The reminders cut our no-shows in half. And the price.",
     ["The reminders cut our no-shows in half.", "And the price."]),
    # a headline and its elaboration, without a conjunction: one quote, as before
    ("Being locked in. I've been burned before by software that kept our data.",
     ["Being locked in. I've been burned before by software that kept our data."]),
])
def test_a_fragment_is_not_joined_across_a_sentence_opening_with_a_conjunction(turn, expected):
    """A sentence that opens with "and"/"but" adds a point of its own; joined to a headline
    fragment, two points of different themes would share one quote and one theme."""
    quotes = Q.split_quotes(INTERVIEW, [seg(INTERVIEWER, "What did you hope it would change?", 0.0, 3.0),
                                        seg(PARTICIPANT, turn, 3.5, 12.0)])
    assert [q.text for q in quotes] == expected


def test_times_come_from_word_timestamps(quotes):
    friend = next(q for q in quotes if q.text.startswith("A friend"))
    # "Yeah." took the first of 15 words of the 4.5-9.0 s segment; the quote starts after it.
    assert friend.start == pytest.approx(4.5 + 4.5 / 15, abs=0.01)
    assert friend.end == pytest.approx(9.0, abs=0.01)
    assert all(q.start < q.end for q in quotes)
    assert [q.index for q in quotes] == list(range(len(quotes)))
    assert [q.start for q in quotes] == sorted(q.start for q in quotes)


def test_question_is_the_last_real_prompt(quotes):
    by_text = {q.text[:12]: q.question for q in quotes}
    assert by_text["A friend of "] == "Thanks for joining. How did you first hear about us?"
    # "Right." is an acknowledgement, not a question: the answer still belongs to "worried you".
    assert by_text["And I was wo"] == "Was there anything that worried you about switching?"
    assert by_text["Ten, no ques"].startswith("How likely are you to recommend")


def test_ids_are_content_keys():
    a = Q.split_quotes(INTERVIEW, transcript())
    b = Q.split_quotes(INTERVIEW, transcript())
    assert [q.id for q in a] == [q.id for q in b]
    assert len({q.id for q in a}) == len(a) and all(q.id.startswith("q_") for q in a)
    other = Interview(id=7, content_hash="beef" * 16, file_name="call.wav", kind="audio")
    assert not {q.id for q in a} & {q.id for q in Q.split_quotes(other, transcript())}
    # Re-running with other speaker segments around does not change the id of an unchanged quote.
    fewer = Q.split_quotes(INTERVIEW, transcript()[:4])
    assert {q.id for q in fewer} <= {q.id for q in a}


def test_segments_without_words_or_with_edited_text_spread_times():
    segs = [seg(INTERVIEWER, "What made you start looking?", 0, 2),
            seg(PARTICIPANT, "We lost two receptionists in one month. Bookings fell apart.", 2, 8, words=False)]
    edited = seg(PARTICIPANT, "Original words here entirely.", 8, 10)
    edited.text = "Edited words after a researcher fixed the transcript."
    qs = Q.split_quotes(INTERVIEW, segs + [edited])
    assert [q.text for q in qs][:2] == ["We lost two receptionists in one month.", "Bookings fell apart."]
    assert qs[0].start == pytest.approx(2.0) and qs[1].end == pytest.approx(8.0)
    assert qs[-1].text == "Edited words after a researcher fixed the transcript."
    assert qs[-1].start >= 8.0 and qs[-1].end <= 10.0


def test_no_participant_speech_gives_no_quotes():
    segs = [seg(INTERVIEWER, "Hello, can you hear me?", 0, 2), seg(None, "Unlabelled speech here.", 2, 4)]
    assert Q.split_quotes(INTERVIEW, segs) == []


def test_other_languages_use_sentencex():
    german = Interview(id=1, content_hash="de" * 32, file_name="de.wav", kind="audio", language="de")
    segs = [seg(INTERVIEWER, "Wie haben Sie von uns erfahren?", 0, 2),
            seg(PARTICIPANT, "Ein Kollege aus der Praxis hat mir das Programm empfohlen. "
                             "Danach habe ich eine Demo für unser Team gebucht.", 2, 7)]
    assert isinstance(Q.load_nlp("de"), Q.SentencexSplitter)
    qs = Q.split_quotes(german, segs)
    assert [q.text for q in qs] == ["Ein Kollege aus der Praxis hat mir das Programm empfohlen.",
                                    "Danach habe ich eine Demo für unser Team gebucht."]


@pytest.mark.parametrize("text,expected", [
    ("Yeah.", True), ("Mm-hmm.", True), ("Sure thing.", True), ("Of course.", True), ("Okay, right.", True),
    ("Uh-huh, yeah, yeah.", True), ("No.", True),
    ("Yeah, the timing was awful.", False), ("Price.", False), ("Sure, I run the front desk.", False),
])
def test_backchannels(text, expected):
    assert Q.is_backchannel(text) is expected


def test_embedding_text_drops_discourse_markers_only():
    assert Q.embedding_text("And, um, we looked at a spreadsheet.") == "We looked at a spreadsheet."
    assert Q.embedding_text("So basically the price went up.") == "The price went up."
    assert Q.embedding_text("Yeah.") == "Yeah."
    assert Q.embedding_text("The price went up.") == "The price went up."


def test_a_garbled_score_sentence_stays_its_own_quote():
    # tiny.en heard "Probably an eight." as "Probably a nerd.": no number left, two words. Merged
    # into its reason it would hide where the score was said; alone it is the quote the categorizer
    # takes for the score and the audio check listens to. Elsewhere a fragment is still merged.
    segs = [
        seg(INTERVIEWER, "How likely are you to recommend it, from zero to ten?", 0.0, 3.0),
        seg(PARTICIPANT, "Probably a nerd. Our no-shows are way down since we switched.", 3.5, 8.0),
        seg(INTERVIEWER, "What else did you try before?", 8.5, 10.0),
        seg(PARTICIPANT, "Spreadsheets, mostly. We kept a copy per clinic for years.", 10.5, 14.0),
    ]
    texts = [q.text for q in Q.split_quotes(INTERVIEW, segs)]
    assert texts == ["Probably a nerd.", "Our no-shows are way down since we switched.",
                     "Spreadsheets, mostly. We kept a copy per clinic for years."]


# -- cutting run-on sentences where the speaker paused (pauses.py) --------------------------------

def timed(text: str, start: float = 0.0, step: float = 0.3, pause_after: tuple[str, ...] = ()) -> tuple[Segment, list]:
    """A participant segment with words `step` s apart, and a 0.4 s pause after each word in
    `pause_after` (the word as written, punctuation included): (segment, pauses)."""
    words, pauses, t = [], [], start
    for tok in text.split():
        words.append(Word(round(t, 3), round(t + step - 0.05, 3), " " + tok, 0.9))
        t += step
        if tok in pause_after:
            pauses.append((round(t - 0.05, 3), round(t + 0.35, 3)))
            t += 0.4
    return Segment(start=start, end=words[-1].end, text=" " + text, speaker=PARTICIPANT, words=words), pauses


def test_a_run_on_sentence_is_cut_where_the_speaker_paused_between_two_clauses():
    """Whisper wrote two sentences as one; the pause between two whole clauses cuts them apart,
    each keeping its own time span, so each can join its own theme."""
    s, pauses = timed("We already had a scheduling module in our billing software, but it was clunky "
                      "and it didn't send reminders.", pause_after=("software,",))
    assert [q.text for q in Q.split_quotes(INTERVIEW, [s])] == [s.text.strip()]  # no pauses: as before
    cut = Q.split_quotes(INTERVIEW, [s], pauses=pauses)
    assert [q.text for q in cut] == ["We already had a scheduling module in our billing software.",
                                     "But it was clunky and it didn't send reminders."]
    assert cut[0].end <= pauses[0][0] + 0.05 and cut[1].start >= pauses[0][1] - 0.05
    assert len({q.id for q in cut}) == 2


def test_an_adverb_before_the_subject_still_opens_a_clause():
    s, pauses = timed("We get far fewer no-shows since the switch, and surprisingly, a lot of older patients "
                      "prefer the app.", pause_after=("switch,",))
    assert [q.text for q in Q.split_quotes(INTERVIEW, [s], pauses=pauses)] == [
        "We get far fewer no-shows since the switch.", "And surprisingly, a lot of older patients prefer the app."]


def test_a_pause_before_and_with_a_new_clause_cuts_even_after_words_that_do_not_parse():
    """A list of points said as one run ("Less chaos at the front desk, | and I wanted ..."): the
    first is no clause (often it is misheard into none), the conjunction and the clause after the
    pause still mark a new point."""
    s, pauses = timed("Less chaos at the front desk, and I wanted my staff to leave on time for once.",
                      pause_after=("desk,",))
    assert [q.text for q in Q.split_quotes(INTERVIEW, [s], pauses=pauses)] == [
        "Less chaos at the front desk.", "And I wanted my staff to leave on time for once."]


def test_a_clause_ending_on_a_verbs_particle_is_whole():
    """"We finally set it up" ends on a particle, not on a preposition waiting for its object."""
    s, pauses = timed("We finally set the whole booking system up, but the old diary stayed open for weeks.",
                      pause_after=("up,",))
    assert [q.text for q in Q.split_quotes(INTERVIEW, [s], pauses=pauses)] == [
        "We finally set the whole booking system up.", "But the old diary stayed open for weeks."]


@pytest.mark.parametrize("text, paused", [
    # a pause inside a phrase, not between clauses: the parse refuses every cut
    ("And so, my fellow Americans, ask not what your country can do for you, ask what you can do for "
     "your country.", ("Americans,", "not", "you,")),
    ("The above copyright notice and this permission notice shall be included in all copies of the "
     "software.", ("shall",)),
    ("I wanted one screen that shows both clinics side by side.", ("both",)),
    # between two clauses, but the first is subordinate to the second
    ("When I started the practice, we had paper diaries for everything.", ("practice,",)),
    ("If something leaks, that's my name on the door.", ("leaks,",)),
    ("I think we're ready to begin with the booking questions.", ("think",)),
    # "and" before a noun phrase, not a clause: one list, one point
    ("We compared three tools on the price, and the time it took to set them up.", ("price,",)),
    # two clauses, but the first is a fragment that would only be joined back (its comma lost)
    ("So this is the second pass, these transcripts are nearly done.", ("pass,",)),
])
def test_a_pause_inside_a_clause_never_cuts_it(text, paused):
    s, pauses = timed(text, pause_after=paused)
    assert len(pauses) == len(paused)
    assert [q.text for q in Q.split_quotes(INTERVIEW, [s], pauses=pauses)] == [text]


def test_a_cut_keeps_words_whisper_spelled_in_pieces_whole():
    """Whisper spells "side-by-side" as the pieces " side" "-by" "-side": a piece without a leading
    space continues the word. A cut piece is written as heard, and its parse sees the real words
    (spaced apart, "side -by -side" parsed as two sentences and refused the cut)."""
    text = "I needed one screen that shows both clinics side -by -side, and the compliance paperwork had to be signed off."
    s, pauses = timed(text, pause_after=("-side,", "side"))
    for w in s.words:
        w.word = w.word.strip() if w.word.strip().startswith("-") else w.word
    s.text = "".join(w.word for w in s.words)
    assert s.text.strip().startswith("I needed") and "side-by-side," in s.text
    assert [q.text for q in Q.split_quotes(INTERVIEW, [s], pauses=pauses)] == [
        "I needed one screen that shows both clinics side-by-side.", "And the compliance paperwork had to be signed off."]
    # a pause inside the word ("side | -by") is no cut either
    whole = [q.text for q in Q.split_quotes(INTERVIEW, [s], pauses=pauses[:1])]
    assert whole == [s.text.strip()], whole


def test_pauses_cut_nothing_in_a_language_without_a_subject_marking_parser():
    """Danish has no bundled parser: its sentences are cut from the text alone, whatever the pauses."""
    danish = Interview(id=8, content_hash="d" * 60, file_name="opkald.wav", kind="audio", language="da")
    s, pauses = timed("Vi havde et modul i vores regnskabsprogram, men det var klodset.", pause_after=("regnskabsprogram,",))
    assert len(Q.split_quotes(danish, [s], pauses=pauses)) == 1


def test_unsure_words_at_a_pause_cut_are_still_marked():
    """The cut writes "software." and "But": the words heard unsure there keep their marks."""
    s, pauses = timed("We already had a scheduling module in our billing software, but it was clunky "
                      "and it didn't send reminders.", pause_after=("software,",))
    for w in s.words:
        w.probability = 0.2 if w.word.strip() in ("software,", "but") else 0.9
    first, second = Q.split_quotes(INTERVIEW, [s], pauses=pauses)
    marked = [q.text[a:b] for q in (first, second) for a, b, _ in Q.unsure_spans(q.text, Q.words_in(q, [s]))]
    assert marked == ["software", "But"]
