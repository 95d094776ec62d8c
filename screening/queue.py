"""Who screens what next: each reviewer's own queue per stage, ranked, plus the stopping aid.

A work enters stage N's queue once stage N-1 let it through (stage 1: every work without a
decision). ``maybe`` at stage 1 lets a work through to the full text, since an abstract that leaves
doubt is what full-text screening is for; at later stages only ``include`` does.
With independent double screening a reviewer never sees the others' decisions: a work stays in
their queue until they decide it themselves, or until as many people as the protocol asks (two)
have screened it, or a rule or a resolution has settled it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sqlite_utils

from db.decisions import stage_outcomes
from db.protocol import Protocol, load_protocol
from screening.ranking import (
    QUEUE_CHAR_WEIGHT,
    QUEUE_TITLE_WEIGHT,
    Features,
    RelevanceModel,
    extract_features,
    match_concepts,
)
from screening.stopping import StoppingEstimate, estimate_remaining

PASSES = {1: ("include", "maybe"), 2: ("include",), 3: ("include",)}


@dataclass
class QueueItem:
    """One work to screen, with why it is where it is."""

    work_id: int
    score: float
    concept_terms: dict[str, list[str]] = field(default_factory=dict)
    model_terms: list[str] = field(default_factory=list)
    model_score: float | None = None

    def explain(self) -> str:
        parts = []
        for concept, terms in self.concept_terms.items():
            if terms:
                parts.append(f"{concept}: {', '.join(terms[:4])}")
        if self.model_terms:
            parts.append(f"model: {', '.join(self.model_terms)}")
        return "; ".join(parts) or "no protocol terms; model has nothing to go on yet"


def eligible_works(db: sqlite_utils.Database, stage: int) -> list[int]:
    """Works that have reached ``stage`` (passed the stage before)."""
    if stage == 1:
        return [int(r[0]) for r in db.execute("SELECT id FROM works ORDER BY id").fetchall()]
    before = stage_outcomes(db, stage - 1)
    return sorted(w for w, outcome in before.items() if outcome in PASSES[stage - 1])


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
    people = dict(
        db.execute(
            "SELECT work_id, count(DISTINCT reviewer) FROM decisions"
            " WHERE stage = ? AND actor = 'person' AND role = 'screen' GROUP BY work_id",
            [stage],
        ).fetchall()
    )
    own = {
        int(r[0])
        for r in db.execute(
            "SELECT DISTINCT work_id FROM decisions WHERE stage = ? AND reviewer = ?",
            [stage, reviewer],
        ).fetchall()
    }
    settled = {
        int(r[0])
        for r in db.execute(
            "SELECT DISTINCT work_id FROM decisions"
            " WHERE stage = ? AND (actor IN ('rule', 'source') OR role = 'resolve')",
            [stage],
        ).fetchall()
    }
    result = []
    for work_id in eligible_works(db, stage):
        if work_id in own or work_id in settled:
            continue
        if not double and work_id in outcomes:
            continue
        if double and people.get(work_id, 0) >= required:
            continue  # screened by as many people as the protocol asks
        result.append(work_id)
    return result


def training_labels(db: sqlite_utils.Database, only_reviewer: str | None = None) -> dict[int, int]:
    """{work id: 1 relevant / 0 not} from stage-1 decisions of people and the source (not rules).

    With ``only_reviewer`` (independent double screening) the model learns from that reviewer's
    own decisions and the source's only, so one reviewer's ranking never leaks another's view.
    """
    if only_reviewer is not None:
        rows = db.execute(
            "SELECT work_id, decision FROM decisions WHERE stage = 1 AND role = 'screen'"
            " AND (reviewer = ? AND actor = 'person' OR actor = 'source')"
            " ORDER BY decided_at, id",
            [only_reviewer],
        ).fetchall()
        return {int(w): 0 if d == "exclude" else 1 for w, d in rows}
    labels: dict[int, int] = {}
    for work_id, outcome in stage_outcomes(db, 1).items():
        if outcome == "conflict":
            continue
        ruled = db.execute(
            "SELECT 1 FROM decisions WHERE work_id = ? AND stage = 1 AND actor != 'rule' LIMIT 1",
            [work_id],
        ).fetchone()
        if ruled is None:
            continue  # only a rule decided: says nothing about the topic
        labels[work_id] = 0 if outcome == "exclude" else 1
    return labels


def _texts(db: sqlite_utils.Database, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.execute(
        "SELECT w.id, coalesce(w.title, '') || ' ' || coalesce(w.abstract, '') || ' ' ||"
        " coalesce(w.container, '') || ' ' || coalesce((SELECT group_concat(s.topic || ' ' ||"
        " s.findings, ' ') FROM summaries s WHERE s.work_id = w.id), '') FROM works w"
    ).fetchall()
    return {int(i): str(t) for i, t in rows}


def rank_queue(
    db: sqlite_utils.Database, work_ids: list[int], only_reviewer: str | None = None
) -> list[QueueItem]:
    """Order ``work_ids`` by relevance: protocol concepts plus a model of the decisions so far."""
    labels = training_labels(db, only_reviewer)
    all_ids = sorted(set(work_ids) | set(labels))
    texts = _texts(db, all_ids)
    concepts = load_protocol(db).concepts
    items = {
        w: QueueItem(w, 0.0, concept_terms=match_concepts(texts.get(w, ""), concepts).terms)
        for w in work_ids
    }
    if len(set(labels.values())) == 2 and work_ids:
        titles = dict(db.execute("SELECT id, title FROM works").fetchall())
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
        spread = float(np.std(scores)) or 1.0
        for w, item in items.items():
            item.model_score = float(scores[index[w]]) / spread
            item.model_terms = model.top_terms(fitted, features, index[w])
    for item in items.values():
        concept = match_concepts_score(item.concept_terms)
        # concepts lead while the model knows little; the model leads once it has seen decisions
        weight = 1.0 / (1.0 + len(labels) / 50.0)
        item.score = (item.model_score or 0.0) + 2.0 * weight * concept
    return sorted(items.values(), key=lambda i: (-i.score, i.work_id))


def match_concepts_score(terms: dict[str, list[str]]) -> float:
    from screening.ranking import ConceptMatch

    return ConceptMatch(terms).score


def stopping_aid(db: sqlite_utils.Database, stage: int = 1) -> StoppingEstimate:
    """How many relevant works may remain unscreened at ``stage`` (never stops anything itself)."""
    rows = db.execute(
        "SELECT work_id, decision FROM decisions WHERE stage = ? AND actor = 'person'"
        " AND role = 'screen' ORDER BY decided_at, id",
        [stage],
    ).fetchall()
    seen: set[int] = set()
    sequence = []
    for work_id, decision in rows:
        if work_id in seen:
            continue
        seen.add(work_id)
        sequence.append(0 if decision == "exclude" else 1)
    remaining = len([w for w in eligible_works(db, stage) if w not in stage_outcomes(db, stage)])
    return estimate_remaining(sequence, remaining)
