"""End to end in a real headless Chromium: the researcher's whole journey without the command line.

Starts `streamlit run app.py` on a free port with a temporary study that already holds five
interviews of the labelled dev corpus (as a study in progress would), uploads the sixth as audio
(dev03.m4a, 145 s), processes it (transcription + mining + personas in the worker), renames a
theme, edits a persona and downloads its one-page card, plays a line, and downloads the Markdown
export. A screenshot of every
page goes to test-artifacts/.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TEST_DATA, free_port, wait_for_streamlit
from corpus_fixture import load_corpus
from interview_miner.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("INTERVIEW_MINER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PROCESS_TIMEOUT_MS = 240_000


@pytest.fixture
def corpus():
    """Five labelled dev-corpus interviews and dev03.m4a, shipped in tests/data/browser-study."""
    return TEST_DATA / "browser-study"


@pytest.fixture
def server(tmp_path, corpus):
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (set INTERVIEW_MINER_CHROMIUM)")
    db = tmp_path / "study.db"
    store = Store(db)
    load_corpus(store, corpus, only=["dev01", "dev02", "dev04", "dev05", "dev06"])
    store.close()
    port = free_port()
    env = {**os.environ, "INTERVIEW_MINER_DB": str(db), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("INTERVIEW_MINER_RECORDINGS", None)
    log = open(tmp_path / "streamlit.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        url = wait_for_streamlit(port, proc, tmp_path / "streamlit.log", timeout=60)
        yield url, db
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        s = Store(db)  # workers run in their own sessions: stop any still running
        for job in s.list_jobs():
            if job.status in ("queued", "running") and job.pid:
                try:
                    os.killpg(job.pid, signal.SIGTERM)
                except OSError:
                    pass
        s.close()


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        context.set_default_timeout(30_000)
        yield context.new_page()
        browser.close()


def settle(page, pause: float = 0.6) -> None:
    """Wait for Streamlit to finish the rerun the last action started."""
    time.sleep(pause)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    time.sleep(0.3)


def shot(page, name: str) -> Path:
    """A screenshot of the whole page (the app scrolls inside its own container, so the viewport is
    stretched to the content first)."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = page.evaluate("() => (document.querySelector('[data-testid=\"stMain\"]') || document.body).scrollHeight")
    page.set_viewport_size({"width": 1400, "height": int(min(max(1000, height + 40), 7000))})
    time.sleep(0.8)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})
    return path


