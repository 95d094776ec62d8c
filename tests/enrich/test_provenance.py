"""Enrichment's provenance survives dedupe rewriting a work's sources, and the migration keeps
every older work_sources row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from db.database import open_db
from db.dedupe.store import decide_pair, dedupe_hits
from db.enrich import enrich_works
from db.enrich.replay import EnrichReplayServer
from db.schema import apply_migrations
from tests.dedupe.conftest import insert_hits

# Synthetic hits derived from the Crossref recording's record 10.1117/1.jei.28.6.063006 (title,
# first two authors, year), without its DOI or journal: two engines found the same article.
TITLE = (
    "Widget Detection Network: widget detection in mobile screenshot with region-based "
    "attention networks"
)
HIT = {
    "title": TITLE,
    "authors": [{"family": "Qi", "given": "Lin"}, {"family": "Wang", "given": "Tiezhu"}],
    "year": 2019,
    "type": "journal_article",
}


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_hit_joining_the_work_keeps_what_enrichment_filled(
    tmp_path: Path, replay: EnrichReplayServer
) -> None:
    path = tmp_path / "evidensbase.db"
    open_db(path).close()
    insert_hits(path, [{**HIT, "engine": "openalex", "hit_key": "synthetic-1"}])
    dedupe_hits(path)
    enrich_works(path, "crossref", stage="all", base_url=replay.url, min_delay=0)
    filled = rows(path, "SELECT field, engine, value FROM work_sources WHERE hit_id IS NULL")
    assert ("doi", "crossref", "10.1117/1.jei.28.6.063006") in filled

    # A second engine's copy joins the work: dedupe re-chooses the fields from the hits.
    insert_hits(path, [{**HIT, "engine": "nva", "hit_key": "synthetic-2", "publisher": "SPIE"}])
    report = dedupe_hits(path)

    assert report.attached == 1
    assert rows(path, "SELECT doi, container, publisher FROM works") == [
        ("10.1117/1.jei.28.6.063006", "Journal of Electronic Imaging", "SPIE")
    ]
    # The hit's publisher replaces the one enrichment filled; every other filled field stays.
    after = rows(path, "SELECT field, engine, value FROM work_sources WHERE hit_id IS NULL")
    assert sorted(after) == sorted(f for f in filled if f[0] != "publisher")
    assert ("publisher", "crossref", "SPIE-Intl Soc Optical Eng") in filled
    assert rows(path, "SELECT engine FROM work_sources WHERE field = 'publisher'") == [("nva",)]
    assert rows(path, "SELECT hit_id IS NOT NULL FROM work_sources WHERE field = 'title'") == [(1,)]


def test_a_merge_by_a_person_carries_enrichment_to_the_kept_work(
    tmp_path: Path, replay: EnrichReplayServer
) -> None:
    path = tmp_path / "evidensbase.db"
    open_db(path).close()
    # The second copy lost its subtitle and authors: dedupe keeps the two apart as a maybe-pair.
    first, second = insert_hits(
        path,
        [
            {**HIT, "engine": "openalex", "hit_key": "synthetic-1", "authors": []},
            {"title": "Widget Detection Network", "authors": [], "year": 2019,
             "engine": "nva", "hit_key": "synthetic-2", "type": "journal_article"},
        ],
    )  # fmt: skip
    dedupe_hits(path)
    works = dict(rows(path, "SELECT id, work_id FROM hits"))
    assert works[first] != works[second]
    enrich_works(path, "crossref", stage="all", base_url=replay.url, min_delay=0)
    enriched = rows(path, "SELECT work_id FROM work_sources WHERE field = 'doi'")
    assert enriched == [(works[first],)]

    kept = decide_pair(path, first, second, "same", "Kari")

    assert rows(path, "SELECT id, doi FROM works") == [(kept, "10.1117/1.jei.28.6.063006")]
    assert rows(path, "SELECT work_id, engine FROM work_sources WHERE field = 'doi'") == [
        (kept, "crossref")
    ]


def test_migration_keeps_every_work_sources_row_and_allows_rows_without_a_hit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    apply_migrations(conn, target=8)  # before v9 (enrichment)
    with conn:
        conn.execute("INSERT INTO search_runs (id, engine, started_at) VALUES (1, 'oria', 'x')")
        conn.execute("INSERT INTO works (id, key, title) VALUES (7, 'w7', 'Karriere')")
        conn.execute(
            "INSERT INTO hits (id, run_id, engine, hit_key, raw, fetched_at, work_id) "
            "VALUES (3, 1, 'oria', 'alma1', '{}', 'x', 7)"
        )
        conn.execute("INSERT INTO work_sources VALUES (7, 'title', 3, 'oria')")
    conn.close()

    db = open_db(path)
    assert db.execute("SELECT work_id, field, hit_id, engine FROM work_sources").fetchall() == [
        (7, "title", 3, "oria")
    ]
    db.execute(
        "INSERT INTO work_sources (work_id, field, hit_id, engine, query) "
        "VALUES (7, 'doi', NULL, 'crossref', 'http://x')"
    )
    assert db.execute("SELECT count(*) FROM work_sources").fetchone() == (2,)
    db.close()
