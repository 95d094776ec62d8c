"""Reading works: small named queries, so that every package reads a work the same way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlite_utils


class UnknownWorkError(LookupError):
    """No work has this key or id."""


def work_id_for_key(db: sqlite_utils.Database, key: str) -> int:
    """The id of the work with ``key`` (surrounding blanks ignored)."""
    row = db.execute("SELECT id FROM works WHERE key = ?", [key.strip()]).fetchone()
    if row is None:
        raise UnknownWorkError(f"no work with key {key.strip()!r}")
    return int(row[0])


def work_row(db: sqlite_utils.Database, work_id: int) -> dict[str, Any]:
    """Every column of one work."""
    for row in db.query("SELECT * FROM works WHERE id = ?", [work_id]):
        return row
    raise UnknownWorkError(f"no work with id {work_id}")


def key_and_title(db: sqlite_utils.Database, work_id: int) -> tuple[str, str]:
    """(key, title) of one work, for lists a person reads."""
    row = db.execute("SELECT key, title FROM works WHERE id = ?", [work_id]).fetchone()
    if row is None:
        raise UnknownWorkError(f"no work with id {work_id}")
    return str(row[0]), str(row[1] or "")


def harvested_works(db: sqlite_utils.Database) -> Iterator[dict[str, Any]]:
    """Every work that came from a search or an import (not the earlier review's corpus)."""
    yield from db.query("SELECT * FROM works WHERE origin != 'corpus' ORDER BY id")


def harvested_work_ids(db: sqlite_utils.Database) -> set[int]:
    """The ids of the works that came from searches and imports."""
    return {int(r[0]) for r in db.execute("SELECT id FROM works WHERE origin != 'corpus'")}


def work_titles(db: sqlite_utils.Database) -> dict[int, str]:
    """{work id: title} for every work."""
    return {int(i): str(t or "") for i, t in db.execute("SELECT id, title FROM works")}


def work_texts(db: sqlite_utils.Database) -> dict[int, str]:
    """{work id: the text a relevance model reads}: title, abstract, venue and any summary."""
    rows = db.execute(
        "SELECT w.id, coalesce(w.title, '') || ' ' || coalesce(w.abstract, '') || ' ' ||"
        " coalesce(w.container, '') || ' ' || coalesce((SELECT group_concat(s.topic || ' ' ||"
        " s.findings, ' ') FROM summaries s WHERE s.work_id = w.id), '') FROM works w"
    ).fetchall()
    return {int(i): str(t) for i, t in rows}


def _run_version(alias: str) -> str:
    return f"coalesce({alias}.protocol_version, 1)"


def works_new_in_version(db: sqlite_utils.Database, version: int) -> set[int]:
    """Harvested works first found by a search run under protocol ``version``."""
    rows = db.execute(
        "SELECT h.work_id FROM hits h JOIN search_runs r ON r.id = h.run_id"
        " JOIN works w ON w.id = h.work_id WHERE w.origin != 'corpus'"
        f" GROUP BY h.work_id HAVING min({_run_version('r')}) = ?",
        [version],
    ).fetchall()
    return {int(r[0]) for r in rows}


def hit_counts(db: sqlite_utils.Database, version: int | None = None) -> dict[str, int]:
    """{engine: hits} of the search runs under protocol ``version`` (all runs when None)."""
    where, params = ("", []) if version is None else (f"WHERE {_run_version('r')} = ?", [version])
    rows = db.execute(
        "SELECT h.engine, count(*) FROM hits h JOIN search_runs r ON r.id = h.run_id"
        f" {where} GROUP BY h.engine ORDER BY h.engine",
        params,
    ).fetchall()
    return {str(e): int(n) for e, n in rows}


def placed_hits(db: sqlite_utils.Database, version: int | None = None) -> tuple[int, int, int]:
    """(hits placed in a work, distinct works they found, of which found before ``version``).

    "Found before" means a work of the earlier review (origin corpus) or one a run under an
    older version found; without ``version`` only the earlier review's works count as such.
    """
    if version is None:
        row = db.execute(
            "SELECT count(*), count(DISTINCT h.work_id),"
            " count(DISTINCT CASE WHEN w.origin = 'corpus' THEN w.id END)"
            " FROM hits h JOIN works w ON w.id = h.work_id"
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])
    row = db.execute(
        "SELECT count(*), count(DISTINCT h.work_id), count(DISTINCT CASE WHEN w.origin = 'corpus'"
        "  OR EXISTS (SELECT 1 FROM hits e JOIN search_runs er ON er.id = e.run_id"
        f"   WHERE e.work_id = w.id AND {_run_version('er')} < ?) THEN w.id END)"
        " FROM hits h JOIN search_runs r ON r.id = h.run_id JOIN works w ON w.id = h.work_id"
        f" WHERE {_run_version('r')} = ?",
        [version, version],
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])
