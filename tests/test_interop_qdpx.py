"""REFI-QDA: the .qdpx project and .qdc codebook validate against the standard's schema, re-export
byte-identically, and import back (ours and a project written by hand as another tool would)."""
from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from corpus_fixture import HOSTILE, load_literal_study
from interview_miner import capture, persona_review, pipeline, review
from interview_miner import export as E
from interview_miner.cli import main
from interview_miner.export import qdpx
from interview_miner.models import Interview, Segment
from interview_miner.qdpx_import import ProjectImportError, import_qdpx
from interview_miner.store import Store

XSD = Path(__file__).parent / "data" / "refi-qda" / "Project-mrt2019.xsd"


@pytest.fixture(scope="module")
def project_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


@pytest.fixture(scope="module")
def codebook_schema() -> etree.XMLSchema:
    """The project schema's CodeBook/Codes types, re-targeted to the codebook namespace with a
    CodeBook root element: what a standalone .qdc holds."""
    text = XSD.read_text(encoding="utf-8").replace(qdpx.PROJECT_NS, qdpx.CODEBOOK_NS)
    text = text.replace('<xsd:element name="Project" type="ProjectType">',
                        '<xsd:element name="CodeBook" type="CodeBookType"/>\n\t<xsd:element name="Project" type="ProjectType">')
    return etree.XMLSchema(etree.fromstring(text.encode("utf-8")))


def _valid(schema: etree.XMLSchema, xml: bytes) -> None:
    doc = etree.fromstring(xml)
    assert schema.validate(doc), "\n".join(str(e) for e in schema.error_log)


@pytest.fixture
def studied(store):
    """The literal study with hostile text, personas, tags, a star and a researcher rename."""
    load_literal_study(store, hostile=True)
    persona_review.suggest_and_save(store)
    quotes = store.quotes()
    review.tag_quote(store, quotes[0].id, ["pricing", "Zoë's pick"])
    review.star_quote(store, quotes[1].id)
    review.rename_theme(store, "fear_privacy", "Patient data & privacy")
    return store


def _study_facts(store):
    """What a round trip must keep: interviews, quotes with their codes, themes, NPS, personas."""
    s = E.load_study(store)
    by_id = {i.id: i for i in s.interviews}

    def who(iid):
        return s.participant(iid)

    quotes = sorted(
        (who(q.interview_id), q.text, round(q.start, 3), round(q.end, 3), q.speaker, q.category,
         s.theme_by_id[q.theme_id].label if q.theme_id in s.theme_by_id else None, tuple(sorted(q.tags)),
         q.starred, q.question)
        for q in s.quotes)
    themes = sorted((t.category, t.label, len(t.quote_ids)) for t in s.themes)
    segments = sorted((who(iid), seg.start, seg.end, seg.speaker, seg.text)
                      for iid, segs in s.segments.items() for seg in segs)
    nps = sorted((who(iid), r["score"], r["klass"]) for iid, r in s.nps.items())
    personas = sorted((p.name, p.role, p.description, tuple(sorted(who(i) for i in p.interview_ids)),
                       tuple(sorted((k, f.text) for k, f in p.fields.items() if f.text)))
                      for p in s.personas)
    interviews = sorted((who(i.id), i.file_name, {k: v for k, v in i.metadata.items() if k not in ("speaker_names", "imported_from")})
                        for i in by_id.values())
    return {"quotes": quotes, "themes": themes, "segments": segments, "nps": nps, "personas": personas,
            "interviews": [(a, b, sorted(c.items())) for a, b, c in interviews]}


