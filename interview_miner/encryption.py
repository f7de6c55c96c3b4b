"""Optional encryption at rest: a study file encrypted with SQLCipher behind a passphrase.

Why SQLCipher: it encrypts every page of the SQLite file (and its WAL) with AES-256, so a copied
study file or a lost laptop shows no transcript; and it is SQLite, so the study works exactly as
before. `sqlcipher3` ships its own SQLCipher build in the wheel (`pip install
'interview-miner[encryption]'`); without it, or without a passphrase, studies are plain SQLite.

The passphrase comes from INTERVIEW_MINER_PASSPHRASE, so the CLI, the app and the workers it
starts (which inherit the environment) all open the study the same way; it is never written
anywhere. `encrypt_study` makes an encrypted copy of an existing plain study.

Cost: see README/report; measured on this project's shared CPU, page encryption adds a few
percent to a study's reads and writes (key derivation, PBKDF2 with 256k iterations, adds a fixed
~0.1-0.3 s to every open).
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .errors import InterviewMinerError

PASSPHRASE_ENV = "INTERVIEW_MINER_PASSPHRASE"


class EncryptionUnavailableError(InterviewMinerError):
    """A passphrase was given but sqlcipher3 is not installed."""

    hint_cli = "pip install 'interview-miner[encryption]' (or unset INTERVIEW_MINER_PASSPHRASE)"
    hint_app = "install interview-miner's encryption extra, or start the app without INTERVIEW_MINER_PASSPHRASE"


class StudyLockedError(InterviewMinerError):
    """The study file is encrypted (or not a database) and the passphrase is missing or wrong."""

    hint_cli = "set INTERVIEW_MINER_PASSPHRASE to the study's passphrase"
    hint_app = "start the app with INTERVIEW_MINER_PASSPHRASE set to the study's passphrase"


def passphrase() -> str | None:
    return os.environ.get(PASSPHRASE_ENV) or None


def _sqlcipher():
    try:
        from sqlcipher3 import dbapi2
    except ImportError:
        raise EncryptionUnavailableError("an encrypted study needs sqlcipher3, which is not installed") from None
    return dbapi2


def _quote(secret: str) -> str:
    return "'" + secret.replace("'", "''") + "'"


def connect(path: str, key: str | None = None, **kwargs) -> sqlite3.Connection:
    """A DB-API connection to the study: SQLCipher keyed with `key` (default: the environment's
    passphrase), else plain sqlite3. StudyLockedError when the file does not open with it."""
    key = key if key is not None else passphrase()
    if key is None:
        conn = sqlite3.connect(path, **kwargs)
    else:
        conn = _sqlcipher().connect(path, **kwargs)
        conn.execute(f"PRAGMA key = {_quote(key)}")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except Exception as e:  # sqlite3 and sqlcipher3 raise their own DatabaseError classes
        conn.close()
        state = "the passphrase does not open it" if key else "it is encrypted (or not a study)"
        raise StudyLockedError(f"{path}: {state} ({e})") from None
    return conn


def encrypt_study(source: str | Path, dest: str | Path, key: str) -> Path:
    """An encrypted copy of a plain study (SQLCipher's sqlcipher_export), the original untouched."""
    if not key:
        raise InterviewMinerError("an empty passphrase encrypts nothing")
    dest = Path(dest)
    if dest.exists():
        raise InterviewMinerError(f"{dest} exists: choose a new file for the encrypted copy")
    conn = _sqlcipher().connect(str(source), isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute(f"ATTACH DATABASE ? AS encrypted KEY {_quote(key)}", [str(dest)])
        conn.execute("SELECT sqlcipher_export('encrypted')")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()
    return dest
