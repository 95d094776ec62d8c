"""The full-text index ``works_fts`` (rowid = works.id): titles, authors, abstracts, summaries."""

from __future__ import annotations

from collections.abc import Iterable

import sqlite_utils

_CONTENT = """
    SELECT w.id, w.title, w.authors_display, coalesce(w.abstract, ''),
           coalesce((SELECT topic || ' ' || method || ' ' || findings FROM summaries
                      WHERE work_id = w.id AND language = 'nb'), ''),
           coalesce((SELECT topic || ' ' || method || ' ' || findings FROM summaries
                      WHERE work_id = w.id AND language = 'en'), '')
    FROM works w
"""


def refresh_search_index(db: sqlite_utils.Database, work_ids: Iterable[int] | None = None) -> int:
    """Bring the index up to date for these works (all when None); return how many rows changed."""
    if work_ids is None:
        rows = db.execute(_CONTENT).fetchall()
    else:
        ids = list(work_ids)
        placeholders = ",".join("?" * len(ids))
        rows = (
            db.execute(f"{_CONTENT} WHERE w.id IN ({placeholders})", ids).fetchall() if ids else []
        )
    changed = 0
    for row in rows:
        stored = db.execute(
            "SELECT rowid, title, authors, abstract, summary_nb, summary_en FROM works_fts "
            "WHERE rowid = ?",
            [row[0]],
        ).fetchone()
        if stored is not None and tuple(stored) == tuple(row):
            continue
        db.execute("DELETE FROM works_fts WHERE rowid = ?", [row[0]])
        db.execute(
            "INSERT INTO works_fts (rowid, title, authors, abstract, summary_nb, summary_en) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            row,
        )
        changed += 1
    return changed