def test_qdpx_validates_against_the_refi_qda_schema(studied, project_schema, tmp_path):
    out = E.export_study(studied, "qdpx", tmp_path / "study.qdpx")[0]
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert names[0] == "project.qde" and all(n.startswith("sources/") for n in names[1:])
        xml = z.read("project.qde")
        _valid(project_schema, xml)
        root = etree.fromstring(xml)
        ns = {"q": qdpx.PROJECT_NS}
        # every internal:// path resolves to a file inside the zip
        for ref in root.xpath("//@plainTextPath | //@path"):
            assert ref.startswith("internal://") and "sources/" + ref[len("internal://"):] in names
        # categories are parent codes, themes their children, tags under "Tags", the star a code
        fears = root.xpath("//q:Code[@name='Fears']", namespaces=ns)[0]
        assert "Patient data & privacy" in [c.get("name") for c in fears.xpath("q:Code", namespaces=ns)]
        tags = root.xpath("//q:Code[@name='Tags']", namespaces=ns)[0]
        assert tags.get("isCodable") == "false"
        assert sorted(c.get("name") for c in tags.xpath("q:Code", namespaces=ns)) == ["pricing", "zoë's pick"]
        assert root.xpath("//q:Code[@name='Starred']", namespaces=ns)
        # every quote is a selection; themed ones are coded with their theme
        selections = root.xpath("//q:PlainTextSelection", namespaces=ns)
        assert len(selections) == len(studied.quotes())
        sources = {s.get("guid"): z.read("sources/" + s.get("plainTextPath")[len("internal://"):]).decode()
                   for s in root.xpath("//q:TextSource", namespaces=ns)}
        for sel in selections:
            text = sources[sel.getparent().get("guid")]
            quote = next(q for q in studied.quotes() if q.id == sel.get("name"))
            assert text[int(sel.get("startPosition")):int(sel.get("endPosition"))] == quote.text
            assert re.fullmatch(r"\[\d\d:\d\d:\d\d\.\d{3}-\d\d:\d\d:\d\d\.\d{3}\]", sel.xpath("string(q:Description)", namespaces=ns))
        # QualCoder's importer reads a date on every transcript and selection (it fails without)
        for el in root.xpath("//q:TextSource | //q:AudioSource | //q:Transcript | //q:PlainTextSelection"
                             " | //q:TranscriptSelection", namespaces=ns):
            assert el.get("creationDateTime") and el.get("creatingUser")
        # participants are cases with their details; personas are sets of their sources
        case = root.xpath("//q:Case", namespaces=ns)[0]
        assert case.get("name") == f"Ann Owner {HOSTILE}"
        assert len(root.xpath("//q:Set", namespaces=ns)) == len(studied.personas())
        assert all(s.xpath("q:MemberSource", namespaces=ns) for s in root.xpath("//q:Set", namespaces=ns))


def test_qdc_codebook_validates(studied, codebook_schema, tmp_path):
    out = E.export_study(studied, "qdc", tmp_path / "codebook.qdc")[0]
    xml = out.read_bytes()
    _valid(codebook_schema, xml)
    root = etree.fromstring(xml)
    top = [c.get("name") for c in root.xpath("/c:CodeBook/c:Codes/c:Code", namespaces={"c": qdpx.CODEBOOK_NS})]
    from interview_miner.vocab import CATEGORIES, category_title
    in_reading_order = [category_title(c) for c in CATEGORIES if category_title(c) in top]
    assert top[:3] == in_reading_order[:3] and "Triggers" in top and "Fears" in top and "Tags" in top


def test_reexport_is_byte_identical_and_guids_are_stable(studied, tmp_path):
    a = E.export_study(studied, "qdpx", tmp_path / "a.qdpx")[0].read_bytes()
    b = E.export_study(Store(studied.path), "qdpx", tmp_path / "b.qdpx")[0].read_bytes()
    assert a == b
    # a researcher edit changes only what it touches: the theme's name, not any GUID
    review.rename_theme(studied, "trigger_no_shows", "Missed appointments")
    c = E.export_study(studied, "qdpx", tmp_path / "c.qdpx")[0]
    with zipfile.ZipFile(tmp_path / "a.qdpx") as za, zipfile.ZipFile(c) as zc:
        guids = [re.findall(rb'guid="([^"]+)"', z.read("project.qde")) for z in (za, zc)]
        assert guids[0] == guids[1]
        assert za.read("project.qde") != zc.read("project.qde")


