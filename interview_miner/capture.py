"""Capture: recognise files, probe audio, hash and copy recordings, import existing transcripts.

Everything is keyed by content (sha256), so adding the same recording twice is recognised whatever
its name. Audio is probed through PyAV (the decoder inside faster-whisper), so no ffmpeg binary is
needed. Transcript importers read what Zoom, Teams and Otter export: `.txt` (`Name: text`, with or
without timestamps), `.vtt` (`Name: text` or `<v Name>` voice tags) and `.srt`.
"""
from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from .errors import (
    BadAudioError,
    CorruptAudioError,
    EmptyFileError,
    EmptyTranscriptError,
    FileTooLargeError,
    MissingFileError,
    SilentAudioError,
    UnsupportedFormatError,
)
from .models import Segment, Word
from .vocab import UNSPACED_CHARS, spoken_tokens

AUDIO_EXTENSIONS = {".wav", ".mp3", ".m4a", ".flac", ".ogg", ".opus", ".webm", ".mp4"}
TRANSCRIPT_EXTENSIONS = {".txt", ".vtt", ".srt"}
# Accepted when named, never picked up from a folder (a folder's other JSON files are not transcripts).
NAMED_ONLY_EXTENSIONS = {".json"}  # this tool's `transcript --format json`
PROJECT_EXTENSIONS = {".qdpx"}  # REFI-QDA projects: imported whole by `qdpx_import`
SUPPORTED_EXTENSIONS = AUDIO_EXTENSIONS | TRANSCRIPT_EXTENSIONS | PROJECT_EXTENSIONS
DEFAULT_MAX_BYTES = 2 * 1024**3  # 2 GB; the caller's max_bytes or INTERVIEW_MINER_MAX_BYTES overrides it
SAMPLE_RATE = 16000
Channels = Literal["mono", "all"]  # mixed down to one channel, or every channel kept apart
# Peak RMS (over 0.5 s windows) below this is treated as silence: about -60 dBFS.
SILENCE_RMS = 1e-3


def max_bytes_default() -> int:
    """The size limit for added files: $INTERVIEW_MINER_MAX_BYTES, else 2 GB."""
    return int(os.environ.get("INTERVIEW_MINER_MAX_BYTES", DEFAULT_MAX_BYTES))


def file_kind(path: str | os.PathLike) -> str:
    """'audio', 'transcript' or 'project'; raises UnsupportedFormatError naming the file otherwise."""
    ext = Path(path).suffix.lower()
    if ext in AUDIO_EXTENSIONS:
        return "audio"
    if ext in TRANSCRIPT_EXTENSIONS | NAMED_ONLY_EXTENSIONS:
        return "transcript"
    if ext in PROJECT_EXTENSIONS:
        return "project"
    raise UnsupportedFormatError(path, ext, SUPPORTED_EXTENSIONS | NAMED_ONLY_EXTENSIONS)


