"""The review's state: where each work stands, derived from its decisions by one rule.

Nothing else in evidensbase decides what "included", "excluded", "in conflict" or "waiting for
stage 2" means: the ``corpus``, ``work_status`` and ``flow`` views, the screening queue, the
stopping aid, the selections of ``export --stage`` and the portal all read what this module
defines.

**A stage's outcome** (``stage_status.outcome``) comes from the decisions at that stage:

1. a resolution (``role = 'resolve'``, a third person settling a conflict) wins, the latest one;
2. otherwise the people — reviewers (actor ``person``) and the earlier review whose decisions were
   carried over (actor ``source``) — each count with their latest decision: if all agree, that is
   the outcome, if they differ it is ``conflict``;
3. otherwise the latest rule decision counts if it excludes, so a person overturns a rule simply
   by deciding. A rule decision that does not exclude (``include`` by a rule) records that no
   hard criterion applies any more — say, after the protocol's period was widened — and leaves
   the stage undecided, for people to screen;
4. a model's suggestion (actor ``model``) never counts.

**A work's state** walks the stages in order and stops at the first one the work has not passed:

============  =================================================================================
state         meaning
============  =================================================================================
unscreened    no outcome at stage 1 yet
awaiting      passed stage N−1, no outcome at stage N yet (``stage`` says which)
maybe         held at stage N (2 or 3) by a ``maybe``: someone must still decide
conflict      the people disagree at stage N; waits for a resolution. Never an exclusion
excluded      excluded at stage N
included      passed stage 3: in the corpus
============  =================================================================================

A stage is *passed* by ``include``; at stage 1 also by ``maybe``, since an abstract that leaves
doubt is what full-text screening is for. So a stage-1 maybe counts as "relevant on title and
abstract" in PRISMA's flow and in ``export --stage stage1`` alike. Because the walk stops at the
first stage not passed, a later decision never lifts a work over an earlier exclusion.

**Transitions.** Decisions are appended, never changed (``decisions`` is append-only), and the
only writer, :func:`db.decisions.record_decision`, allows a decision at stage N only on a work that
has passed stage N−1 (:func:`check_stage_order`), except a decision carried over from an earlier
review (actor ``source``), which records that the earlier review took the work that far.

The per-stage outcomes are kept in ``stage_status``, a table that a trigger on ``decisions`` brings
up to date in the same transaction as each new decision, using :data:`STAGE_OUTCOME_SQL` for that
one work and stage. It is derived data — an index of the trail — and can be rebuilt from the
decisions at any time (:func:`rebuild_stage_status`); it keeps reads at 100k works to a few index
probes per work.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

STAGES = (1, 2, 3)
OUTCOMES = ("include", "exclude", "maybe", "conflict")
STATES = ("unscreened", "awaiting", "maybe", "conflict", "excluded", "included")
# Outcomes that let a work on to the next stage.
PASSING = {1: ("include", "maybe"), 2: ("include",), 3: ("include",)}

# The outcome rule over the decisions selected by {where}: one row per (work, stage) decided.
_OUTCOME_TEMPLATE = """
SELECT work_id, stage,
       CASE
         WHEN max(resolved) IS NOT NULL THEN max(resolved)
         WHEN count(people) > 0 THEN
           CASE WHEN count(DISTINCT people) = 1 THEN max(people) ELSE 'conflict' END
         ELSE CASE WHEN max(ruled) = 'exclude' THEN 'exclude' END
       END AS outcome
