"""The one writer of screening decisions, and reading the trail.

Decisions are append-only (triggers forbid UPDATE, DELETE and REPLACE); what they add up to — a
work's outcome at each stage and its state in the review — is derived in :mod:`db.status`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from db.protocol import stored_protocol
from db.status import StageOrderError, check_stage_order
from db.timestamps import normalise_timestamp as _normalise
from db.timestamps import now_iso
from db.versions import current_version_number

DECISIONS = ("include", "exclude", "maybe")
ACTORS = ("person", "rule", "model", "source")
ROLES = ("screen", "resolve")
RULE_REVIEWER = "rule"


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


def normalise_timestamp(text: str) -> str:
    """``decided_at`` in the one stored shape (db.timestamps), or a DecisionError."""
    try:
        return _normalise(text)
    except ValueError as exc:
        raise DecisionError(f"decided_at {exc}") from None


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

    The only code that inserts into ``decisions`` (a test checks this). A decision at stage N needs
    the work to have passed stage N-1, unless it is carried over from an earlier review (actor
    ``source``); ``decided_at`` must be ISO 8601 and defaults to now.
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
    try:
        check_stage_order(db, work_id, stage, actor)
    except StageOrderError as exc:
        raise DecisionError(str(exc)) from None
    stamp = normalise_timestamp(decided_at) if decided_at else now_iso()
    if (
        import_key is not None
        and db.execute("SELECT 1 FROM decisions WHERE import_key = ?", [import_key]).fetchone()
    ):
        return None
    version = current_version_number(db)
    cursor = db.execute(
        "INSERT INTO decisions (work_id, stage, decision, criterion, reviewer, actor, role, note,"
        " decided_at, import_key, protocol_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            work_id,
            stage,
            decision,
            criterion,
            reviewer.strip(),
            actor,
            role,
            note,
            stamp,
            import_key,
            version,
        ],
    )
    return int(cursor.lastrowid or 0)


def stage_criteria(db: sqlite_utils.Database, stage: int) -> set[str]:
    """The criterion ids the stored protocol allows at ``stage`` (empty without a protocol)."""
    protocol = stored_protocol(db)
    return protocol.criterion_ids(stage) if protocol else set()


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


def reviewer_counts(db: sqlite_utils.Database, stage: int) -> dict[int, int]:
    """{work id: how many people have screened it at ``stage``}."""
    rows = db.execute(
        "SELECT work_id, count(DISTINCT reviewer) FROM decisions"
        " WHERE stage = ? AND actor = 'person' AND role = 'screen' GROUP BY work_id",
        [stage],
    ).fetchall()
    return {int(w): int(n) for w, n in rows}


def works_decided_by(db: sqlite_utils.Database, stage: int, reviewer: str) -> set[int]:
    """Works on which ``reviewer`` has recorded any decision at ``stage``."""
    rows = db.execute(
        "SELECT DISTINCT work_id FROM decisions WHERE stage = ? AND reviewer = ?", [stage, reviewer]
    ).fetchall()
    return {int(r[0]) for r in rows}


def works_resolved_or_carried_over(db: sqlite_utils.Database, stage: int) -> set[int]:
    """Works a resolution or a decision carried over from an earlier review settles at ``stage``."""
    rows = db.execute(
        "SELECT DISTINCT work_id FROM decisions"
        " WHERE stage = ? AND (actor = 'source' OR role = 'resolve')",
        [stage],
    ).fetchall()
    return {int(r[0]) for r in rows}


def works_judged_by_people(db: sqlite_utils.Database, stage: int) -> set[int]:
    """Works whose decisions at ``stage`` include one that is not a rule's."""
    rows = db.execute(
        "SELECT DISTINCT work_id FROM decisions WHERE stage = ? AND actor != 'rule'", [stage]
    )
    return {int(r[0]) for r in rows.fetchall()}


def screening_decisions_in_order(
    db: sqlite_utils.Database, stage: int, reviewer: str | None = None
) -> list[tuple[int, str]]:
    """(work id, decision) of every person's screening decision at ``stage``, oldest first.

    With ``reviewer``: that reviewer's own and the carried-over (source) decisions only.
    """
    params: list[object] = [stage]
    if reviewer is None:
        where = "actor = 'person'"
    else:
        where = "(reviewer = ? AND actor = 'person' OR actor = 'source')"
        params.append(reviewer)
    rows = db.execute(
        f"SELECT work_id, decision FROM decisions WHERE stage = ? AND role = 'screen' AND {where}"
        " ORDER BY decided_at, id",
        params,
    ).fetchall()
    return [(int(w), str(d)) for w, d in rows]


def latest_rule_decisions(db: sqlite_utils.Database, stage: int) -> dict[int, tuple[str, int]]:
    """{work id: (decision, protocol version)} of the latest rule decision per work at ``stage``.

    Decisions from before protocol versions were kept count as version 1.
    """
    rows = db.execute(
        "SELECT work_id, decision, coalesce(protocol_version, 1) FROM (SELECT *,"
        " row_number() OVER (PARTITION BY work_id ORDER BY decided_at DESC, id DESC) AS n"
        " FROM decisions WHERE stage = ? AND actor = 'rule') WHERE n = 1",
        [stage],
    ).fetchall()
    return {int(w): (str(d), int(v)) for w, d, v in rows}