def expand_paths(paths: list[str]) -> list[Path]:
    """Files as given, folders expanded to the supported files inside them (sorted, recursive)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(
                sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED_EXTENSIONS)
            )
        else:
            out.append(p)
    return out


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def check_size(path: str | os.PathLike, max_bytes: int | None = None) -> int:
    """The file's size in bytes; MissingFileError, EmptyFileError or FileTooLargeError (with the
    size and the limit) when it cannot be added."""
    limit = max_bytes_default() if max_bytes is None else max_bytes
    if not Path(path).exists():
        raise MissingFileError(path)
    size = Path(path).stat().st_size
    if size == 0:
        raise EmptyFileError(path)
    if size > limit:
        raise FileTooLargeError(path, size=size, limit=limit)
    return size


# ---------------------------------------------------------------------------------------------
# Audio
# ---------------------------------------------------------------------------------------------


@dataclass
class AudioInfo:
    duration: float
    channels: int
    sample_rate: int
    codec: str


def probe_audio(path: str | os.PathLike) -> AudioInfo:
    """Open the file, check it holds decodable, non-silent audio, and return its facts.

    Stops decoding at the first window that is not silent, so a normal recording costs a fraction
    of a second; only a silent one is read to the end. Raises CorruptAudioError or
    SilentAudioError naming the file.
    """
    with _open_audio(path) as (container, stream):
        duration = _duration(container, stream)
        info = AudioInfo(duration or 0.0, stream.codec_context.channels, stream.codec_context.sample_rate or 0, stream.codec_context.name)
        heard, decoded = False, 0.0
        try:
            for chunk in iter_audio(container, stream, window_s=0.5):
                decoded += len(chunk) / SAMPLE_RATE
                if len(chunk) and float(np.sqrt(np.mean(chunk**2))) > SILENCE_RMS:
                    heard = True
                    break
        except Exception as e:  # PyAV raises many error types for broken input
            raise CorruptAudioError(path, f"audio could not be decoded ({_av_reason(e)})") from None
    if not heard:
        if decoded == 0:
            raise CorruptAudioError(path, "no audio could be decoded (file is corrupt or truncated)")
        raise SilentAudioError(path, decoded)
    if not info.duration:
        info.duration = decoded_duration(path)
    return info


@contextmanager
def _open_audio(path: str | os.PathLike):
    """(container, first audio stream) of a file; CorruptAudioError naming the file when PyAV
    cannot open it or it has no audio."""
    import av

    try:
        container = av.open(str(path))
    except Exception as e:  # PyAV raises many error types for broken input
        raise CorruptAudioError(path, f"not a readable audio file ({_av_reason(e)})") from None
    with container:
        if not container.streams.audio:
            raise CorruptAudioError(path, "contains no audio stream")
        yield container, container.streams.audio[0]


def _duration(container, stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return None


def decoded_duration(path: str | os.PathLike) -> float:
    """Seconds of audio, counted by decoding (for files whose header has no duration)."""
    total = 0
    for _, chunk in read_audio_windows(path, 0.0, window_s=600.0):
        total += len(chunk)
    return total / SAMPLE_RATE


def audio_channels(path: str | os.PathLike) -> int:
    """How many channels the file's first audio stream has (without decoding it)."""
    with _open_audio(path) as (_, stream):
        return int(stream.codec_context.channels)


def _av_reason(e: Exception) -> str:
    msg = str(e).strip() or type(e).__name__
    return msg.split(": '")[0][:160]


def iter_audio(container, stream, window_s: float = 30.0, start: float = 0.0, channels: Channels = "mono"):
    """Yield float32 16 kHz chunks of about `window_s` seconds from `start`, decoded as a stream:
    `(n,)` mixed down to mono, or `(n_channels, n)` with `channels="all"`.

    The one resampling loop in the package: memory stays bounded by the window whatever the
    file's length (a 3-hour call never sits in memory whole).
    """
    import av

    n_channels = 1 if channels == "mono" else max(1, int(stream.codec_context.channels))
    layout = "mono" if channels == "mono" else stream.layout.name
    # Interleaved samples, split here: PyAV 18 crashes (segfault) turning 8 planar channels
    # into an array, and a call's eight separate tracks are eight channels.
    resampler = av.AudioResampler(format="s16", layout=layout, rate=SAMPLE_RATE)
    want = max(1, int(window_s * SAMPLE_RATE))
    buf: list[np.ndarray] = []
    have = 0
    skip = int(start * SAMPLE_RATE)
    if start > 0:
        container.seek(int(start / stream.time_base), stream=stream, any_frame=False, backward=True)
    first = True
    for frame in itertools.chain(container.decode(stream), [None]):  # None flushes the resampler
        if frame is not None:
            if first and start > 0 and frame.pts is not None:
                # The seek lands on a frame at or before `start`: count from that frame's time.
                skip = max(0, int(round((start - float(frame.pts * stream.time_base)) * SAMPLE_RATE)))
            first = False
        for out in resampler.resample(frame):
            arr = out.to_ndarray().reshape(-1, n_channels).T
            if skip:
                cut = min(skip, arr.shape[1])
                arr, skip = arr[:, cut:], skip - cut
            if arr.shape[1]:
                buf.append(arr)
                have += arr.shape[1]
        while have >= want:
            data = np.concatenate(buf, axis=1)
            yield _as_float(data[:, :want], channels)
            rest = data[:, want:]
            buf, have = ([rest] if rest.shape[1] else []), rest.shape[1]
    if have:
        yield _as_float(np.concatenate(buf, axis=1), channels)


