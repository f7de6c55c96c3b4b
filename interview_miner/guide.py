"""The study's interview guide: the questions the method asks, each mapped to the codebook
category whose answers it collects.

Why it lives in the tool: the guide is the categorizer's question prior. Its questions (and
follow-ups) become prototype questions of their category (`codebook.Codebook.priors`), so when a
researcher words a question their own way, answers to it are still filed where the guide says.

A bundled default (`data/default_guide.yaml`) carries the buyer-persona method: the five questions
(channel, competitors, purchase and usage scenario, obstacles, word of mouth with its 8-10 / 5 /
0-4 follow-ups), the fish-pond questions (bought before / with / after) and the journey questions.
A study keeps its own copy as a plain YAML file beside the study database (`study.guide.yaml`
next to `study.db`), written when the researcher edits the guide in the app or imports a file; a
study without one uses the default. A file that does not parse is refused with its line named,
and nothing is written.

    >>> g = default_guide()
    >>> [q.category for q in g.sections[0].questions][:3]
    ['channel', 'alternatives', 'trigger']
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .codebook import CodebookFileError, parse_yaml
from .overlay import CATEGORY_KEY

if TYPE_CHECKING:
    from .store import Store

NPS_BAND_CHOICES = ("standard", "method")
"""standard: promoters 9-10 / passives 7-8 / detractors 0-6 only; method: also the guide's
follow-up bands 8-10 / 5 / 0-4."""
BAND_KEYS = ("8-10", "5", "0-4")


@dataclass(frozen=True)
class AskedQuestion:
    """One question as the categorizer sees it: its text and the category it collects."""

    text: str
    category: str


@dataclass
class FollowUp:
    text: str
    category: str | None = None  # None: the parent question's category


@dataclass
class GuideQuestion:
    id: str
    text: str
    category: str
    follow_ups: list[FollowUp] = field(default_factory=list)
    band_follow_ups: dict[str, list[str]] = field(default_factory=dict)  # "8-10" / "5" / "0-4"


@dataclass
class GuideSection:
    title: str
    questions: list[GuideQuestion] = field(default_factory=list)


@dataclass
class Guide:
    title: str
    sections: list[GuideSection]
    nps_bands: str = "standard"
    # The product, competitor and brand names the interviews will mention ("ClinicFlow", "Jane
    # App"): what Whisper heard close to one is respelled as it (`hotwords.respell`), so each is
    # spelled one way everywhere.
    names: list[str] = field(default_factory=list)

    def all_questions(self) -> Iterator[AskedQuestion]:
        """Every question and follow-up with the category it collects (band follow-ups collect
        the reasons behind the score)."""
        for section in self.sections:
            for q in section.questions:
                yield AskedQuestion(q.text, q.category)
                for f in q.follow_ups:
                    yield AskedQuestion(f.text, f.category or q.category)
                for texts in q.band_follow_ups.values():
                    for text in texts:
                        yield AskedQuestion(text, "nps_reason")

    def categories(self) -> set[str]:
        return {q.category for q in self.all_questions()}


# ---------------------------------------------------------------------------------------------
# Reading and writing the plain file
# ---------------------------------------------------------------------------------------------


class _LineLoader(yaml.SafeLoader):
    """Safe YAML that remembers each mapping's line, so a structural error names it."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _fail(row: Any, message: str) -> CodebookFileError:
    line = row.get("__line__") if isinstance(row, Mapping) else None
    return CodebookFileError(f"guide file, line {line or 1}: {message}")


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(row, f"'{key}' must be non-empty text")
    return value.strip()


def _category(row: Mapping[str, Any], known: set[str] | None) -> str:
    value = row.get("category")
    if not isinstance(value, str) or not CATEGORY_KEY.match(value):
        raise _fail(row, "'category' must be a category key (lowercase letters, digits and _)")
    if known is not None and value not in known:
        raise _fail(row, f"unknown category {value!r} (the study's codebook has: {', '.join(sorted(known))})")
    return value


def parse_guide(text: str, known_categories: set[str] | None = None) -> Guide:
    """A guide from YAML (or JSON, which is YAML) text. Every problem is a CodebookFileError
    naming the line; with `known_categories`, a question must collect one of them."""
    parse_yaml(text, "guide")  # syntax errors, with the line
    data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
    if not isinstance(data, Mapping) or not isinstance(data.get("sections"), list):
        raise _fail(data, "a guide needs 'title' and a list of 'sections'")
    bands = data.get("nps_bands", "standard")
    if bands not in NPS_BAND_CHOICES:
        raise _fail(data, f"'nps_bands' must be one of {', '.join(NPS_BAND_CHOICES)}")
    names = data.get("names") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _fail(data, "'names' must be a list of product, competitor or brand names")
    sections, seen = [], set()
    for srow in data["sections"]:
        if not isinstance(srow, Mapping) or not isinstance(srow.get("questions", []), list):
            raise _fail(srow if isinstance(srow, Mapping) else data, "each section needs 'title' and a list of 'questions'")
        questions = []
        for n, qrow in enumerate(srow.get("questions") or [], 1):
            if not isinstance(qrow, Mapping):
                raise _fail(srow, f"question {n} must have 'text' and 'category'")
            qid = str(qrow.get("id") or f"q{len(seen) + 1}")
            if qid in seen:
                raise _fail(qrow, f"question id {qid!r} is used twice")
            seen.add(qid)
            follow_ups = []
            for f in qrow.get("follow_ups") or []:
                if isinstance(f, str):
                    follow_ups.append(FollowUp(f.strip()))
                elif isinstance(f, Mapping):
                    follow_ups.append(FollowUp(_text(f, "text"), _category(f, known_categories) if "category" in f else None))
                else:
                    raise _fail(qrow, "a follow-up is text, or 'text' with an optional 'category'")
            bands_rows = qrow.get("band_follow_ups") or {}
            if not isinstance(bands_rows, Mapping):
                raise _fail(qrow, f"'band_follow_ups' maps {', '.join(BAND_KEYS)} to lists of questions")
            band_follow_ups = {}
            for band, texts in bands_rows.items():
                if band == "__line__":
                    continue
                if str(band) not in BAND_KEYS or not isinstance(texts, list):
                    raise _fail(bands_rows, f"band follow-ups are keyed {', '.join(BAND_KEYS)}, each a list of questions")
                band_follow_ups[str(band)] = [str(t).strip() for t in texts]
            questions.append(GuideQuestion(qid, _text(qrow, "text"), _category(qrow, known_categories),
                                           follow_ups, band_follow_ups))
        sections.append(GuideSection(_text(srow, "title"), questions))
    return Guide(str(data.get("title") or "Interview guide"), sections, bands,
                 list(dict.fromkeys(" ".join(n.split()) for n in names if n.strip())))