def test_round_trip_through_add(studied, tmp_path, capsys):
    assert main(["export", "--db", studied.path, "--format", "qdpx"]) == 1  # a zip is never printed
    assert "needs --out" in capsys.readouterr().err
    out = tmp_path / "study.qdpx"
    assert main(["export", "--db", studied.path, "--format", "qdpx", "--out", str(out)]) == 0
    new_db = tmp_path / "imported" / "new.db"
    assert main(["add", "--db", str(new_db), str(out)]) == 0
    assert "added 4:" in capsys.readouterr().out
    imported = Store(new_db)
    assert _study_facts(imported) == _study_facts(studied)
    # our own quote ids come back, so edits keyed by them would still match
    assert {q.id for q in imported.quotes()} == {q.id for q in studied.quotes()}
    # and the imported study exports the same codebook again (theme ids, hence GUIDs, are new)
    def codebook(store):
        root = etree.fromstring(E.render_study(E.load_study(store), "qdc"))
        return sorted((c.getparent().get("name") or "", c.get("name"), c.get("color") or "", c.findtext("{*}Description") or "")
                      for c in root.iter("{*}Code"))
    assert codebook(imported) == codebook(studied)


def test_import_refuses_a_study_that_already_has_mined_data(studied, tmp_path):
    out = E.export_study(studied, "qdpx", tmp_path / "study.qdpx")[0]
    before = _study_facts(studied)
    with pytest.raises(ProjectImportError, match="new study"):
        import_qdpx(studied, out, tmp_path / "rec")
    assert _study_facts(studied) == before
    report = pipeline.add_files(studied, [str(out)])
    assert report.errors and "new study" in report.errors[0]


@pytest.mark.parametrize("content,reason", [
    (b"not a zip", "must be a zip"),
    (None, "no project.qde"),
    (b"<Project", "not well-formed"),
])
def test_broken_projects_get_a_clear_error_and_import_nothing(store, tmp_path, content, reason):
    path = tmp_path / "broken.qdpx"
    if content == b"not a zip":
        path.write_bytes(content)
    else:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("sources/x.txt", "hello")
            if content is not None:
                z.writestr("project.qde", content)
    report = pipeline.add_files(store, [str(path)])
    assert report.errors and reason in report.errors[0] and "broken.qdpx" in report.errors[0]
    assert store.list_interviews() == []


def test_audio_interview_round_trips_as_audio_source_with_timestamps(store, tmp_path, project_schema):
    t = np.arange(16000 * 3) / 16000
    wav = capture.write_wav(tmp_path / "call.wav", 0.3 * np.sin(2 * np.pi * 220 * t))
    digest = capture.sha256_file(wav)
    stored = capture.store_recording(wav, digest, tmp_path / "recordings")
    i = store.add_interview(Interview(id=None, content_hash=digest, file_name="call.wav", kind="audio",
                                      stored_path=str(stored), participant="Zoë Ñúñez", duration=3.0,
                                      status="transcribed", language="de"))
    store.replace_segments(i.id, [
        Segment(0.0, 1.0, "Was hat Sie gestört?", "interviewer"),
        Segment(1.2, 2.9, "Die Doppelbuchungen. R&D hat <nichts> getan.", "participant"),
    ])
    from interview_miner.models import Quote, Theme
    store.save_quotes([Quote("q_aaaaaaaaaaaa", i.id, 1.2, 1.9, "Die Doppelbuchungen.", index=0),
                       Quote("q_bbbbbbbbbbbb", i.id, 1.95, 2.9, "R&D hat <nichts> getan.", index=1)])
    store.save_categories([("q_aaaaaaaaaaaa", "trigger", 0.8), ("q_bbbbbbbbbbbb", "fear", 0.7)])
    store.save_themes([Theme("t_x", "trigger", "Doppelbuchungen", quote_ids=["q_aaaaaaaaaaaa"])])
    blob = E.render_study(E.load_study(store), "qdpx")
    path = tmp_path / "audio.qdpx"
    path.write_bytes(blob)
    with zipfile.ZipFile(path) as z:
        xml = z.read("project.qde")
        _valid(project_schema, xml)
        root = etree.fromstring(xml)
        ns = {"q": qdpx.PROJECT_NS}
        source = root.xpath("//q:AudioSource", namespaces=ns)[0]
        audio = "sources/" + source.get("path")[len("internal://"):]
        assert hashlib.sha256(z.read(audio)).hexdigest() == digest
        stamps = sorted(int(p.get("timeStamp")) for p in root.xpath("//q:SyncPoint", namespaces=ns))
        assert stamps == [1200, 1900, 1950, 2900]
        assert len(root.xpath("//q:TranscriptSelection/q:Coding", namespaces=ns)) == 2
    target = Store(tmp_path / "new" / "study.db")
    report = pipeline.add_files(target, [str(path)])
    assert report.ok, report.errors
    got = target.list_interviews()[0]
    assert (got.kind, got.content_hash, got.participant, got.language) == ("audio", digest, "Zoë Ñúñez", "de")
    assert Path(got.stored_path).is_file() and capture.sha256_file(got.stored_path) == digest
    # the transcript came with the recording: a default `transcribe` leaves it alone
    assert pipeline.transcribe_interviews(target).done == []
    assert [(q.text, q.start, q.end, q.category) for q in target.quotes()] == [
        ("Die Doppelbuchungen.", 1.2, 1.9, "trigger"), ("R&D hat <nichts> getan.", 1.95, 2.9, "fear")]
    assert [t.label for t in target.themes()] == ["Doppelbuchungen"]


