"""Writing personas: each group of participants becomes a `Persona` with every field filled from
its members' themes and quotes ("3 of 5 participants ..." claims with their strongest quotes),
a name that says who they are and what sets them apart, demographics and a description.

Separate from the grouping (persona_grouping.py) because this half is words only: it never
changes who belongs together, and its wording follows the study's language
(`languages.phrases`). `personas.suggest_personas` groups first, then calls `write_personas`.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from .labels import CATEGORY_LEADS
from .languages import Phrases
from .models import PERSONA_FIELDS, Persona, PersonaField, Quote, Theme
from .persona_grouping import ROLE_KEYS, SEGMENT_KEYS, Participant, metadata_words
from .vocab import nps_breakdown

# Which quote categories feed which persona field.
FIELD_CATEGORIES: dict[str, tuple[str, ...]] = {
    "goals": ("outcome",),
    "frustrations": ("trigger", "objection"),
    "triggers": ("trigger",),
    "criteria": ("criteria",),
    "fears": ("fear",),
    "objections": ("objection",),
    "alternatives": ("alternatives",),
    "channels": ("channel",),
    "usage": ("usage",),
    "nps": ("nps_score", "nps_reason"),
}
MAX_TEXT_THEMES = 5  # themes named in a field's summary text
QUOTES_PER_THEME = 3  # supporting quotes kept per theme in a field
# Categories a persona's name may come from, most telling first.
_NAME_CATEGORIES = ("trigger", "fear", "objection", "outcome", "criteria", "usage", "alternatives", "channel")
_CONNECTORS = {
    "trigger": "driven by", "fear": "worried about", "objection": "put off by",
    "outcome": "wanting", "criteria": "who weighs", "nps_reason": "citing", "usage": "who relies on",
    "alternatives": "comparing", "channel": "who came via",
}
# The same, for a label that is a whole clause with its own subject ("Invoices were going out
# weeks late"): "driven by invoices were going out ..." is not English.
_CLAUSE_CONNECTORS = {"trigger": "triggered when", "fear": "worried that", "objection": "put off because",
                      "outcome": "hoping that", "criteria": "who weighs whether"}
# And for a label that starts with a verb's bare form ("Talk to our billing system", what it must
# do; "Check the schedule on my phone", what they do with it): "who weighs talk to ..." is not English.
_INFINITIVE_CONNECTORS = {"trigger": "who had to", "fear": "worried people would", "objection": "put off until it could",
                          "outcome": "wanting to", "criteria": "who needs it to", "usage": "who uses it to",
                          "alternatives": "who tried to"}


def write_personas(groups: dict[int, list[Participant]], participants: Sequence[Participant],
                   quotes: Sequence[Quote], themes: Sequence[Theme], nps: dict[int, dict[str, Any]],
                   ph: Phrases, unclear_names: Collection[str] = ()) -> list[Persona]:
    """One persona per group (by group label; lettered A, B, ... in that order), written in `ph`'s
    language; duplicate names get their letter. Ids are left empty for the caller to assign.
    `unclear_names`: ids of themes whose name may be misheard (`overview.unclear_names`)."""
    ctx = _Context(participants, quotes, themes, nps, ph, unclear_names)
    personas = [_build_persona(ctx, groups[lab], letter=chr(ord("A") + lab)) for lab in sorted(groups)]
    _dedupe_names(personas)
    return personas


class _Context:
    """What every persona of one suggestion shares: lookups and study-wide theme shares."""

    def __init__(self, participants, quotes, themes, nps, ph: Phrases, unclear_names: Collection[str] = ()):
        self.ph = ph  # the wording claims and names are written in
        self.unclear = set(unclear_names)  # theme ids whose name may be misheard
        self.participants = participants
        self.n_total = len(participants)
        self.owner = {iid: p.key for p in participants for iid in p.interview_ids}
        self.quotes = [q for q in quotes if q.interview_id in self.owner]
        self.quote_by_id = {q.id: q for q in self.quotes}
        self.themes = {t.id: t for t in themes}
        self.nps = nps
        voiced: dict[str, set[str]] = defaultdict(set)
        for q in self.quotes:
            if q.theme_id in self.themes:
                voiced[q.theme_id].add(self.owner[q.interview_id])
        self.voiced = voiced  # theme id -> participant keys, study-wide


def _build_persona(ctx: _Context, members: list[Participant], letter: str) -> Persona:
    keys = {p.key for p in members}
    n = len(members)
    quotes = [q for q in ctx.quotes if ctx.owner[q.interview_id] in keys]
    interview_ids = sorted(i for p in members for i in p.interview_ids)

    def share_out(tid: str) -> float:
        others = ctx.n_total - n
        return len(ctx.voiced[tid] - keys) / others if others else 0.0

    fields: dict[str, PersonaField] = {}
    ranked: dict[str, list[tuple[str, int]]] = {}
    for fname in PERSONA_FIELDS:
        cats = FIELD_CATEGORIES[fname]
        fq = [q for q in quotes if q.category in cats]
        by_theme: dict[str, list[Quote]] = defaultdict(list)
        unthemed: list[Quote] = []
        for q in fq:
            t = ctx.themes.get(q.theme_id) if q.theme_id else None
            if t is not None and t.category in cats and t.category != "nps_score":
                by_theme[t.id].append(q)
            elif q.category != "nps_score":
                unthemed.append(q)
        counts = {tid: len({ctx.owner[q.interview_id] for q in qs}) for tid, qs in by_theme.items()}
        order = sorted(by_theme, key=lambda t: (-counts[t], -(counts[t] / n - share_out(t)),
                                                ctx.themes[t].label.casefold(), t))
        ranked[fname] = [(t, counts[t]) for t in order]
        strongest = {t: _strongest(by_theme[t], ctx.themes[t], ctx.owner, QUOTES_PER_THEME) for t in order}
        quote_ids = [q.id for t in order for q in strongest[t]]
        voicing = {ctx.owner[q.interview_id] for t in order for q in by_theme[t]}
        claims = [_claim(ctx.ph, ctx.themes[t].label, counts[t], n, strongest[t]) for t in order[:MAX_TEXT_THEMES]]
        if len(order) > MAX_TEXT_THEMES:
            claims.append(ctx.ph.plural("more_themes", len(order) - MAX_TEXT_THEMES, m=len(order) - MAX_TEXT_THEMES))
        text = ctx.ph.get("sentence_sep").join(claims) if claims else _no_claim(ctx.ph, fname, bool(fq or unthemed))
        if fname == "nps":
            text, score_qids, scored = _nps_summary(ctx, members, claims)
            quote_ids, voicing = score_qids + quote_ids, voicing | scored  # a reason without a score voices it too
        fields[fname] = PersonaField(text=text, quote_ids=quote_ids, theme_ids=list(order),
                                     n_participants=len(voicing))

    role = _role_phrase(members, english=ctx.ph.language == "en")
    name = _persona_name(ctx, members, keys, role, letter)
    return Persona(
        id="", name=name, role=role or _roles_listed(members), demographics=_demographics(members),
        description=_description(ctx, members, ranked, fields), interview_ids=interview_ids, fields=fields,
    )


def _claim(ph: Phrases, label: str, k: int, n: int, quotes: list[Quote]) -> str:
    """One evidence sentence in the study's language: the theme, how many of the group voiced it
    ("3 af 5 deltagere"), and its strongest quotes in the participants' own words."""
    said = ph.get("quote_sep").join(ph.quote(_one_line(q.text)) for q in quotes)
    count = ph.plural("count", n, k=k)
    return ph.get("claim" if said else "claim_no_quotes").format(label=_sentence_start(label), count=count, quotes=said)


