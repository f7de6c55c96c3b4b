"""The Transcript page's NPS box (AppTest, a real temporary study): an answer whose score could not
be read or heard is opened at the answer with a play button, a score the audio only suggests is
offered but not counted, and the researcher's score stands."""
from __future__ import annotations

from test_app import add_audio_interview, app, db, study, texts  # noqa: F401 - db, study: fixtures


def test_an_unreadable_score_asks_to_listen_at_the_answer(study, tmp_path):
    """No score read or heard again: the NPS box opens on its own, names the moment and plays it;
    the score set there stands."""
    from interview_miner.models import Quote

    iid = add_audio_interview(study, tmp_path)
    ask = "How likely are you to recommend it, zero to ten?"
    study.save_quotes([Quote("q_nps_a", iid, 2.5, 3.6, "And I'm easily.", question=ask, index=0)], [iid])
    study.save_categories([("q_nps_a", "nps_score", 0.6)])
    at = app("transcript")
    at.selectbox(key="interview").set_value(iid).run()
    assert at.expander[0].label == "Likelihood to recommend: listen to confirm at 00:02"
    assert "No score could be read from the transcript" in texts(at)
    at.button(key=f"nps_listen_{iid}").click().run()
    assert at.session_state["play"] == {"interview_id": iid, "start": 2.1}  # the answer, padded as checked
    at.number_input(key=f"nps_{iid}").set_value(9).run()
    at.button(key=f"nps_save_{iid}").click().run()
    assert study.nps()[iid]["score"] == 9
    assert at.expander[0].label == "Likelihood to recommend: 9 (promoter)"


def test_a_score_the_audio_suggests_is_offered_but_not_taken(study, tmp_path):
    """A check that may only suggest (one model, another language) stored 8: the NPS box names it
    and starts the score field at 8, but nothing is scored until the researcher saves."""
    from interview_miner.models import Quote

    iid = add_audio_interview(study, tmp_path)
    ask = "How likely are you to recommend it, zero to ten?"
    study.save_quotes([Quote("q_nps_a", iid, 2.5, 3.6, "Ot, helt klart.", question=ask, index=0)], [iid])
    study.save_nps_to_confirm([{"interview_id": iid, "listen_at": 2.1, "suggested": 8}])
    at = app("transcript")
    at.selectbox(key="interview").set_value(iid).run()
    assert at.expander[0].label == "Likelihood to recommend: listen to confirm at 00:02 (the audio suggests 8)"
    assert "the audio points to **8**" in texts(at) and iid not in study.nps()
    assert at.number_input(key=f"nps_{iid}").value == 8
    at.button(key=f"nps_save_{iid}").click().run()
    assert study.nps()[iid]["score"] == 8 and iid not in study.nps_to_confirm()
    assert at.expander[0].label == "Likelihood to recommend: 8 (passive)"


def test_an_answer_the_interviewers_echo_contradicts_says_so(study, tmp_path):
    """"Five." heard, "Why nine?" asked next: no score is taken, and the box says why, with both
    numbers, before the researcher listens."""
    from interview_miner.models import Quote

    iid = add_audio_interview(study, tmp_path)
    ask = "How likely are you to recommend it, zero to ten?"
    study.save_quotes([Quote("q_nps_a", iid, 2.5, 3.6, "Five.", question=ask, index=0, asr_confidence=0.7),
                       Quote("q_nps_b", iid, 5.0, 6.0, "Support is quick.", question="Why nine?", index=1,
                             asr_confidence=0.9)], [iid])
    study.save_categories([("q_nps_a", "nps_score", 0.6), ("q_nps_b", "nps_reason", 0.6)])
    at = app("transcript")
    at.selectbox(key="interview").set_value(iid).run()
    assert at.expander[0].label == "Likelihood to recommend: listen to confirm at 00:02"
    assert "The transcript reads **5** in the answer, but the interviewer's next question says back **9**" in texts(at)