# ---------------------------------------------------------------------------------------------
# A project as another tool writes it (QualCoder-style), built by hand from the standard
# ---------------------------------------------------------------------------------------------

FOREIGN_TEXT = (
    "Interviewer: Tell me about your role?\n"
    "Helen Carr: I own a dental practice. We have two chairs.\n"
    "Interviewer: What would make you hesitate?\n"
    "Helen Carr: Data breaches, mostly. And double bookings drive me mad.\n"
)
MEMO_TEXT = "Marcus: Phones were ringing off the hook.\nInterviewer: And then?\nMarcus: We bought it.\n"
G = {k: "{%s}" % v for k, v in {
    "user": "0A1B2C3D-0000-4000-8000-000000000001", "pain": "0A1B2C3D-0000-4000-8000-000000000002",
    "double": "0A1B2C3D-0000-4000-8000-000000000003", "fears": "0A1B2C3D-0000-4000-8000-000000000004",
    "age": "0A1B2C3D-0000-4000-8000-000000000005", "case": "0A1B2C3D-0000-4000-8000-000000000006",
    "s1": "0A1B2C3D-0000-4000-8000-000000000007", "s2": "0A1B2C3D-0000-4000-8000-000000000008",
    "sel1": "0A1B2C3D-0000-4000-8000-000000000009", "sel2": "0A1B2C3D-0000-4000-8000-00000000000A",
    "sel3": "0A1B2C3D-0000-4000-8000-00000000000B", "c1": "0A1B2C3D-0000-4000-8000-00000000000C",
    "c2": "0A1B2C3D-0000-4000-8000-00000000000D", "c3": "0A1B2C3D-0000-4000-8000-00000000000E",
    "c4": "0A1B2C3D-0000-4000-8000-00000000000F", "set": "0A1B2C3D-0000-4000-8000-000000000010",
}.items()}


def _span(text: str, piece: str) -> str:
    a = text.index(piece)
    return f'startPosition="{a}" endPosition="{a + len(piece)}"'


