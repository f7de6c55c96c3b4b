"""Accessible reports: the page language comes from the interviews, every text colour pair meets
WCAG AA (computed from the report's own colours, and from what Chromium actually renders), the
star is visible without hovering, and the PDF carries its language, title and bookmarks."""
from __future__ import annotations

import os
import re

import pytest

from corpus_fixture import load_literal_study
from interview_miner import export as E
from interview_miner import persona_review, review
from interview_miner.export import pdf

AA_TEXT, AA_LARGE, AA_GRAPHIC = 4.5, 3.0, 3.0


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def hex_rgb(value: str) -> tuple[int, int, int]:
    h = value.strip().lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def test_contrast_formula_matches_known_values():
    assert contrast(hex_rgb("#000"), hex_rgb("#fff")) == pytest.approx(21.0)
    assert contrast(hex_rgb("#777777"), hex_rgb("#ffffff")) == pytest.approx(4.48, abs=0.01)


@pytest.fixture
def study(store):
    load_literal_study(store)
    persona_review.suggest_and_save(store)
    review.star_quote(store, store.quotes()[0].id)
    return store


def css_of(html: str) -> tuple[dict[str, str], str]:
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    return dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{3,6})", style)), style


def rule(style: str, selector: str, prop: str) -> str:
    m = re.search(re.escape(selector) + r"\s*\{[^}]*?(?<![-\w])" + prop + r":\s*([^;}]+)", style)
    assert m, f"{selector} has no {prop}"
    return m.group(1).strip()


def resolve(value: str, colours: dict[str, str]) -> tuple[int, int, int]:
    m = re.fullmatch(r"var\(--([a-z]+)\)", value)
    return hex_rgb(colours[m.group(1)] if m else value)


def test_every_chart_label_in_the_html_meets_wcag_aa(study):
    html = E.render_study(E.load_study(study), "html")
    colours, style = css_of(html)
    label = resolve(rule(style, ".npsbar span", "color"), colours)
    for segment in (".pro", ".pas", ".det"):
        bar = resolve(rule(style, segment, "background"), colours)
        assert contrast(label, bar) >= AA_TEXT, segment  # the counts written on the NPS bars
        assert contrast(bar, hex_rgb("#fff")) >= AA_GRAPHIC, segment  # the bar and legend swatches
    white, soft, quote_bg = hex_rgb("#fff"), hex_rgb(colours["soft"]), hex_rgb(rule(style, "blockquote.quote", "background"))
    muted, ink, accent = (hex_rgb(colours[k]) for k in ("muted", "ink", "accent"))
    star = resolve(rule(style, ".star", "color"), colours)
    for fg, bg, what in [(muted, white, "legend, counts"), (muted, soft, "pills, timestamps"),
                         (muted, quote_bg, "quote citations"), (star, quote_bg, "the star"),
                         (ink, white, "text"), (accent, hex_rgb("#eef2fb"), "persona role"),
                         (white, accent, "avatar letter")]:
        assert contrast(fg, bg) >= AA_TEXT, what


def test_pdf_colours_meet_wcag_aa_too():
    for key, colour in pdf.NPS_COLORS.items():
        assert contrast((255, 255, 255), colour) >= AA_TEXT, key
    assert contrast(pdf.MUTED, (255, 255, 255)) >= AA_TEXT
    assert contrast(pdf.ACCENT, pdf.SOFT) >= AA_TEXT


def test_star_is_visible_without_hover(study):
    html = E.render_study(E.load_study(study), "html")
    stars = re.findall(r'<span class="star"[^>]*>(.*?)</span></cite>', html)
    assert stars and all("starred" in re.sub(r"<[^>]+>", "", s) for s in stars)
    assert 'title="starred"' not in html


