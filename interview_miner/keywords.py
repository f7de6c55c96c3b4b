"""Theme keywords: the words and word pairs that set a theme's quotes apart from the other themes'.

Public API:
- `distinctive_terms(docs, n) -> list[list[str]]`: c-TF-IDF (BERTopic's class-based TF-IDF), one
  document per theme (its quotes joined by newlines), the n most distinctive terms of each.
- `theme_keywords(docs, n, centroids=None, encode=None) -> list[list[str]]`: the keywords a theme
  shows: c-TF-IDF proposes, the theme's meaning chooses (see below).

Why two steps: c-TF-IDF counts words, and a word counted once is as distinctive as a recurring one
when a theme has a handful of quotes. From a transcript that means misheard words and word pairs
said once across a misheard boundary ("recent scripture", "ruining call", "health meant") rank
beside the theme's real subject. BERTopic's KeyBERT-inspired representation answers this: of the
c-TF-IDF candidates, keep those whose embedding is closest to the theme's own (the centroid of its
quotes): a misheard pair means nothing near the theme, "text reminders" means what its quotes mean.
Typed transcripts lose nothing by it: their candidates are already on topic, and the choice only
reorders them.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from .languages import stop_words_of_texts
from .vocab import FILLER_WORDS

CANDIDATES_PER_KEYWORD = 2  # c-TF-IDF proposes this many candidates per keyword shown


# Content words in scikit-learn's English stop list (its docs warn of "several known issues"):
# interviews about software and services say "billing system", "front desk", "phone call".
_STOP_CONTENT = frozenset("amount back bill bottom call cry describe detail empty fill find fire front full interest "
                          "mill move name part serious show side sincere system thick thin top".split())
_STOP_EXTRA = FILLER_WORDS | {"yeah", "gonna", "got", "get", "thing", "things", "lot", "bit", "don", "didn", "wasn", "isn", "ve", "ll", "re", "let's"}


_CLAUSE_BREAK = re.compile(r"[.,;:!?…()\[\]\"“”„«»—–\n]+|\s-\s|[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]")


def _contracted_function_words(docs: list[str], pattern: str, stop: frozenset[str] | set[str]) -> set[str]:
    """The texts' contractions of function words ("didn't", "it's", "we're", "can't"): the token
    pattern keeps the apostrophe, so they are not in any stop list, and they made keywords such as
    "booking didn't". A contraction of a content word ("Sarah's") stays."""
    out = set()
    for token in {t for d in docs for t in re.findall(pattern, d.lower()) if "'" in t}:
        head = token.split("'")[0]
        if head in stop or (token.endswith("n't") and (head[:-1] in stop or len(head) <= 3)):
            out.add(token)
    return out


_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_OR_THAI = re.compile("[\u3040-\u30ff\u0e00-\u0e7f]")


def _word_runs(clause: str, token: re.Pattern) -> list[list[str]]:
    """The clause's words, in runs of words said side by side. Chinese is written without spaces,
    so the token pattern took a whole clause for one word and keywords were clauses ("基本上所有跟
    看病无关的事情"); jieba (the labeller's segmenter, labels.py) cuts it into words, and a one-
    character word (mostly particles: 的, 了, 我) is no keyword and ends a run, so a pair is never
    made across it. Other scripts without spaces (Japanese, Thai) have no segmenter here and keep
    the clause as one unit."""
    if not _HAN.search(clause) or _KANA_OR_THAI.search(clause):
        return [token.findall(clause)]
    from .labels_other import _jieba

    runs: list[list[str]] = [[]]
    for w in _jieba().lcut(clause):
        if token.fullmatch(w):
            runs[-1].append(w)
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _written(term: str) -> str:
    """A pair as the language writes it: Chinese words join without a space ("客服团队")."""
    words = term.split(" ")
    return "".join(words) if len(words) > 1 and all(_HAN.search(w) for w in words) else term


def _singular(term: str) -> str:
    return " ".join(re.sub(r"(?:['’]s|s)$", "", w) for w in term.split())


def _same_thing(a: str, b: str) -> bool:
    a, b = _singular(a), _singular(b)
    return a in b or b in a


def distinctive_terms(docs: list[str], n: int) -> list[list[str]]:
    """c-TF-IDF: per document (all quotes of one theme joined), its most distinctive words.

    Word pairs are counted where they stand side by side within one clause, and dropped when either
    word is a stop word: removing stop words first (the vectorizer's `stop_words`) paired words the
    speaker never said together ("the practice size is real" gave "size real"), as did joining
    quotes and clauses ("...at the moment. She said" gave "moment said").
    Sparse throughout: thousands of themes x tens of thousands of terms stay small."""
    if not docs:
        return []
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    pattern = r"(?u)\b[^\W\d_][\w\-']+\b"
    stop = (ENGLISH_STOP_WORDS - _STOP_CONTENT) | _STOP_EXTRA | stop_words_of_texts(docs)  # + the texts' own languages
    stop = stop | _contracted_function_words(docs, pattern, stop)
    token = re.compile(pattern)

    def terms(doc: str) -> list[str]:  # words, and pairs side by side within one clause
        out: list[str] = []
        for clause in _CLAUSE_BREAK.split(doc.lower()):
            for words in _word_runs(clause, token):
                out += words + [f"{a} {b}" for a, b in zip(words, words[1:])]
        return out

    try:
        cv = CountVectorizer(analyzer=terms)
        tf = cv.fit_transform(docs).tocsr()
    except ValueError:  # no words at all
        return [[] for _ in docs]
    vocab = cv.get_feature_names_out()
    keep = np.flatnonzero([not any(w in stop for w in term.split()) for term in vocab])
    if not len(keep):  # nothing but stop words
        return [[] for _ in docs]
    tf, vocab = tf[:, keep].tocsr().astype(np.float64), vocab[keep]
    words_per_class = np.asarray(tf.sum(axis=1)).ravel()
    avg = max(1.0, float(words_per_class.mean()))
    idf = np.log(1 + avg / np.maximum(np.asarray(tf.sum(axis=0)).ravel(), 1e-9))
    out = []
    for r in range(tf.shape[0]):
        start, end = tf.indptr[r], tf.indptr[r + 1]
        cols, counts = tf.indices[start:end], tf.data[start:end]
        scores = counts / max(words_per_class[r], 1e-9) * idf[cols]
        names = vocab[cols]
        pairs = np.array([t.count(" ") for t in names])
        order = np.lexsort((names, -pairs, -np.round(scores, 12)))  # ties: a pair ("front desk" over "desk"), then A-Z
        chosen: list[str] = []
        for j in order:
            if len(chosen) >= n:
                break
            term = str(names[j])
            if any(_same_thing(term, c) for c in chosen):
                continue  # "no shows" and "shows", "practice managers" and "practice manager's" say one thing
            chosen.append(term)
        out.append([_written(t) for t in chosen])
    return out


def theme_keywords(docs: list[str], n: int, centroids: Sequence[np.ndarray | None] | None = None,
                   encode: Callable[[list[str]], np.ndarray] | None = None,
                   odd: Sequence[Callable[[str], bool] | None] | None = None) -> list[list[str]]:
    """Per theme document, its n keywords: c-TF-IDF's `CANDIDATES_PER_KEYWORD * n` most distinctive
    terms, of which the n closest to the theme's centroid (unit vector in `encode`'s space), closest
    first. Without `encode` or a centroid: c-TF-IDF's first n. A term holding a word its document's
    `odd` test calls likely misheard (`label_doubts.rare_and_said_once`: "tatma", "pointman") is no
    keyword.

    >>> theme_keywords(["We chased invoices by hand.", "Support answered fast."], 2)
    [['chased invoices', 'hand'], ['answered fast', 'support answered']]
    """
    proposed = distinctive_terms(docs, CANDIDATES_PER_KEYWORD * n)
    if odd is not None:
        proposed = [terms if test is None else [t for t in terms if not any(map(test, t.split()))]
                    for terms, test in zip(proposed, odd)]
    if encode is None or centroids is None:
        return [terms[:n] for terms in proposed]
    flat = sorted({t for terms, c in zip(proposed, centroids) if c is not None for t in terms})
    if not flat:
        return [terms[:n] for terms in proposed]
    vecs = np.asarray(encode(flat), dtype=np.float64)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
    row = {t: i for i, t in enumerate(flat)}
    out = []
    for terms, c in zip(proposed, centroids):
        if c is None or not terms:
            out.append(terms[:n])
            continue
        sims = vecs[[row[t] for t in terms]] @ np.asarray(c, dtype=np.float64)
        order = sorted(range(len(terms)), key=lambda k: (-round(float(sims[k]), 9), k))
        out.append([terms[k] for k in order[:n]])
    return out
