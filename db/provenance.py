"""Search runs and their hits: the only writer of ``search_runs``, ``run_pages`` and ``hits``.

A run is one execution of a search (a crawl, or an imported file). Its status is a small state
machine, changed only by :func:`set_run_status`:

- ``running``  — being fetched, or interrupted by a kill (nothing marks it otherwise);
- ``complete`` — every page asked for was stored;
- ``partial``  — a fault (HTTP 5xx, timeout, truncated page, missing from the offline cache)
  stopped it; what came before is stored and a rerun resumes it;
- ``blocked``  — the engine refused us (CAPTCHA page, HTTP 429); never retried in a loop;
- ``failed``   — nothing usable came back.

Any finished or interrupted run may be reopened (``running`` again) to resume or replay it; hits are
keyed on ``(run_id, hit_key)``, so storing a page twice adds nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from db.versions import current_version_number

RUNNING, COMPLETE, PARTIAL, BLOCKED, FAILED = "running", "complete", "partial", "blocked", "failed"
FINISHED = frozenset({COMPLETE, PARTIAL, BLOCKED, FAILED})
# from-status -> statuses it may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    RUNNING: FINISHED | {RUNNING},  # RUNNING -> RUNNING: resuming a run a kill left behind
    COMPLETE: frozenset({RUNNING}),
    PARTIAL: frozenset({RUNNING}),
    BLOCKED: frozenset({RUNNING}),
    FAILED: frozenset({RUNNING}),
}

# A publication's fields as every hit carries them (spiders, importers) and a work keeps them
# (db.dedupe): declared once, here.
RECORD_FIELDS = (
    "title",
    "authors",
    "year",
    "type",
    "container",
    "publisher",
    "language",
    "doi",
    "isbn",
    "issn",
    "url",
    "abstract",
    "peer_reviewed",
)
HIT_FIELDS = ("hit_key", "rank", *RECORD_FIELDS, "raw")


class RunStatusError(ValueError):
    """An illegal change of a run's status."""


