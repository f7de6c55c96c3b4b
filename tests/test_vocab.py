"""The shared vocabulary: one title per category, one NPS band definition, one notion of who a
participant is (so the Themes page and the report count the same people), one time format."""
from __future__ import annotations

import pytest

from corpus_fixture import load_literal_study
from interview_miner import export as exporting
from interview_miner import overview, vocab
from interview_miner.models import CATEGORIES, INTERVIEWER, PARTICIPANT, Interview, Quote, Segment, Theme
from interview_miner.vocab import category_title, nps_band, participant_key, participant_name


def test_every_category_has_one_title_and_a_description():
    assert CATEGORIES == tuple(c.key for c in vocab.DEFAULT_CATEGORIES)
    titles = [c.title for c in vocab.DEFAULT_CATEGORIES]
    assert len(set(titles)) == len(titles) == len(set(CATEGORIES))
    assert all(c.title.strip() and len(c.description) > 20 for c in vocab.DEFAULT_CATEGORIES)
    assert category_title("criteria") == "Buying criteria"
    assert category_title("alternatives") == "Alternatives considered"
    assert category_title(None) == "Uncategorised" and category_title("new_thing") == "New thing"


def test_app_and_report_show_the_same_category_titles(store):
    from interview_miner.app import ui  # the app's helpers (imports Streamlit)

    assert [ui.category(c) for c in CATEGORIES] == [category_title(c) for c in CATEGORIES]
    load_literal_study(store)
    report = exporting.report_context(exporting.load_study(store))
    assert report["categories"], "the literal study has categorised quotes"
    for section in report["categories"]:
        assert section["title"] == category_title(section["key"]) == ui.category(section["key"])
    # the report lists categories in the app's order
    keys = [s["key"] for s in report["categories"]]
    assert keys == sorted(keys, key=vocab.category_rank)


@pytest.mark.parametrize("score,band", [(0, "detractor"), (6, "detractor"), (6.5, "detractor"), (7, "passive"),
                                        (8, "passive"), (9, "promoter"), (10, "promoter"), (None, None)])
def test_nps_band_edges(score, band):
    assert nps_band(score) == band


def test_nps_breakdown_and_band_labels():
    b = vocab.nps_breakdown([10, 9, 8, 7, 6, 0])
    assert (b["promoters"], b["passives"], b["detractors"], b["nps"], b["mean"]) == (2, 2, 2, 0, 6.7)
    assert vocab.nps_breakdown([])["nps"] is None
    assert [band.label for band in vocab.NPS_BANDS] == ["Promoters (9-10)", "Passives (7-8)", "Detractors (0-6)"]


def _interview(iid: int | None, name: str | None, file_name: str) -> Interview:
    return Interview(id=iid, content_hash=f"h{iid}", file_name=file_name, kind="transcript",
                     participant=name, status="transcribed")


def test_participant_is_the_name_case_insensitively_else_the_interview():
    ann, ann_again = _interview(1, "Ann Lee", "a.txt"), _interview(2, " ann lee ", "b.txt")
    unnamed, unnamed_same_file = _interview(3, None, "call.txt"), _interview(4, "", "call.txt")
    assert participant_key(ann) == participant_key(ann_again)
    assert participant_key(unnamed) != participant_key(unnamed_same_file)  # two recordings, two people
    assert participant_name(ann_again) == "ann lee" and participant_name(unnamed) == "call.txt"


def test_themes_page_and_report_count_the_same_participants(store):
    """One person interviewed three times (names differing in case and spacing) and two unnamed
    interviews whose files share a name: the Themes page (store.themes), the overview and the
    report all count three people."""
    quotes = []
    for n, (name, file_name) in enumerate([("Ann Lee", "one.txt"), ("ANN LEE", "two.txt"), ("Ann Lee ", "three.txt"),
                                           (None, "call.txt"), (None, "call.txt")]):
        interview = _interview(None, name, file_name)
        interview.content_hash = f"recording-{n}"
        iid = store.add_interview(interview).id
        store.replace_segments(iid, [Segment(0.0, 2.0, "What worried you?", INTERVIEWER),
                                     Segment(2.0, 5.0, "Losing our data in the move.", PARTICIPANT)])
        quotes.append(Quote(id=f"q{n}", interview_id=iid, start=2.0, end=5.0, text="Losing our data in the move.",
                            question="What worried you?", category="fear", theme_id="t_fear"))
    store.save_quotes(quotes)
    store.save_categories([(q.id, "fear", 0.9) for q in quotes])
    store.save_themes([Theme(id="t_fear", category="fear", label="Losing data", quote_ids=[q.id for q in quotes],
                             representative_quote_id="q0")])
    (theme,) = store.themes()
    report = exporting.report_context(exporting.load_study(store))
    (reported,) = [t for section in report["categories"] for t in section["themes"]]
    assert theme.n_participants == reported["n_participants"] == 3
    assert overview.study_summary(store)["participants"] == report["summary"]["n_participants"] == 3


def test_times_read_the_same_in_the_app_and_the_report():
    assert vocab.clock(83.4) == "01:23" and vocab.clock(3725) == "1:02:05" and vocab.clock(None) == "--:--"
    assert vocab.timecode(3725.5) == "01:02:05.500" and vocab.timecode(1.25, ",") == "00:00:01,250"
    assert vocab.duration(145) == "2 min 25 s" and vocab.duration(3900) == "1 h 05 min" and vocab.duration(None) == "–"
    assert vocab.hours(9000) == "2.5 h" and vocab.hours(1500) == "25 min"
    assert vocab.speaker_title("speaker_3") == "Speaker 3" and vocab.speaker_title(None) == "Unknown"
