"""The study report as PDF (fpdf2, pure Python): the same content as the HTML report, laid out
for A4 paper.

Fonts: DejaVu Sans (full Unicode for Latin, Greek, Cyrillic...) when it can be found on this
machine (system font folders, or the copy matplotlib bundles); otherwise the PDF core font
Helvetica, with text reduced to Latin-1. Characters the chosen font has no glyph for are replaced
by "?" rather than silently dropped. A report with Chinese, Japanese or Korean text adds Noto Sans
CJK (from the `noto-cjk-sans-otc` package; face by the study's language: SC, TC, JP or KR) as a
fallback font, so those characters are drawn instead of boxes. The creation date is fixed, so the same study gives the same
bytes.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import importlib.util
import io
import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.prefs import ViewerPreferences

from .method import write_pdf_sections
from .study import Study, report_context

FIXED_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
    "/usr/share/fonts/dejavu-sans-fonts", "/usr/local/share/fonts", "/Library/Fonts",
    os.path.expanduser("~/Library/Fonts"), os.path.expanduser("~/.fonts"),
)
_STYLES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
           "BI": "DejaVuSans-BoldOblique.ttf"}
_ASCII = {"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "...", "•": "-",
          "★": "*", "→": "->", "·": "-", "−": "-", "\u00a0": " "}

INK = (29, 36, 48)
MUTED = (93, 103, 120)
ACCENT = (47, 91, 211)
LINE = (223, 227, 234)
SOFT = (238, 242, 251)
# The HTML report's colours (#1d7a49, #876400, #b5412c): white labels on them meet WCAG AA (4.5:1).
NPS_COLORS = {"promoters": (29, 122, 73), "passives": (135, 100, 0), "detractors": (181, 65, 44)}


def find_unicode_font() -> dict[str, str] | None:
    """Paths of DejaVu Sans regular/bold/oblique/bold-oblique, or None."""
    dirs = list(_FONT_DIRS)
    spec = importlib.util.find_spec("matplotlib")
    if spec and spec.origin:
        dirs.append(str(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"))
    for d in dirs:
        paths = {style: Path(d) / name for style, name in _STYLES.items()}
        if all(p.is_file() for p in paths.values()):
            return {style: str(p) for style, p in paths.items()}
    return None


_CJK = re.compile(r"[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
# Faces of NotoSansCJK-Regular.ttc: which one draws a language's glyph variants.
_CJK_FACES = {"ja": 0, "ko": 1, "zh": 2, "zh-cn": 2, "zh-hans": 2, "zh-tw": 3, "zh-hant": 3, "zh-hk": 4}


def find_cjk_font() -> str | None:
    """Noto Sans CJK (regular, all five regional faces) from the noto-cjk-sans-otc package, or None."""
    try:
        from noto_cjk_sans_otc import FONT_PATH
    except ImportError:
        return None
    path = Path(str(FONT_PATH))
    return str(path) if path.is_file() else None


def needs_cjk(*texts: str) -> bool:
    return any(_CJK.search(t or "") for t in texts)


class _Report(FPDF):
    def __init__(self, title: str, unicode_font: bool = True, lang: str = "en", cjk: bool = False):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report_title = title
        # What fpdf2 offers for accessibility: the document language, the title shown instead of
        # the file name, bookmarks for every section and persona, alt text on images (a /Figure
        # in the structure tree). It does not tag paragraphs or tables, so the PDF is not PDF/UA.
        self.set_lang(lang)
        self.viewer_preferences = ViewerPreferences(display_doc_title=True)
        self.set_margins(16, 16, 16)
        self.set_auto_page_break(True, margin=18)
        self.set_creation_date(FIXED_DATE)
        self.set_title(title)
        self.set_creator("interview-miner")
        fonts = find_unicode_font() if unicode_font else None
        if fonts:
            for style, path in fonts.items():
                self.add_font("Body", style, path)
            self.family = "Body"
        else:
            self.family = "Helvetica"
        self.unicode = fonts is not None
        self.fallback_cmaps: list[dict] = []
        cjk_path = find_cjk_font() if (cjk and self.unicode) else None
        if cjk_path:
            face = _CJK_FACES.get(lang.lower(), _CJK_FACES.get(lang.lower().split("-")[0], 2))
            for style in ("", "B"):  # the collection has no bold: the regular face stands in
                self.add_font("CJK", style, cjk_path, collection_font_number=face)
            self.set_fallback_fonts(["CJK"], exact_match=False)
            self.fallback_cmaps.append(self.fonts["cjk"].cmap)

    # text that the current font can draw
    def clean(self, value: Any) -> str:
        text = " ".join(str("" if value is None else value).split())
        if not self.unicode:
            text = "".join(_ASCII.get(c, c) for c in unicodedata.normalize("NFC", text))
            return text.encode("latin-1", "replace").decode("latin-1")
        cmaps = [getattr(self.current_font, "cmap", None) or {}, *self.fallback_cmaps]
        return "".join(c if c == " " or any(ord(c) in m for m in cmaps) else _ASCII.get(c, "?") for c in text)

    def footer(self) -> None:
        self.set_y(-12)
        self.font(8, color=MUTED)
        self.cell(0, 6, self.clean(f"{self.report_title} · page {self.page_no()}/{{nb}}"), align="C")

    def font(self, size: float, style: str = "", color: tuple[int, int, int] = INK) -> None:
        self.set_font(self.family, style, size)
        self.set_text_color(*color)

    def para(self, text: Any, size: float = 10, style: str = "", color=INK, h: float | None = None,
             indent: float = 0, align: str = "L") -> None:
        self.font(size, style, color)
        self.set_x(self.l_margin + indent)
        self.multi_cell(self.epw - indent, h or size * 0.5, self.clean(text), align=align,
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str, size: float = 15) -> None:
        if self.get_y() > self.h - 45:
            self.add_page()
        self.start_section(self.clean(text), level=0)
        self.ln(4)
        self.para(text, size, "B", h=size * 0.5)
        y = self.get_y() + 0.5
        self.set_draw_color(*INK)
        self.set_line_width(0.5)
        self.line(self.l_margin, y, self.w - self.r_margin, y)
        self.ln(3)

    def quote(self, q: dict[str, Any], indent: float = 6) -> None:
        if self.get_y() > self.h - 30:
            self.add_page()
        page, y0 = self.page_no(), self.get_y()
        self.para(f"“{q['text']}”", 9.5, "I", INK, h=4.6, indent=indent + 2)
        self.para(f"{q['participant']} · {q['timestamp']}" + (" ★ starred" if q.get("starred") else ""),
                  8, "", MUTED, h=4, indent=indent + 2)
        if self.page_no() == page:
            self.set_fill_color(*LINE)
            self.rect(self.l_margin + indent, y0 + 0.5, 0.9, self.get_y() - y0 - 1, style="F")
        self.ln(1.2)

    def nps_bar(self, n: dict[str, Any], width: float = 110, height: float = 6) -> None:
        total = n["n"] or 1
        x, y = self.l_margin, self.get_y() + 1
        self.font(8, "B", (255, 255, 255))
        for key in ("promoters", "passives", "detractors"):
            if not n[key]:
                continue
            w = width * n[key] / total
            self.set_fill_color(*NPS_COLORS[key])
            self.rect(x, y, w, height, style="F")
            self.set_xy(x, y)
            self.cell(w, height, str(n[key]), align="C")
            x += w
        self.set_xy(self.l_margin, y + height + 1)
        self.para(f"Promoters {n['promoters']} · passives {n['passives']} · detractors {n['detractors']}",
                  8, "", MUTED, h=4)


def to_pdf(study: Study, unicode_font: bool = True) -> bytes:
    """The report as PDF bytes. `unicode_font=False` forces the Latin-1 core font (what a machine
    without DejaVu Sans gets)."""
    ctx = report_context(study)
    pdf = _Report(ctx["title"], unicode_font, ctx["lang"], cjk=needs_cjk(json.dumps(ctx, default=str, ensure_ascii=False)))
    pdf.add_page()
    s = ctx["summary"]
    pdf.para(ctx["title"], 22, "B", h=11)
    pdf.para(s["line"], 10.5, "", MUTED, h=5.5)

    pdf.heading("Personas")
    if not ctx["personas"]:
        pdf.para("No personas yet: suggest personas after mining.", 10, "I", MUTED)
    for i, p in enumerate(ctx["personas"]):
        if i:
            pdf.add_page()
        _persona(pdf, p)

    pdf.heading("Net Promoter Score")
    n = ctx["nps"]
    if n["n"]:
        pdf.para(f"NPS {n['nps']:+d} from {n['n']} scores (mean {n['mean']})", 13, "B", h=7)
        pdf.nps_bar(n)
        pdf.ln(2)
        pdf.font(9)
        pdf.set_draw_color(*LINE)
        pdf.set_fill_color(255, 255, 255)  # the bar above left its last colour as the fill: rows took it
        with pdf.table(col_widths=(40, 14, 24, 100), text_align=("LEFT", "RIGHT", "LEFT", "LEFT"),
                       line_height=5, first_row_as_headings=True, cell_fill_color=SOFT, cell_fill_mode="ROWS",
                       headings_style=_heading_style(pdf)) as table:
            row = table.row()
            for h in ("Participant", "Score", "Class", "In their words"):
                row.cell(h)
            for r in n["rows"]:
                row = table.row()
                row.cell(pdf.clean(r["participant"]))
                row.cell(str(r["score"]))
                row.cell(pdf.clean(r["klass"]))
                q = r["quote"]
                note = " The score is not in these words: heard again in the audio, or set after listening." \
                    if q and r["not_in_words"] else ""
                row.cell(pdf.clean(f"“{q['text']}” ({q['timestamp']}){note}" if q else ""))
            for r in n["unscored"]:
                row = table.row()
                for cell in (r["participant"], "–", "listen to confirm",
                             f"{r['why']}: the answer is at {r['listen_at']}"):
                    row.cell(pdf.clean(cell))
        if n["reasons"]:
            pdf.para("Reasons given", 11.5, "B", h=7)
            for t in n["reasons"]:
                _theme(pdf, t)
    else:
        listen = ", ".join(f"{r['participant']} at {r['listen_at']}"
                           + (f" (the audio suggests {r['suggested']})" if r.get("suggested") is not None else "")
                           for r in n["unscored"])
        pdf.para("No NPS scores found." + (f" Listen to confirm: {listen}." if listen else ""), 10, "I", MUTED)

    write_pdf_sections(pdf, ctx["method"])

    pdf.heading("Themes by category")
    if not ctx["categories"]:
        pdf.para("No quotes yet.", 10, "I", MUTED)
    for c in ctx["categories"]:
        pdf.ln(1)
        extra = f", {c['n_unthemed']} unthemed" if c["n_unthemed"] else ""
        pdf.para(f"{c['title']}  ({c['n_quotes']} quotes, {len(c['themes'])} themes{extra})", 12, "B", h=7)
        for t in c["themes"]:
            _theme(pdf, t)

    pdf.heading("Interviews")
    pdf.font(9)
    with pdf.table(col_widths=(10, 45, 65, 20, 18, 14), line_height=5,
                   text_align=("RIGHT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
                   headings_style=_heading_style(pdf)) as table:
        row = table.row()
        for h in ("#", "Participant", "File", "Length", "Quotes", "NPS"):
            row.cell(h)
        for it in ctx["interviews"]:
            row = table.row()
            for v in (it["id"], it["participant"], it["file_name"], it["duration"], it["n_quotes"],
                      "" if it["nps"] is None else it["nps"]):
                row.cell(pdf.clean(v))
    pdf.ln(4)
    pdf.para(f"Generated by {ctx['generated_by']}. Every claim lists its supporting quotes with the "
             "participant and the time (mm:ss) in the recording.", 8, "", MUTED, h=4)
    return bytes(pdf.output())


def _heading_style(pdf: _Report):
    from fpdf.fonts import FontFace

    return FontFace(family=pdf.family, emphasis="BOLD", color=MUTED, fill_color=(245, 247, 250))


def _persona(pdf: _Report, p: dict[str, Any]) -> None:
    y0 = pdf.get_y()
    pdf.set_fill_color(*SOFT)
    pdf.set_draw_color(*LINE)
    # header band: name, role, members, demographics (height measured by a dry run)
    lines = [(p["name"], 15, "B", INK, 7.5)]
    if p.get("role_line"):
        lines.append((p["role_line"], 10.5, "B", ACCENT, 5.5))
    if p.get("role_said_text"):
        lines.append((p["role_said_text"], 8.5, "", MUTED, 4.4))
    members = f"{p['n_participants']} participant{'s' if p['n_participants'] != 1 else ''}"
    if p["participants"]:
        members += ": " + ", ".join(p["participants"])
    lines.append((members, 9, "", MUTED, 4.6))
    if p["demographics"]:
        lines.append((p["demographics"], 8.5, "", MUTED, 4.4))
    height = 6
    for text, size, style, _, h in lines:
        pdf.font(size, style)
        height += len(pdf.multi_cell(pdf.epw - 30, h, pdf.clean(text), dry_run=True, output="LINES")) * h
    avatar = _avatar_bytes(p["avatar"])
    indent = 26 if avatar else 4
    if avatar:
        height = max(height, 26)
    if y0 + height > pdf.h - 40:
        pdf.add_page()
        y0 = pdf.get_y()
    pdf.start_section(pdf.clean(p["name"]) or "Persona", level=1)
    pdf.rect(pdf.l_margin, y0, pdf.epw, height, style="DF")
    if avatar:
        try:
            pdf.image(io.BytesIO(avatar), x=pdf.l_margin + 4, y=y0 + 4, w=18, h=18,
                      alt_text=pdf.clean(f"Picture for the persona {p['name']}"))
        except Exception:  # a broken upload must not cost the researcher the whole PDF
            indent = 4
    pdf.set_y(y0 + 3)
    for text, size, style, color, h in lines:
        pdf.para(text, size, style, color, h=h, indent=indent)
    pdf.set_y(y0 + height + 3)
    if p["description"]:
        pdf.para(p["description"], 10, "", INK, h=5.2)
    if p["nps"] and p["nps"]["n"]:
        pdf.ln(1)
        pdf.para(f"NPS {p['nps']['nps']:+d} · mean {p['nps']['mean']} · {p['nps']['n']} of "
                 f"{p['n_participants']} scored", 9.5, "B", MUTED, h=5)
        pdf.nps_bar(p["nps"], width=80, height=5)
    for f in p["fields"]:
        if pdf.get_y() > pdf.h - 40:
            pdf.add_page()
        pdf.ln(2)
        pdf.para(f"{f['title'].upper()}   voiced by {f['n_participants']} of {f['of']}", 9, "B", MUTED, h=5)
        if f["summary"]:
            pdf.para(f["summary"], 10, "", INK, h=5)
        for c in f["claims"]:
            if c["see"]:
                pdf.para(f"• {c['label']} ({c['count']} of {c['of']}), quotes under {c['see']}", 9, "I",
                         MUTED, h=4.8, indent=2)
                continue
            pdf.para(f"• {c['label']} ({c['count']} of {c['of']})", 9.5, "B", INK, h=5, indent=2)
            for q in c["quotes"]:
                pdf.quote(q)
        if f["other_quotes"]:
            pdf.para(f"• {f['other_title']}", 9.5, "B", INK, h=5, indent=2)
            for q in f["other_quotes"]:
                pdf.quote(q)


def _avatar_bytes(uri: str | None) -> bytes | None:
    """The image in an (already vetted) data: URI."""
    if not uri or ";base64," not in uri:
        return None
    try:
        return base64.b64decode(uri.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return None


def _counts(t: dict[str, Any]) -> str:
    """'1 participant, 3 quotes'."""
    n, k = t["n_participants"], t["n_quotes"]
    return f"{n} participant{'' if n == 1 else 's'}, {k} quote{'' if k == 1 else 's'}"


def _theme(pdf: _Report, t: dict[str, Any]) -> None:
    if pdf.get_y() > pdf.h - 35:
        pdf.add_page()
    pdf.para(f"{t['label']}  ({_counts(t)})", 10, "B", INK, h=5.2, indent=2)
    if t["keywords"]:
        pdf.para(", ".join(t["keywords"]), 8, "", MUTED, h=4, indent=2)
    for q in t["quotes"]:
        pdf.quote(q)
    for s in t.get("sub_themes", []):  # one level down, indented under their theme
        if pdf.get_y() > pdf.h - 30:
            pdf.add_page()
        pdf.para(f"› {s['label']}  ({_counts(s)})", 9.5, "B", INK, h=5, indent=8)
        for q in s["quotes"]:
            pdf.quote(q, indent=12)
