"""Which works an export holds: a :class:`Selection` of filters turned into work ids.

Every filter narrows the selection (they combine with AND). A bad value raises
:class:`SelectionError` naming the valid ones, before anything is written.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from db.status import SELECTIONS

# Screening stages a user can select: db.status's selections, conditions on work_status (alias s).
STAGES = SELECTIONS

_YEARS = re.compile(r"^\s*(\d{4})?\s*(-)?\s*(\d{4})?\s*$")


class SelectionError(ValueError):
    """A filter value that selects nothing sensible; the message lists the valid values."""


@dataclass(frozen=True)
class Selection:
    """Filters on the works table; ``None`` means no filter."""

    stage: str = "all"
    theme: str | None = None
    language: str | None = None
    years: tuple[int | None, int | None] | None = None
    search: str | None = None
    sql: str | None = None


def parse_years(text: str) -> tuple[int | None, int | None]:
    """'2016-2022', '2018', '2018-' or '-2020' as an inclusive (from, to) pair."""
    match = _YEARS.match(text)
    if not match or not (match.group(1) or match.group(3)):
        raise SelectionError(f"years {text!r}: expected A-B, A, A- or -B with four-digit years")
    first = int(match.group(1)) if match.group(1) else None
    last = int(match.group(3)) if match.group(3) else None
    if not match.group(2):  # a single year
        last = first
    if first is not None and last is not None and first > last:
        raise SelectionError(f"years {text!r}: {first} is after {last}")
    return first, last


def _valid(db: sqlite_utils.Database, sql: str) -> list[str]:
    return [str(row[0]) for row in db.execute(sql).fetchall()]


def _check_theme(db: sqlite_utils.Database, theme: str) -> str:
    themes = _valid(db, "SELECT value FROM labels WHERE vocabulary = 'theme' ORDER BY sort")
    for value in themes:
        if value.lower() == theme.strip().lower():
            return value
    raise SelectionError(f"unknown theme {theme!r}; valid themes: {', '.join(themes)}")


def _check_language(db: sqlite_utils.Database, language: str) -> str:
    known = _valid(
        db,
        "SELECT value FROM labels WHERE vocabulary = 'language' UNION "
        "SELECT DISTINCT language FROM works WHERE language IS NOT NULL ORDER BY 1",
    )
    if language not in known:
        raise SelectionError(f"unknown language {language!r}; valid languages: {', '.join(known)}")
    return language


def _check_search(db: sqlite_utils.Database, search: str) -> str:
    if db.execute("SELECT 1 FROM searches WHERE id = ?", [search]).fetchone():
        return search
    known = _valid(db, "SELECT id FROM searches ORDER BY id")
    raise SelectionError(f"unknown search {search!r}; valid searches: {', '.join(known)}")


def ids_from_sql(db: sqlite_utils.Database, sql: str) -> set[int]:
    """Work ids from the first column of a user's read-only query."""
    conn = db.conn
    conn.execute("PRAGMA query_only = ON")  # the user's SQL may read, never write
    try:
        rows = conn.execute(sql.strip().rstrip(";")).fetchall()
    except sqlite3.Error as exc:
        raise SelectionError(f"--sql failed: {exc} (in: {sql})") from exc
    finally:
        conn.execute("PRAGMA query_only = OFF")
    ids = set()
    for row in rows:
        if not row or not isinstance(row[0], int):
            raise SelectionError(
                f"--sql must return work ids (integers) in its first column, got {row!r}"
            )
        ids.add(row[0])
    return ids


def selection_clause(db: sqlite_utils.Database, selection: Selection) -> tuple[str, list[Any]]:
    """The WHERE clause (over works w joined to the work_status view as s) and its parameters."""
    if selection.stage not in STAGES:
        raise SelectionError(
            f"unknown stage {selection.stage!r}; valid stages: {', '.join(STAGES)}"
        )
    clauses = [STAGES[selection.stage][0]]
    params: list[Any] = []
    if selection.theme:
        clauses.append("w.id IN (SELECT work_id FROM codes WHERE field = 'theme' AND value = ?)")
        params.append(_check_theme(db, selection.theme))
    if selection.language:
        clauses.append("w.language = ?")
        params.append(_check_language(db, selection.language))
    if selection.years:
        first, last = selection.years
        if first is not None:
            clauses.append("w.year >= ?")
            params.append(first)
        if last is not None:
            clauses.append("w.year <= ?")
            params.append(last)
    if selection.search:
        clauses.append(
            "w.id IN (SELECT h.work_id FROM hits h JOIN search_runs r ON r.id = h.run_id "
            "WHERE r.search_id = ?)"
        )
        params.append(_check_search(db, selection.search))
    return " AND ".join(f"({c})" for c in clauses), params
