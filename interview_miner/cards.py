"""One-page persona cards: a designed A4 page per persona, as PDF, PNG or one PDF deck.

The card is what a team pins on the wall, so it is laid out in fixed boxes and every text is
fitted to its box: wrapped at words, and when it still does not fit, shortened at a word boundary
with an ellipsis, never clipped or run over the edge. Each drawn line is recorded
(`CardPDF.drawn`) with the width of its box, so tests can check nothing overflows.

Content (from `canvas.Canvas`): photo or a generated avatar (initials on a colour derived from the
persona id, so it is stable and different per persona), name, role and decision role, the facts
headline, a one-line story, the top claims with "k of n participants", 3-4 key quotes with time
and interview, the NPS band, the facts from metadata, the team's "how we help" text and the
evidence count against the 8-12 interviews the method asks.

PDF with fpdf2 (already the report's writer; fonts as in `export.pdf`); PNG by rendering that PDF
page with pypdfium2 (PDFium's renderer), so the PNG is exactly the PDF.
"""
from __future__ import annotations

import colorsys
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .canvas import Canvas, QuoteRef, build_canvas
from .export.pdf import ACCENT, FIXED_DATE, INK, LINE, MUTED, NPS_COLORS, SOFT, _avatar_bytes, _Report
from .export.study import GENERATED_BY, Study

ELLIPSIS = "…"
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 14.0
PNG_DPI = 150
MAX_CLAIMS = 8
MAX_QUOTES = 4
RIGHT_COLUMN_END = 215.0  # mm: below this the key quotes need the full width
FOOTER_Y = PAGE_H - 12
CLAIM_FIELDS_SKIPPED = ("frustrations",)  # summarises triggers + objections: its themes repeat
BAND_COLORS = {"promoters": NPS_COLORS["promoters"], "passives": NPS_COLORS["passives"],
               "detractors": NPS_COLORS["detractors"]}


@dataclass
class DrawnLine:
    text: str
    box_width: float  # mm available
    width: float  # mm the text takes in its font
    bottom: float = 0.0  # mm from the top of the page where the line ends