def test_page_language_comes_from_the_interviews(study):
    assert '<html lang="en" dir="ltr">' in E.render_study(E.load_study(study), "html")  # unknown: English
    for iid, lang in ((1, "de"), (2, "de"), (3, "fr"), (4, None)):
        study.update_interview(iid, language=lang)
    html = E.render_study(E.load_study(study), "html")
    assert '<html lang="de" dir="ltr">' in html
    # a quote in another language than the page says so, for screen readers
    assert re.search(r'<blockquote class="quote" lang="fr">', html)
    assert not re.search(r'<blockquote class="quote" lang="de">', html)
    study.update_interview(1, language="<script>")
    assert '<html lang="de" dir="ltr">' in E.render_study(E.load_study(study), "html")  # junk is not a language
    for iid in (1, 2, 3):
        study.update_interview(iid, language="ar")
    assert '<html lang="ar" dir="rtl">' in E.render_study(E.load_study(study), "html")  # right to left


def test_pdf_has_language_title_and_bookmarks(study):
    study.update_interview(1, language="de")
    study.update_interview(2, language="de")
    blob = E.render_study(E.load_study(study), "pdf")
    assert b"/Lang (de)" in blob
    assert b"/DisplayDocTitle true" in blob
    assert b"/Outlines" in blob and blob.count(b"/Title") >= 6  # Personas, 2 personas, NPS, Themes, Interviews


@pytest.mark.browser
@pytest.mark.slow
def test_every_rendered_text_meets_wcag_aa_in_chromium(study, tmp_path):
    """What a reader sees: Chromium's computed colours of every element that holds text, against
    the background it is drawn on (the nearest ancestor's colour, or each stop of its gradient)."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    chromium = os.environ.get("INTERVIEW_MINER_CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(chromium):
        pytest.skip(f"no Chromium at {chromium}")
    page_file = tmp_path / "report.html"
    page_file.write_text(E.render_study(E.load_study(study), "html"), encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(page_file.as_uri())
        pairs = page.evaluate("""() => {
          const rgb = s => (s.match(/rgba?\\([^)]*\\)/g) || []).map(c => c.match(/[\\d.]+/g).map(Number))
            .filter(c => c.length < 4 || c[3] > 0).map(c => c.slice(0, 3));
          const out = [];
          for (const el of document.querySelectorAll('body *')) {
            const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
            if (!own) continue;
            const st = getComputedStyle(el);
            let bgs = [], node = el;
            while (node && !bgs.length) {
              const s = getComputedStyle(node);
              bgs = rgb(s.backgroundImage).concat(rgb(s.backgroundColor));
              node = node.parentElement;
            }
            out.push({tag: el.tagName + '.' + el.className, text: el.textContent.trim().slice(0, 30),
                      color: rgb(st.color)[0], bgs: bgs.length ? bgs : [[255, 255, 255]],
                      size: parseFloat(st.fontSize), bold: parseInt(st.fontWeight) >= 700});
          }
          return out;
        }""")
        browser.close()
    assert len(pairs) > 50
    failures = []
    for p in pairs:
        large = p["size"] >= 24 or (p["bold"] and p["size"] >= 18.66)
        worst = min(contrast(tuple(p["color"]), tuple(bg)) for bg in p["bgs"])
        if worst < (AA_LARGE if large else AA_TEXT):
            failures.append(f"{p['tag']} {p['text']!r}: {worst:.2f}")
    assert not failures, "\n".join(failures)


def test_the_summary_counts_one_of_a_kind_in_the_singular(study):
    """"1 personas" headed the PDF report of a study with one persona: the PDF built its summary
    sentence by hand while the Markdown template counted in the singular."""
    import pypdfium2 as pdfium

    from interview_miner import persona_review
    from interview_miner.export.study import report_context

    for p in study.personas()[1:]:
        persona_review.delete_persona(study, p.id)
    line = report_context(E.load_study(study))["summary"]["line"]
    assert ", 1 persona," in line or line.endswith(", 1 persona.")
    assert line in E.render_study(E.load_study(study), "md")
    page = pdfium.PdfDocument(E.render_study(E.load_study(study), "pdf"))[0].get_textpage().get_text_range()
    assert "1 persona" in page and "1 personas" not in page
