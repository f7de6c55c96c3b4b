"""The method's three counting tables: NPS reasons by band, the fish pond, scenario needs.

- `nps_by_band`: the reasons behind the 0-10 answer, split per band into "earns points" and
  "loses points", with counts and quotes; the standard bands (promoters 9-10 / passives 7-8 /
  detractors 0-6) always, and the guide's follow-up bands (8-10 / 5 / 0-4) when the study's guide
  chose them (`nps_bands: method`). Which side a reason is on comes first from the follow-up it
  answers ("what is most worth recommending" earns, "what cost the missing points" loses), then
  from its wording (praise vs. complaint words), then from the band (a promoter's unmarked reason
  earns, a detractor's loses): no model, so a researcher can see why.
- `fish_pond`: products and services bought before / with / after ours (`adjacent_purchase`
  quotes), grouped by name, counted by participants: "where our customers gather".
- `scenario_needs`: purchase triggers and usage scenarios (the trigger and usage themes) ranked
  by their share of participants, so marketing leads with the most common.

All take an `export.study.Study` (edits applied) and the study's codebook, like the journey map.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .codebook import Codebook
from .journey import study_quotes
from .models import Quote
from .vocab import NPS_BANDS, STOP_WORDS, NpsBand

if TYPE_CHECKING:
    from .export.study import Study
    from .guide import Guide

GUIDE_BANDS: tuple[NpsBand, ...] = (
    NpsBand("follow_up_high", "Would recommend", 8, 10),
    NpsBand("follow_up_average", "Merely average", 5, 5),
    NpsBand("follow_up_low", "Would not recommend", 0, 4),
)
"""The guide's follow-up bands (8-10 / 5 / 0-4); scores 6-7 get no follow-up in the method."""

_EARNS_Q = re.compile(r"worth recommending|like (most|best)|\bearns?\b|best thing|what works|"
                      r"what('s| is) good|love about|why (a|so) high", re.I)
_LOSES_Q = re.compile(r"missing points|cost (it|you|them)|los(e|es|t|ing)\b|make it a (ten|10)|would it take|"
                      r"merely average|\baverage\b|why not (a )?(ten|10|higher)|hold(s|ing)? (it )?back|do better|improve",
                      re.I)
_PRAISE = re.compile(r"\b(great|love|loved|easy|easier|save[sd]?|saving|helpful|fast|quick|simple|reliable|best|"
                     r"excellent|brilliant|fantastic|amazing|happy|works|worth|recommend|smooth|calm(er)?|"
                     r"friendly|responsive|nice|good)\b", re.I)
_COMPLAINT = re.compile(r"\b(but|however|expensive|pricey|price|cost|slow|bug(gy|s)?|missing|lack(s|ing)?|wish|"
                        r"annoy\w*|frustrat\w*|clunky|confusing|hard|difficult|never|problem|issue|crash\w*|"
                        r"hate|worse|broken|break|breaks|broke|complicated|if only|would be higher|not|n't|"
                        r"painful|hassle|tedious|awful|terrible|disappoint\w*|unreliable|glitch\w*|struggl\w*)\b", re.I)


def reason_side(quote: Quote, band: str | None) -> str:
    """"earns" or "loses": the follow-up it answers, then its wording, then its band."""
    question = quote.question or ""
    earns_q, loses_q = bool(_EARNS_Q.search(question)), bool(_LOSES_Q.search(question))
    if earns_q != loses_q:
        return "earns" if earns_q else "loses"
    balance = len(_PRAISE.findall(quote.text)) - len(_COMPLAINT.findall(quote.text))
    if balance:
        return "earns" if balance > 0 else "loses"
    return "loses" if band in ("detractor", "follow_up_low") else "earns"


@dataclass
class BandSplit:
    scheme: str  # "standard" | "guide"
    key: str
    label: str  # "Promoters (9-10)"
    n_participants: int
    earns: list[Quote] = field(default_factory=list)
    loses: list[Quote] = field(default_factory=list)


def nps_by_band(study: Study, codebook: Codebook, guide: Guide | None = None) -> list[BandSplit]:
    """Reasons per band, earns vs loses; the guide's bands too when the guide chose them."""
    scores = {iid: s for iid in study.interview_by_id if (s := study.nps_score(iid)) is not None}
    reasons = [q for q in study_quotes(study, codebook, None) if q.category == "nps_reason" and q.interview_id in scores]
    schemes = [("standard", NPS_BANDS)]
    if guide is not None and guide.nps_bands == "method":
        schemes.append(("guide", GUIDE_BANDS))
    out = []
    for scheme, bands in schemes:
        for band in bands:
            members = {iid for iid, s in scores.items() if band.low <= s <= band.high}
            split = BandSplit(scheme, band.key, band.label if band.low != band.high else f"{band.title} ({band.low})",
                              len({study.participant_key(i) for i in members}))
            for q in reasons:
                if q.interview_id in members:
                    (split.earns if reason_side(q, band.key) == "earns" else split.loses).append(q)
            out.append(split)
    return out


# ---------------------------------------------------------------------------------------------
# Fish pond
# ---------------------------------------------------------------------------------------------

