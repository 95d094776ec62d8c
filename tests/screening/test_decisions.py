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
# Who may write each table of the review's judgement (db/'s writers; build loads the corpus).
WRITERS = {
    "decisions": {"db/decisions.py"},
    "quality": {"db/appraisal.py"},
    "codes": {"db/appraisal.py", "db/build.py"},
    "summaries": {"db/appraisal.py", "db/build.py"},
    "stage_status": {"db/status.py", "db/schema.py"},
}


def writes_to(table: str) -> re.Pattern[str]:
    """SQL or sqlite-utils calls that insert, replace, update or delete rows of ``table``."""
    return re.compile(
        rf"(insert|replace)\s+(or\s+\w+\s+)?into\s+\[?{table}\b|update\s+\[?{table}\s+set\b|"
        rf"delete\s+from\s+\[?{table}\b|"
        rf"(table\(\s*|\[\s*)[\"']{table}[\"']\s*[)\]]\s*\.\s*(insert|upsert|update|delete)",
        re.IGNORECASE,
    )


INSERTS = writes_to("decisions")


def test_no_other_code_writes_decisions_ratings_codes_or_summaries():
    # The product's packages; tests and bench/ build synthetic databases of their own.
    sources = {
        str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*.py")
    }
    offenders = {
        table: sorted(name for name, text in sources.items() if writes_to(table).search(text))
        for table in WRITERS
    }
    assert {t: [n for n in names if n not in WRITERS[t]] for t, names in offenders.items()} == {
        t: [] for t in WRITERS
    }
    # and the pattern does catch the forms it is meant to
    assert INSERTS.search('db.table("decisions").insert({})')
    assert INSERTS.search("INSERT INTO decisions (work_id) VALUES (1)")
    assert INSERTS.search("REPLACE INTO decisions VALUES (1)")
    assert writes_to("summaries").search("INSERT OR REPLACE INTO summaries (work_id)")
    assert writes_to("codes").search("DELETE FROM codes WHERE work_id = ?")
    assert writes_to("quality").search('db["quality"].insert({})')


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
