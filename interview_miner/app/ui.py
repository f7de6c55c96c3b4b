"""Streamlit helpers shared by the pages: which study is open, formatting, the audio player.

Presentation only. Every change to a study goes through `review`, `personas`, `pipeline` or
`worker`; nothing read from the store is kept in session state between reruns (only ids and UI
choices are), so a second tab's edits are never overwritten with stale values.
"""
from __future__ import annotations

import hashlib
import io
import os
import threading
import wave
from pathlib import Path

import streamlit as st

from ..errors import InterviewMinerError, describe
from ..store import Store, default_db_path
from ..vocab import CATEGORIES as CATEGORY_ORDER  # noqa: F401  (pages sort categories by it)
from ..vocab import category_title as category  # noqa: F401
from ..vocab import clock, duration, hours  # noqa: F401  (re-exported for the pages)
from ..vocab import speaker_title as speaker  # noqa: F401

MIME = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".mp4": "audio/mp4",
        ".flac": "audio/flac", ".ogg": "audio/ogg", ".opus": "audio/ogg", ".webm": "audio/webm"}
DIRECT_PLAY_MAX_BYTES = 40 * 1024**2  # larger recordings are played as excerpts
# Recordings with more channels than this (a call's 5-8 separate tracks) are played as mono
# excerpts: how a browser mixes a 5.0-octagonal FLAC down is its own choice, and may drop people.
DIRECT_PLAY_MAX_CHANNELS = 4
EXCERPT_S = 300.0
# Errors a researcher caused and can fix (empty name, unknown id): shown as a message.
USER_ERRORS = (ValueError, KeyError, InterviewMinerError)


# ---------------------------------------------------------------------------------------------
# The open study
# ---------------------------------------------------------------------------------------------


def db_path() -> str:
    """The study database of this browser session: ?db= in the URL, else $INTERVIEW_MINER_DB
    or ./interview_miner.db."""
    if "db_path" not in st.session_state:
        st.session_state["db_path"] = st.query_params.get("db") or default_db_path()
    return st.session_state["db_path"]


def open_study(path: str) -> None:
    path = str(path).strip()
    if not path:
        raise ValueError("enter a database file path")
    if Path(path).is_dir():
        path = str(Path(path) / "interview_miner.db")
    st.session_state["db_path"] = path  # get_store opens it; the old study's connections close


def get_store() -> Store:
    """This run's connection to the session's study. Streamlit starts a new run as soon as a
    widget changes, while the run it interrupted may still be inside a long write (suggesting
    personas), so two runs of one session can overlap; each thread gets its own connection, as
    `Store` wants, and two writes queue instead of sharing one transaction."""
    path = db_path()
    store = this_threads_store(st.session_state.setdefault("_stores", {}), path)
    if path != default_db_path():
        st.query_params["db"] = path  # a reload keeps the same study
    elif "db" in st.query_params:
        del st.query_params["db"]
    return store


def this_threads_store(stores: dict[int, Store], path: str) -> Store:
    """The calling thread's Store in `stores` (thread id -> Store), opened on first use; the
    ones of threads that have ended, or of another study in this thread, are closed."""
    me = threading.get_ident()
    with _STORES_LOCK:  # two overlapping runs may both be here
        alive = {t.ident for t in threading.enumerate()}
        for ident in [i for i, s in stores.items() if i not in alive or (i == me and s.path != path)]:
            stores.pop(ident).close()
        if me not in stores:
            stores[me] = Store(path)
        return stores[me]


_STORES_LOCK = threading.Lock()


# ---------------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------------


