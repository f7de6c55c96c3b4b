"""Fill a real store with mined data without running the miner.

- `load_corpus(store, corpus_dir)`: the labelled dev corpus (../shared/data/corpus/dev) as if it had
  been mined perfectly: interviews with participant metadata, segments from the reference turns,
  one quote per labelled participant sentence with its category, themes from the `theme` labels,
  NPS from the `nps_score` sentences.
- `load_literal_study(store)`: a tiny hand-written study (two personas, hostile text included) for
  tests that must run without ../shared/data.

Both write through the store's public API only (`add_interview`, `replace_segments`,
`save_quotes`, `save_categories`, `save_themes`, `save_nps`).
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from interview_miner.models import INTERVIEWER, PARTICIPANT, Interview, Quote, Segment, Theme, Word
from interview_miner.vocab import NUMBER_WORDS as _NUMBERS
from interview_miner.vocab import nps_band
_PREFIXES = ("nps_reason_", "nps_", "alt_", "channel_", "trigger_", "criteria_", "fear_",
             "objection_", "outcome_", "usage_", "other_")


def theme_label(theme_key: str) -> str:
    """`trigger_no_shows` -> `No shows` (a readable stand-in for a mined label)."""
    for prefix in _PREFIXES:
        if theme_key.startswith(prefix):
            theme_key = theme_key[len(prefix):]
            break
    text = theme_key.replace("_", " ")
    return text[:1].upper() + text[1:]


def spoken_score(text: str) -> int | None:
    for w in re.findall(r"[a-z]+|\d+", text.lower()):
        if w.isdigit():
            return int(w)
        if w in _NUMBERS:
            return _NUMBERS[w]
    return None


def _words(text: str, start: float, end: float) -> list[Word]:
    tokens = text.split()
    step = (end - start) / max(len(tokens), 1)
    return [Word(round(start + i * step, 3), round(start + (i + 1) * step, 3), t) for i, t in enumerate(tokens)]


def corpus_files(corpus_dir: Path) -> list[Path]:
    return sorted(Path(corpus_dir).glob("dev[0-9][0-9].json"))


def load_corpus(
    store,
    corpus_dir: Path,
    *,
    with_themes: bool = True,
    with_nps: bool = True,
    with_metadata: bool = True,
    only: list[str] | None = None,
) -> dict[str, int]:
    """Load the labelled corpus into `store`; returns {"dev01": interview_id, ...}."""
    ids: dict[str, int] = {}
    quotes: list[Quote] = []
    categories: list[tuple[str, str, float]] = []
    theme_members: dict[str, list[str]] = {}
    nps_rows: list[dict[str, Any]] = []
    for path in corpus_files(corpus_dir):
        doc = json.loads(path.read_text())
        if only is not None and doc["id"] not in only:
            continue
        person = dict(doc["participant"])
        name = person.pop("name")
        interview = store.add_interview(Interview(
            id=None, content_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
            file_name=doc["audio"]["file"], kind="transcript", participant=name,
            metadata=person if with_metadata else {}, duration=doc["duration"], status="transcribed",
        ))
        iid = ids[doc["id"]] = interview.id
        segments, question, idx = [], None, 0
        for turn in doc["turns"]:
            segments.append(Segment(start=turn["start"], end=turn["end"], text=turn["text"],
                                    speaker=turn["speaker"], words=_words(turn["text"], turn["start"], turn["end"])))
            if turn["speaker"] == INTERVIEWER:
                question = turn["text"]
                continue
            for s in turn.get("sentences", []):
                qid = f"q_{doc['id']}_{turn['index']:02d}_{s['index']}"
                quotes.append(Quote(id=qid, interview_id=iid, start=s["start"], end=s["end"], text=s["text"],
                                    question=question, speaker=PARTICIPANT, index=idx))
                idx += 1
                categories.append((qid, s["category"], 1.0))
                if s["theme"]:
                    theme_members.setdefault(s["theme"], []).append(qid)
                if s["category"] == "nps_score" and with_nps:
                    score = spoken_score(s["text"])
                    nps_rows.append({"interview_id": iid, "score": score, "klass": nps_band(score),
                                     "quote_id": qid, "text": s["text"]})
        store.replace_segments(iid, segments)
    store.save_quotes(quotes)
    store.save_categories(categories)
    if with_themes:
        category_of = {qid: cat for qid, cat, _ in categories}
        store.save_themes([
            Theme(id=key, category=category_of[members[0]], label=theme_label(key),
                  keywords=theme_label(key).lower().split(), quote_ids=members,
                  representative_quote_id=members[0])
            for key, members in sorted(theme_members.items())
        ])
    if with_nps:
        store.save_nps(nps_rows)
    return ids


def corpus_truth(corpus_dir: Path, ids: dict[str, int]) -> dict[int, str]:
    """{interview_id: latent persona key} for the loaded interviews."""
    out = {}
    for path in corpus_files(corpus_dir):
        doc = json.loads(path.read_text())
        if doc["id"] in ids:
            out[ids[doc["id"]]] = doc["persona"]
    return out


# ---------------------------------------------------------------------------------------------
# A literal study (no shared data needed)
# ---------------------------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script>'

# participant, role, [(category, theme key, text)], nps score
LITERAL = [
    ("Ann Owner", "Clinic owner", [
        ("trigger", "no_shows", "No-shows were costing us real money."),
        ("fear", "privacy", "I worried about patient data leaking."),
        ("outcome", "revenue", "We wanted more revenue from the same team."),
        ("nps_reason", "price", "The price keeps creeping up."),
    ], 6),
    ("Bob Owner", "Clinic owner", [
        ("trigger", "no_shows", "Missed appointments were the trigger."),
        ("fear", "privacy", "Data privacy was my main fear."),
        ("outcome", "revenue", "Revenue growth, plain and simple."),
        ("nps_reason", "price", "It costs too much per clinician."),
    ], 7),
    ("Cat Manager", "Front desk manager", [
        ("trigger", "double_booking", "We kept double booking patients."),
        ("fear", "migration", "I feared losing appointments in the move."),
        ("outcome", "calm", "A calmer front desk."),
        ("nps_reason", "support", "Support always picks up."),
    ], 10),
    ("Dan Manager", "Front desk manager", [
        ("trigger", "double_booking", "Double bookings every week."),
        ("fear", "migration", "Migrating our old bookings scared me."),
        ("outcome", "calm", "Fewer calls, a calm desk."),
        ("nps_reason", "support", "Their support team is great."),
    ], 9),
]


def load_literal_study(store, hostile: bool = False, with_themes: bool = True) -> dict[str, int]:
    """Four interviews, two obvious personas. `hostile` puts `<script>` and Markdown-active text
    into a participant name, a theme label and a quote, to test escaping."""
    ids: dict[str, int] = {}
    quotes, categories, nps_rows = [], [], []
    members: dict[str, list[str]] = {}
    labels: dict[str, tuple[str, str]] = {}
    for n, (name, role, lines, score) in enumerate(LITERAL):
        if hostile and n == 0:
            name = f"{name} {HOSTILE}"
        interview = store.add_interview(Interview(
            id=None, content_hash=f"literal-{n}", file_name=f"interview_{n + 1}.txt", kind="transcript",
            participant=name, metadata={"role": role, "company_size": "small"}, duration=60.0 + n,
            status="transcribed",
        ))
        iid = ids[name] = interview.id
        segments, t = [], 0.0
        for k, (cat, theme, text) in enumerate(lines + [("nps_score", None, f"I'd give it {score}.")]):
            if hostile and n == 0 and k == 0:
                text = f"{text} {HOSTILE} *bold* _x_ [link](http://evil) # heading | pipe"
            q_text = f"What about {cat}?"
            segments.append(Segment(start=t, end=t + 2, text=q_text, speaker=INTERVIEWER,
                                    words=_words(q_text, t, t + 2)))
            segments.append(Segment(start=t + 2, end=t + 6, text=text, speaker=PARTICIPANT,
                                    words=_words(text, t + 2, t + 6)))
            qid = f"lit{n}_{k}"
            quotes.append(Quote(id=qid, interview_id=iid, start=t + 2, end=t + 6, text=text,
                                question=q_text, index=k))
            categories.append((qid, cat, 0.9))
            if theme:
                key = f"{cat}_{theme}"
                members.setdefault(key, []).append(qid)
                label = theme_label(key)
                if hostile and key == "trigger_no_shows":
                    label = f"No shows {HOSTILE}"
                labels[key] = (cat, label)
            if cat == "nps_score":
                nps_rows.append({"interview_id": iid, "score": score, "klass": nps_band(score),
                                 "quote_id": qid, "text": text})
            t += 61.5  # spread quotes over minutes so timestamps are not all 00:0x
        store.replace_segments(iid, segments)
    store.save_quotes(quotes)
    store.save_categories(categories)
    if with_themes:
        store.save_themes([Theme(id=k, category=labels[k][0], label=labels[k][1], quote_ids=v)
                           for k, v in sorted(members.items())])
    store.save_nps(nps_rows)
    return ids
