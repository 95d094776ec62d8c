"""record_decision is the one writer of decisions; its checks; the trail is append-only."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from db.build import build_database
from db.decisions import DecisionError, record_decision

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("db", "harvest", "screening", "exports", "evidensbase")
INSERTS = re.compile(
    r"insert\s+(or\s+\w+\s+)?into\s+\[?decisions\b|table\(\s*[\"']decisions[\"']\s*\)\s*\.\s*"
    r"(insert|upsert)|\[\s*[\"']decisions[\"']\s*\]\s*\.\s*(insert|upsert)",
    re.IGNORECASE,
)


def test_no_other_code_inserts_into_decisions():
    # The product's packages; tests and bench/ build synthetic databases of their own.
    offenders = []
    for path in [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]:
        relative = path.relative_to(ROOT)
        if relative == Path("db/decisions.py"):
            continue
        if INSERTS.search(path.read_text(encoding="utf-8")):
            offenders.append(str(relative))
    assert offenders == []
    # and the pattern does catch the forms it is meant to
    assert INSERTS.search('db.table("decisions").insert({})')
    assert INSERTS.search("INSERT INTO decisions (work_id) VALUES (1)")


def test_checks(db, add_work):
    work = add_work("synthetic_d1")
    with pytest.raises(DecisionError, match="an exclusion needs the protocol criterion"):
        record_decision(db, work, 1, "exclude", reviewer="Anna")
    with pytest.raises(DecisionError, match="'not_relevant' is not a stage 2 criterion"):
        record_decision(db, work, 2, "exclude", reviewer="Anna", criterion="not_relevant")
    with pytest.raises(DecisionError, match="decision must be one of"):
        record_decision(db, work, 1, "yes", reviewer="Anna")
    with pytest.raises(DecisionError, match="no work with id 99999"):
        record_decision(db, 99999, 1, "include", reviewer="Anna")
    with pytest.raises(DecisionError, match="needs a reviewer"):
        record_decision(db, work, 1, "include", reviewer=" ")


def test_append_only(db, add_work):
    work = add_work("synthetic_d2")
    record_decision(db, work, 1, "include", reviewer="Anna")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE decisions SET decision = 'exclude' WHERE work_id = ?", [work])


def test_build_records_the_reports_decisions_once(built_db):
    import sqlite_utils

    db = sqlite_utils.Database(built_db)
    works = db.execute("SELECT count(*) FROM works WHERE origin = 'corpus'").fetchone()[0]
    rows = db.execute(
        "SELECT DISTINCT stage, decision, actor, role FROM decisions ORDER BY stage"
    ).fetchall()
    assert rows == [
        (1, "include", "source", "screen"),
        (2, "include", "source", "screen"),
        (3, "include", "source", "screen"),
    ]
    assert db.execute("SELECT count(*) FROM decisions").fetchone()[0] == 3 * works
    db.close()
    assert build_database(built_db).changed.get("decisions") is None
