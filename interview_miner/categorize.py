"""Categorize: each quote gets one of `CATEGORIES` with a confidence, and learns from corrections.

Public API:
- `Categorizer(encode, priors=None)`: holds the category prototypes, embedded once with
  `encode(texts)`; `priors` (one `CategoryPrior` per category of a study's codebook: its guide
  questions, description and example quotes) replace the default categories.
- `Categorizer.score(quotes, quote_vecs, question_vecs) -> np.ndarray` (n, n_categories) of
  zero-shot probabilities.
- `categorize(quotes, quote_vecs, question_vecs, encode, corrections) -> list[(category, conf)]`:
  the stage: zero-shot scores, re-scored by a classifier trained on researcher corrections;
  corrected quotes keep their corrected category (confidence 1.0).

Signals, strongest first (nothing here is specific to one product or market; the prototype
sentences and cue patterns live in category_prototypes.py):
1. The interviewer's question. Customer-discovery and buyer-persona guides ask a small set of
   question types (trigger, channel, alternatives, criteria, fears, objections, hoped-for outcomes,
   usage, the 0-10 recommendation question and its "why"); each category has cue patterns and
   prototype questions, and the question's embedding is compared with the prototypes.
   Probes with no topic of their own ("Tell me more.", "Why?", "Mm-hmm.") inherit the previous
   question's topic.
2. The quote itself: lexical cues ("I heard about it from", "I was worried", "out of ten") and
   similarity to prototype statements per category.
3. Context: sentences of one answer usually share a category, so scores are smoothed over the
   neighbours in the same answer. And the study's own order: one guide is followed in every
   interview, so an answer the model is unsure of (a question the recogniser garbled) leans on
   what the *other* interviews asked before and after the same neighbours (`_study_order`).
4. The recommendation question is structural: the first answer sentence stating a score is
   `nps_score`; the rest of that answer and answers to its follow-ups are `nps_reason`.
5. Researcher corrections (edits on field `category`) train a similarity-weighted nearest-neighbour
   classifier on (quote, question) embeddings, blended with the zero-shot scores, so one correction
   moves similar quotes elsewhere too.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import nps as nps_mod
from .category_prototypes import (  # noqa: F401  (re-exported: the prototypes are part of this stage's API)
    FOLLOW_UP, MAX_PROBE_WORDS, QUESTION_CUE_PATTERNS, QUESTION_CUES, QUESTION_PROTOTYPES, QUOTE_CUE_PATTERNS,
    QUOTE_CUES, QUOTE_PROTOTYPES, is_probe,
)
from .models import Quote
from .vocab import CATEGORIES, FILLER_WORDS, STOP_WORDS, is_closing_remark

Encode = Callable[[list[str]], np.ndarray]
CAT_INDEX = {c: i for i, c in enumerate(CATEGORIES)}
_Q_CUES, _T_CUES = QUESTION_CUE_PATTERNS, QUOTE_CUE_PATTERNS


_RECOMMEND = re.compile(
    r"\brecommend\b.*\b(scale|likely|zero|0|one|1|ten|10)\b|\b(how likely|likelihood|scale)\b.*\brecommend", re.I)

@dataclass(frozen=True)
class CategorizerOptions:
    """How the evidence is weighed. The defaults were set on generic interview-guide wording
    (never on a labelled corpus) and are what `categorize` uses unless given others.

    Zero-shot weights are on the log-odds scale: question evidence dominates; the quote can
    overrule a weak question.
    """

    question_similarity: float = 14.0  # x best cosine of the question to a category's prototype questions
    question_cue: float = 2.5  # added when the question matches a category's cue pattern
    quote_similarity: float = 6.0  # x the quote's cosine to prototype statements (centred per quote)
    quote_cue: float = 1.0  # added when the quote matches a category's cue pattern
    context: float = 0.5  # pull towards the neighbours' categories within one answer
    study_order: float = 1.0  # weight of the other interviews' order on an unsure answer (0: off)
    study_order_unsure: float = 0.9  # an answer whose mean top probability is below this is unsure
    study_order_min_pairs: int = 3  # sure neighbour pairs in the other interviews before an order counts
    follow_up_keep: float = 0.25  # share of a probe's own evidence kept when it inherits the previous topic
    weak_question: float = 0.4  # best prototype similarity below this: the question carries little topic
    weak_question_keep: float = 0.5  # share of a weak question's own evidence kept (the rest inherited)
    short_score_words: int = 8  # a first answer this short to the 0-10 question is the score statement
    score_confidence: float = 0.98  # the sentence stating the score
    unparsed_score_confidence: float = 0.6  # a short first answer whose number could not be read
    reason_confidence: float = 0.9  # the rest of the answer to the 0-10 question, and its follow-ups
    # Learning from corrections: nearest neighbours first ...
    knn_k: int = 7  # corrected quotes that vote on each uncorrected one
    knn_temperature: float = 0.05  # vote weight exp((similarity - 1) / T)
    knn_min_similarity: float = 0.45  # below this, a correction says nothing about a quote
    knn_full_similarity: float = 0.85  # at or above this, the vote gets the full blend weight ...
    knn_max_weight: float = 0.9  # ... which is this
    quote_weight: float = 0.65  # similarity = this x quote cosine + the rest x question cosine
    # ... then, with enough corrections (in two categories or more), a logistic regression.
    lr_min_corrections: int = 10
    lr_c: float = 2.0  # inverse regularisation strength
    lr_half_weight: float = 30.0  # the regression's weight is n / (n + this) for n corrections
    lr_floor: float = 0.02  # probability floor under the regression's output


DEFAULT_OPTIONS = CategorizerOptions()


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def _max_sim(vecs: np.ndarray, protos: dict[str, np.ndarray], index: dict[str, int] = CAT_INDEX) -> np.ndarray:
    """(n, n_categories): best cosine similarity of each row to each category's prototypes
    (0 for a category without any)."""
    out = np.zeros((len(vecs), len(index)), dtype=np.float32)
    for c, pv in protos.items():
        if c not in index or not len(pv):
            continue
        sims = vecs @ pv.T
        top = np.sort(sims, axis=1)[:, -2:]  # mean of the best two: one lucky prototype is not enough
        out[:, index[c]] = top.mean(axis=1) if top.shape[1] > 1 else top[:, 0]
    return out


# Categories every codebook keeps: the recommendation question is structural (score, then
# reasons), and "other" is where quotes of a removed category go.
REQUIRED_CATEGORIES = ("nps_score", "nps_reason", "other")


@dataclass(frozen=True)
class CategoryPrior:
    """What a study tells the categorizer about one of its categories (see codebook.py).

    `questions`: the study's own wording of the questions that collect it (its interview guide),
    added to the built-in prototype questions, so a researcher's phrasing is recognised.
    `statements`: the category's description and example quotes, added to the prototype
    statements; a category the package does not know works zero-shot from these alone."""

    key: str
    questions: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()


def _content_words(text: str) -> frozenset[str]:
    """Lower-cased words that carry the topic (no function words or fillers; a plural 's' dropped)."""
    words = (w.strip("'").removesuffix("'s") for w in re.findall(r"[a-z0-9']+", text.lower()))
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                     for w in words if w and w not in STOP_WORDS and w not in FILLER_WORDS)


def _word_overlap(asked: frozenset[str], guide: frozenset[str]) -> float:
    """How much of the shorter question the other repeats (overlap coefficient); 0 unless at least
    two topic words are shared, so one common word is not a match. This is how a researcher's own
    wording of a guide question is recognised even when its embedding is far from the wording."""
    shared = len(asked & guide)
    return shared / min(len(asked), len(guide)) if shared >= 2 else 0.0


def question_prototypes(localised: bool = False) -> dict[str, list[str]]:
    """The prototype questions per category; with `localised`, also the default guide's
    questions in other languages (`languages.localised_guide_questions`), for a multilingual
    embedder."""
    if not localised:
        return QUESTION_PROTOTYPES
    from .languages import localised_guide_questions

    merged = {c: list(qs) for c, qs in QUESTION_PROTOTYPES.items()}
    for per_category in localised_guide_questions().values():
        for c, qs in per_category.items():
            if c in merged:
                merged[c] += qs
    return merged


# How cosine similarities between prototype questions of different categories spread under the
# model the options were set with (all-MiniLM-L6-v2): mean and standard deviation. Other models
# crowd their cosines differently (multilingual-e5: mean 0.84, sd 0.026), so their similarities
# are mapped onto this scale before the options' weights and thresholds apply.
REFERENCE_SIMILARITY = (0.221, 0.123)


def similarity_scale(vecs: np.ndarray, labels: Sequence[str]) -> tuple[float, float]:
    """(mean, sd) of the cosines between prototypes of different categories under this model."""
    sims = vecs @ vecs.T
    lab = np.asarray(labels)
    between = sims[lab[:, None] != lab[None, :]]
    return float(between.mean()), max(float(between.std()), 1e-3)


class Categorizer:
    """The zero-shot model over a set of categories: the defaults (`CATEGORIES`), or a study's
    codebook given as `priors` (its columns follow their order). `localised`: add the guide's
    questions in other languages to the prototypes (for a multilingual embedder, where they sit in
    the same vector space as the quotes)."""

    def __init__(self, encode: Encode, options: CategorizerOptions = DEFAULT_OPTIONS,
                 priors: Sequence[CategoryPrior] | None = None, localised: bool = False):
        self.options = options
        priors = list(priors) if priors is not None else [CategoryPrior(c) for c in CATEGORIES]
        self.keys: tuple[str, ...] = tuple(p.key for p in priors)
        missing = [c for c in REQUIRED_CATEGORIES if c not in self.keys]
        if missing or len(set(self.keys)) != len(self.keys):
            raise ValueError(f"categories must be distinct and include {', '.join(REQUIRED_CATEGORIES)}")
        self.index = {c: i for i, c in enumerate(self.keys)}
        builtin = question_prototypes(localised)
        questions = {p.key: list(builtin.get(p.key, [])) + list(p.questions) for p in priors}
        statements = {p.key: QUOTE_PROTOTYPES.get(p.key, []) + list(p.statements) for p in priors}
        # One encode call for every prototype (batched; cached by the caller's encode).
        texts = [t for ps in questions.values() for t in ps] + [t for ps in statements.values() for t in ps]
        vecs = np.asarray(encode(texts), dtype=np.float32) if texts else np.zeros((0, 1), np.float32)
        self.q_protos, self.t_protos, pos = {}, {}, 0
        for target, source in ((self.q_protos, questions), (self.t_protos, statements)):
            for c, ps in source.items():
                target[c] = vecs[pos : pos + len(ps)]
                pos += len(ps)
        # The study's own questions (guide wording) also count one by one: an interview question
        # close to one of them is evidence by itself, not averaged with the generic prototypes.
        self.guide_protos = {p.key: self.q_protos[p.key][len(questions[p.key]) - len(p.questions):]
                             for p in priors if p.questions}
        self.guide_words = {p.key: [_content_words(q) for q in p.questions] for p in priors if p.questions}
        self.q_cues = {c: rx for c, rx in _Q_CUES.items() if c in self.index}
        self.t_cues = {c: rx for c, rx in _T_CUES.items() if c in self.index}
        # This model's similarity scale, from the English built-in prototype questions.
        english = [(c, v) for c in QUESTION_PROTOTYPES if c in self.q_protos
                   for v in self.q_protos[c][: len(QUESTION_PROTOTYPES[c])]]
        self.model_similarity = similarity_scale(np.stack([v for _, v in english]), [c for c, _ in english])

    def calibrated(self, sims: np.ndarray) -> np.ndarray:
        """Cosines of this model on the reference model's scale (identity for MiniLM)."""
        mean, sd = self.model_similarity
        ref_mean, ref_sd = REFERENCE_SIMILARITY
        return ref_mean + (sims - mean) * (ref_sd / sd)

    # -- question ----------------------------------------------------------------------------

    def question_logits(self, questions: list[str | None], vecs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per distinct question: (logits (n, C), own-topic strength (n,))."""
        sims = self.calibrated(_max_sim(vecs, self.q_protos, self.index)) if len(vecs) else np.zeros((0, len(self.keys)))
        for c, gv in self.guide_protos.items():
            if len(vecs):
                sims[:, self.index[c]] = np.maximum(sims[:, self.index[c]], self.calibrated((vecs @ gv.T).max(axis=1)))
        o = self.options
        logits = o.question_similarity * sims
        for i, q in enumerate(questions):
            text = q or ""
            asked = _content_words(text)
            for c, guide_word_sets in self.guide_words.items():
                logits[i, self.index[c]] += o.question_cue * max(_word_overlap(asked, g) for g in guide_word_sets)
            for c, rx in self.q_cues.items():
                if rx.search(text):
                    logits[i, self.index[c]] += o.question_cue
            if nps_mod.asks_to_recommend(text) or (nps_mod.is_nps_question(text) and re.search(r"\blikely\b", text, re.I)):
                logits[i, self.index["nps_score"]] += o.question_cue
        strength = sims.max(axis=1) if len(sims) else np.zeros(0)
        return logits, strength

    # -- the whole zero-shot model -----------------------------------------------------------

    def score(self, quotes: Sequence[Quote], quote_vecs: np.ndarray, question_vecs: dict[str, np.ndarray]) -> np.ndarray:
        o = self.options
        n = len(quotes)
        C = len(self.keys)
        if n == 0:
            return np.zeros((0, C), dtype=np.float32)
        order = sorted(range(n), key=lambda i: (quotes[i].interview_id, quotes[i].start, quotes[i].index))
        # Answers: runs of quotes in one interview answering the same question.
        answers: list[list[int]] = []
        for i in order:
            q = quotes[i]
            if answers and quotes[answers[-1][-1]].interview_id == q.interview_id and quotes[answers[-1][-1]].question == q.question:
                answers[-1].append(i)
            else:
                answers.append([i])
        qtexts = [quotes[a[0]].question for a in answers]
        dim = quote_vecs.shape[1]
        qv = np.stack([question_vecs.get(t or "", np.zeros(dim, np.float32)) for t in qtexts]) if answers else np.zeros((0, dim))
        q_logits, strength = self.question_logits(qtexts, qv)

        # Probes inherit the topic of the previous question in the same interview.
        q_probs = np.zeros_like(q_logits)
        nps_family = np.zeros(len(answers), dtype=bool)
        score_question = np.zeros(len(answers), dtype=bool)
        prev_probs, prev_nps, prev_iid = None, False, None
        for k, a in enumerate(answers):
            iid = quotes[a[0]].interview_id
            if iid != prev_iid:
                prev_probs, prev_nps = None, False
            text = qtexts[k] or ""
            own = _softmax(q_logits[k])
            is_score_q = bool(_RECOMMEND.search(text)) or (
                int(own.argmax()) == self.index["nps_score"] and own.max() > 0.5)
            has_cue = any(rx.search(text) for rx in self.q_cues.values())
            probe = is_probe(text) or not text.strip()
            weak = strength[k] < o.weak_question and not has_cue
            if prev_probs is not None and not is_score_q and probe and not (has_cue and not is_probe(text)):
                probs = o.follow_up_keep * own + (1 - o.follow_up_keep) * prev_probs
            elif prev_probs is not None and not is_score_q and weak:
                probs = o.weak_question_keep * own + (1 - o.weak_question_keep) * prev_probs
            else:
                probs = own
            top = int(probs.argmax())
            fam = is_score_q or nps_mod.is_score_followup(text) or (
                prev_nps and (probe or weak or top in (self.index["nps_score"], self.index["nps_reason"])))
            q_probs[k] = probs
            nps_family[k] = fam
            score_question[k] = is_score_q
            prev_probs, prev_nps, prev_iid = probs, fam, iid

        # Quote evidence.
        t_sims = self.calibrated(_max_sim(quote_vecs, self.t_protos, self.index))
        t_logits = o.quote_similarity * (t_sims - t_sims.mean(axis=1, keepdims=True))
        for i, q in enumerate(quotes):
            for c, rx in self.t_cues.items():
                if rx.search(q.text):
                    t_logits[i, self.index[c]] += o.quote_cue

        logits = np.zeros((n, C), dtype=np.float64)
        for k, a in enumerate(answers):
            ql = np.log(q_probs[k] + 1e-4)
            for i in a:
                logits[i] = ql + t_logits[i]
        # Context: neighbours in one answer pull towards a shared category.
        smoothed = logits.copy()
        for a in answers:
            if len(a) < 2:
                continue
            probs = _softmax(logits[a])
            for j, i in enumerate(a):
                nb = [probs[m] for m in (j - 1, j + 1) if 0 <= m < len(a)]
                smoothed[i] += o.context * np.log(np.mean(nb, axis=0) + 1e-4)
        probs = _softmax(smoothed)
        if o.study_order > 0:
            _study_order(quotes, answers, probs, nps_family, o)

        # The recommendation question: score first, then reasons.
        ns, nr = self.index["nps_score"], self.index["nps_reason"]
        for k, a in enumerate(answers):
            if not nps_family[k]:
                # A stated score in answer to nothing NPS-like stays whatever it is.
                continue
            # The score statement: the sentence stating the score (the first, unless a later one
            # gives it as it stands now: `nps.score_sentence`); failing that (a number the
            # transcript garbled), a short first sentence of the answer, with less confidence.
            score_at, conf = None, o.score_confidence
            if score_question[k]:
                score_at = nps_mod.score_sentence([quotes[i].text for i in a])
                if score_at is None and len(quotes[a[0]].text.split()) <= o.short_score_words:
                    score_at, conf = 0, o.unparsed_score_confidence
            for j, i in enumerate(a):
                cat, c = (ns, conf) if j == score_at else (nr, o.reason_confidence)
                p = np.full(C, (1.0 - c) / (C - 1))
                p[cat] = c
                probs[i] = p
        # nps_score/nps_reason only come from the recommendation question.
        for k, a in enumerate(answers):
            if nps_family[k]:
                continue
            for i in a:
                if probs[i, ns] + probs[i, nr] > 0:
                    probs[i, ns] = probs[i, nr] = 0.0
                    probs[i] /= probs[i].sum()
        # A reply that only closes ("No, that's everything, thanks.") makes no point of any kind.
        for i, q in enumerate(quotes):
            if is_closing_remark(q.text):
                probs[i] = np.full(C, (1.0 - o.reason_confidence) / (C - 1))
                probs[i, self.index["other"]] = o.reason_confidence
        return probs.astype(np.float32)


def _study_order(quotes: Sequence[Quote], answers: list[list[int]], probs: np.ndarray, skip: np.ndarray,
                 o: CategorizerOptions) -> None:
    """An answer the model is unsure of leans on the order the study's other interviews follow.

    Why: interviews of one study follow one guide, so what was asked between two topics in the
    other interviews is what was most likely asked here. When the recogniser garbles a question
    ("Were you worried about anything going in?" heard as "Well, you want me to know anything
    going in?"), its answers lose their strongest evidence and land on a neighbouring topic;
    the other interviews, asked the same thing between the same two topics, say which one.

    How: from the answers the model is sure of (mean top probability >= `study_order_unsure`)
    in the OTHER interviews, the frequencies of which category follows which (a follow-up on the
    same topic counts as following it). An unsure answer between sure answers of categories A
    and C gets the prior P(X follows A) x P(C follows X) (Laplace-smoothed; a side with fewer
    than `study_order_min_pairs` pairs says nothing), raised to `study_order`, on each of its
    quotes' probabilities. Sure answers, the recommendation question's answers (structural) and
    studies of one interview are left as they are. Updates `probs` in place."""
    C = probs.shape[1]
    seq: dict[int, list[int]] = {}  # interview -> answer indices in order (NPS family excluded)
    for k, a in enumerate(answers):
        if not skip[k]:
            seq.setdefault(quotes[a[0]].interview_id, []).append(k)
    if len(seq) < 2:
        return
    mean = {k: probs[answers[k]].mean(axis=0) for ks in seq.values() for k in ks}
    sure = {k: int(mean[k].argmax()) for k in mean if float(mean[k].max()) >= o.study_order_unsure}
    pairs: dict[int, np.ndarray] = {}  # interview -> (C, C) counts of sure category a -> next sure b
    for iid, ks in seq.items():
        m = np.zeros((C, C))
        cats = [sure[k] for k in ks if k in sure]
        for a, b in zip(cats, cats[1:]):
            m[a, b] += 1
        pairs[iid] = m
    total = sum(pairs.values())
    for iid, ks in seq.items():
        others = total - pairs[iid]
        for j, k in enumerate(ks):
            if k in sure:
                continue
            before = next((sure[x] for x in reversed(ks[:j]) if x in sure), None)
            after = next((sure[x] for x in ks[j + 1:] if x in sure), None)
            prior = np.ones(C)
            if before is not None and others[before].sum() >= o.study_order_min_pairs:
                prior *= (others[before] + 1) / (others[before].sum() + C)
            if after is not None and others[:, after].sum() >= o.study_order_min_pairs:
                prior *= (others[:, after] + 1) / (others[:, after].sum() + C)
            for i in answers[k]:
                p = probs[i] * prior ** o.study_order
                probs[i] = p / p.sum()


# ---------------------------------------------------------------------------------------------
# Learning from corrections
# ---------------------------------------------------------------------------------------------

def correction_similarity(quote_vecs: np.ndarray, question_vecs: np.ndarray, idx: np.ndarray,
                          quote_weight: float = DEFAULT_OPTIONS.quote_weight) -> np.ndarray:
    """(n, len(idx)): how alike each quote is to each corrected quote, by what is said and what
    was asked."""
    return quote_weight * (quote_vecs @ quote_vecs[idx].T) + (1 - quote_weight) * (question_vecs @ question_vecs[idx].T)


def rescore_with_corrections(
    probs: np.ndarray, quote_vecs: np.ndarray, question_vecs: np.ndarray, corrected: dict[int, str],
    options: CategorizerOptions = DEFAULT_OPTIONS, index: dict[str, int] = CAT_INDEX,
) -> np.ndarray:
    """Blend zero-shot probabilities with classifiers trained on the corrected quotes.

    1. Nearest neighbours: each uncorrected quote looks at its most similar corrected quotes;
       their categories vote with weights exp(sim / T). The blend weight grows with the best
       similarity, so a correction moves look-alikes strongly and leaves unrelated quotes alone.
    2. With enough corrections (`options.lr_min_corrections` in two or more categories), a logistic
       regression on (quote, question) embeddings adds a global view, multiplied in (log-linear)
       with weight n / (n + `options.lr_half_weight`).
    Corrected quotes get their category with probability 1. `index` maps category -> column
    (the categorizer's own when it follows a study's codebook).
    """
    o = options
    out = probs.copy()
    if not corrected:
        return out
    idx = np.array(sorted(corrected), dtype=int)
    labels = np.array([index[corrected[i]] for i in idx])
    sims = correction_similarity(quote_vecs, question_vecs, idx, o.quote_weight)
    C = probs.shape[1]
    k = min(o.knn_k, len(idx))
    is_corrected = np.zeros(len(probs), dtype=bool)
    is_corrected[idx] = True
    for i in np.where(~is_corrected)[0]:
        row = sims[i]
        top = np.argsort(-row, kind="stable")[:k]
        top = top[row[top] >= o.knn_min_similarity]
        if len(top) == 0:
            continue
        w = np.exp((row[top] - 1.0) / o.knn_temperature)
        vote = np.zeros(C)
        np.add.at(vote, labels[top], w)
        vote /= vote.sum()
        reach = (row[top].max() - o.knn_min_similarity) / (o.knn_full_similarity - o.knn_min_similarity)
        alpha = float(np.clip(reach, 0.0, 1.0)) * o.knn_max_weight
        out[i] = (1 - alpha) * out[i] + alpha * vote
    if len(idx) >= o.lr_min_corrections and len(set(labels.tolist())) >= 2:
        from sklearn.linear_model import LogisticRegression

        feats = np.hstack([quote_vecs, question_vecs])
        lr = LogisticRegression(C=o.lr_c, max_iter=2000, class_weight="balanced")
        lr.fit(feats[idx], labels)
        rest = np.where(~is_corrected)[0]
        if len(rest):
            # Log-linear (product of experts): the global classifier sharpens or re-ranks what the
            # zero-shot model is unsure about, but a confident question-driven call needs strong
            # contrary evidence to flip.
            p_lr = np.full((len(rest), C), o.lr_floor)
            p_lr[:, lr.classes_] += lr.predict_proba(feats[rest])
            w = len(idx) / (len(idx) + o.lr_half_weight)
            mixed = np.log(np.maximum(out[rest], 1e-6)) + w * np.log(p_lr)
            out[rest] = _softmax(mixed)
    for i, c in corrected.items():
        out[i] = 0.0
        out[i, index[c]] = 1.0
    return out


def categorize(
    quotes: Sequence[Quote],
    quote_vecs: np.ndarray,
    question_vecs: dict[str, np.ndarray],
    encode: Encode,
    corrections: dict[str, str] | None = None,
    categorizer: Categorizer | None = None,
    options: CategorizerOptions | None = None,
) -> list[tuple[str, float]]:
    """(category, confidence) per quote. `corrections`: {quote_id: category} from researcher edits.
    `options` default to the categorizer's own (or `CategorizerOptions()`)."""
    if not quotes:
        return []
    model = categorizer or Categorizer(encode, options or DEFAULT_OPTIONS)
    options = options or model.options
    probs = model.score(quotes, quote_vecs, question_vecs)
    # A correction to a category the codebook no longer has says nothing (the quote goes by the
    # model, i.e. to "other" or wherever it fits); the edit itself is kept, so restoring the
    # category restores the correction.
    corrected = {i: corrections[q.id] for i, q in enumerate(quotes)
                 if corrections and corrections.get(q.id) in model.index}
    if corrected:
        dim = quote_vecs.shape[1]
        qv = np.stack([question_vecs.get(q.question or "", np.zeros(dim, np.float32)) for q in quotes])
        probs = rescore_with_corrections(probs, quote_vecs, qv, corrected, options, model.index)
    best = probs.argmax(axis=1)
    return [(model.keys[b], float(probs[i, b])) for i, b in enumerate(best)]