def now() -> str:
    """The current UTC time as ISO 8601, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def start_run(
    db: sqlite_utils.Database,
    *,
    engine: str,
    query: str | None,
    source: str | None,
    tool: str,
    search_id: str | None = None,
) -> int:
    """Record a new run as ``running`` and return its id (the caller commits)."""
    cursor = db.conn.execute(
        "INSERT INTO search_runs (search_id, engine, query, source, status, started_at, tool,"
        " protocol_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (search_id, engine, query, source, RUNNING, now(), tool, current_version_number(db)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def latest_run(
    db: sqlite_utils.Database,
    *,
    engine: str,
    search_id: str | None,
    query: str | None,
    source: str | None,
) -> dict[str, Any] | None:
    """The most recent run of the same search, query and source under the protocol version in
    force, if any: a new version (an update's new window, an amended search) starts new runs."""
    row = db.conn.execute(
        "SELECT * FROM search_runs WHERE engine = ? AND search_id IS ? AND query IS ?"
        " AND source IS ? AND coalesce(protocol_version, 1) IS coalesce(?, 1)"
        " ORDER BY id DESC LIMIT 1",
        (engine, search_id, query, source, current_version_number(db)),
    ).fetchone()
    return _row(db, row) if row else None


def get_run(db: sqlite_utils.Database, run_id: int) -> dict[str, Any]:
    """One run as a dict (KeyError when there is none)."""
    row = db.conn.execute("SELECT * FROM search_runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise KeyError(f"no search run {run_id}")
    return _row(db, row)


def set_run_status(
    db: sqlite_utils.Database, run_id: int, status: str, error: str | None = None
) -> None:
    """Move a run to ``status`` if the transition is legal; the one place a status changes."""
    current = get_run(db, run_id)["status"]
    if status not in TRANSITIONS.get(current, frozenset()):
        raise RunStatusError(f"search run {run_id}: cannot go from {current} to {status}")
    finished_at = now() if status in FINISHED else None
    db.conn.execute(
        "UPDATE search_runs SET status = ?, error = ?, finished_at = ? WHERE id = ?",
        (status, error, finished_at, run_id),
    )


def reopen_run(db: sqlite_utils.Database, run_id: int) -> None:
    """Mark an earlier run ``running`` again, to resume or replay it."""
    with db.conn:
        set_run_status(db, run_id, RUNNING)


def store_hits(db: sqlite_utils.Database, run_id: int, hits: Iterable[Mapping[str, Any]]) -> int:
    """Insert hits into a run, skipping any already stored under the same key; return how many
    were new. Runs inside the caller's transaction."""
    engine = db.conn.execute("SELECT engine FROM search_runs WHERE id = ?", (run_id,)).fetchone()[0]
    fetched_at = now()
    placeholders = ", ".join("?" * (len(HIT_FIELDS) + 3))
    sql = (
        f"INSERT OR IGNORE INTO hits (run_id, engine, fetched_at, {', '.join(HIT_FIELDS)})"
        f" VALUES ({placeholders})"
    )
    before = db.conn.total_changes
    db.conn.executemany(sql, (_hit_values(run_id, engine, fetched_at, hit) for hit in hits))
    return db.conn.total_changes - before


def _hit_values(run_id: int, engine: str, fetched_at: str, hit: Mapping[str, Any]) -> list[Any]:
    values: list[Any] = [run_id, engine, fetched_at]
    for name in HIT_FIELDS:
        value = hit.get(name)
        if name == "authors":
            value = json.dumps(value or [], ensure_ascii=False)
        elif name == "raw" and not isinstance(value, str):
            # The engine's own text of the record when the parser kept it (Primo docs), else the
            # record serialized in the engine's own key order.
            text = hit.get("raw_json")
            value = text if isinstance(text, str) else json.dumps(value, ensure_ascii=False)
        elif name == "peer_reviewed" and value is not None:
            value = int(bool(value))
        values.append(value)
    if not values[3]:
        raise ValueError("a hit needs a hit_key")
    return values


def store_page(
    db: sqlite_utils.Database,
    run_id: int,
    *,
    page_key: str,
    url: str,
    hits: Sequence[Mapping[str, Any]],
    reported_total: int | None = None,
    commit: bool = True,
) -> int:
    """Store one fetched page and its hits, all or nothing; return how many hits were new.

    With ``commit=False`` the page joins the open transaction (a savepoint keeps it whole) and the
    caller commits a batch of pages with :func:`commit`: one disk sync per batch, not per page.
    """
    if not db.conn.in_transaction:
        db.conn.execute("BEGIN")
    db.conn.execute("SAVEPOINT store_page")
    try:
        new = store_hits(db, run_id, hits)
        page_new = db.conn.execute(
            "INSERT OR IGNORE INTO run_pages (run_id, page_key, url, hits, fetched_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (run_id, page_key, url, len(hits), now()),
        ).rowcount
        db.conn.execute(
            "UPDATE search_runs SET pages_fetched = pages_fetched + ?,"
            " hits_fetched = hits_fetched + ?, reported_total = coalesce(?, reported_total)"
            " WHERE id = ?",
            (page_new, new, reported_total, run_id),
        )
    except BaseException:
        db.conn.execute("ROLLBACK TO store_page")
        db.conn.execute("RELEASE store_page")
        raise
    db.conn.execute("RELEASE store_page")
    if commit:
        db.conn.commit()
    return new


def commit(db: sqlite_utils.Database) -> None:
    """Commit the pages stored with ``commit=False`` so far."""
    db.conn.commit()


def done_pages(db: sqlite_utils.Database, run_id: int) -> set[str]:
    """Keys of the pages of a run that are already stored."""
    rows = db.conn.execute("SELECT page_key FROM run_pages WHERE run_id = ?", (run_id,))
    return {row[0] for row in rows}


def record_import(db: sqlite_utils.Database, run_id: int, records_read: int) -> None:
    """An import run reads one "page" (the file) holding ``records_read`` records (the caller's
    transaction commits)."""
    db.conn.execute(
        "UPDATE search_runs SET reported_total = ?, pages_fetched = 1 WHERE id = ?",
        (records_read, run_id),
    )


def finish_run(
    db: sqlite_utils.Database, run_id: int, status: str, error: str | None = None
) -> dict[str, Any]:
    """Recount a run's pages and hits, set its final status, and return the run (caller commits
    when inside a transaction; otherwise this commits)."""
    if status not in FINISHED:
        raise RunStatusError(f"{status!r} is not a finished status")
    in_transaction = db.conn.in_transaction
    _update_counts(db, run_id)
    set_run_status(db, run_id, status, error)
    if not in_transaction:
        db.conn.commit()
    return get_run(db, run_id)


def _update_counts(db: sqlite_utils.Database, run_id: int) -> None:
    # An import has no run_pages rows: its one page (the file) is counted by record_import.
    db.conn.execute(
        "UPDATE search_runs SET"
        " pages_fetched = max(pages_fetched, (SELECT count(*) FROM run_pages WHERE run_id = ?)),"
        " hits_fetched = (SELECT count(*) FROM hits WHERE run_id = ?) WHERE id = ?",
        (run_id, run_id, run_id),
    )


def list_runs(db: sqlite_utils.Database, limit: int | None = None) -> list[dict[str, Any]]:
    """Runs, newest first."""
    sql = "SELECT * FROM search_runs ORDER BY id DESC"
    rows = db.conn.execute(sql + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
    return [_row(db, row) for row in rows]


def _row(db: sqlite_utils.Database, row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    columns = [d[0] for d in db.conn.execute("SELECT * FROM search_runs LIMIT 0").description]
    return dict(zip(columns, row, strict=True))
