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
