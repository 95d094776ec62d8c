"""The one writer of screening decisions, and the derivation of each work's status from them.

Decisions are append-only (triggers forbid UPDATE and DELETE); a work's status at a stage is never
stored but derived here, by one rule that both the library and the ``flow`` view follow:

* a decision with ``role = 'resolve'`` (a third person settling a conflict) wins, the latest one;
* otherwise each person's latest decision counts (``actor`` person or source): if they all agree,
  that is the outcome; if they differ, the outcome is ``conflict``;
* otherwise (no person has decided) the latest rule decision counts. So a person overturns a rule
  simply by deciding, and the trail keeps both.

Stage outcomes: ``include``, ``exclude``, ``maybe``, ``conflict`` or ``None`` (undecided).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils

from db.protocol import stored_protocol

DECISIONS = ("include", "exclude", "maybe")
ACTORS = ("person", "rule", "model", "source")
ROLES = ("screen", "resolve")
RULE_REVIEWER = "rule"

# One SQL statement for the outcome of every (work, stage) that has a decision; the flow view in
# db/schema.py embeds the same text, so the library and the database agree by construction.
STAGE_OUTCOME_SQL = """
SELECT work_id, stage,
       CASE
         WHEN max(resolved) IS NOT NULL THEN max(resolved)
         WHEN count(people) > 0 THEN
           CASE WHEN count(DISTINCT people) = 1 THEN max(people) ELSE 'conflict' END
         ELSE max(ruled)
       END AS outcome
FROM (
  SELECT d.work_id, d.stage,
         CASE WHEN d.role = 'resolve' AND d.latest_resolve = 1 THEN d.decision END AS resolved,
         CASE WHEN d.role = 'screen' AND d.actor IN ('person', 'source') AND d.latest_own = 1
              THEN d.decision END AS people,
         CASE WHEN d.actor = 'rule' AND d.latest_rule = 1 THEN d.decision END AS ruled
  FROM (
    SELECT *,
           row_number() OVER (PARTITION BY work_id, stage, reviewer, role
                              ORDER BY decided_at DESC, id DESC) AS latest_own,
           row_number() OVER (PARTITION BY work_id, stage, role
                              ORDER BY decided_at DESC, id DESC) AS latest_resolve,
           row_number() OVER (PARTITION BY work_id, stage, actor
                              ORDER BY decided_at DESC, id DESC) AS latest_rule
    FROM decisions WHERE actor != 'model'
  ) AS d
) GROUP BY work_id, stage
"""


class DecisionError(ValueError):
    """A decision that the protocol or the record model does not allow."""


@dataclass(frozen=True)
class Decision:
    """One row of the trail."""

    id: int
    work_id: int
    stage: int
    decision: str
    criterion: str | None
    reviewer: str
    actor: str
    role: str
    note: str | None
    decided_at: str


def now_iso() -> str:
    """The current time, UTC, to the microsecond (decisions are ordered by it)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def record_decision(
    db: sqlite_utils.Database,
    work_id: int,
    stage: int,
    decision: str,
    *,
    reviewer: str,
    actor: str = "person",
    criterion: str | None = None,
    note: str | None = None,
    role: str = "screen",
    decided_at: str | None = None,
    import_key: str | None = None,
) -> int | None:
    """Append one decision; return its id, or None when ``import_key`` was already recorded.

    The only code that inserts into ``decisions`` (a test checks this).
    """
    if stage not in (1, 2, 3):
        raise DecisionError(f"stage must be 1, 2 or 3, not {stage!r}")
    if decision not in DECISIONS:
        raise DecisionError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if actor not in ACTORS:
        raise DecisionError(f"actor must be one of {', '.join(ACTORS)}, not {actor!r}")
    if role not in ROLES:
        raise DecisionError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not reviewer or not reviewer.strip():
        raise DecisionError("a decision needs a reviewer")
    if decision == "exclude" and actor in ("person", "rule") and not criterion:
        raise DecisionError("an exclusion needs the protocol criterion it rests on")
    if criterion is not None:
        allowed = stage_criteria(db, stage)
        if allowed and criterion not in allowed:
            raise DecisionError(
                f"criterion {criterion!r} is not a stage {stage} criterion "
                f"(one of: {', '.join(sorted(allowed))})"
            )
    if db.execute("SELECT 1 FROM works WHERE id = ?", [work_id]).fetchone() is None:
        raise DecisionError(f"no work with id {work_id}")
    if (
        import_key is not None
        and db.execute("SELECT 1 FROM decisions WHERE import_key = ?", [import_key]).fetchone()
    ):
        return None
    cursor = db.execute(
        "INSERT INTO decisions (work_id, stage, decision, criterion, reviewer, actor, role, note,"
        " decided_at, import_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            work_id,
            stage,
            decision,
            criterion,
            reviewer.strip(),
            actor,
            role,
            note,
            decided_at or now_iso(),
            import_key,
        ],
    )
    return int(cursor.lastrowid or 0)


def stage_criteria(db: sqlite_utils.Database, stage: int) -> set[str]:
    """The criterion ids the stored protocol allows at ``stage`` (empty without a protocol)."""
    protocol = stored_protocol(db)
    return protocol.criterion_ids(stage) if protocol else set()


def stage_outcomes(db: sqlite_utils.Database, stage: int) -> dict[int, str]:
    """{work id: outcome} for every work with a decision at ``stage``."""
    rows = db.execute(
        f"SELECT work_id, outcome FROM ({STAGE_OUTCOME_SQL}) WHERE stage = ?", [stage]
    ).fetchall()
    return {int(w): str(o) for w, o in rows}


def stage_outcome(db: sqlite_utils.Database, work_id: int, stage: int) -> str | None:
    """The outcome of one work at one stage (None when nobody and no rule has decided)."""
    row = db.execute(
        f"SELECT outcome FROM ({STAGE_OUTCOME_SQL}) WHERE work_id = ? AND stage = ?",
        [work_id, stage],
    ).fetchone()
    return None if row is None else str(row[0])


def decision_trail(db: sqlite_utils.Database, work_id: int) -> list[Decision]:
    """Every decision on a work, oldest first: rules, persons and resolutions alike."""
    rows = db.execute(
        "SELECT id, work_id, stage, decision, criterion, reviewer, actor, role, note, decided_at"
        " FROM decisions WHERE work_id = ? ORDER BY stage, decided_at, id",
        [work_id],
    ).fetchall()
    return [Decision(*row) for row in rows]


def reviewer_decisions(db: sqlite_utils.Database, stage: int) -> dict[str, dict[int, str]]:
    """{reviewer: {work id: their latest screening decision}} for persons at ``stage``."""
    rows = db.execute(
        """
        SELECT reviewer, work_id, decision FROM (
          SELECT reviewer, work_id, decision,
                 row_number() OVER (PARTITION BY work_id, reviewer
                                    ORDER BY decided_at DESC, id DESC) AS n
          FROM decisions WHERE stage = ? AND actor = 'person' AND role = 'screen'
        ) WHERE n = 1
        """,
        [stage],
    ).fetchall()
    result: dict[str, dict[int, str]] = {}
    for reviewer, work_id, decision in rows:
        result.setdefault(reviewer, {})[int(work_id)] = decision
    return result