def _no_claim(ph: Phrases, fname: str, spoke: bool) -> str:
    """What an empty field says: plainly, without inventing a claim from unthemed quotes."""
    return ph.get("no_theme" if spoke else "nobody").format(title=ph.field_title_in_text(fname))


def _one_line(text: str) -> str:
    return " ".join(text.split()).rstrip(".。")


def _sentence_start(label: str) -> str:
    label = label.strip()
    return label[:1].upper() + label[1:]


def _strongest(quotes: list[Quote], theme: Theme, owner: dict[int, str], limit: int) -> list[Quote]:
    """Up to `limit` quotes backing a theme: its representative quote first when this group said
    it, then the most confidently categorised quote of each further participant (one voice does
    not make the evidence), then the rest by confidence."""
    ranked = sorted(quotes, key=lambda q: (q.id != theme.representative_quote_id, -(q.confidence or 0.0),
                                           q.interview_id, q.index, q.id))
    out: list[Quote] = []
    seen: set[str] = set()
    for q in ranked:  # one per participant first
        if owner[q.interview_id] not in seen and len(out) < limit:
            out.append(q)
            seen.add(owner[q.interview_id])
    out += [q for q in ranked if q not in out][: max(0, limit - len(out))]
    return out


def _nps_summary(ctx: _Context, members: list[Participant], reason_parts: list[str]):
    scores, qids, voicing = [], [], set()
    for p in members:
        rows = [ctx.nps[i] for i in sorted(p.interview_ids) if i in ctx.nps and ctx.nps[i].get("score") is not None]
        if rows:
            scores.append(int(rows[-1]["score"]))
            voicing.add(p.key)
            if rows[-1].get("quote_id") in ctx.quote_by_id:
                qids.append(rows[-1]["quote_id"])
    ph = ctx.ph
    sep = ph.get("sentence_sep")
    reasons = sep + ph.get("reasons") + sep.join(reason_parts) if reason_parts else ""
    if not scores:
        return ph.get("no_scores") + ph.get("stop") + reasons, qids, voicing
    b = nps_breakdown(scores)
    text = ph.get("nps").format(promoters=b["promoters"], passives=b["passives"], detractors=b["detractors"],
                                nps=f"{b['nps']:+d}", mean=f"{b['mean']:.1f}", k=len(scores), n=len(members))
    return text + reasons, qids, voicing


