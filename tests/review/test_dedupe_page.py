"""Dedupe's maybe-pairs on the review site: side by side, judged same or different."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from db.dedupe import dedupe_hits, maybe_queue

AUTHORS = [{"family": "Lillevik", "given": "Rune"}, {"family": "Weiss", "given": "Nerina"}]
HITS = [
    ("alma-synthetic-1", "Kompetansekartlegging og karriereveiledning for nyankomne flyktninger",
     "nb"),
    ("alma-synthetic-2", "Skills mapping and career guidance for newly arrived <refugees>", "en"),
]  # fmt: skip


def insert_pair(path: Path) -> list[int]:
    """Two hits of one report in two languages: dedupe leaves them for a person (a maybe)."""
    conn = sqlite3.connect(path)
    with conn:
        run = conn.execute(
            "INSERT INTO search_runs (engine, query, source, status, started_at, tool)"
            " VALUES ('oria', 'synthetic', 'tests/review', 'complete', '2026-12-01T10:00:00Z',"
            " 'test')"
        ).lastrowid
        ids = []
        for rank, (key, title, language) in enumerate(HITS, 1):
            ids.append(
                conn.execute(
                    "INSERT INTO hits (run_id, engine, hit_key, rank, title, authors, year, type,"
                    " language, container, publisher, raw, fetched_at) VALUES (?, 'oria', ?, ?,"
                    " ?, ?, 2019, 'report', ?, 'Fafo-rapport', 'Fafo', '{}',"
                    " '2026-12-01T10:00:00Z')",
                    [run, key, rank, title, json.dumps(AUTHORS), language],
                ).lastrowid
            )
    conn.close()
    return ids


@pytest.fixture
def pair(review_db: Any) -> list[int]:
    ids = insert_pair(review_db[0])
    assert dedupe_hits(review_db[0]).maybe == 1
    return ids


def test_maybe_pairs_side_by_side_and_judged_different(
    pair: list[int], signed_in: Any, review_db: Any
) -> None:
    kari = signed_in("Kari")
    page = kari.get("/-/review/dedupe")
    assert "Skills mapping and career guidance for newly arrived &lt;refugees&gt;" in page.text
    assert "Kompetansekartlegging" in page.text and "Lillevik; Weiss" in page.text
    token = kari.token("/-/review/dedupe")
    form = {"hit_a": pair[0], "hit_b": pair[1], "outcome": "different"}
    assert kari.post("/-/review/dedupe", form, token=token).status_code == 302
    assert maybe_queue(review_db[0]) == []
    assert "No possible duplicates are waiting" in kari.get("/-/review/dedupe").text
    replay = kari.post("/-/review/dedupe", {**form, "outcome": "same"}, token=token)
    assert replay.status_code == 409 and "judged meanwhile" in replay.text
    with sqlite3.connect(review_db[0]) as conn:
        works = conn.execute(
            "SELECT count(DISTINCT work_id) FROM hits WHERE id IN (?, ?)", pair
        ).fetchone()
    assert works == (2,)


def test_same_work_merges_the_pair(pair: list[int], signed_in: Any, review_db: Any) -> None:
    kari = signed_in("Kari")
    token = kari.token("/-/review/dedupe")
    form = {"hit_a": pair[0], "hit_b": pair[1], "outcome": "same"}
    assert kari.post("/-/review/dedupe", form, token=token).status_code == 302
    with sqlite3.connect(review_db[0]) as conn:
        works = conn.execute(
            "SELECT count(DISTINCT work_id) FROM hits WHERE id IN (?, ?)", pair
        ).fetchone()
    assert works == (1,)