def foreign_project() -> bytes:
    meta = f'creatingUser="{G["user"]}" creationDateTime="2024-05-01T10:00:00Z"'
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Dental study" origin="QualCoder 3.5"
         creatingUserGUID="{G['user']}" creationDateTime="2024-05-01T10:00:00Z">
  <Users><User guid="{G['user']}" name="default"/></Users>
  <CodeBook><Codes>
    <Code guid="{G['pain']}" name="Pain points" isCodable="true" color="#FF0000">
      <Description>Anything that hurts today</Description>
      <Code guid="{G['double']}" name="Double booking" isCodable="true" color="#FF8800"/>
    </Code>
    <Code guid="{G['fears']}" name="Fears" isCodable="true"/>
  </Codes></CodeBook>
  <Variables><Variable guid="{G['age']}" name="Age" typeOfVariable="Integer"/></Variables>
  <Cases>
    <Case guid="{G['case']}" name="Helen Carr">
      <VariableValue><VariableRef targetGUID="{G['age']}"/><IntegerValue>42</IntegerValue></VariableValue>
      <SourceRef targetGUID="{G['s1']}"/>
    </Case>
  </Cases>
  <Sources>
    <TextSource guid="{G['s1']}" name="helen.txt" plainTextPath="internal://{G['s1']}.txt" {meta}>
      <PlainTextSelection guid="{G['sel1']}" {_span(FOREIGN_TEXT, "Data breaches, mostly.")} {meta}>
        <Coding guid="{G['c1']}" {meta.split(' creationDateTime')[0]}><CodeRef targetGUID="{G['fears']}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{G['sel2']}" {_span(FOREIGN_TEXT, "And double bookings drive me mad.")} {meta}>
        <Coding guid="{G['c2']}"><CodeRef targetGUID="{G['double']}"/></Coding>
        <Coding guid="{G['c3']}"><CodeRef targetGUID="{G['fears']}"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="{G['s2']}" name="marcus memo">
      <PlainTextContent>{MEMO_TEXT}</PlainTextContent>
      <PlainTextSelection guid="{G['sel3']}" {_span(MEMO_TEXT, "Phones were ringing off the hook.")}>
        <Coding guid="{G['c4']}"><CodeRef targetGUID="{G['pain']}"/></Coding>
      </PlainTextSelection>
      <VariableValue><VariableRef targetGUID="{G['age']}"/><IntegerValue>51</IntegerValue></VariableValue>
    </TextSource>
  </Sources>
  <Sets><Set guid="{G['set']}" name="Practice owners"><Description>Owners of small practices</Description>
    <MemberSource targetGUID="{G['s1']}"/></Set></Sets>