FROM (
  SELECT d.work_id, d.stage,
         CASE WHEN d.role = 'resolve' AND d.latest_resolve = 1 THEN d.decision END AS resolved,
         CASE WHEN d.role = 'screen' AND d.actor IN ('person', 'source') AND d.latest_own = 1
              THEN d.decision END AS people,
         CASE WHEN d.actor = 'rule' AND d.latest_rule = 1 THEN d.decision END AS ruled
  FROM (
    SELECT *,
           row_number() OVER (PARTITION BY work_id, stage, reviewer, actor, role
                              ORDER BY decided_at DESC, id DESC) AS latest_own,
           row_number() OVER (PARTITION BY work_id, stage, role
                              ORDER BY decided_at DESC, id DESC) AS latest_resolve,
           row_number() OVER (PARTITION BY work_id, stage, actor
                              ORDER BY decided_at DESC, id DESC) AS latest_rule
    FROM decisions WHERE actor != 'model' {where}
  ) AS d
) GROUP BY work_id, stage
HAVING outcome IS NOT NULL
"""

STAGE_OUTCOME_SQL = _OUTCOME_TEMPLATE.format(where="")

# The trigger that keeps stage_status in step with the trail (same rule, one work and stage).
STAGE_STATUS_TRIGGER = (
    "CREATE TRIGGER decisions_stage_status AFTER INSERT ON decisions BEGIN "
    "DELETE FROM stage_status WHERE work_id = NEW.work_id AND stage = NEW.stage; "
    "INSERT INTO stage_status (work_id, stage, outcome) "
    + _OUTCOME_TEMPLATE.format(where="AND work_id = NEW.work_id AND stage = NEW.stage")
    + "; END"
)

# The walk over the stages, as SQL over works w and stage_status s1, s2, s3 (see the module doc).
_STATE_CASE = """
  CASE
    WHEN s1.outcome IS NULL THEN 'unscreened'
    WHEN s1.outcome = 'exclude' THEN 'excluded'
    WHEN s1.outcome = 'conflict' THEN 'conflict'
    WHEN s2.outcome IS NULL THEN 'awaiting'
    WHEN s2.outcome = 'exclude' THEN 'excluded'
    WHEN s2.outcome IN ('conflict', 'maybe') THEN s2.outcome
    WHEN s3.outcome IS NULL THEN 'awaiting'
    WHEN s3.outcome = 'exclude' THEN 'excluded'
    WHEN s3.outcome IN ('conflict', 'maybe') THEN s3.outcome
    ELSE 'included'
  END"""
_STATE_STAGE = """
  CASE
    WHEN s1.outcome IS NULL OR s1.outcome IN ('exclude', 'conflict') THEN 1
    WHEN s2.outcome IS NULL OR s2.outcome != 'include' THEN 2
    ELSE 3
  END"""
STATUS_JOINS = """
    LEFT JOIN stage_status s1 ON s1.work_id = w.id AND s1.stage = 1
    LEFT JOIN stage_status s2 ON s2.work_id = w.id AND s2.stage = 2
    LEFT JOIN stage_status s3 ON s3.work_id = w.id AND s3.stage = 3
"""

# The work_status view: one row per work.
WORK_STATUS_SQL = f"""
    SELECT w.id AS work_id, {_STATE_CASE} AS state, {_STATE_STAGE} AS stage,
           CASE WHEN {_STATE_CASE} = 'included' THEN 3 ELSE {_STATE_STAGE} - 1 END AS passed,
           s1.outcome AS stage1, s2.outcome AS stage2, s3.outcome AS stage3
    FROM works w {STATUS_JOINS}
