"""Human-readable study reports: Markdown and self-contained HTML, both from Jinja2 templates
over the same `report_context` (so they always say the same thing)."""
from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .study import Study, report_context

TEMPLATES = Path(__file__).parent / "templates"


def _env(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=autoescape, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    return env


_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^([#+=-]|\d+(?=[.)]))")


def md_escape(value: object) -> str:
    """User text made inert in Markdown: one line, HTML-significant characters as entities,
    emphasis/link/table/code characters backslash-escaped, no block syntax at the start."""
    text = " ".join(str("" if value is None else value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    # "# x", "- x", "1. x" would start a heading/list: "\# x", "\- x", "1\. x".
    return _MD_LINE_START.sub(lambda m: m.group(0) + "\\" if m.group(0)[0].isdigit() else "\\" + m.group(0), text, count=1)


_HTML = _env(autoescape=True)  # every value escaped; no template marks anything safe
_MD = _env(autoescape=False)  # user text goes through the `md` filter instead


def to_markdown(study: Study) -> str:
    text = _MD.get_template("report.md.j2").render(**report_context(study))
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


def to_html(study: Study) -> str:
    return _HTML.get_template("report.html.j2").render(**report_context(study))
