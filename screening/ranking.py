"""Relevance ranking of the screening queue: the protocol's concepts plus an active-learning model.

Two signals, combined:

* a **concept score** from the protocol: a work that names both concepts (career guidance and
  refugees / immigrants / newcomers) in any of the protocol's four languages ranks above one that
  names one. Terms are matched as word *stems inside words*, so the Nordic compounds
  "karriereveiledningstjeneste", "flyktningkvinner" or "nyanlända" match without a compound splitter;
* a **model** trained on the decisions made so far: TF-IDF over character n-grams (which share
  features across compounds and the three Scandinavian spellings, e.g. "vejledning" / "veiledning"
  / "vägledning") and word uni- and bigrams, scored by a class-balanced linear classifier.

The text features are computed once per queue; each retrain only refits the linear model, so a
retrain-and-rerank over 2,000 records takes well under half a second (see bench/).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

# The protocol's two concepts as stems in nb, nn, sv, da and en. A stem matches at the start of a
# word or inside a compound ("veiledning" inside "karriereveiledning"); the words were taken from the
# protocol's search terms and their usual synonyms in the report's languages.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "guidance": (
        "karriereveiledning",
        "karrierevejledning",
        "karriärvägledning",
        "veiledning",
        "vejledning",
        "vägledning",
        "rettleiing",
        "yrkesveiledning",
        "studieveiledning",
        "rådgivning",
        "rådgiving",
        "karriere",
        "karriär",
        "career",
        "guidance",
        "counsel",
        "vocational",
        "yrkesval",
        "erhvervsvejledning",
    ),
    "population": (
        "flyktning",
        "flykting",
        "flygtning",
        "innvandr",
        "invandr",
        "indvandr",
        "nyankom",
        "nyanländ",
        "nyankomne",
        "introduksjonsprogram",
        "introduktionsprogram",
        "etableringsprogram",
        "etableringsuppdrag",
        "integrationsprogram",
        "asyl",
        "refugee",
        "immigrant",
        "migrant",
        "newcomer",
        "newly arrived",
        "asylum",
    ),
}


@dataclass
class ConceptMatch:
    """Which protocol terms a text contains, per concept."""

    terms: dict[str, list[str]] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """1 per concept present, plus 1 when both are (the protocol's AND), plus a little per term."""
        present = [c for c, found in self.terms.items() if found]
        both = 1.0 if len(present) == len(CONCEPTS) else 0.0
        extra = sum(min(len(found), 3) for found in self.terms.values()) * 0.1
        return len(present) + both + extra


_CONCEPT_PATTERNS = {
    concept: [(term, re.compile(re.escape(term), re.IGNORECASE)) for term in terms]
    for concept, terms in CONCEPTS.items()
}


def match_concepts(text: str) -> ConceptMatch:
    """The protocol terms found in ``text`` (stems match inside compound words)."""
    found: dict[str, list[str]] = {}
    for concept, patterns in _CONCEPT_PATTERNS.items():
        words = set()
        for term, pattern in patterns:
            for m in pattern.finditer(text):
                words.add(_word_around(text, m.start(), m.end()).lower())
        # report the words as they appear, so a reviewer sees "karriereveiledningen", not the stem
        found[concept] = sorted(words - {""}) if words else []
        if not words:
            found[concept] = []
        else:
            _ = term
    return ConceptMatch(found)


def _word_around(text: str, start: int, end: int) -> str:
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "-"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "-"):
        end += 1
    return text[start:end]


@dataclass
class Features:
    """The text features of a queue, computed once."""

    matrix: sp.csr_matrix
    word_vocabulary: np.ndarray


def extract_features(texts: Sequence[str]) -> Features:
    """TF-IDF over character n-grams (3–5, inside word boundaries) and word 1–2-grams."""
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_df=0.95, min_df=1)
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, max_df=0.95, min_df=2
    )
    word_matrix = words.fit_transform(texts)
    char_matrix = chars.fit_transform(texts)
    matrix = sp.hstack([word_matrix, char_matrix]).tocsr()
    # each block is l2-normalised; halve both so a row keeps unit length
    matrix = matrix * np.sqrt(0.5)
    return Features(
        matrix=sp.csr_matrix(matrix), word_vocabulary=words.get_feature_names_out()
    )


@dataclass
class RelevanceModel:
    """A class-balanced logistic regression over :class:`Features`, refitted after each label."""

    c: float = 10.0

    def scores(
        self, features: Features, labelled: Sequence[int], labels: Sequence[int]
    ) -> np.ndarray | None:
        """Relevance scores for every row, or None while only one class has been labelled."""
        y = np.asarray(labels)
        if len(set(y.tolist())) < 2:
            return None
        model = LogisticRegression(
            C=self.c, class_weight="balanced", max_iter=200, solver="liblinear"
        )
        model.fit(features.matrix[np.asarray(labelled)], y)
        return np.asarray(model.decision_function(features.matrix))


def top_terms(features: Features, row: int, weights: np.ndarray | None, n: int = 5) -> list[str]:
    """The words of one record that push its model score up most (for "why is this here?")."""
    if weights is None:
        return []
    vocabulary = features.word_vocabulary
    block = features.matrix[row, : len(vocabulary)].tocoo()
    contributions = sorted(
        ((float(v * weights[j]), str(vocabulary[j])) for j, v in zip(block.col, block.data, strict=True)),
        reverse=True,
    )
    return [term for value, term in contributions[:n] if value > 0]
