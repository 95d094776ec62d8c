"""Independent double screening: conflicts, their resolution, and agreement between reviewers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations

import sqlite_utils

from db.decisions import record_decision, reviewer_decisions
from db.status import stage_outcome, works_in_state
from db.works import key_and_title


@dataclass
class Conflict:
    """A work on which the reviewers' latest decisions differ and no one has resolved it."""

    work_id: int
    key: str
    title: str
    decisions: dict[str, str]


@dataclass
class PairAgreement:
    """Agreement of two reviewers on the works both decided at one stage."""

    stage: int
    first: str
    second: str
    works: int
    agreement: float
    kappa: float | None


def list_conflicts(db: sqlite_utils.Database, stage: int) -> list[Conflict]:
    """Works held by an unresolved conflict at ``stage`` (their state), oldest work first."""
    by_reviewer = reviewer_decisions(db, stage)
    result = []
    for work_id in works_in_state(db, "conflict", stage):
        key, title = key_and_title(db, work_id)
        decisions = {r: d[work_id] for r, d in sorted(by_reviewer.items()) if work_id in d}
        result.append(Conflict(work_id, key, title, decisions))
    return result


def resolve_conflict(
    db: sqlite_utils.Database,
    work_id: int,
    stage: int,
    decision: str,
    *,
    reviewer: str,
    criterion: str | None = None,
    note: str | None = None,
) -> int:
    """Settle a conflict with a third decision (kept beside the two it settles)."""
    if stage_outcome(db, work_id, stage) != "conflict":
        raise ValueError(f"work {work_id} has no unresolved conflict at stage {stage}")
    with db.atomic():
        decision_id = record_decision(
            db,
            work_id,
            stage,
            decision,
            reviewer=reviewer,
            criterion=criterion,
            note=note,
            role="resolve",
        )
    return int(decision_id or 0)


def cohen_kappa(first: list[str], second: list[str]) -> float | None:
    """Cohen's kappa of two raters over the same items (None when chance agreement is total)."""
    n = len(first)
    if n == 0 or n != len(second):
        raise ValueError("kappa needs two equally long, non-empty lists of decisions")
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    count_a, count_b = Counter(first), Counter(second)
    expected = sum(count_a[c] * count_b[c] for c in set(first) | set(second)) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def agreement(db: sqlite_utils.Database, stage: int) -> list[PairAgreement]:
    """Plain agreement and Cohen's kappa for every pair of reviewers at ``stage``."""
    by_reviewer = reviewer_decisions(db, stage)
    result = []
    for first, second in combinations(sorted(by_reviewer), 2):
        shared = sorted(set(by_reviewer[first]) & set(by_reviewer[second]))
        if not shared:
            continue
        a = [by_reviewer[first][w] for w in shared]
        b = [by_reviewer[second][w] for w in shared]
        plain = sum(x == y for x, y in zip(a, b, strict=True)) / len(shared)
        result.append(PairAgreement(stage, first, second, len(shared), plain, cohen_kappa(a, b)))
    return result
