"""Roles participants state about themselves: "I'm the practice manager at a children's clinic"
-> "Practice manager", with the quote that says it.

Why: a persona is named after who its members are ("Practice manager worried about ..."), and that
comes from the interviews' metadata (role, title). Many studies have none typed in, yet almost
every interview opens with "tell me about your role", and the answer names it. When an
interview has no role in its metadata, the persona writer (`persona_writing`) uses the role the
participant said, so names and the Role field read "Office manager" rather than "Customer"; the
metadata, where a researcher typed it, always wins.

A business they own, run or founded says it too: "I own a dental practice", "I run two
restaurants" -> "Owner", "I started a design agency" -> "Founder"; only with an organisation as
the object ("I run the front desk", "I run operations" say no such thing).

Only a plain statement counts: "I" + a form of "be" + a noun that names a job ("manager",
"physiotherapist", "operations lead"), never negated ("I'm not the owner") and never a noun that
only says what someone likes or uses ("I'm a big fan", "a heavy user"). A job noun is one the
English lexicon marks as an agent (-er, -or, -ist, -ian, -ant, -ent: "owner", "director",
"receptionist", "accountant") or one of a few job nouns without such an ending ("lead", "head",
"chef", "nurse"). English only: other languages have no bundled parser, and their interviews
keep their metadata roles.

    >>> said_role(["Sure. I'm the office manager at a family medicine practice."])
    ('Office manager', 0)
    >>> said_role(["I'm a big fan of anything that saves time.", "I'm not the owner."]) is None
    True
    >>> said_role(["I run the front desk at a clinic.", "I run two Italian restaurants in Leeds."])
    ('Owner', 1)
    >>> said_role(["I'm a physiotherapist, and I own a small practice with four physios."])
    ('Physiotherapist and owner', 0)
"""
from __future__ import annotations

from collections.abc import Sequence

_AGENT_ENDINGS = ("er", "or", "ist", "ian", "ant", "ent", "eur")
_JOB_NOUNS = frozenset("lead head chief chef nurse clerk cook vp ceo cto cfo coo cmo cio staff".split())
# Agent-like nouns that say what someone likes, uses or is to the product, not their job.
_NOT_JOBS = frozenset(
    """user customer client member fan lover believer follower supporter subscriber buyer consumer
    number order matter other letter winner loser beginner newcomer""".split()
)
# What someone who owns, runs or founded it is the owner of: a business, not a desk or a process.
_ORGANISATIONS = frozenset(
    """business company firm agency practice clinic surgery restaurant cafe café bar pub hotel shop store
    salon studio gym bakery startup consultancy franchise school nursery farm garage workshop brewery
    charity chain group contractor label dealership pharmacy""".split()
)
_OWNER_VERBS = {"own": "Owner", "run": "Owner", "found": "Founder", "start": "Founder", "co-found": "Co-founder",
                "cofound": "Co-founder"}
_NEEDS_OF = frozenset({"head", "chief", "vp"})  # not a job without what they head: "head of sales"
MAX_ROLE_WORDS = 5


def _is_job(token) -> bool:
    lemma = (token.lemma_ or token.text).casefold()
    if lemma in _NOT_JOBS or token.lower_ in _NOT_JOBS:
        return False
    if lemma in _JOB_NOUNS or token.lower_ in _JOB_NOUNS:  # the small parser tags "lead" a verb at times
        return True
    return token.pos_ in ("NOUN", "PROPN") and len(lemma) > 4 and lemma.endswith(_AGENT_ENDINGS)


def _role_from(doc) -> str | None:
    """The job of the first "I am a/the <job>" in a parsed text, else None: the words from after
    "am" to the job noun (and a job joined to it by "and"), without the leading article."""
    for be in doc:
        if be.lemma_ != "be" or not any(c.dep_ == "nsubj" and c.lower_ == "i" for c in be.children):
            continue
        if any(c.dep_ == "neg" for c in be.children):
            continue
        # the small parser reads "the operations lead" as a clause at times: "lead" as its verb
        attrs = [c for c in be.children if c.i > be.i and (c.dep_ == "attr" or (
            c.dep_ in ("ccomp", "acomp") and c.lower_ in _JOB_NOUNS))]
        head = next((a for a in attrs if _is_job(a)), None)
        if head is None or any(a.i < head.i and not _is_job(a) and a.pos_ == "NOUN" and a.text.isalpha()
                               and doc[a.i + 1].text != "-" for a in attrs):
            continue
        end = max([head.i] + [c.i for c in head.children if c.dep_ == "conj" and _is_job(c)])
        if head.lemma_ in _NEEDS_OF:  # "head of marketing"
            of = next((c for c in head.children if c.dep_ == "prep" and c.lower_ == "of"), None)
            end = of.right_edge.i if of is not None else end
        span = list(doc[be.i + 1:end + 1])
        while span and (span[0].dep_ in ("det", "poss", "advmod", "intj") or span[0].is_punct):
            span = span[1:]
        if not span or any(t.is_punct and t.text not in "-'" for t in span):
            continue
        text = "".join(t.text_with_ws for t in span).strip()
        if len(text.split()) <= MAX_ROLE_WORDS:
            return text[:1].upper() + text[1:]
    return None


def _owner_from(doc) -> str | None:
    """"Owner" for "I own/run a|an|two|my <organisation>", "Founder" for "I founded/started one"."""
    for verb in doc:
        title = _OWNER_VERBS.get(verb.lemma_.casefold())
        if (title is None or verb.pos_ != "VERB" or any(c.dep_ == "neg" for c in verb.children)
                or not any(c.dep_ == "nsubj" and c.lower_ == "i" for c in verb.children)):
            continue
        for obj in (c for c in verb.children if c.dep_ == "dobj"):
            owned = obj.lemma_.casefold() in _ORGANISATIONS or obj.lower_ in _ORGANISATIONS
            if owned and any(c.dep_ in ("det", "nummod", "poss") and c.lower_ != "the" for c in obj.children):
                return title
    return None


def said_role(texts: Sequence[str]) -> tuple[str, int] | None:
    """(role, index of the text that says it) for the first text stating the speaker's job, in
    order; None when none does or the English parser is not installed."""
    from .labels import _parser

    nlp = _parser()
    if nlp is None:
        return None
    for k, doc in enumerate(nlp.pipe(texts)):
        role, owner = _role_from(doc), _owner_from(doc)
        if role and owner and owner.casefold() not in role.casefold():
            role = f"{role} and {owner.casefold()}"  # "I'm a physiotherapist, and I own a small practice"
        role = role or owner
        if role:
            return role, k
    return None