"""

# The protocol version of a work's (w) first stage-3 include: which version of the review included
# it (the report's own corpus: 1). Decisions from before versions were kept count as version 1.
INCLUSION_VERSION_SQL = """(SELECT min(coalesce(d.protocol_version, 1)) FROM decisions d
    WHERE d.work_id = w.id AND d.stage = 3 AND d.decision = 'include' AND d.actor != 'model')"""

# Conditions on the work_status view (alias s) for each selection a user can make.
SELECTIONS: dict[str, tuple[str, str]] = {
    "all": ("1 = 1", "every work in the database"),
    "unscreened": ("s.state = 'unscreened'", "no outcome at stage 1 yet"),
    "stage1": ("s.passed >= 1", "passed stage 1 (title and abstract; include or maybe)"),
    "stage2": ("s.passed >= 2", "passed stage 2 (full text and quality)"),
    "included": ("s.state = 'included'", "included in the review (passed stage 3)"),
    "excluded": ("s.state = 'excluded'", "excluded at some stage"),
    "conflict": ("s.state = 'conflict'", "reviewers disagree and no one has resolved it"),
    "maybe": ("s.state = 'maybe'", "held by a maybe at stage 2 or 3"),
    "awaiting": ("s.state = 'awaiting'", "waiting for a decision at its next stage"),
}


class StageOrderError(ValueError):
    """A decision at a stage the work has not reached."""


@dataclass(frozen=True)
class WorkState:
    """Where one work stands: ``state`` at ``stage``, having passed stages up to ``passed``."""

    work_id: int
    state: str
    stage: int
    passed: int
    outcomes: dict[int, str]

    def label(self) -> str:
        """'included', 'excluded at stage 2', 'awaiting stage 2', 'unscreened'."""
        if self.state in ("included", "unscreened"):
            return self.state
        preposition = "at" if self.state in ("excluded", "conflict", "maybe") else ""
        return f"{self.state} {preposition} stage {self.stage}".replace("  ", " ")


def state_from_outcomes(outcomes: dict[int, str]) -> tuple[str, int, int]:
    """(state, stage, passed) from {stage: outcome}: the walk of the SQL above, for one work."""
    for stage in STAGES:
        outcome = outcomes.get(stage)
        if outcome is None:
            return ("unscreened" if stage == 1 else "awaiting"), stage, stage - 1
        if outcome not in PASSING[stage]:
            return ("excluded" if outcome == "exclude" else outcome), stage, stage - 1
    return "included", 3, 3


def stage_outcome(db: sqlite_utils.Database, work_id: int, stage: int) -> str | None:
    """The outcome of one work at one stage (None when nobody and no rule has decided)."""
    row = db.execute(
        "SELECT outcome FROM stage_status WHERE work_id = ? AND stage = ?", [work_id, stage]
    ).fetchone()
    return None if row is None else str(row[0])


def stage_outcomes(db: sqlite_utils.Database, stage: int) -> dict[int, str]:
    """{work id: outcome} for every work with an outcome at ``stage`` (reached or not)."""
    rows = db.execute(
        "SELECT work_id, outcome FROM stage_status WHERE stage = ?", [stage]
    ).fetchall()
    return {int(w): str(o) for w, o in rows}


def work_state(db: sqlite_utils.Database, work_id: int) -> WorkState:
    """The state of one work."""
    rows = db.execute(
        "SELECT stage, outcome FROM stage_status WHERE work_id = ?", [work_id]
    ).fetchall()
    outcomes = {int(s): str(o) for s, o in rows}
    state, stage, passed = state_from_outcomes(outcomes)
    return WorkState(work_id, state, stage, passed, outcomes)


def work_states(db: sqlite_utils.Database) -> dict[int, WorkState]:
    """The state of every work."""
    outcomes: dict[int, dict[int, str]] = {
        int(r[0]): {} for r in db.execute("SELECT id FROM works").fetchall()
    }
    for work_id, stage, outcome in db.execute(
        "SELECT work_id, stage, outcome FROM stage_status"
    ).fetchall():
        outcomes.setdefault(int(work_id), {})[int(stage)] = str(outcome)
    result = {}
    for work_id, by_stage in outcomes.items():
        state, stage, passed = state_from_outcomes(by_stage)
        result[work_id] = WorkState(work_id, state, stage, passed, by_stage)
    return result


def works_at_stage(db: sqlite_utils.Database, stage: int) -> list[int]:
    """Works that have reached ``stage`` (passed the one before), in id order."""
    if stage == 1:
        return [int(r[0]) for r in db.execute("SELECT id FROM works ORDER BY id").fetchall()]
    return [
        int(r[0])
        for r in db.execute(
            "SELECT work_id FROM work_status WHERE passed >= ? ORDER BY work_id", [stage - 1]
        ).fetchall()
    ]


def works_in_state(db: sqlite_utils.Database, state: str, stage: int | None = None) -> list[int]:
    """Works in ``state`` (at ``stage``, when given), in id order."""
    if state not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}, not {state!r}")
    sql = "SELECT work_id FROM work_status WHERE state = ?"
    params: list[object] = [state]
    if stage is not None:
        sql += " AND stage = ?"
        params.append(stage)
    return [int(r[0]) for r in db.execute(sql + " ORDER BY work_id", params).fetchall()]


def check_stage_order(db: sqlite_utils.Database, work_id: int, stage: int, actor: str) -> None:
    """Refuse a decision at ``stage`` on a work that has not passed the stage before."""
    if stage == 1 or actor == "source":
        return
    reached = work_state(db, work_id)
    if reached.passed >= stage - 1:
        return
    missing = reached.passed + 1
    raise StageOrderError(
        f"work {work_id} has not passed stage {missing} ({reached.label()}): a stage {stage} "
        f"decision needs an include{' or maybe' if missing == 1 else ''} at stage {missing} first"
    )


def rebuild_stage_status(db: sqlite_utils.Database) -> None:
    """Derive ``stage_status`` afresh from the whole trail (after a migration or a repair)."""
    db.execute("DELETE FROM stage_status")
    db.execute(
        f"INSERT INTO stage_status (work_id, stage, outcome) "
        f"SELECT work_id, stage, outcome FROM ({STAGE_OUTCOME_SQL})"
    )


def inclusion_versions(db: sqlite_utils.Database) -> dict[int, int]:
    """{included work: the protocol version under which it was first included at stage 3}."""
    rows = db.execute(
        f"SELECT w.id, {INCLUSION_VERSION_SQL} FROM works w"
        " JOIN work_status s ON s.work_id = w.id AND s.state = 'included'"
    ).fetchall()
    return {int(w): int(v) for w, v in rows}
