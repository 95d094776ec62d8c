"""Relevance ranking of the screening queue: the protocol's concepts plus an active-learning model.

Two signals, combined:

* a **concept score** from the protocol's ``concepts`` (data in protocol.yaml, not code here): a
  work that names every concept (this review: career guidance and refugees / immigrants /
  newcomers, in the protocol's four languages) ranks above one that names some. Terms are matched
  as word *stems inside words*, so the Nordic compounds "karriereveiledningstjeneste",
  "flyktningkvinner" or "nyanlända" match without a splitter;
* a **model** trained on the decisions made so far: a class-balanced linear SVM over TF-IDF word
  1–2-grams of title and abstract (ASReview's ELAS u4 model); in the Nordic screening queue also
  the title's own 1–2-grams and character 3–5-grams (which share features across compounds
  and the Scandinavian spellings, e.g. "vejledning" / "veiledning" / "vägledning").

The text features are computed once per queue; each retrain only refits the linear model, so a
retrain-and-rerank over 2,000 records takes well under half a second (see bench/).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from db.protocol import Concept


@dataclass
class ConceptMatch:
    """Which protocol terms a text contains, per concept."""

    terms: dict[str, list[str]] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """1 per concept present, 1 more when all are (the protocol's AND), a little per term."""
        present = [c for c, found in self.terms.items() if found]
        every = 1.0 if present and len(present) == len(self.terms) else 0.0
        extra = sum(min(len(found), 3) for found in self.terms.values()) * 0.1
        return len(present) + every + extra


@cache
def _patterns(concepts: tuple[Concept, ...]) -> tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]:
    # compiled once per protocol, not once per work
    return tuple(
        (c.id, tuple(re.compile(re.escape(term), re.IGNORECASE) for term in c.terms))
        for c in concepts
    )


def match_concepts(text: str, concepts: Sequence[Concept]) -> ConceptMatch:
    """The protocol terms found in ``text``, as the words they occur in (stems match compounds)."""
    found: dict[str, list[str]] = {}
    for concept, patterns in _patterns(tuple(concepts)):
        words = {
            _word_around(text, m.start(), m.end()).lower()
            for pattern in patterns
            for m in pattern.finditer(text)
        }
        found[concept] = sorted(words)
    return ConceptMatch(found)


def _word_around(text: str, start: int, end: int) -> str:
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "-"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "-"):
        end += 1
    return text[start:end]


# Block weights. `simulate` uses the word block alone (TITLE_WEIGHT = CHAR_WEIGHT = 0): with the
# classifier below that is ASReview's ELAS u4 model. It stays the default because nothing cheaper
# measured beats it across reviews (bench/screening_variants.py, bench/screening_results.md): of
# 17 candidates on three labelled reviews none was at least ELAS u4 on all three, and on all ten
# the best earlier mean (rank fusion with naive Bayes) gains +0.016 WSS@95 on average but loses
# 0.042 on one review; the target for a new default is +0.02 with no review below -0.01.
# The Nordic screening queue keeps a small title block and character n-grams (QUEUE_*), where
# compounds and three spellings of one word are the norm (tests/screening/test_multilingual.py).
TITLE_WEIGHT = 0.0
CHAR_WEIGHT = 0.0
QUEUE_TITLE_WEIGHT = 0.2
QUEUE_CHAR_WEIGHT = 0.5


@dataclass
class Features:
    """The text features of a queue, computed once."""

    matrix: sp.csr_matrix
    word_vocabulary: np.ndarray


def extract_features(
    texts: Sequence[str],
    titles: Sequence[str] | None = None,
    *,
    title_weight: float = TITLE_WEIGHT,
    char_weight: float = CHAR_WEIGHT,
) -> Features:
    """TF-IDF blocks: word 1–2-grams of the whole text; optionally the title's own word 1–2-grams
    (a title names the topic most directly) and character 3–5-grams inside word boundaries (which
    share features across Nordic compounds and spellings)."""
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_df=0.95, min_df=1)
    blocks = [words.fit_transform(texts)]
    if titles is not None and title_weight > 0:
        title_words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_df=0.95)
        blocks.append(title_words.fit_transform(titles) * title_weight)
    if char_weight > 0:
        chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            sublinear_tf=True,
            max_df=0.95,
            min_df=2 if len(texts) > 50 else 1,
            max_features=60_000,
        )
        blocks.append(chars.fit_transform(texts) * char_weight)
    # each block is l2-normalised per row; dividing by sqrt(blocks) keeps the scale of one block
    matrix = sp.csr_matrix(sp.hstack(blocks).tocsr() / np.sqrt(len(blocks)))
    return Features(matrix=matrix, word_vocabulary=words.get_feature_names_out())