def short(text: str, n: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


def escape_md(text: str) -> str:
    """Show user/transcript text literally inside st.markdown (no links, emphasis or HTML)."""
    out = []
    for ch in text or "":
        if ch in "\\`*_{}[]()#+-.!|<>~$:":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def highlight(text: str, terms: list[str]) -> str:
    """Markdown with the search terms in bold (text escaped)."""
    import re

    if not terms:
        return escape_md(text)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(escape_md(text[pos:m.start()]))
        out.append(f"**{escape_md(m.group(0))}**")
        pos = m.end()
    out.append(escape_md(text[pos:]))
    return "".join(out)


def whole_words(text: str, spans: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """`spans` widened to the whole written words they touch, merged where they meet (the lowest
    probability kept). Whisper may hear one written word as two ("non" + "-negotiables"); a mark
    on half of it would split the word on screen, since the marked part gets its own padding.

    >>> whole_words("They are non-negotiables, really.", [(9, 12, 0.3)])
    [(9, 24, 0.3)]
    >>> whole_words("a b-c d", [(2, 3, 0.4), (4, 5, 0.2)])
    [(2, 5, 0.2)]
    """
    out: list[tuple[int, int, float]] = []
    for a, b, p in spans:
        while a > 0 and not text[a - 1].isspace():
            a -= 1
        while b < len(text) and not text[b].isspace():
            b += 1
        while a < b and not text[a].isalnum():
            a += 1
        while b > a and not text[b - 1].isalnum():
            b -= 1
        if out and a <= out[-1][1]:
            a0, b0, p0 = out.pop()
            a, b, p = a0, max(b, b0), min(p, p0)
        out.append((a, b, p))
    return out


def mark_unsure(text: str, spans: list[tuple[int, int, float]]) -> str:
    """Markdown of a transcript line (escaped) with the words the recogniser was unsure of on an
    orange background (`quotes.unsure_spans`, widened to `whole_words`): the places to listen to
    before quoting."""
    out, pos = [], 0
    for a, b, _ in whole_words(text, spans):
        out.append(escape_md(text[pos:a]))
        out.append(f":orange-background[{escape_md(text[a:b])}]")
        pos = b
    out.append(escape_md(text[pos:]))
    return "".join(out)


def key_of(*parts) -> str:
    """A widget key that changes when the shown value changes, so a value written by another
    tab replaces what this widget shows instead of being overwritten by it."""
    return "_".join(str(p) for p in parts[:-1]) + "_" + hashlib.md5(repr(parts[-1]).encode()).hexdigest()[:8]


# ---------------------------------------------------------------------------------------------
# Messages that survive the rerun after an action
# ---------------------------------------------------------------------------------------------


def flash(message: str, kind: str = "success") -> None:
    st.session_state.setdefault("_flash", []).append((kind, message))


def show_flash() -> None:
    for kind, message in st.session_state.pop("_flash", []):
        icon = {"success": ":material/check_circle:", "error": ":material/error:",
                "warning": ":material/warning:"}.get(kind, ":material/info:")
        st.toast(message, icon=icon)
        if kind == "error":
            st.error(message)


def empty(message: str, icon: str = ":material/inbox:") -> None:
    st.info(message, icon=icon)


# ---------------------------------------------------------------------------------------------
# Audio
# ---------------------------------------------------------------------------------------------


def _set_play(interview_id: int, start: float) -> None:
    st.session_state["play"] = {"interview_id": int(interview_id), "start": float(start)}


def play_button(interview, start: float, key: str, label: str = "") -> None:
    """A small ▶ that plays this interview's recording from `start` in the sidebar player."""
    has_audio = bool(interview and interview.kind == "audio" and interview.stored_path)
    st.button(
        label or "", key=key, icon=":material/play_arrow:", type="tertiary",
        on_click=_set_play, args=(interview.id, start), disabled=not has_audio,
        help=f"Play from {clock(start)}" if has_audio else "No recording (imported transcript)",
    )


@st.cache_data(max_entries=8, show_spinner=False)
def _channels(path: str) -> int:
    from ..capture import audio_channels
    from ..errors import InterviewMinerError

    try:
        return audio_channels(path)
    except InterviewMinerError:
        return 1  # the player then shows what the browser makes of it


def _excerpt_wav(path: str, start: float, seconds: float) -> bytes:
    from ..capture import SAMPLE_RATE, read_audio

    audio = read_audio(path, start, start + seconds)
    pcm = (audio.clip(-1, 1) * 32767).astype("<i2").tobytes()
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm)
    return buf.getvalue()


def player(store: Store) -> None:
    """The 'Now playing' card: the recording from the moment last clicked."""
    play = st.session_state.get("play")
    if not play:
        return
    try:
        interview = store.get_interview(play["interview_id"])
    except KeyError:
        st.session_state.pop("play", None)
        return
    path = interview.stored_path
    start = play["start"]
    with st.container(border=True):
        st.caption(f"Now playing · **{escape_md(interview.participant or interview.file_name)}** · from {clock(start)}")
        if not path or not os.path.exists(path):
            st.warning("The recording file is missing.", icon=":material/volume_off:")
            return
        if os.path.getsize(path) <= DIRECT_PLAY_MAX_BYTES and _channels(path) <= DIRECT_PLAY_MAX_CHANNELS:
            st.audio(path, format=MIME.get(Path(path).suffix.lower(), "audio/mpeg"), start_time=int(start), autoplay=True)
        else:  # long recordings: a decoded excerpt, so the whole file is not loaded into memory
            st.audio(_excerpt_wav(path, float(int(start)), EXCERPT_S), format="audio/wav", autoplay=True)
            st.button("Play on", key="play_on", icon=":material/skip_next:", type="tertiary",
                      on_click=_set_play, args=(interview.id, int(start) + EXCERPT_S))
        st.button("Close", key="play_close", type="tertiary", icon=":material/close:",
                  on_click=lambda: st.session_state.pop("play", None))


# ---------------------------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------------------------

JOB_STATES = {
    "queued": ("Starting", "blue", ":material/schedule:"),
    "running": ("Running", "blue", ":material/autorenew:"),
    "done": ("Done", "green", ":material/check_circle:"),
    "failed": ("Failed", "red", ":material/error:"),
    "stopped": ("Stopped", "orange", ":material/pause_circle:"),
    "interrupted": ("Interrupted", "orange", ":material/warning:"),
}


def job_badge(state: str) -> None:
    label, color, icon = JOB_STATES.get(state, (state.capitalize(), "gray", None))
    st.badge(label, color=color, icon=icon)


def act(fn, *args, done: str = "Saved", **kwargs):
    """Run one review operation; on success remember `done` for the next run and rerun so every
    part of the page shows the change; on a user error show why and keep the page as it is."""
    try:
        result = fn(*args, **kwargs)
    except USER_ERRORS as e:
        st.error(_reason(e), icon=":material/error:")
        return None
    flash(done)
    st.rerun()
    return result


def callback(fn, *args, key: str | None = None, done: str | None = None, **kwargs):
    """An on_change callback calling `fn(*args, value_of_key)`; errors become a flash message."""
    def run() -> None:
        try:
            if key is None:
                fn(*args, **kwargs)
            else:
                fn(*args, st.session_state[key], **kwargs)
        except USER_ERRORS as e:  # shown on the next run, the way a researcher can act on it
            flash(_reason(e), "error")
        else:
            if done:
                flash(done)
    return run


def _reason(e: Exception) -> str:
    return describe(e, "app")


def image_data_uri(data: bytes, max_px: int = 320) -> str:
    """An uploaded photo as a small JPEG/PNG data URI (what persona `avatar` stores); a file that
    is not an image or is too large raises `canvas.PhotoError` naming why."""
    from interview_miner.canvas import photo_data_uri

    return photo_data_uri(data, max_px=max_px)


def data_uri_bytes(uri: str | None) -> bytes | None:
    """The image inside a data URI (None for anything else, e.g. a path or URL)."""
    import base64
    import binascii

    if not uri or not uri.startswith("data:") or ";base64," not in uri:
        return None
    try:
        return base64.b64decode(uri.split(";base64,", 1)[1], validate=False)
    except (binascii.Error, ValueError):
        return None
