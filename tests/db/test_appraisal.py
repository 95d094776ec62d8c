"""Stage 2's quality rule and stage 3's coding, written by db/appraisal.py with their decision."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from db.appraisal import record_coding, record_full_text_decision
from db.database import open_db
from db.decisions import DecisionError, record_decision
from db.portal import make_datasette
from db.protocol import CodingError
from db.status import work_state

SIX_YES = {
    c: "yes"
    for c in (
        "validity",
        "reliability",
        "generalisation_evidence",
        "clear_question",
        "specified_method",
        "findings_answer_question",
    )
}


def _work(db: Any, key: str, peer_reviewed: int = 0) -> int:
    """A synthetic harvested work that passed stage 1 by Kari's include."""
    work = int(
        db.table("works")
        .insert({"key": key, "title": f"Synthetic {key}", "year": 2024, "type": "report",
                 "language": "nb", "peer_reviewed": peer_reviewed, "origin": "harvest"})
        .last_pk
    )  # fmt: skip
    record_decision(db, work, 1, "include", reviewer="Kari")
    return work


def test_a_weak_grey_report_is_excluded_with_its_ratings_in_one_step(built_db: Path) -> None:
    db = open_db(built_db)
    work = _work(db, "synthetic_weak")
    with pytest.raises(DecisionError, match="needs the quality ratings"):
        record_full_text_decision(db, work, "include", reviewer="Kari")
    weak = dict(SIX_YES, specified_method="no")
    outcome = record_full_text_decision(db, work, "include", reviewer="Kari", ratings=weak)
    assert (outcome.decision, outcome.criterion, outcome.points) == (
        "exclude",
        "quality_not_acceptable",
        5.0,
    )
    assert db.execute("SELECT count(*) FROM quality WHERE work_id = ?", [work]).fetchone() == (6,)
    assert work_state(db, work).label() == "excluded at stage 2"
    # a rating the protocol does not know stores neither ratings nor a decision
    other = _work(db, "synthetic_odd")
    with pytest.raises(DecisionError, match="unknown quality rating"):
        record_full_text_decision(
            db, other, "include", reviewer="Kari", ratings=dict(SIX_YES, validity="great")
        )
    assert db.execute("SELECT count(*) FROM quality WHERE work_id = ?", [other]).fetchone() == (0,)
    assert work_state(db, other).label() == "awaiting stage 2"


def test_a_summary_written_by_coding_is_found_by_the_portals_search(built_db: Path) -> None:
    db = open_db(built_db)
    work = _work(db, "synthetic_coded", peer_reviewed=1)
    record_full_text_decision(db, work, "include", reviewer="Kari")
    summary = {
        "topic": "Hvordan kommuner organiserer veiledning for nyankomne.",
        "method": "Intervjuer med rådgivere.",
        "findings": "Rådgiverne beskriver en zyxwandering mellom etater.",
    }
    with pytest.raises(CodingError, match="not in the codebook"):
        record_coding(
            db, work, reviewer="Kari", codes={"theme": ["no_such_theme"], "method": "qualitative"},
            summary=summary, language="nb",
        )  # fmt: skip
    assert work_state(db, work).label() == "awaiting stage 3"
    record_coding(
        db, work, reviewer="Kari", codes={"theme": ["other"], "method": "qualitative"},
        summary=summary, language="nb",
    )  # fmt: skip
    db.close()
    datasette = make_datasette(built_db)

    async def search() -> Any:
        await datasette.invoke_startup()
        return await datasette.client.get("/evidensbase/corpus.json?_search=zyxwandering")

    response = asyncio.run(search())
    assert response.status_code == 200
    assert [row[1] for row in response.json()["rows"]] == ["synthetic_coded"]
    with sqlite3.connect(built_db) as conn:
        assert conn.execute("SELECT count(*) FROM corpus").fetchone() == (25,)