</Project>
""".encode("utf-8")


def test_a_project_written_by_another_tool_imports(store, tmp_path, project_schema):
    xml = foreign_project()
    _valid(project_schema, xml)  # the hand-built file is itself valid QDA-XML 1.0
    path = tmp_path / "dental.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", xml)
        z.writestr(f"Sources/{G['s1']}.txt", FOREIGN_TEXT.encode("utf-8"))  # NVivo's capital S
    report = pipeline.add_files(store, [str(path)])
    assert report.ok, report.errors
    helen, memo = store.list_interviews()
    assert (helen.file_name, helen.participant, helen.metadata["Age"]) == ("helen.txt", "Helen Carr", 42)
    assert (memo.file_name, memo.participant, memo.metadata["Age"]) == ("marcus memo", None, 51)  # MAXQDA style
    assert [s.speaker for s in store.segments(helen.id)] == ["interviewer", "participant"] * 2
    quotes = {q.text: q for q in store.quotes()}
    themes = {t.id: t for t in store.themes().all()}
    fear = quotes["Data breaches, mostly."]
    assert (fear.category, fear.theme_id, fear.question) == ("fear", None, "What would make you hesitate?")
    double = quotes["And double bookings drive me mad."]
    # another tool's code is a theme of `other`, labelled with its path; a second code stays as a tag;
    # a child code is a sub-theme of its parent code's theme
    assert themes[double.sub_theme_id].label == "Pain points › Double booking"
    assert themes[double.theme_id].label == "Pain points"
    assert (double.category, double.tags) == ("other", [])
    phones = quotes["Phones were ringing off the hook."]
    assert themes[phones.theme_id].label == "Pain points" and phones.interview_id == memo.id
    # times are estimated inside the segment the selection sits in
    seg = store.segments(helen.id)[3]
    assert seg.start <= fear.start < double.start <= seg.end
    (persona,) = store.personas()
    assert (persona.name, persona.description, persona.interview_ids) == (
        "Practice owners", "Owners of small practices", [helen.id])


def test_a_selection_coded_twice_keeps_the_second_code_as_a_tag(store, tmp_path):
    xml = foreign_project().replace(f'<CodeRef targetGUID="{G["fears"]}"/></Coding>\n      </PlainTextSelection>\n    </TextSource>'.encode(),
                                    f'<CodeRef targetGUID="{G["pain"]}"/></Coding>\n      </PlainTextSelection>\n    </TextSource>'.encode())
    path = tmp_path / "twice.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", xml)
        z.writestr(f"sources/{G['s1']}.txt", FOREIGN_TEXT.encode("utf-8"))
    assert pipeline.add_files(store, [str(path)]).ok
    double = next(q for q in store.quotes() if q.text.startswith("And double"))
    assert double.tags == ["pain points"]


def test_sub_themes_nest_under_their_parent_theme(studied, project_schema):
    """Themes may gain a `parent_id` (sub-themes): the codebook nests them one level deeper."""
    study = E.load_study(studied)
    parent, child = study.theme_by_id["fear_privacy"], study.theme_by_id["fear_migration"]
    child.parent_id = parent.id  # as a hierarchical Theme will carry it
    xml = qdpx.build_project(study).xml
    _valid(project_schema, xml)
    ns = {"q": qdpx.PROJECT_NS}
    root = etree.fromstring(xml)
    nested = root.xpath(f"//q:Code[@guid='{qdpx.guid('theme', parent.id)}']/q:Code/@name", namespaces=ns)
    assert nested == [child.label]
    fears = root.xpath("//q:Code[@name='Fears']/q:Code/@name", namespaces=ns)
    assert child.label not in fears and parent.label in fears


def test_corpus_study_round_trips(store, corpus_dir, tmp_path, project_schema):
    """The six labelled dev interviews as a mined study: export, validate, import, compare."""
    from corpus_fixture import load_corpus

    load_corpus(store, corpus_dir)
    persona_review.suggest_and_save(store)
    out = E.export_study(store, "qdpx", tmp_path / "corpus.qdpx")[0]
    with zipfile.ZipFile(out) as z:
        _valid(project_schema, z.read("project.qde"))
    target = Store(tmp_path / "again" / "study.db")
    assert pipeline.add_files(target, [str(out)]).ok
    assert _study_facts(target) == _study_facts(store)


def test_untranscribed_audio_is_added_for_transcribe_and_pictures_are_named(store, tmp_path, project_schema):
    t = np.arange(16000 * 2) / 16000
    wav = capture.write_wav(tmp_path / "focus.wav", 0.3 * np.sin(2 * np.pi * 330 * t))
    audio_guid, picture_guid = "11111111-2222-4333-8444-555555555555", "11111111-2222-4333-8444-666666666666"
    xml = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Focus group" origin="ATLAS.ti 23">
  <Sources>
    <AudioSource guid="{audio_guid}" name="focus.wav" path="internal://{audio_guid}.wav"/>
    <PictureSource guid="{picture_guid}" name="whiteboard.png" path="internal://{picture_guid}.png"/>
  </Sources>
</Project>""".encode()
    _valid(project_schema, xml)
    path = tmp_path / "focus.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", xml)
        z.write(wav, f"sources/{audio_guid}.wav")
        z.writestr(f"sources/{picture_guid}.png", b"\x89PNG")
    report = pipeline.add_files(store, [str(path)])
    assert report.errors == ["focus.qdpx: whiteboard.png: PictureSource is not an interview, not imported"]
    (interview,) = report.added
    assert (interview.kind, interview.status, interview.content_hash) == ("audio", "added", capture.sha256_file(wav))
    assert interview.duration == pytest.approx(2.0, abs=0.05) and Path(interview.stored_path).is_file()


def test_external_entities_are_never_resolved(store, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    xml = f"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources>
  <TextSource guid="11111111-2222-4333-8444-555555555555" name="a.txt">
    <PlainTextContent>Ann: hello &xxe; world</PlainTextContent></TextSource>
</Sources></Project>"""
    path = tmp_path / "xxe.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", xml)
    assert pipeline.add_files(store, [str(path)]).ok
    (segment,) = store.segments(store.list_interviews()[0].id)
    assert "TOPSECRET" not in segment.text
    assert segment.text == "hello &xxe; world"  # the reference stays as written, the text around it too
