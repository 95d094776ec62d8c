"""Fixtures for dedupe: a built database and a helper that stores hits the way harvest would."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from db.database import open_db

DATA = Path(__file__).resolve().parent.parent / "data" / "dedupe"
FETCHED_AT = "2026-11-30T10:00:00+00:00"

AddHits = Callable[..., list[int]]


def load_synthetic() -> dict[str, dict[str, Any]]:
    """The hand-written records of tests/data/dedupe/synthetic_hits.yaml, by name."""
    with open(DATA / "synthetic_hits.yaml", encoding="utf-8") as handle:
        records: dict[str, dict[str, Any]] = yaml.safe_load(handle)
    return records


def insert_hits(path: Path, hits: Iterable[Mapping[str, Any]]) -> list[int]:
    """Store hits as harvest would: one search_runs row per engine, then the hits; return ids."""
    conn = sqlite3.connect(path)
    ids: list[int] = []
    with conn:
        runs: dict[str, int] = {}
        for rank, hit in enumerate(hits, 1):
            engine = hit["engine"]
            if engine not in runs:
                cursor = conn.execute(
                    "INSERT INTO search_runs (engine, query, source, status, started_at, tool) "
                    "VALUES (?, 'synthetic', 'tests/data/dedupe', 'complete', ?, 'test')",
                    [engine, FETCHED_AT],
                )
                runs[engine] = int(cursor.lastrowid or 0)
            cursor = conn.execute(
                "INSERT INTO hits (run_id, engine, hit_key, rank, title, authors, year, type, "
                "language, container, publisher, doi, isbn, raw, fetched_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    runs[engine],
                    engine,
                    hit["hit_key"],
                    rank,
                    hit.get("title"),
                    json.dumps(hit.get("authors") or [], ensure_ascii=False),
                    hit.get("year"),
                    hit.get("type"),
                    hit.get("language"),
                    hit.get("container"),
                    hit.get("publisher"),
                    hit.get("doi"),
                    hit.get("isbn"),
                    json.dumps(dict(hit), ensure_ascii=False, sort_keys=True),
                    FETCHED_AT,
                ],
            )
            ids.append(int(cursor.lastrowid or 0))
    conn.close()
    return ids


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh database with the schema and no works: these tests are about hits among
    themselves (the corpus works would take in the synthetic Fafo records, see corpus_store)."""
    path = tmp_path / "evidensbase.db"
    open_db(path).close()
    return path


@pytest.fixture
def corpus_store(corpus_template: Path, tmp_path: Path) -> Store:
    """A fresh copy of a built database (protocol + 24 corpus works), no hits yet."""
    path = tmp_path / "corpus.db"
    path.write_bytes(corpus_template.read_bytes())
    return Store(path)


@pytest.fixture
def synthetic() -> dict[str, dict[str, Any]]:
    return load_synthetic()


def work_of(path: Path) -> dict[int, int]:
    """hit id → work id, as stored."""
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT id, work_id FROM hits"))
    finally:
        conn.close()


def query(path: Path, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, list(params)).fetchall()
    finally:
        conn.close()


class Store:
    """The test's view of one database file: add hits, read back what dedupe did."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, *hits: Mapping[str, Any]) -> list[int]:
        return insert_hits(self.path, hits)

    def work_of(self) -> dict[int, int]:
        return work_of(self.path)

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        return query(self.path, sql, params)

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Everything dedupe writes, for comparing two states of the database."""
        return {
            table: self.query(f"SELECT * FROM {table} ORDER BY 1, 2")
            for table in ("works", "hits", "hit_links", "hit_pairs", "work_sources")
        }


@pytest.fixture
def store(db_path: Path) -> Store:
    return Store(db_path)