def go(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    page.get_by_role("heading", name=title, level=1).wait_for()
    settle(page)


def test_researcher_journey_in_the_browser(server, page, corpus, tmp_path):
    from playwright.sync_api import expect

    url, db = server
    page.goto(url)
    page.get_by_role("heading", name="Study", level=1).wait_for()
    settle(page)
    expect(page.get_by_text("up to 2 GB each")).to_be_visible()
    shot(page, "01-study")

    # Upload one recording with a participant name and details.
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(corpus / "dev03.m4a"))
    expect(page.get_by_text("dev03.m4a")).to_be_visible()
    settle(page)
    page.get_by_role("textbox", name="Participant name").fill("Marcus Bell")
    page.get_by_role("textbox", name="Participant name").press("Enter")
    settle(page)
    page.get_by_role("textbox", name="Details (key=value, one per line)").fill("role=Front desk lead")
    page.get_by_role("button", name=re.compile("Add to study")).click()
    settle(page)
    store = Store(db)
    added = next(i for i in store.list_interviews() if i.file_name == "dev03.m4a")
    assert (added.participant, added.metadata["role"], added.kind) == ("Marcus Bell", "Front desk lead", "audio")

    # Process everything in the worker; the page follows the job's progress.
    page.get_by_role("button", name=re.compile("Process everything")).click()
    expect(page.get_by_text(re.compile(r"\bRunning$")).first).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stProgress"]').first).to_be_visible()
    shot(page, "02-study-processing")
    expect(page.get_by_text(re.compile("personas? suggested"))).to_be_visible(timeout=PROCESS_TIMEOUT_MS)
    settle(page)
    job = store.list_jobs()[0]
    assert (job.kind, job.status, job.error) == ("process", "done", None)
    assert store.get_interview(added.id).status == "transcribed"
    assert store.quotes(added.id), "the new interview was mined"
    themes = store.themes()
    assert themes and store.personas()
    expect(page.get_by_text(re.compile(r"1 interview transcribed; \d+ themes found"))).to_be_visible()
    shot(page, "03-study-done")

    # Themes board: rename the theme shown first.
    go(page, "Themes")
    first = page.locator("h3").first.inner_text().strip()
    theme = next(t for t in store.themes() if t.label == first)
    page.get_by_role("button", name=re.compile("Rename")).first.click()
    page.get_by_role("textbox", name="Theme name").fill("Staff turnover chaos")
    page.get_by_role("button", name=re.compile("Save name")).click()
    settle(page)
    expect(page.get_by_role("heading", name="Staff turnover chaos", level=3)).to_be_visible()
    assert next(t for t in store.themes() if t.id == theme.id).label == "Staff turnover chaos"
    page.get_by_role("button", name=re.compile("Star")).first.click()
    settle(page)
    assert any(q.starred for q in store.quotes())
    shot(page, "04-themes")

    # Transcript: play the new interview from one of its lines.
    go(page, "Transcripts")
    page.get_by_role("combobox", name=re.compile("Interview")).first.click()
    page.get_by_role("option", name=re.compile("Marcus Bell")).click()
    settle(page)
    page.locator('[data-testid="stMain"] button:not([disabled]):visible', has_text="play_arrow").nth(3).click()
    settle(page)
    expect(page.locator('[data-testid="stSidebar"] audio')).to_have_count(1)
    expect(page.locator('[data-testid="stSidebar"]').get_by_text("Now playing")).to_be_visible()
    page.get_by_role("textbox", name="Search all transcripts").fill("receptionists")
    page.get_by_role("textbox", name="Search all transcripts").press("Enter")
    settle(page)
    expect(page.get_by_text(re.compile(r"\d+ lines? found"))).to_be_visible()
    shot(page, "05-transcript")
    # Fix a mis-heard word in place. The form's inputs are real DOM elements; the grid above it is
    # a canvas, which pixel clicks drive unreliably. The word comes from the stored transcript.
    marcus = next(i for i in store.list_interviews() if i.participant == "Marcus Bell")
    line = store.segments(marcus.id)[1]
    heard = max(re.findall(r"[A-Za-z]{4,}", line.text), key=len)
    page.get_by_role("tab", name=re.compile("Fix transcript")).click()
    page.get_by_role("textbox", name="Heard").fill(heard)
    page.get_by_role("textbox", name="Should be").fill("Optometrix")
    page.get_by_role("button", name=re.compile("Replace")).click()
    settle(page)
    expect(page.get_by_text(re.compile(r"Replaced in \d+ line"))).to_be_visible()
    assert {e["field"] for e in store.edit_history("segment")} == {"text"}
    assert "Optometrix" in store.segments(marcus.id)[1].text
    assert not re.search(rf"\b{re.escape(heard)}\b", store.segments(marcus.id)[1].text, re.IGNORECASE)
    shot(page, "05b-transcript-fix")

    # Personas: suggest again (edits survive), then rename the first one.
    go(page, "Personas")
    page.get_by_role("button", name=re.compile("Suggest personas")).click()
    # its toast says the suggestion is saved (a slow machine may still be grouping when the page
    # looks idle, and the next change would start a run beside it)
    expect(page.get_by_text("Personas suggested")).to_be_visible(timeout=60_000)
    settle(page)
    persona = store.personas()[0]
    name = page.get_by_role("textbox", name="Name", exact=True).first
    name.fill("Front desk firefighter")
    name.press("Enter")
    settle(page)
    expect(page.get_by_role("tab", name="Front desk firefighter")).to_be_visible()
    assert next(p for p in store.personas() if p.id == persona.id).name == "Front desk firefighter"
    shot(page, "06-personas")
    # The persona's one-page card, as a team would print it.
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Card \(PDF\)")).first.click()
    card = tmp_path / "card.pdf"
    download.value.save_as(card)
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(str(card))
    assert len(doc) == 1 and "Front desk firefighter" in doc[0].get_textpage().get_text_range()

    go(page, "Overview")
    expect(page.get_by_text("Saturation:")).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(5)  # + NPS reasons by band
    shot(page, "07-overview")

    # The journey map: the method's summary table, one row per stage.
    go(page, "Journey map")
    expect(page.get_by_role("heading", name="Deciding")).to_be_visible()
    shot(page, "07b-journey")

    # Export: the same Markdown the CLI writes, with the edits in it.
    go(page, "Export")
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("Download Markdown")).click()
    path = tmp_path / "personas.md"
    download.value.save_as(path)
    report = path.read_text(encoding="utf-8")
    assert "Front desk firefighter" in report and "Marcus Bell" in report
    from interview_miner import export
    assert report == export.render_study(export.load_study(store), "md")
    shot(page, "08-export")
    store.close()
