"""Who screens what next: each reviewer's own queue per stage, ranked, plus the stopping aid.

A work enters stage N's queue once it has passed stage N-1 (stage 1: every work), as db.status
defines passing (``maybe`` at stage 1 lets a work through to the full text).
With independent double screening a reviewer never sees the others' decisions: a work stays in
their queue until they decide it themselves, or until as many people as the protocol asks (two)
have screened it, or a rule or a resolution has settled it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sqlite_utils

from db.decisions import (
    reviewer_counts,
    screening_decisions_in_order,
    works_decided_by,
    works_judged_by_people,
    works_resolved_or_carried_over,
)
from db.embeddings import work_vectors
from db.protocol import Protocol, load_protocol
from db.status import stage_outcomes, works_at_stage
from db.works import work_texts, work_titles
from screening import embeddings
from screening.ranking import (
    QUEUE_CHAR_WEIGHT,
    QUEUE_TITLE_WEIGHT,
    ConceptMatch,
    EmbeddingFusion,
    Features,
    RelevanceModel,
    extract_features,
    match_concepts,
    vector_features,
)
from screening.stopping import StoppingAid, stopping_aid_for


@dataclass
class QueueItem:
    """One work to screen, with why it is where it is."""

    work_id: int
    score: float
    concept_terms: dict[str, list[str]] = field(default_factory=dict)
    model_terms: list[str] = field(default_factory=list)
    model_score: float | None = None
    embeddings_joined: bool = False  # the embedding model ranked beside the word model

    def explain(self) -> str:
        parts = []
        for concept, terms in self.concept_terms.items():
            if terms:
                parts.append(f"{concept}: {', '.join(terms[:4])}")
        if self.model_terms:
            parts.append(f"model: {', '.join(self.model_terms)}")
        if self.embeddings_joined:
            parts.append("model on embeddings joined (it ranked held-out decisions better)")
        return "; ".join(parts) or "no protocol terms; model has nothing to go on yet"


def queue_work_ids(
    db: sqlite_utils.Database,
    stage: int,
    reviewer: str,
    double: bool | None = None,
    protocol: Protocol | None = None,
) -> list[int]:
    """Unranked: the works ``reviewer`` still has to decide at ``stage``."""
    protocol = protocol or load_protocol(db)
    required = protocol.independent_reviewers(stage)
    if double is None:
        double = required > 1
    required = max(required, 2) if double else 1
    outcomes = stage_outcomes(db, stage)
    people = reviewer_counts(db, stage)
    own = works_decided_by(db, stage, reviewer)
    settled = works_resolved_or_carried_over(db, stage)
    result = []
    for work_id in works_at_stage(db, stage):
        if work_id in own:
            continue
        if work_id not in outcomes:  # undecided, or a rule's exclusion has been cleared
            result.append(work_id)
            continue
        screened_by = people.get(work_id, 0)
        if not double or work_id in settled or screened_by == 0 or screened_by >= required:
            continue  # decided: by a rule, a resolution, the earlier review or enough people
        result.append(work_id)
    return result


def training_labels(db: sqlite_utils.Database, only_reviewer: str | None = None) -> dict[int, int]:
    """{work id: 1 relevant / 0 not} from stage-1 decisions of people and the source (not rules).

    With ``only_reviewer`` (independent double screening) the model learns from that reviewer's
    own decisions and the source's only, so one reviewer's ranking never leaks another's view.
    """
    if only_reviewer is not None:
        rows = screening_decisions_in_order(db, 1, only_reviewer)
        return {w: 0 if d == "exclude" else 1 for w, d in rows}  # each work's latest
    judged = works_judged_by_people(db, 1)  # only a rule decided: says nothing about the topic
    return {
        work_id: 0 if outcome == "exclude" else 1
        for work_id, outcome in stage_outcomes(db, 1).items()
        if outcome != "conflict" and work_id in judged
    }


@dataclass
class Ranking:
    """A ranked queue and what the ranking used."""

    items: list[QueueItem]
    embeddings_computed: int = 0  # vectors embedded by this ranking (0: all were stored)
    embeddings_reused: int = 0
    embeddings_joined: bool = False


def rank_queue(
    db: sqlite_utils.Database, work_ids: list[int], only_reviewer: str | None = None
) -> list[QueueItem]:
    """Order ``work_ids`` by relevance: protocol concepts plus a model of the decisions so far."""
    return ranked_queue(db, work_ids, only_reviewer).items


def ranked_queue(
    db: sqlite_utils.Database, work_ids: list[int], only_reviewer: str | None = None
) -> Ranking:
    """:func:`rank_queue` with what it used: the stored embeddings (with the ``embed`` extra)
    join the word model when cross-validation on the decisions favours them
    (screening.ranking.EmbeddingFusion)."""
    labels = training_labels(db, only_reviewer)
    all_ids = sorted(set(work_ids) | set(labels))
    texts = work_texts(db) if all_ids else {}
    concepts = load_protocol(db).concepts
    items = {
        w: QueueItem(w, 0.0, concept_terms=match_concepts(texts.get(w, ""), concepts).terms)
        for w in work_ids
    }
    ranking = Ranking(items=[])
    if len(set(labels.values())) == 2 and work_ids:
        titles = work_titles(db)
        features: Features = extract_features(
            [texts[w] for w in all_ids],
            [titles.get(w) or "" for w in all_ids],
            title_weight=QUEUE_TITLE_WEIGHT,
            char_weight=QUEUE_CHAR_WEIGHT,
        )
        index = {w: i for i, w in enumerate(all_ids)}
        labelled = [index[w] for w in labels]
        model = RelevanceModel()
        fitted = model.fit(features, labelled, list(labels.values()))
        scores = model.scores_from(fitted, features)
        if embeddings.available():
            vectors = work_vectors(db, all_ids, texts)
            ranking.embeddings_computed = vectors.computed
            ranking.embeddings_reused = len(all_ids) - vectors.computed
            fusion = EmbeddingFusion(model=model)
            fused = fusion.scores(
                features, vector_features(vectors.matrix), labelled, list(labels.values())
            )
            if fusion.fused and fused is not None:
                scores, ranking.embeddings_joined = fused, True
        spread = float(np.std(scores)) or 1.0
        for w, item in items.items():
            item.model_score = float(scores[index[w]]) / spread
            item.model_terms = model.top_terms(fitted, features, index[w])
            item.embeddings_joined = ranking.embeddings_joined
    for item in items.values():
        concept = ConceptMatch(item.concept_terms).score
        # concepts lead while the model knows little; the model leads once it has seen decisions
        weight = 1.0 / (1.0 + len(labels) / 50.0)
        item.score = (item.model_score or 0.0) + 2.0 * weight * concept
    ranking.items = sorted(items.values(), key=lambda i: (-i.score, i.work_id))
    return ranking


def stopping_aid(
    db: sqlite_utils.Database,
    stage: int = 1,
    *,
    recall_target: float = 0.95,
    confidence: float = 0.95,
) -> StoppingAid:
    """Each stopping rule's verdict at ``stage`` and the estimate of relevant works left.

    Advice only: nothing here stops screening. The sequence is every work's first decision by a
    person, in the order decided (``maybe`` counts as relevant); the unscreened works are those
    at the stage with no outcome yet (works a rule excluded are neither). At stage 1, QuantCI gets
    the word model's scores: cross-validated (out-of-fold) for the screened works, which
    calibrates them, and from a model fitted on all of them for the unscreened.
    """
    seen: set[int] = set()
    screened: list[int] = []
    sequence: list[int] = []
    for work_id, decision in screening_decisions_in_order(db, stage):
        if work_id in seen:
            continue
        seen.add(work_id)
        screened.append(work_id)
        sequence.append(0 if decision == "exclude" else 1)
    decided = stage_outcomes(db, stage)
    remaining = [w for w in works_at_stage(db, stage) if w not in decided and w not in seen]
    scores = _quantci_scores(db, screened, sequence, remaining) if stage == 1 else None
    return stopping_aid_for(
        sequence, len(remaining), recall_target=recall_target, confidence=confidence,
        scores_screened=scores[0] if scores else None,
        scores_unscreened=scores[1] if scores else None,
    )  # fmt: skip


def _quantci_scores(
    db: sqlite_utils.Database, screened: list[int], labels: list[int], unscreened: list[int]
) -> tuple[np.ndarray, np.ndarray] | None:
    """(out-of-fold scores of the screened works, scores of the unscreened), or None too early."""
    from sklearn.model_selection import StratifiedKFold

    minority = min(sum(labels), len(labels) - sum(labels))
    if minority < 2 or not unscreened:
        return None
    ids = screened + unscreened
    texts = work_texts(db)
    titles = work_titles(db)
    # the word block alone (simulate's model): a fraction of the queue's cost, and QuantCI
    # calibrates whatever scores it gets
    features: Features = extract_features(
        [texts.get(w, "") for w in ids], [titles.get(w) or "" for w in ids]
    )
    model = RelevanceModel()
    out_of_fold = np.full(len(screened), np.nan)
    folds = StratifiedKFold(n_splits=min(5, minority), shuffle=True, random_state=0)
    y = np.asarray(labels)
    for train, test in folds.split(np.zeros(len(y)), y):
        fold_scores = model.scores(features, train.tolist(), y[train].tolist())
        if fold_scores is not None:
            out_of_fold[test] = fold_scores[test]
    full = model.scores(features, list(range(len(screened))), labels)
    if full is None:
        return None
    return out_of_fold, full[len(screened) :]