def _values(members: list[Participant], keys: Sequence[str]) -> list[str]:
    """Each member's metadata value for these keys; for a role, the one they said when the
    metadata names none ("" when neither)."""
    return [next((str(p.metadata[k]) for k in p.metadata if k.casefold() in keys),
                 p.said_role if keys == ROLE_KEYS else "") for p in members]


def _role_words(members: list[Participant], keys: Sequence[str]) -> list[str]:
    """Words present in more than half of the members' values for these metadata keys."""
    values = [v for v in _values(members, keys) if v]
    if not values:
        return []
    counts = Counter(w for v in values for w in dict.fromkeys(metadata_words(v)))
    common = [w for w, c in counts.items() if c > len(members) / 2]
    order = {w: i for i, w in enumerate(dict.fromkeys(w for v in values for w in metadata_words(v)))}
    return sorted(common, key=lambda w: order[w])


def _role_phrase(members: list[Participant], english: bool = True) -> str:
    """The role most members hold, else the words of it most share ("Office manager", "Practice
    manager" -> "Manager"). When those words only qualify the job ("Operations lead", "Operations
    manager"), the jobs are listed after them: "Operations lead or manager", not "Operations".

    >>> _role_phrase([Participant("a", "A", metadata={"role": r}) for r in ("Operations lead", "Operations manager")])
    'Operations lead or manager'
    >>> _role_phrase([Participant("a", "A", metadata={"role": r}) for r in ("Office manager", "Practice manager")])
    'Manager'
    >>> _role_phrase([Participant("a", "A", metadata={"role": r}) for r in ("Klinik ejer", "Klinik leder")], english=False)
    'Klinik'
    """
    roles = [r.strip() for r in _values(members, ROLE_KEYS) if r.strip()]
    if not roles:
        return ""
    top, count = Counter(roles).most_common(1)[0]
    if count > len(members) / 2:
        return top
    words = _role_words(members, ROLE_KEYS)
    if not words:
        return ""
    shared = " ".join(words)
    rests = [r[len(shared):].split() for r in roles if r.casefold().startswith(shared + " ")]
    jobs = list(dict.fromkeys(rest[0].casefold() for rest in rests if len(rest) == 1))
    if (english and len(rests) > len(members) / 2 and len(jobs) == len({" ".join(r).casefold() for r in rests})
            and 1 < len(jobs) <= 3):  # "or": other languages keep the shared words, as before
        return f"{shared} {', '.join(jobs[:-1])} or {jobs[-1]}".capitalize()
    return shared.capitalize()


def roles_named(role: str) -> list[str]:
    """The member roles a persona's role stands for, lower case, for counting who holds it: the
    words most share ("manager"), the roles listed ("physiotherapist, chiropractor"), or a
    qualifier with its jobs (`_role_phrase`).

    >>> roles_named("Operations lead, manager or director")
    ['operations lead', 'operations manager', 'operations director']
    >>> roles_named("Physiotherapist, chiropractor"), roles_named("Manager"), roles_named("Owner (1 of 6)")
    (['physiotherapist', 'chiropractor'], ['manager'], ['owner'])
    """
    # "(+2)": more roles, unnamed; "(1 of 6)": how many said one
    text = re.sub(r"(?:\s*\((?:\+\d+|\d+ of \d+)\))+$", "", " ".join(role.casefold().split()))
    if " or " not in text:
        return [r.strip() for r in text.split(",") if r.strip()]
    listed, last = text.rsplit(" or ", 1)
    first, *jobs = [r.strip() for r in listed.split(",")]
    prefix, _, job = first.rpartition(" ")
    return [f"{prefix} {j}".strip() for j in (job, *jobs, last.strip())]


