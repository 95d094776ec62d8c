"""A database made by an older schema version is upgraded in place, never rebuilt."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from db import DatabaseError, open_db, schema_version
from db.schema import SCHEMA_VERSION, apply_migrations


def make_old_database(path: Path, version: int) -> None:
    """A file at an older schema version, holding what every version has: provenance, one work
    and one person's decision."""
    conn = sqlite3.connect(path)
    assert apply_migrations(conn, target=version) == 0
    with conn:
        conn.execute(
            "INSERT INTO searches (id, engine, language, terms, query) VALUES "
            "('oria-nb-innvandrere', 'oria', 'nb', '[\"karriereveiledning\", "
            "\"innvandrere\"]', 'karriereveiledning AND innvandrere')"
        )
        conn.execute(
            "INSERT INTO search_runs (id, search_id, engine, status, started_at) "
            "VALUES (1, 'oria-nb-innvandrere', 'oria', 'complete', '2024-03-01T10:00')"
        )
        conn.execute(
            "INSERT INTO works (id, key, title, year) VALUES "
            "(7, 'w-legacy', 'Kompetansekartlegging og karriereveiledning', 2020)"
        )
        conn.execute(
            "INSERT INTO hits (run_id, engine, hit_key, title, raw, fetched_at, work_id) "
            "VALUES (1, 'oria', 'alma991', 'Kompetansekartlegging', '{}', "
            "'2024-03-01T10:00', 7)"
        )
        conn.execute(
            "INSERT INTO decisions (work_id, stage, decision, reviewer, actor, "
            "decided_at) VALUES (7, 1, 'include', 'Kari', 'person', '2024-03-02')"
        )
    conn.close()


@pytest.mark.parametrize("old_version", range(1, SCHEMA_VERSION))
def test_older_database_is_migrated_in_place(tmp_path: Path, old_version: int) -> None:
    path = tmp_path / "old.db"
    make_old_database(path, old_version)

    db = open_db(path)

    assert schema_version(db) == SCHEMA_VERSION
    assert db.execute("SELECT key, title FROM works").fetchall() == [
        ("w-legacy", "Kompetansekartlegging og karriereveiledning")
    ]
    assert db.execute("SELECT hit_key, work_id FROM hits").fetchall() == [("alma991", 7)]
    assert db.execute("SELECT reviewer, decision FROM decisions").fetchall() == [
        ("Kari", "include")
    ]
    for table in (
        "quality",
        "codes",
        "summaries",
        "labels",
        "reported_yield",
        "works_fts",
        "hit_links",
        "hit_pairs",
        "work_sources",
        "run_pages",
    ):
        assert db[table].exists(), table
    # The derived state is rebuilt from the old trail: Kari's stage-1 include passes stage 1.
    assert db.execute(
        "SELECT state, stage, passed, stage1 FROM work_status WHERE work_id = 7"
    ).fetchone() == ("awaiting", 2, 1, "include")
    db.close()


def test_opening_twice_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    open_db(path).close()
    conn = sqlite3.connect(path)
    assert apply_migrations(conn) == SCHEMA_VERSION
    conn.close()


def test_a_newer_database_is_refused_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(DatabaseError, match="newer than this evidensbase"):
        open_db(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    conn.close()
