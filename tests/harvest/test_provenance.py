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
    writes = re.compile(
        r"(INSERT|UPDATE|DELETE|REPLACE)[^\"']*\b(search_runs|run_pages|hits)\b", re.I
    )
    offenders = []
    for path in [*ROOT.glob("*/**/*.py")]:
        if ".venv" in path.parts or "tests" in path.parts or path.name == "provenance.py":
            continue
        if writes.search(path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