def to_yaml(guide: Guide) -> str:
    """The guide as the plain file (`parse_guide(to_yaml(g)) == g`)."""
    def question(q: GuideQuestion) -> dict[str, Any]:
        row: dict[str, Any] = {"id": q.id, "text": q.text, "category": q.category}
        if q.follow_ups:
            row["follow_ups"] = [f.text if f.category is None else {"text": f.text, "category": f.category}
                                 for f in q.follow_ups]
        if q.band_follow_ups:
            row["band_follow_ups"] = {b: list(t) for b, t in q.band_follow_ups.items()}
        return row

    # `names` is written even when empty, so a researcher editing the exported file sees where the
    # product and competitor names go.
    doc: dict[str, Any] = {"title": guide.title, "nps_bands": guide.nps_bands, "names": list(guide.names)}
    doc |= {"sections": [{"title": s.title, "questions": [question(q) for q in s.questions]} for s in guide.sections]}
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def default_text() -> str:
    return resources.files("interview_miner").joinpath("data/default_guide.yaml").read_text(encoding="utf-8")


def default_guide() -> Guide:
    return parse_guide(default_text())


# ---------------------------------------------------------------------------------------------
# The study's copy
# ---------------------------------------------------------------------------------------------


def guide_path(store: Store) -> Path | None:
    """Where the study keeps its guide (`study.guide.yaml` beside `study.db`); None for a study
    held in memory."""
    return None if store.path == ":memory:" else Path(store.path).with_suffix(".guide.yaml")


def load(store: Store) -> Guide:
    """The study's guide: its file when there is one, else the bundled default. A file edited by
    hand into something that does not parse raises CodebookFileError naming the line."""
    path = guide_path(store)
    if path is None or not path.is_file():
        return default_guide()
    return parse_guide(path.read_text(encoding="utf-8"))


def save_text(store: Store, text: str) -> Guide:
    """Make `text` the study's guide (checked against the study's codebook first: nothing is
    written when it is refused). Returns the parsed guide."""
    from . import codebook

    guide = parse_guide(text, set(codebook.load(store).keys))
    path = guide_path(store)
    if path is None:
        raise CodebookFileError("this study is held in memory; open a study file to keep its own guide")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(to_yaml(guide), encoding="utf-8")
    tmp.replace(path)
    return guide



# ---------------------------------------------------------------------------------------------
# Printable
# ---------------------------------------------------------------------------------------------


def to_markdown(guide: Guide, titles: Mapping[str, str] | None = None) -> str:
    """The guide to print and take into an interview: numbered questions, follow-ups indented,
    and the category each collects in small print."""
    titles = titles or {}
    lines = [f"# {guide.title}", ""]
    n = 0
    for section in guide.sections:
        lines += [f"## {section.title}", ""]
        for q in section.questions:
            n += 1
            lines.append(f"{n}. **{q.text}**  _({titles.get(q.category, q.category)})_")
            for f in q.follow_ups:
                lines.append(f"    - {f.text}")
            for band, texts in q.band_follow_ups.items():
                lines.append(f"    - If {band}: " + " ".join(texts))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_pdf(guide: Guide, titles: Mapping[str, str] | None = None) -> bytes:
    """The printable guide as A4 PDF, with the report's fonts."""
    from .export.pdf import ACCENT, MUTED, _Report

    titles = titles or {}
    pdf = _Report(guide.title)
    pdf.add_page()
    pdf.heading(guide.title, 18)
    n = 0
    for section in guide.sections:
        pdf.ln(2)
        pdf.heading(section.title, 13)
        for q in section.questions:
            n += 1
            pdf.para(f"{n}. {q.text}", 11, "B")
            pdf.para(titles.get(q.category, q.category), 8, "I", color=MUTED)
            for f in q.follow_ups:
                pdf.para(f"   - {f.text}", 10)
            for band, texts in q.band_follow_ups.items():
                pdf.para(f"   - If {band}: " + " ".join(texts), 10, color=ACCENT)
            pdf.ln(1)
    return bytes(pdf.output())