WHEN = ("before", "with", "after")
_WHEN_CUES = {
    "before": re.compile(r"\bbefore\b|\bearlier\b|\bprior\b|\balready (had|bought|used)\b", re.I),
    "with": re.compile(r"\bsame time\b|\balong ?side\b|\balong with\b|\btogether with\b|\bat once\b|\bwith it\b|\bbundle", re.I),
    "after": re.compile(r"\bafter(wards)?\b|\bsince then\b|\blater\b|\bnext\b|\bthen we\b", re.I),
}
_BOUGHT = re.compile(
    r"\b(?:bought|buy|buying|purchased|purchase|got|get|getting|signed up (?:for|with)|subscribed to|subscribe to|"
    r"added|ordered|invested in|switched to|picked up|hired|took out|upgraded to|started using)\s+"
    r"(?P<what>[^.,;:!?()\"]{2,80})", re.I)
_END = re.compile(r"\b(?:and then|because|before|after|when|at the same|along|together|since|so|which|that|to|from|"
                  r"for|from|as|with|in|on|too|as well|afterwards|later|first|but)\b", re.I)
_LEAD = re.compile(r"^(?:(?:a|an|the|some|our|my|new|also|another|one|two|three|couple of|bunch of|few|"
                   r"proper|little|big|whole|lot of|lots of)\s+)+", re.I)


def purchase_names(text: str) -> list[str]:
    """The things a sentence says were bought: 'we also bought a card reader and a new till'
    -> ['card reader', 'new till']... kept short (at most five words each)."""
    names = []
    for m in _BOUGHT.finditer(text):
        what = _END.split(m.group("what"), maxsplit=1)[0]
        for part in re.split(r"\band\b|\bor\b|,|\bplus\b", what):
            name = _LEAD.sub("", part.strip()).strip(" -'")
            words = name.split()
            if not words or all(w.casefold() in STOP_WORDS for w in words) or words[0].casefold() in ("it", "them", "us", "one"):
                continue
            names.append(" ".join(words[:5]))
    return names


def _group_key(name: str) -> str:
    words = [w.casefold().rstrip("s") if len(w) > 3 else w.casefold() for w in name.split()]
    return " ".join(w for w in words if w not in STOP_WORDS)


@dataclass
class PondItem:
    name: str
    when: str  # before | with | after | unknown
    n_participants: int
    quotes: list[Quote] = field(default_factory=list)


def purchase_timing(quote: Quote) -> str:
    """before / with / after ours: the question says it (the guide asks each), else the quote."""
    for text in (quote.question or "", quote.text):
        hits = [w for w in WHEN if _WHEN_CUES[w].search(text)]
        if len(hits) == 1:
            return hits[0]
    return "unknown"


def fish_pond(study: Study, codebook: Codebook) -> list[PondItem]:
    """Products and services bought before / with / after ours, grouped by name and when,
    most participants first."""
    groups: dict[tuple[str, str], list[tuple[str, Quote]]] = defaultdict(list)
    for q in study_quotes(study, codebook, None):
        if q.category != "adjacent_purchase":
            continue
        when = purchase_timing(q)
        for name in purchase_names(q.text):
            key = _group_key(name)
            if key:
                groups[when, key].append((name, q))
    items = []
    for (when, _), found in groups.items():
        names = sorted({n for n, _ in found}, key=lambda n: (-sum(m == n for m, _ in found), len(n), n))
        quotes = list({q.id: q for _, q in found}.values())
        items.append(PondItem(names[0], when, len({study.participant_key(q.interview_id) for q in quotes}), quotes))
    order = {w: i for i, w in enumerate(WHEN + ("unknown",))}
    return sorted(items, key=lambda i: (order[i.when], -i.n_participants, i.name.casefold()))


# ---------------------------------------------------------------------------------------------
# Scenario needs
# ---------------------------------------------------------------------------------------------

SCENARIO_CATEGORIES = {"trigger": "Purchase trigger", "usage": "Usage scenario"}


@dataclass
class Need:
    theme_id: str
    label: str
    kind: str  # "Purchase trigger" | "Usage scenario"
    n_participants: int
    share: float  # of all participants in the study
    quote: Quote | None


def scenario_needs(study: Study, codebook: Codebook) -> list[Need]:
    """Trigger and usage themes ranked by the share of participants who raised them."""
    quotes = study_quotes(study, codebook, None)
    everyone = {study.participant_key(i) for i in study.interview_by_id}
    by_theme: dict[str, list[Quote]] = defaultdict(list)
    for q in quotes:
        if q.category in SCENARIO_CATEGORIES and q.theme_id in study.theme_by_id:
            by_theme[q.theme_id].append(q)
    needs = []
    for tid, members in by_theme.items():
        theme = study.theme_by_id[tid]
        who = {study.participant_key(q.interview_id) for q in members}
        best = next((q for q in members if q.id == theme.representative_quote_id), members[0])
        needs.append(Need(tid, theme.label, SCENARIO_CATEGORIES[members[0].category], len(who),
                          len(who) / len(everyone) if everyone else 0.0, best))
    return sorted(needs, key=lambda n: (-n.n_participants, n.kind, n.label.casefold()))