def _roles_listed(members: list[Participant], most: int = 3) -> str:
    """The members' different roles, for the Role field when they share none ("Physiotherapist,
    chiropractor"); names still use only a shared role."""
    values = [r.strip() for r in _values(members, ROLE_KEYS) if r.strip()]
    roles = list({r.casefold(): r for r in values}.values())
    more = f" (+{len(roles) - most})" if len(roles) > most else ""
    # Known for fewer than half: say so, or one owner among six read as the persona's role.
    few = f" ({len(values)} of {len(members)})" if 2 * len(values) < len(members) else ""
    return ", ".join([roles[0], *map(_lower_first, roles[1:most])]) + more + few if roles else ""


def _persona_name(ctx, members, keys, role: str, letter: str) -> str:
    """Who they are + the theme that sets this group apart ("Practice manager worried about
    losing patient data"). Who: the role most members share, else the segment words they share
    (company size, industry), else "Customer" - never "Persona A" nor a quote. The theme: among
    themes at least half as distinctive (share inside minus share outside) as the most
    distinctive one, the most telling category wins: a trigger or fear says more about a buyer
    than the channel they came from. A name that may be misheard goes last: the persona's name is
    the first thing a stakeholder reads, so a theme heard clearly is taken where one is as telling;
    a name of one word and its lead ("Triggered by patient") comes next to last."""
    n = len(members)
    others = ctx.n_total - n
    scored = []
    for tid, who in ctx.voiced.items():
        t = ctx.themes[tid]
        inside = len(who & keys) / n
        if t.category not in _NAME_CATEGORIES or inside == 0:
            continue
        outside = len(who - keys) / others if others else 0.0
        scored.append((inside - outside, inside, t))
    segment = " ".join(_role_words(members, SEGMENT_KEYS))
    subject = role if role and len(role) <= 40 else (segment.capitalize() if segment and len(segment) <= 40
                                                      else ctx.ph.get("customer"))
    best_d = max((d for d, _, _ in scored), default=0.0)
    pool = [x for x in scored if x[0] > 0 and x[0] >= best_d / 2] or ([] if best_d > 0 else scored)
    if not pool:
        return subject
    _, _, t = min(pool, key=lambda x: (x[2].id in ctx.unclear, _one_word(ctx, x[2]), _deed_of_another(ctx, x[2]),
                                       _NAME_CATEGORIES.index(x[2].category), -x[0], -x[1], x[2].label.casefold(), x[2].id))
    if ctx.ph.language != "en":  # "Klinikejer – Bekymring: tab af patientdata" (no English connectors)
        topic = ctx.ph.topic(t.category)
        label = re.sub(rf"^{re.escape(topic)}\s*[:：]\s*", "", t.label.strip())  # a label already led by its topic
        return ctx.ph.get("name").format(subject=subject, topic=topic, label=label)
    return _in_third_person(_named(subject, t.category, t.label))


_FIRST_PERSON = {"my": "their", "our": "their", "me": "them", "us": "them", "myself": "themselves",
                 "ourselves": "themselves"}


def _in_third_person(name: str) -> str:
    """A persona's name speaks of the persona, not as a participant: a label in the quotes' words
    ("Check both clinics on my phone") says "their" in it. "I" and "we" stay (the verb would
    have to change with them); such labels are named with "who says".

    >>> _in_third_person("Manager who uses it to check both clinics on my phone")
    'Manager who uses it to check both clinics on their phone'
    >>> _in_third_person("Owner worried that support would leave us on our own"), _in_third_person("Owner who sells to the US")
    ('Owner worried that support would leave them on their own', 'Owner who sells to the US')
    """
    return re.sub(r"\b(my|our|me|us|myself|ourselves)\b", lambda m: _FIRST_PERSON[m.group(1)], name)  # not "US"


