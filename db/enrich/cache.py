"""A cache of good answers, one SQLite file per source beside the harvest's HTTP cache
(``<db name>-harvest/httpcache/enrich-<source>.sqlite``): a rerun asks the source only for what it
has not answered well before. An answer is stored only after it parsed, so a truncated, HTML or
misshapen page is never cached as good. A 404 (the source knows no such DOI) is kept as an empty
body."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from db.database import resolve_db_path


def cache_path(db_path: str | Path, source: str) -> Path:
    path = resolve_db_path(db_path)
    return path.parent / f"{path.stem}-harvest" / "httpcache" / f"enrich-{source}.sqlite"


class AnswerCache:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path)
        with self.conn:
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS answers (url TEXT PRIMARY KEY, body BLOB NOT NULL, "
                "fetched_at TEXT NOT NULL)"
            )

    def get(self, url: str) -> bytes | None:
        row = self.conn.execute("SELECT body FROM answers WHERE url = ?", [url]).fetchone()
        return None if row is None else bytes(row[0])

    def put(self, url: str, body: bytes) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO answers (url, body, fetched_at) VALUES (?, ?, ?)",
                [url, body, datetime.now(UTC).isoformat(timespec="seconds")],
            )

    def close(self) -> None:
        self.conn.close()