@dataclass
class RelevanceModel:
    """A linear SVM over :class:`Features`, refitted after each label.

    Relevant records are rare, so they are weighted up: all relevant records together weigh
    ``ratio`` times as much as all irrelevant ones (the weighting ASReview's ELAS u4 also uses).
    """

    c: float = 0.11
    ratio: float = 9.8

    def fit(
        self, features: Features, labelled: Sequence[int], labels: Sequence[int]
    ) -> LinearSVC | None:
        """The fitted classifier, or None while only one class has been labelled."""
        y = np.asarray(labels)
        if len(set(y.tolist())) < 2:
            return None
        weights = np.where(y == 1, 1.0, y.sum() / (self.ratio * (y == 0).sum()))
        weights *= len(y) / weights.sum()
        model = LinearSVC(C=self.c)
        model.fit(features.matrix[np.asarray(labelled)], y, sample_weight=weights)
        return model

    def scores_from(self, model: LinearSVC, features: Features) -> np.ndarray:
        return np.asarray(model.decision_function(features.matrix))

    def scores(
        self, features: Features, labelled: Sequence[int], labels: Sequence[int]
    ) -> np.ndarray | None:
        """Relevance scores for every row, or None while only one class has been labelled."""
        model = self.fit(features, labelled, labels)
        return None if model is None else self.scores_from(model, features)

    def top_terms(self, model: LinearSVC, features: Features, row: int, n: int = 5) -> list[str]:
        """The words of one record that push its score up most (for "why is this here?")."""
        vocabulary = features.word_vocabulary
        weights = np.asarray(model.coef_).ravel()
        block = features.matrix[row, : len(vocabulary)].tocoo()
        contributions = sorted(
            (
                (float(value * weights[j]), str(vocabulary[j]))
                for j, value in zip(block.col, block.data, strict=True)
            ),
            reverse=True,
        )
        return [term for value, term in contributions[:n] if value > 0]


@dataclass
class EmbeddingFusion:
    """The word model, joined by a model on text embeddings only where the labels say it helps.

        On the ten labelled reviews an SVM on embeddings, rank-averaged with the word SVM, won
        0.13 WSS@95 on one review and lost 0.12 on another (bench/screening_results.md): which
        representation suits a review is not known beforehand. So the decisions decide: every
        ``every`` labels, once ``min_relevant`` relevant records are known, 3-fold cross-validation
        on the labelled records compares the average precision of the word model's held-out scores
        with that of the rank average of both models. The fusion ranks only when it wins on every
        fold and by ``margin`` on average; otherwise the word model ranks alone, as without
        embeddings. The live queue makes a fresh instance per ranking, which checks once it has
    ``every`` labels.
    """

    margin: float = 0.05
    unanimous: bool = True  # the fusion must win on every fold
    min_relevant: int = 5
    every: int = 25
    model: RelevanceModel = field(default_factory=RelevanceModel)
    fused: bool = False
    _checked: int = 0  # labels at the last check

    def scores(
        self,
        words: Features,
        vectors: Features,
        labelled: Sequence[int],
        labels: Sequence[int],
    ) -> np.ndarray | None:
        y = np.asarray(labels)
        if len(set(y.tolist())) < 2:
            return None
        rows = np.asarray(labelled)
        enough = y.sum() >= self.min_relevant and (y == 0).sum() >= 3  # 3 folds need 1 each
        if enough and len(y) - self._checked >= self.every:
            self.fused, self._checked = self._fusion_helps(words, vectors, rows, y), len(y)
        word_scores = self.model.scores(words, rows.tolist(), y.tolist())
        if not self.fused or word_scores is None:
            return word_scores
        vector_scores = self.model.scores(vectors, rows.tolist(), y.tolist())
        assert vector_scores is not None  # both classes are labelled
        return _rank_average(word_scores, vector_scores)

    def _fusion_helps(
        self, words: Features, vectors: Features, rows: np.ndarray, y: np.ndarray
    ) -> bool:
        from sklearn.metrics import average_precision_score
        from sklearn.model_selection import StratifiedKFold

        sub_words = Features(words.matrix[rows], words.word_vocabulary)
        sub_vectors = Features(vectors.matrix[rows], vectors.word_vocabulary)
        gains = []
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
        for train, test in folds.split(rows, y):
            word_scores = self.model.scores(sub_words, train.tolist(), y[train].tolist())
            vector_scores = self.model.scores(sub_vectors, train.tolist(), y[train].tolist())
            if word_scores is None or vector_scores is None:
                return False
            fused = _rank_average(word_scores[test], vector_scores[test])
            gains.append(
                average_precision_score(y[test], fused)
                - average_precision_score(y[test], word_scores[test])
            )
        if self.unanimous and not all(g > 0 for g in gains):
            return False
        return bool(np.mean(gains) > self.margin)


def vector_features(vectors: np.ndarray) -> Features:
    """Embedding vectors as features of the same linear model (no vocabulary to explain with)."""
    return Features(matrix=sp.csr_matrix(vectors), word_vocabulary=np.asarray([], dtype=object))


def _rank_average(*scores: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return np.mean([rankdata(s) for s in scores], axis=0)