# Before a deed: its doer is the speaker ("we just ...", "I ..."), or none was said: the quote
# starts with it, after at most a filler ("Yeah, started getting double bookings ...").
_SPEAKER = re.compile(r"(?:\b(?:i|we)(?:'ve|'d|'ll)?(?:\s+(?:just|also|never|really|finally|then|still|already|even))?"
                      r"|^(?:\s*(?:yeah|yes|well|so|um|uh|honestly|basically|then|and then))?)\s*$")


def _one_word(ctx: _Context, theme: Theme) -> bool:
    """A name of one word and its category's lead ("Triggered by patient", "Put off by
    spreadsheet"): what the theme is about, not what sets a person apart. (Chinese names have no
    words to count: all alike.)"""
    from .labels import label_words

    return len(label_words(theme.label, theme.category, ctx.ph.language)) < 2


def _deed_of_another(ctx: _Context, theme: Theme) -> bool:
    """Is the theme's label something a person was not said to do, though it reads so? A label
    that starts with a past-tense verb names the persona by it ("Owner who wasn't going to
    stretch"), but in its quotes someone or something else did it ("the paper diary just wasn't
    going to stretch"). True when no quote holding the label's words has "I" or "we" before them,
    or nothing but a filler (the speaker left their own "I" out)."""
    if ctx.ph.language != "en" or _label_form(_in_sentence(theme.label)) != "clause":
        return False
    said = re.sub(r"[^\w' ]+", " ", theme.label.casefold()).split()
    before = []
    for q in (q for q in ctx.quotes if q.theme_id == theme.id):
        text = " ".join(re.sub(r"[^\w' ]+", " ", q.text.casefold()).split())
        at = f" {text} ".find(f" {' '.join(said)} ")
        if at >= 0:
            before.append(text[:at])
    return bool(before) and not any(_SPEAKER.search(b) for b in before)


def _named(subject: str, category: str, label: str) -> str:
    """An English persona name from who they are and their distinctive theme's label, joined so it
    reads. Labels built from what people did are clauses in the past tense, and "driven by started
    getting double bookings" is not English: such a label takes "who", and a participle with its
    agent ("frustrated by ...") follows the subject directly. A thing or an activity takes the
    category's connector.

    >>> _named("Customer", "trigger", "Started getting double bookings every week")
    'Customer who started getting double bookings every week'
    >>> _named("Customer", "trigger", "Frustrated by double bookings")
    'Customer frustrated by double bookings'
    >>> _named("Practice manager", "trigger", "Chasing late invoices by hand")
    'Practice manager driven by chasing late invoices by hand'
    >>> _named("Owner", "fear", "Worried about losing patient data"), _named("Owner", "criteria", "Price per clinician")
    ('Owner worried about losing patient data', 'Owner who weighs price per clinician')
    >>> _named("Manager", "trigger", "Invoices were going out weeks late"), _named("Owner", "fear", "Staff would push back")
    ('Manager triggered when invoices were going out weeks late', 'Owner worried that staff would push back')
    >>> _named("Owner", "usage", "Staff swap shifts in the app")
    'Owner who says staff swap shifts in the app'
    >>> _named("Owner", "criteria", "Talk to our billing system"), _named("Manager", "usage", "Check both clinics on my phone")
    ('Owner who needs it to talk to our billing system', 'Manager who uses it to check both clinics on my phone')
    """
    text = _in_sentence(label)
    if any(text.casefold().startswith(lead.casefold() + " ") for lead in CATEGORY_LEADS.values()):
        return f"{subject} {text}"  # the label already says how it relates ("worried about ...")
    form = None if text.startswith("“") else _label_form(text)
    if form == "agent":
        return f"{subject} {text}"
    if form == "clause":
        return f"{subject} who {text}"
    if form == "subject_clause":
        return f"{subject} {_CLAUSE_CONNECTORS.get(category, 'who says')} {text}"
    if form == "infinitive" and category in _INFINITIVE_CONNECTORS:
        return f"{subject} {_INFINITIVE_CONNECTORS[category]} {text}"
    return f"{subject} {_CONNECTORS[category]} {text}"


