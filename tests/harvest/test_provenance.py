"""The search-run state machine and the rule that only db/provenance.py writes runs and hits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from db import open_db, provenance

ROOT = Path(__file__).resolve().parents[2]


def test_status_moves_only_along_the_documented_transitions(built_db: Path) -> None:
    db = open_db(built_db)
    with db.conn:
        run = provenance.start_run(db, engine="ris", query="q", source="f.ris", tool="test")
    provenance.finish_run(db, run, provenance.COMPLETE)
    with pytest.raises(provenance.RunStatusError, match="cannot go from complete to partial"):
        provenance.set_run_status(db, run, provenance.PARTIAL)
    provenance.reopen_run(db, run)
    assert provenance.get_run(db, run)["status"] == "running"
    assert provenance.get_run(db, run)["finished_at"] is None
    with pytest.raises(provenance.RunStatusError, match="not a finished status"):
        provenance.finish_run(db, run, provenance.RUNNING)
    db.close()


def test_a_page_is_stored_with_its_hits_once(built_db: Path) -> None:
    db = open_db(built_db)
    with db.conn:
        run = provenance.start_run(db, engine="oria", query="q", source="s", tool="test")
    hits = [{"hit_key": "a", "title": "Å"}, {"hit_key": "b", "title": "Ø"}]
    assert provenance.store_page(db, run, page_key="eng:0", url="u", hits=hits) == 2
    assert provenance.store_page(db, run, page_key="eng:0", url="u", hits=hits) == 0
    stored = provenance.get_run(db, run)
    assert (stored["pages_fetched"], stored["hits_fetched"]) == (1, 2)
    with pytest.raises(ValueError, match="needs a hit_key"):
        provenance.store_page(db, run, page_key="eng:50", url="u", hits=[{"title": "x"}])
    # the failed page left nothing behind
    assert provenance.done_pages(db, run) == {"eng:0"}
    db.close()


def test_no_other_module_writes_runs_pages_or_hits() -> None:
    """Only db/provenance.py adds, changes or removes runs, pages and hits; the one exception is
    dedupe (db/dedupe/), which records the work a hit became in hits.work_id."""
    statement = re.compile(
        r"\b(INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+\[?"
        r"(search_runs|run_pages|hits)\b([^\"']*)",
        re.I,
    )
    offenders = []
    for package in ("db", "harvest", "screening", "exports", "evidensbase"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "provenance.py":
                continue
            for match in statement.finditer(path.read_text(encoding="utf-8")):
                verb, table, rest = match.groups()
                dedupe_link = (
                    "dedupe" in path.parts
                    and verb.upper() == "UPDATE"
                    and table == "hits"
                    and re.match(r"\s*SET\s+work_id\s*=\s*\?\s*WHERE", rest, re.I)
                )
                if not dedupe_link:
                    offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)[:60]}")
    assert offenders == []
