"""Small replacement mining stages for tests: passed to `Miner(...)`, never patched into modules.

- `HashEmbedder`: deterministic vectors from a text's sha256, no model (for tests about
  orchestration, where what the vectors mean does not matter).
- `replaying_miner(store, on_stage)`: a Miner whose stages hand back what the store already holds
  (its quotes with their categories, its machine themes), so mining a hand-written study leaves
  it as it was; `on_stage(name)` is called as the theme and persona stages run.
"""
from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable

import numpy as np

from interview_miner.mining import Miner
from interview_miner.personas import suggest_personas


class HashEmbedder:
    name = "test-sha256"
    dim = 16

    def __init__(self) -> None:
        self.encoded: list[str] = []  # every text it was asked to embed, in order

    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        self.encoded += texts
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[: self.dim], dtype=np.uint8) for t in texts]
        vecs = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim) + 1.0
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def replaying_miner(store, on_stage: Callable[[str], None] = lambda name: None) -> Miner:
    quotes = store.quotes(apply_edits=False)
    themes = store.machine_themes()

    def splitter(interview, segments):
        return [copy.deepcopy(q) for q in quotes if q.interview_id == interview.id]

    def categorizer(quotes, quote_vecs, question_vecs, encode, corrections):
        return [(q.category, q.confidence or 1.0) for q in quotes]

    def themer(quotes, vectors, **context):
        on_stage("themes")
        return copy.deepcopy(themes)

    def persona_grouper(*args, **kwargs):
        on_stage("personas")
        return suggest_personas(*args, **kwargs)

    return Miner(splitter=splitter, embedder=HashEmbedder(), categorizer=categorizer, themer=themer,
                 persona_grouper=persona_grouper)