def _label_form(text: str) -> str | None:
    """"clause" when `text` starts with a verb in the past tense ("needed online booking"), "agent"
    when that verb is followed by "by" ("frustrated by calls"), "subject_clause" when it is a
    clause with its own subject ("invoices were going out weeks late"), "infinitive" when it
    starts with a verb's bare form that heads it ("talk to our billing system"), else None. The
    past tense is tagged after a dummy subject: alone, the tagger reads a fragment's first verb as
    a participle; the bare form is tagged alone, where a noun ("price per clinician") stays one."""
    from .labels import _parser

    nlp = _parser()
    if nlp is None:
        return None
    doc = nlp("They " + text)
    if len(doc) >= 2 and doc[1].tag_ == "VBD":
        return "agent" if len(doc) > 2 and doc[2].lower_ == "by" else "clause"
    root = next(iter(nlp(text).sents)).root
    if root.i == 0 and root.tag_ == "VB" and len(doc) >= 2 and doc[1].tag_ == "VBP":
        return "infinitive"
    subject = next((c for c in root.children if c.dep_ in ("nsubj", "nsubjpass", "expl")), None)
    return "subject_clause" if root.pos_ in ("VERB", "AUX") and subject is not None and subject.left_edge.i == 0 else None


def _in_sentence(label: str) -> str:
    """A theme label inside running text; keyword-list labels ("price, cost, per seat") are
    quoted so the sentence still parses."""
    text = _lower_first(label)
    return f"“{text}”" if "," in text or ";" in text else text


def _listed(theme: Theme, ph: Phrases) -> str:
    """A label listed under its field's title, without the lead its category gave it: "Fears:
    breach", not "Fears: worried about breach" (English leads; other languages keep theirs).

    >>> from interview_miner.languages import phrases
    >>> _listed(Theme("t", "fear", "Worried about losing patient data"), phrases("en"))
    'losing patient data'
    >>> _listed(Theme("t", "trigger", "Started getting double bookings"), phrases("en"))
    'started getting double bookings'
    >>> _listed(Theme("t", "trigger", "Déclencheur : rendez-vous manqués"), phrases("fr"))
    'rendez-vous manqués'
    """
    label = theme.label.strip()
    lead = CATEGORY_LEADS.get(theme.category, "") if ph.language == "en" else ""
    if lead and label.casefold().startswith(lead.casefold() + " ") and label[len(lead):].strip():
        label = label[len(lead):].strip()
    elif ph.language != "en" and (topic := ph.topic(theme.category)):  # "Craintes: crainte : …" said it twice
        label = re.sub(rf"^{re.escape(topic)}\s*[:：]\s*(?=\S)", "", label, flags=re.I)
    return _lower_first(label) if ph.get("lower_titles") else label


def _lower_first(label: str) -> str:
    label = label.strip()
    if len(label) > 1 and label[1].isupper():  # acronym: keep "HIPAA", "EHR"
        return label
    return label[:1].lower() + label[1:]


def _dedupe_names(personas: list[Persona]) -> None:
    seen: Counter[str] = Counter(p.name for p in personas)
    for i, p in enumerate(personas):
        if seen[p.name] > 1:
            p.name = f"{p.name} ({chr(ord('A') + i)})"


def _demographics(members: list[Participant]) -> str:
    keys = sorted({k for p in members for k in p.metadata},
                  key=lambda k: (k.casefold() not in ROLE_KEYS, k.casefold() not in SEGMENT_KEYS, k.casefold()))
    parts = []
    for k in keys:
        values = Counter(str(p.metadata[k]).strip() for p in members if k in p.metadata)
        shown = "; ".join(v if c == 1 else f"{v} ({c})" for v, c in sorted(values.items(), key=lambda vc: (-vc[1], vc[0])))
        parts.append(f"{k.replace('_', ' ').capitalize()}: {shown}")
    return " · ".join(parts)


def _description(ctx, members, ranked, fields) -> str:
    """A few lines a stakeholder reads first: the top themes of the telling fields with their
    "k of n", then the NPS summary."""
    n, ph = len(members), ctx.ph
    out = []
    for fname in ("triggers", "criteria", "fears", "objections", "goals"):
        top = [ph.get("item").format(label=_listed(ctx.themes[t], ph), k=c, n=n) for t, c in ranked[fname][:2]]
        if top:
            out.append(ph.get("field_line").format(title=ph.field_title(fname), items=ph.get("quote_sep").join(top)))
    nps_text = fields["nps"].text
    if nps_text and not nps_text.startswith(ph.get("no_scores")):
        out.append(nps_text.split(ph.get("sentence_sep") + ph.get("reasons"))[0])
    return ph.get("sentence_sep").join(out) or ph.get("no_themes_yet").format(participants=ph.plural("participants", n))