def _as_float(block: np.ndarray, channels: Channels) -> np.ndarray:
    out = block.astype(np.float32) / 32768.0
    return out[0] if channels == "mono" else out


def read_audio_windows(path: str | os.PathLike, start: float, window_s: float, channels: Channels = "mono"):
    """Yield (offset_seconds, samples) windows from `start` to the end of the file; samples as
    `iter_audio` gives them. CorruptAudioError naming the file when decoding fails."""
    with _open_audio(path) as (container, stream):
        offset = start
        try:
            for chunk in iter_audio(container, stream, window_s=window_s, start=start, channels=channels):
                yield offset, chunk
                offset += chunk.shape[-1] / SAMPLE_RATE
        except BadAudioError:
            raise
        except Exception as e:  # PyAV raises many error types for broken input
            raise CorruptAudioError(path, f"audio could not be decoded ({_av_reason(e)})") from None


def read_audio(
    path: str | os.PathLike, start: float = 0.0, end: float | None = None, channels: Channels = "mono"
) -> np.ndarray:
    """Decode [start, end) seconds (to the end of the file when end is None) as float32 16 kHz.

    `channels="mono"` (what Whisper and the voice encoder take) mixes down to shape `(n,)`;
    `channels="all"` keeps every channel apart as `(n_channels, n)` (call recordings often put
    each side on its own channel: the strongest speaker signal there is).
    """
    # Windows go straight into one array sized from the header: joining a list of windows at the
    # end held the recording twice for a moment (a 3-hour call: 0.7 GB more at the speaker stage).
    expected = _header_duration(path)
    if expected is not None and end is not None:
        expected = min(expected, end)
    audio, n = None, 0
    for offset, chunk in read_audio_windows(path, start, window_s=60.0, channels=channels):
        size = chunk.shape[-1]
        if audio is None:
            room = int((max(0.0, (expected or 0.0) - start) + 1.0) * SAMPLE_RATE)  # a second over: resampling rounds
            audio = np.empty((*chunk.shape[:-1], max(size, room)), np.float32)
        if n + size > audio.shape[-1]:  # the header understated the length: grow by half at least
            audio = np.concatenate([audio[..., :n], np.empty((*audio.shape[:-1], max(size, audio.shape[-1] // 2)), np.float32)], axis=-1)
        audio[..., n : n + size] = chunk
        n += size
        if end is not None and offset + size / SAMPLE_RATE >= end:
            break
    if audio is None:
        return np.zeros(0 if channels == "mono" else (audio_channels(path), 0), dtype=np.float32)
    if end is not None:
        n = min(n, max(0, int((end - start) * SAMPLE_RATE)))
    out = audio[..., :n]  # one channel: a contiguous view; room left over is given back when it is much
    return out if out.flags.c_contiguous and n >= 0.9 * audio.shape[-1] else out.copy()


def _header_duration(path: str | os.PathLike) -> float | None:
    """Seconds of audio as the container's header states them (None when it does not, or when the
    file cannot be opened: reading it then names the problem)."""
    try:
        with _open_audio(path) as (container, stream):
            return _duration(container, stream)
    except Exception:  # noqa: BLE001 - only a size hint
        return None


def read_channels(path: str | os.PathLike) -> np.ndarray | None:
    """Both channels of a stereo file as (2, n) float32 at 16 kHz, or None for other files."""
    if audio_channels(path) != 2:
        return None
    audio = read_audio(path, channels="all")
    return audio if audio.shape[1] else None


def write_wav(path: str | os.PathLike, audio: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    """Write float audio in [-1, 1] as 16-bit WAV: (n,) mono or (channels, n)."""
    import wave

    a = np.atleast_2d(np.clip(audio, -1, 1))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(a.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((a.T * 32767).astype("<i2").tobytes())
    return Path(path)


def store_recording(path: str | os.PathLike, content_hash: str, recordings_dir: str | os.PathLike) -> Path:
    """Copy under recordings/<sha256>.<ext> (atomically: copy to a temp name, then rename)."""
    dest_dir = Path(recordings_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / f"{content_hash}{Path(path).suffix.lower()}"
    if not dest.exists():
        tmp = dest.with_suffix(dest.suffix + ".part")
        shutil.copyfile(path, tmp)
        os.replace(tmp, dest)
    return dest


def tracks_hash(track_hashes: list[str]) -> str:
    """The content key of a recording made of separate tracks: from the tracks' own hashes in
    their order (track 1 is the left channel), so adding the same tracks again is recognised, and
    a track added alone stays an interview of its own."""
    return hashlib.sha256(("tracks\n" + "\n".join(track_hashes)).encode()).hexdigest()


# A channel layout per track count, none with an LFE channel (a decoder mixing down to stereo may
# drop or damp an LFE channel, and with it one person). FLAC holds up to eight channels.
TRACK_LAYOUTS = {2: "stereo", 3: "3.0", 4: "quad", 5: "5.0", 6: "6.0", 7: "7.0", 8: "octagonal"}


def merge_tracks(paths: list[str | os.PathLike], dest: str | os.PathLike) -> Path:
    """Write the separate tracks of one call (Zoom's "separate audio file for each participant",
    Riverside, SquadCast, a two-channel recorder's two files) as one FLAC at 16 kHz with a channel
    per track, in the order given (two tracks: left and right), the shorter ones padded with
    silence at their end. Tracks start together in those tools, so sample k of each is the same
    moment.

    Why one file: the rest of the pipeline has its best speaker signal in a call with a person per
    channel (`sides`: each channel transcribed alone, its words that person's), and one recording
    keeps one decode path, one hash and one file to play. 16 kHz is what every model hears, and
    FLAC keeps it exactly. Streamed in windows: memory stays bounded on long calls. Two to eight
    tracks (`TRACK_LAYOUTS`). Raises CorruptAudioError / SilentAudioError naming the bad track."""
    if len(paths) not in TRACK_LAYOUTS:
        raise ValueError(f"a call's separate tracks: 2 to {max(TRACK_LAYOUTS)} files, got {len(paths)}")
    for path in paths:
        try:
            probe_audio(path)  # decodable and not silent, or an error naming the track
        except SilentAudioError as silent:  # often someone who never unmuted: nothing to transcribe
            silent.hint_cli = silent.hint_app = ("a person who never spoke needs no track: add the others "
                                                 "without it (or check it is the right file)")
            raise
    dest = Path(dest)
    tmp = dest.with_name(dest.name + ".part")
    try:
        _write_flac([read_audio_windows(path, 0.0, window_s=60.0) for path in paths], tmp, TRACK_LAYOUTS[len(paths)])
    except BaseException:
        tmp.unlink(missing_ok=True)  # a track that breaks mid-way leaves nothing half-written
        raise
    os.replace(tmp, dest)
    return dest


def _write_flac(readers, path: Path, layout: str) -> None:
    import av

    with av.open(str(path), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=SAMPLE_RATE, layout=layout)
        for blocks in itertools.zip_longest(*readers, fillvalue=None):
            chunks = [np.zeros(0, np.float32) if b is None else b[1] for b in blocks]
            n = max(len(c) for c in chunks)
            every = np.stack([np.pad(c, (0, n - len(c))) for c in chunks])
            pcm = (np.clip(every, -1, 1) * 32767).astype("<i2").T.reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout=layout)
            frame.sample_rate = SAMPLE_RATE
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


# ---------------------------------------------------------------------------------------------
# Transcripts
# ---------------------------------------------------------------------------------------------


@dataclass
class ImportedTurn:
    speaker_name: str | None
    text: str
    start: float | None
    end: float | None


_TS = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
# "Name: text", "[00:01:02] Name: text", "00:01:02 Name: text", "Name (00:01:02): text".
# A name is at most four words, so "The problem was this: ..." stays text. Names are in any
# script ("Émile", "Søren", "采访者") and the colon may be full-width (Chinese/Japanese "：").
_NAME_LINE = re.compile(
    r"^\s*(?:\[?(" + _TS + r")\]?\s*[-–]?\s*)?([^\W\d_][\w.'\-]*(?: [\w.'\-]+){0,3})\s*(?:\((" + _TS + r")\))?\s*[:：]\s*(.*)$"
)
_OTTER_HEADER = re.compile(r"^\s*([^:：\d][^:：]{0,40}?)\s{2,}(" + _TS + r")\s*$")


def parse_timestamp(ts: str) -> float:
    parts = ts.replace(",", ".").split(":")
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + float(p)
    return seconds


def parse_transcript(path: str | os.PathLike) -> list[ImportedTurn]:
    """Read a transcript file into turns; raises EmptyTranscriptError if nothing is said in it."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return parse_transcript_text(text, Path(path).suffix.lower(), str(path))


def parse_transcript_text(text: str, ext: str = ".txt", name: str = "transcript") -> list[ImportedTurn]:
    """Turns from transcript text already in memory (a source inside a REFI-QDA project, say):
    WebVTT/SRT through `transcript_io` (libraries, entities decoded), this tool's own txt/JSON
    exactly, the Zoom/Teams/Otter `.txt` rules otherwise."""
    from . import transcript_io

    if ext == ".vtt":
        turns = transcript_io.read_vtt(text, name)
    elif ext == ".srt":
        turns = transcript_io.read_srt(text, name)
    elif ext == ".json":
        turns = transcript_io.read_json(text, name)
    else:
        turns = transcript_io.read_own_txt(text) or _parse_txt(text)
    turns = [t for t in turns if t.text.strip()]
    if not turns:
        raise EmptyTranscriptError(name)
    return turns


def _parse_txt(text: str) -> list[ImportedTurn]:
    turns: list[ImportedTurn] = []
    lines = text.replace("\r\n", "\n").split("\n")
    for line in lines:
        if not line.strip():
            continue
        otter = _OTTER_HEADER.match(line)
        if otter:  # Otter: "Speaker Name  0:03" then the text on following lines
            turns.append(ImportedTurn(otter.group(1).strip(), "", parse_timestamp(otter.group(2)), None))
            continue
        m = _NAME_LINE.match(line)
        if m and m.group(2).lower() not in ("http", "https", "note") and _plausible_name(m.group(2)):
            ts = m.group(1) or m.group(3)
            turns.append(ImportedTurn(m.group(2).strip(), m.group(4).strip(), parse_timestamp(ts) if ts else None, None))
        elif turns:
            turns[-1].text = (turns[-1].text + " " + line.strip()).strip()
        else:
            turns.append(ImportedTurn(None, line.strip(), None, None))
    return turns


def _plausible_name(name: str) -> bool:
    """A speaker name, not a clause before a colon: in scripts without spaces ("我的意思是：...")
    the four-word limit does not apply, so a name there is at most four characters."""
    unspaced = len(re.findall(f"[{UNSPACED_CHARS}]", name))
    return unspaced == 0 or len(name) <= 4


WORDS_PER_SECOND = 2.5  # conversational speech; used only when a transcript has no times


def turns_to_segments(turns: list[ImportedTurn]) -> tuple[list[Segment], bool]:
    """Segments with times; missing times are estimated from word counts (flagged as such)."""
    segments: list[Segment] = []
    estimated = False
    clock = 0.0
    for i, t in enumerate(turns):
        n_words = max(1, len(spoken_tokens(t.text)) // (2 if re.search(f"[{UNSPACED_CHARS}]", t.text) else 1))
        start = t.start
        if start is None:
            start, estimated = clock, True
        end = t.end
        if end is None:
            nxt = turns[i + 1].start if i + 1 < len(turns) else None
            end = nxt if nxt is not None and nxt > start else start + n_words / WORDS_PER_SECOND
        seg = Segment(start=round(start, 3), end=round(end, 3), text=t.text, speaker=t.speaker_name)
        seg.words = _spread_words(t.text, seg.start, seg.end)
        if estimated:
            seg.flags.append("estimated_times")
        segments.append(seg)
        clock = end + 0.3
    return segments, estimated


def _spread_words(text: str, start: float, end: float) -> list[Word]:
    """Imported transcripts have no word times: spread words evenly over the segment."""
    tokens = spoken_tokens(text)
    if not tokens:
        return []
    step = (end - start) / len(tokens)
    return [Word(round(start + i * step, 3), round(start + (i + 1) * step, 3), " " + w) for i, w in enumerate(tokens)]
