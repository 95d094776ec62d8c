"""One review state: every reader agrees with db.status, and no trail skips a stage.

The property test generates random decision trails on synthetic works (people, rules, the earlier
review's carried-over decisions, resolutions, maybes and conflicts), writes them through
record_decision — which refuses what breaks the stage order — and compares what every reader
says with an oracle written here from the rule in db/status.py's docstring, independently of its
SQL. Synthetic works: key 'synthetic-N', title 'Synthetic N', origin harvest.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.database import open_db
from db.decisions import DecisionError, record_decision
from db.status import SELECTIONS, work_states
from exports.records import load_works
from exports.selection import Selection
from screening.agreement import list_conflicts
from screening.flow import database_flow
from screening.queue import queue_work_ids

PEOPLE = ("Kari", "Ola", "Eva")
EXCLUSION = {1: "not_relevant", 2: "not_relevant_full_text", 3: "not_relevant_thorough"}


def oracle(trail: list[tuple]) -> dict[int, tuple[str, int, int]]:
    """{work: (state, stage, passed)} from (id, work, stage, decision, reviewer, actor, role)."""
    outcomes: dict[int, dict[int, str]] = {}
    by_cell: dict[tuple[int, int], list[tuple]] = {}
    for row in sorted(trail):  # by id: the order they were written
        by_cell.setdefault((row[1], row[2]), []).append(row)
    for (work, stage), rows in by_cell.items():
        resolved = [r for r in rows if r[6] == "resolve" and r[5] != "model"]
        latest: dict[tuple[str, str], str] = {}
        for r in rows:
            if r[6] == "screen" and r[5] in ("person", "source"):
                latest[(r[4], r[5])] = r[3]
        rules = [r for r in rows if r[5] == "rule"]
        if resolved:
            outcome = resolved[-1][3]
        elif latest:
            values = set(latest.values())
            outcome = values.pop() if len(values) == 1 else "conflict"
        elif rules and rules[-1][3] == "exclude":  # a rule that clears leaves it undecided
            outcome = rules[-1][3]
        else:
            continue
        outcomes.setdefault(work, {})[stage] = outcome
    result = {}
    for work in {r[1] for r in trail}:
        by_stage = outcomes.get(work, {})
        state: tuple[str, int, int] = ("included", 3, 3)
        for stage in (1, 2, 3):
            outcome = by_stage.get(stage)
            if outcome is None:
                state = ("unscreened" if stage == 1 else "awaiting", stage, stage - 1)
                break
            passes = outcome == "include" or (stage == 1 and outcome == "maybe")
            if not passes:
                state = ("excluded" if outcome == "exclude" else outcome, stage, stage - 1)
                break
        result[work] = state
    return result


_action = st.tuples(
    st.integers(0, 3),  # which work
    st.integers(1, 3),  # stage
    st.sampled_from(["include", "exclude", "maybe"]),
    st.sampled_from(["person", "person", "person", "rule", "source", "model"]),
    st.sampled_from(PEOPLE),
    st.sampled_from(["screen", "screen", "screen", "resolve"]),
)


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory, corpus_template: Path) -> Path:
    """The built protocol and no works: copied for each generated trail."""
    path = tmp_path_factory.mktemp("status") / "empty.db"
    db = open_db(path)
    db.attach("built", corpus_template)
    db.execute("INSERT INTO protocol SELECT * FROM built.protocol")
    db.close()
    return path


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(actions=st.lists(_action, min_size=1, max_size=25))
def test_every_reader_agrees_with_the_state_rule(
    empty_db: Path, tmp_path: Path, actions: list[tuple]
) -> None:
    path = tmp_path / "trail.db"
    shutil.copy(empty_db, path)
    db = open_db(path)
    ids = [
        int(db.table("works").insert({"key": f"synthetic-{n}", "title": f"Synthetic {n}"}).last_pk)
        for n in range(4)
    ]
    for work, stage, decision, actor, reviewer, role in actions:
        with contextlib.suppress(DecisionError):  # refused (stage order): nothing is written
            record_decision(
                db, ids[work], stage, decision, actor=actor, role=role,
                reviewer="rule" if actor == "rule" else reviewer,
                criterion=EXCLUSION[stage] if decision == "exclude" else None,
            )  # fmt: skip
    trail = db.execute(
        "SELECT id, work_id, stage, decision, reviewer, actor, role FROM decisions"
    ).fetchall()
    expected = oracle(trail)
    expected.update({w: ("unscreened", 1, 0) for w in ids if w not in expected})

    states = work_states(db)
    assert {w: (s.state, s.stage, s.passed) for w, s in states.items()} == expected

    def having(test) -> set[int]:
        return {w for w, s in expected.items() if test(*s)}

    included = having(lambda state, _stage, _passed: state == "included")
    corpus = {r[0] for r in db.execute("SELECT id FROM corpus").fetchall()}
    assert corpus == included
    # no work reaches the corpus without an outcome that passes stages 1 and 2
    passing = {1: ("include", "maybe"), 2: ("include",)}
    for work in corpus:
        assert all(states[work].outcomes.get(n) in passing[n] for n in (1, 2))
    flow = database_flow(db)
    assert flow.included == len(included)
    assert flow.sought == len(having(lambda _s, _n, passed: passed >= 1))
    assert flow.after_full_text == len(having(lambda _s, _n, passed: passed >= 2))
    view = [r[0] for r in db.execute("SELECT evidensbase FROM flow ORDER BY step")]
    assert view == [4, flow.sought, flow.after_full_text, flow.included]
    for stage in (1, 2, 3):
        conflicts = {c.work_id for c in list_conflicts(db, stage)}
        assert conflicts == having(lambda state, at, _p, n=stage: state == "conflict" and at == n)
        for work in queue_work_ids(db, stage, "Eva"):
            assert expected[work][2] >= stage - 1  # the queue holds only works that reached it
            assert expected[work][0] not in ("included", "excluded") or expected[work][1] > stage
    selections = {
        "unscreened": lambda state, _n, _p: state == "unscreened",
        "stage1": lambda _s, _n, passed: passed >= 1,
        "stage2": lambda _s, _n, passed: passed >= 2,
        "included": lambda state, _n, _p: state == "included",
        "excluded": lambda state, _n, _p: state == "excluded",
        "conflict": lambda state, _n, _p: state == "conflict",
        "maybe": lambda state, _n, _p: state == "maybe",
        "awaiting": lambda state, _n, _p: state == "awaiting",
        "all": lambda _s, _n, _p: True,
    }
    assert set(selections) == set(SELECTIONS)  # every stage `export --stage` offers
    for name, test in selections.items():
        chosen = {w.id for w in load_works(db, Selection(stage=name), with_codes=False).works}
        assert chosen == having(test), name
    # and what an export says of each work (RIS N1, CSV 'screening') is the same state
    exported = load_works(db, Selection(stage="all"), with_codes=False).works
    assert {w.id: (w.state, w.stage) for w in exported} == {
        w: (state, stage) for w, (state, stage, _passed) in expected.items()
    }
    db.close()


def test_a_decision_at_a_stage_not_reached_is_refused(tmp_path: Path) -> None:
    db = open_db(tmp_path / "order.db")
    work = int(db.table("works").insert({"key": "synthetic-a", "title": "Synthetic A"}).last_pk)
    with pytest.raises(DecisionError, match="has not passed stage 1"):
        record_decision(db, work, 3, "include", reviewer="Kari")
    record_decision(db, work, 1, "maybe", reviewer="Kari")
    with pytest.raises(DecisionError, match="has not passed stage 2"):
        record_decision(db, work, 3, "include", reviewer="Kari")
    record_decision(db, work, 2, "include", reviewer="Kari")  # a stage-1 maybe passes
    record_decision(db, work, 3, "include", reviewer="Kari")
    assert db.execute("SELECT id FROM corpus").fetchall() == [(work,)]
    # carried over from an earlier review: says so by its actor, and may start at any stage
    other = int(db.table("works").insert({"key": "synthetic-b", "title": "Synthetic B"}).last_pk)
    record_decision(db, other, 3, "include", reviewer="earlier review", actor="source")


def test_decided_at_must_be_iso_8601_and_is_stored_in_utc(tmp_path: Path) -> None:
    db = open_db(tmp_path / "time.db")
    work = int(db.table("works").insert({"key": "synthetic-t", "title": "Synthetic T"}).last_pk)
    with pytest.raises(DecisionError, match="'yesterday' is not an ISO 8601"):
        record_decision(db, work, 1, "include", reviewer="Kari", decided_at="yesterday")
    record_decision(db, work, 1, "include", reviewer="Kari", decided_at="2024-03-01T14:30+01:00")
    record_decision(db, work, 1, "exclude", reviewer="Ola", criterion="x", decided_at="2024-03-01")
    assert [r[0] for r in db.execute("SELECT decided_at FROM decisions ORDER BY id")] == [
        "2024-03-01T13:30:00.000000+00:00",
        "2024-03-01T00:00:00.000000+00:00",
    ]


def test_replace_cannot_rewrite_the_trail_and_open_restores_triggers(tmp_path: Path) -> None:
    path = tmp_path / "trail.db"
    db = open_db(path)
    work = int(db.table("works").insert({"key": "synthetic-r", "title": "Synthetic R"}).last_pk)
    first = record_decision(db, work, 1, "include", reviewer="Kari", import_key="k1")
    for sql in (
        "INSERT OR REPLACE INTO decisions (id, work_id, stage, decision, reviewer, actor,"
        " decided_at) VALUES (?, ?, 1, 'exclude', 'x', 'person', '2024-01-01')",
        "REPLACE INTO decisions (id, work_id, stage, decision, reviewer, actor, decided_at)"
        " VALUES (?, ?, 1, 'exclude', 'x', 'person', '2024-01-01')",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql, [first, work])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute(
            "INSERT OR REPLACE INTO decisions (work_id, stage, decision, reviewer, actor,"
            " decided_at, import_key) VALUES (?, 1, 'exclude', 'x', 'person', '2024', 'k1')",
            [work],
        )
    assert db.execute("SELECT decision FROM decisions").fetchall() == [("include",)]
    # someone drops the triggers behind evidensbase's back and writes to the trail
    db.execute("DROP TRIGGER decisions_append_only_update")
    db.execute("DROP TRIGGER decisions_stage_status")
    db.execute(
        "INSERT INTO decisions (work_id, stage, decision, criterion, reviewer, actor, decided_at)"
        " VALUES (?, 1, 'exclude', 'x', 'Ola', 'person', '2025-01-01')",
        [work],
    )
    db.close()
    reopened = open_db(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        reopened.execute("UPDATE decisions SET decision = 'maybe'")
    # the state was derived again from the whole trail: Kari and Ola disagree
    assert work_states(reopened)[work].state == "conflict"