class CardPDF(_Report):
    """The report's FPDF (fonts, text cleaning) without its page footer, plus fitted text."""

    def __init__(self, title: str, unicode_font: bool = True):
        super().__init__(title, unicode_font)
        self.set_auto_page_break(False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.drawn: list[DrawnLine] = []

    def footer(self) -> None:  # the card draws its own
        pass

    def fit(self, text: str, width: float, max_lines: int) -> list[str]:
        """`text` wrapped to `width` (current font) in at most `max_lines` lines; the last one
        shortened at a word with an ellipsis when the text does not fit."""
        words = self.clean(text).split()
        lines: list[str] = []
        current = ""
        for word in words:
            while self.get_string_width(word) > width:  # a word wider than the box: break it
                cut = len(word)
                while cut > 1 and self.get_string_width(word[:cut] + "-") > width:
                    cut -= 1
                if current:
                    lines.append(current)
                    current = ""
                lines.append(word[:cut] + "-")
                word = word[cut:]
            trial = f"{current} {word}".strip()
            if self.get_string_width(trial) <= width:
                current = trial
            else:
                lines.append(current)
                current = word
        if current:
            lines.append(current)
        if len(lines) <= max_lines:
            return lines
        kept = lines[:max_lines]
        rest = " ".join(lines[max_lines - 1:]).split()
        ell = self.clean(ELLIPSIS)
        last = ""
        for word in rest:
            trial = f"{last} {word}".strip()
            if self.get_string_width(trial + ell) > width:
                break
            last = trial
        kept[-1] = last.rstrip(" ,;:.-–") + ell
        return kept

    def text_box(self, x: float, y: float, w: float, text: str, size: float, style: str = "",
                 color=INK, max_lines: int = 1, lh: float | None = None, align: str = "L") -> float:
        """Draw fitted text at (x, y) in a box `w` wide; returns the y below it."""
        if not str(text or "").strip():
            return y
        self.font(size, style, color)
        lh = lh or size * 0.45
        room = w - 2 * self.c_margin  # a cell pads its text by c_margin on each side
        for line in self.fit(text, room, max_lines):
            self.drawn.append(DrawnLine(line, room, self.get_string_width(line), y + lh))
            self.set_xy(x, y)
            self.cell(w, lh, line, align=align)
            y += lh
        return y

    def section_title(self, x: float, y: float, w: float, text: str) -> float:
        y = self.text_box(x, y, w, text.upper(), 8.5, "B", MUTED, lh=4.5)
        self.set_draw_color(*LINE)
        self.set_line_width(0.3)
        self.line(x, y + 0.6, x + w, y + 0.6)
        return y + 2.6


def avatar_colour(persona_id: str) -> tuple[int, int, int]:
    """A calm colour from the persona id: the same persona always gets the same colour."""
    hue = int(hashlib.sha1(persona_id.encode()).hexdigest()[:6], 16) / 0xFFFFFF
    r, g, b = colorsys.hsv_to_rgb(hue, 0.45, 0.72)
    return int(r * 255), int(g * 255), int(b * 255)


def initials(name: str) -> str:
    """'Time-poor practice manager' -> 'TP'; up to two letters."""
    words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
    return "".join(w[0] for w in words[:2]).upper() or "?"


def _avatar(pdf: CardPDF, c: Canvas, x: float, y: float, size: float) -> None:
    photo = _avatar_bytes(c.avatar)
    if photo:
        try:
            pdf.image(io.BytesIO(photo), x=x, y=y, w=size, h=size, keep_aspect_ratio=True)
            pdf.set_draw_color(255, 255, 255)
            pdf.set_line_width(1.2)
            pdf.rect(x, y, size, size)
            return
        except Exception:  # a broken upload falls back to the generated avatar, never a lost card
            pass
    pdf.set_fill_color(*avatar_colour(c.persona_id))
    pdf.ellipse(x, y, size, size, style="F")
    pdf.font(size * 1.1, "B", (255, 255, 255))
    pdf.set_xy(x, y + size / 2 - size * 0.22)
    pdf.cell(size, size * 0.44, pdf.clean(initials(c.name)), align="C")


@dataclass
class TopClaim:
    title: str
    label: str
    k: int
    n: int


def top_claims(c: Canvas, limit: int = MAX_CLAIMS) -> list[TopClaim]:
    """The persona's strongest themes across its claims, most participants first; a field the
    researcher wrote by hand (text, no themes) counts with its own participant count."""
    out: list[TopClaim] = []
    seen: set[str] = set()
    for rank, claim in enumerate(c.claims):
        if claim.field in CLAIM_FIELDS_SKIPPED or claim.field == "nps":
            continue
        if claim.themes:
            for t in claim.themes[:2]:
                if t.label.casefold() not in seen:
                    seen.add(t.label.casefold())
                    out.append(TopClaim(claim.title, t.label, t.k, t.n))
        elif claim.text.strip():
            out.append(TopClaim(claim.title, claim.text, claim.n_participants, claim.n_members))
    order = {id(x): i for i, x in enumerate(out)}
    return sorted(out, key=lambda x: (-(x.k / x.n if x.n else 0), order[id(x)]))[:limit]


def key_quotes(c: Canvas, limit: int = MAX_QUOTES) -> list[QuoteRef]:
    """One quote per top theme, different participants first, up to `limit`."""
    pool = [q for claim in c.claims if claim.field not in CLAIM_FIELDS_SKIPPED
            for t in sorted(claim.themes, key=lambda t: -t.k) for q in t.quotes[:1]]
    pool += [q for claim in c.claims for q in claim.quotes]
    chosen: list[QuoteRef] = []
    for pass_ in (0, 1):
        for q in pool:
            if len(chosen) >= limit or any(q.id == x.id for x in chosen):
                continue
            if pass_ == 0 and any(q.participant == x.participant for x in chosen):
                continue
            chosen.append(q)
    return chosen


def draw_card(pdf: CardPDF, c: Canvas, study_title: str = "") -> None:
    """Lay out one persona on a new A4 page."""
    pdf.add_page()
    inner = PAGE_W - 2 * MARGIN
    # --- header band ---------------------------------------------------------------------------
    band_h = 64.0
    pdf.set_fill_color(*SOFT)
    pdf.rect(0, 0, PAGE_W, band_h, style="F")
    pdf.set_fill_color(*avatar_colour(c.persona_id))
    pdf.rect(0, band_h - 1.6, PAGE_W, 1.6, style="F")
    _avatar(pdf, c, MARGIN, 13, 38)
    tx, tw = MARGIN + 46, inner - 46
    y = pdf.text_box(tx, 11, tw, c.name, 21, "B", INK, max_lines=2, lh=9)
    decision = f" · {c.decision_role.capitalize()}" if c.decision_role else ""
    pdf.font(11.5, "B")
    role_w = tw - (pdf.get_string_width(decision) + 1 if decision else 0)
    pdf.text_box(tx, y + 1, role_w, c.role or "Role not known yet", 11.5, "B", ACCENT if c.role else MUTED, lh=6)
    if decision:  # the decision role is never the part cut off
        shown = 2 * pdf.c_margin + (pdf.drawn[-1].width if c.role else
                                    pdf.get_string_width(pdf.clean("Role not known yet")))
        pdf.text_box(tx + shown - pdf.c_margin, y + 1, tw - shown, decision, 11.5, "B", INK, lh=6)
    y += 7
    if headline := _headline_under_role(c):
        y = pdf.text_box(tx, y, tw, headline, 9.5, "", MUTED, lh=5)
    story = c.story or "No story yet: write one line on who this is in the app or with `personas set`."
    # no quotation marks: the story is the persona's summary (machine-written until edited), and
    # on a card, marks say "a participant said this", which only the quotes below may claim
    pdf.text_box(tx, y + 1.5, tw, story, 11 if c.story else 9.5, "I",
                 INK if c.story else MUTED, max_lines=2, lh=5.6)
    # --- left column: top claims ---------------------------------------------------------------
    top, col_gap = band_h + 8, 8.0
    lw = inner * 0.6
    rx, rw = MARGIN + lw + col_gap, inner - lw - col_gap
    y = pdf.section_title(MARGIN, top, lw, "What they said (participants behind each claim)")
    claims = top_claims(c)
    if not claims:
        y = pdf.text_box(MARGIN, y + 1, lw, "No themed claims yet: mine the interviews and suggest personas.",
                         9.5, "I", MUTED, max_lines=2, lh=5)
    for tc in claims:
        y = pdf.text_box(MARGIN, y + 1.2, lw, tc.title, 7.5, "B", MUTED, lh=3.8)
        y = pdf.text_box(MARGIN, y, lw - 28, tc.label, 10.5, "B", INK, max_lines=2, lh=5)
        _share_bar(pdf, MARGIN + lw - 26, y - 4.2, 26, tc.k, tc.n)
    # --- right column: NPS, facts, evidence ----------------------------------------------------
    ry = pdf.section_title(rx, top, rw, "Recommendation (NPS)")
    ry = _nps_block(pdf, c, rx, ry + 1, rw)
    ry = pdf.section_title(rx, ry + 4, rw, "Who they are")
    facts = [f for f in c.facts if f.name not in ("role", "decision_role")]
    said = next((f.quotes[0] for f in c.facts if f.name == "role" and f.quotes), None)
    if said is not None:  # the role above, in a member's own words (nobody typed it in)
        ry = pdf.text_box(rx, ry + 1, rw, f"“{said.text}” ({said.participant}, {said.timestamp})", 8.5, "I", INK,
                          max_lines=3, lh=4.4)
    if not facts:
        ry = pdf.text_box(rx, ry + 1, rw, f"No {'other ' if said else ''}interview details yet (add them with the "
                          "interview, e.g. company size, industry).", 8.5, "I", MUTED, max_lines=3, lh=4.4)
    for f in facts:
        if ry > RIGHT_COLUMN_END - 60:  # keep room for the team's text and the evidence
            break
        ry = pdf.text_box(rx, ry + 0.8, rw, f.title, 7.5, "B", MUTED, lh=3.8)
        ry = pdf.text_box(rx, ry, rw, f"{f.text} ({f.known_for})", 9.5, "", INK,
                          max_lines=3, lh=4.6)
    help_text = next((cl.team_text for cl in c.claims if cl.field == "goals" and cl.team_text), "")
    if help_text:
        ry = pdf.section_title(rx, ry + 4, rw, "How we help")
        room = int((RIGHT_COLUMN_END - 20 - ry) // 4.6)
        ry = pdf.text_box(rx, ry + 0.5, rw, help_text, 9.5, "", INK, max_lines=max(2, min(5, room)), lh=4.6)
    ry = pdf.section_title(rx, ry + 4, rw, "Evidence")
    cov = c.coverage
    need = (f"{cov.more_needed} more needed" if cov.more_needed else "enough for the method")
    ry = pdf.text_box(rx, ry + 0.5, rw, f"{cov.n_interviews} interview{'s' if cov.n_interviews != 1 else ''} "
                      f"(method: {cov.wanted[0]}-{cov.wanted[1]}), {need}", 9, "", INK, max_lines=2, lh=4.6)
    # --- bottom: key quotes -------------------------------------------------------------------
    qy = max(y, ry) + 8
    footer_y = FOOTER_Y
    quotes = key_quotes(c)
    cols, one_line_row = 2, 4.9 + 8 + 5
    fit_rows = int((footer_y - 3 - (qy + 7)) // one_line_row)  # rows of at least one line that fit
    quotes = quotes[: max(0, fit_rows) * cols]
    if not quotes and fit_rows <= 0:  # no room left: leave the quotes to the report, never overflow
        _footer(pdf, study_title, inner, footer_y)
        return
    qy = pdf.section_title(MARGIN, qy, inner, "In their words")
    if not quotes:
        pdf.text_box(MARGIN, qy + 1, inner, "No quotes behind this persona yet.", 9.5, "I", MUTED, lh=5)
    else:
        box_w = (inner - 6) / cols
        rows = (len(quotes) + cols - 1) // cols
        most_lines = max(1, int(((footer_y - 4 - qy) / rows - 4 - 11) // 4.9))
        pdf.font(10, "I")
        needed = [len(pdf.fit(f"“{q.text}”", box_w - 5 - 2 * pdf.c_margin, most_lines)) for q in quotes]
        for r in range(rows):
            lines = max(needed[r * cols:(r + 1) * cols])
            box_h = lines * 4.9 + 8
            for i, q in enumerate(quotes[r * cols:(r + 1) * cols]):
                bx = MARGIN + i * (box_w + 6)
                pdf.set_fill_color(*avatar_colour(c.persona_id))
                pdf.rect(bx, qy + 1, 1.2, box_h, style="F")
                pdf.text_box(bx + 4, qy + 1.5, box_w - 5, f"“{q.text}”", 10, "I", INK, max_lines=lines, lh=4.9)
                pdf.text_box(bx + 4, qy + box_h - 4.5, box_w - 5,
                             # a participant without a name is shown by file name: once, not twice
                             " · ".join(dict.fromkeys([q.timestamp, q.participant, q.file_name])), 7.8, "", MUTED, lh=4)
            qy += box_h + 5
    _footer(pdf, study_title, inner, footer_y)


def _headline_under_role(c: Canvas) -> str:
    """The canvas headline under the role line, without saying the role twice: "Physiotherapist,
    chiropractor, 2 of 3" under "Physiotherapist, chiropractor" reads "Role of 2 of 3 participants".

    >>> from types import SimpleNamespace as C
    >>> _headline_under_role(C(role="Manager", headline="Manager, 5-20 staff, 2 of 3"))
    'Manager, 5-20 staff, 2 of 3'
    >>> _headline_under_role(C(role="Manager", headline="Manager, 2 of 3"))
    'Role of 2 of 3 participants'
    >>> _headline_under_role(C(role="Owner (1 of 6)", headline="Owner, 1 of 6"))  # the role line says it
    ''
    """
    role = re.sub(r"\s*\((\d+ of \d+)\)$", "", c.role or "")
    rest = c.headline[len(role) + 2:] if role and c.headline.startswith(role + ", ") else ""
    if re.fullmatch(r"\d+ of \d+", rest):
        return "" if (c.role or "").endswith(f"({rest})") else f"Role of {rest} participants"
    return c.headline


def _footer(pdf: CardPDF, study_title: str, inner: float, y: float) -> None:
    pdf.text_box(MARGIN, y, inner, f"Persona card · {study_title + ' · ' if study_title else ''}"
                 f"{GENERATED_BY} · every claim backed by the participants' own words", 7, "", MUTED, lh=4,
                 align="C")


def _share_bar(pdf: CardPDF, x: float, y: float, w: float, k: int, n: int) -> None:
    share = k / n if n else 0.0
    pdf.set_fill_color(*LINE)
    pdf.rect(x, y + 3.2, w, 1.6, style="F")
    pdf.set_fill_color(*ACCENT)
    if share:
        pdf.rect(x, y + 3.2, w * share, 1.6, style="F")
    pdf.text_box(x, y - 0.8, w, f"{k} of {n}", 8, "B", ACCENT, lh=3.8, align="R")


def _nps_block(pdf: CardPDF, c: Canvas, x: float, y: float, w: float) -> float:
    n = c.nps
    if not n.get("n"):
        return pdf.text_box(x, y, w, "No NPS scores yet", 9.5, "I", MUTED, lh=5)
    color = BAND_COLORS.get(n["band"], MUTED)
    pdf.set_fill_color(*color)
    pdf.rect(x, y, w, 13, style="F")
    pdf.text_box(x + 3, y + 1.6, w - 6, f"NPS {n['nps']:+d}", 16, "B", (255, 255, 255), lh=7)
    pdf.text_box(x + 3, y + 7.8, w - 6, f"mostly {n['band']} · mean {n['mean']}", 8, "", (255, 255, 255), lh=4)
    return pdf.text_box(x, y + 14.5, w, f"{_count(n['promoters'], 'promoter')} · {_count(n['passives'], 'passive')} · "
                        f"{_count(n['detractors'], 'detractor')} ({n['n']} of {c.n_members} scored)", 7.8, "", MUTED,
                        max_lines=2, lh=4)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def render_pdf(canvases: Sequence[Canvas], study_title: str = "", unicode_font: bool = True) -> CardPDF:
    """A laid-out PDF with one card page per canvas (kept as the FPDF, so tests read `drawn`)."""
    pdf = CardPDF(f"Persona cards · {study_title}" if study_title else "Persona cards", unicode_font)
    pdf.set_creation_date(FIXED_DATE)
    for c in canvases:
        draw_card(pdf, c, study_title)
    return pdf


def cards_pdf(canvases: Sequence[Canvas], study_title: str = "") -> bytes:
    """PDF bytes: one page per persona (one persona: a card; all: the deck)."""
    if not canvases:
        raise ValueError("no personas to put on a card")
    return bytes(render_pdf(canvases, study_title).output())


def pdf_page_png(pdf_bytes: bytes, page: int = 0, dpi: int = PNG_DPI) -> bytes:
    """One PDF page as PNG bytes (A4 at 150 dpi: 1241 x 1754 pixels)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        bitmap = doc[page].render(scale=dpi / 72)
        buf = io.BytesIO()
        bitmap.to_pil().save(buf, format="PNG")
        return buf.getvalue()
    finally:
        doc.close()


def card_png(canvas: Canvas, study_title: str = "", dpi: int = PNG_DPI) -> bytes:
    return pdf_page_png(cards_pdf([canvas], study_title), 0, dpi)


def persona_canvases(study: Study, persona_ids: Sequence[str] | None = None) -> list[Canvas]:
    """Canvases of the given personas (all when None), in the study's persona order; KeyError
    naming an unknown id."""
    by_id = {p.id: p for p in study.personas}
    ids = list(by_id) if persona_ids is None else list(persona_ids)
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise KeyError(f"no persona with id {', '.join(missing)} (ids: {', '.join(by_id) or 'none yet'})")
    return [build_canvas(study, by_id[i], study.metadata_keys) for i in ids]
