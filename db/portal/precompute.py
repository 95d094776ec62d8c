"""Tables the portal's pages read, computed once at build from the included works.

The published database is immutable, so everything a page would otherwise aggregate over all works
(facet counts, the gap map, landing figures) is counted here, and the pages read single rows:

- ``portal_works``: one row per included work (``SELECT id FROM corpus``), clean code values
  (``themes`` and ``countries`` as JSON lists of codes), the first lines of each summary, and
  ``search_text``: title, authors, abstract and summaries, also folded (``Søholt`` → ``Soholt``).
- ``portal_work_values``: (work_id, facet, value) for every facet, to filter by any of them.
- ``portal_works_fts``: a trigram FTS5 index over ``search_text`` (content ``portal_works``).
- ``portal_facets``: (facet, value) → number of included works, with the nb/en labels.
- ``portal_cross``: (facet, value, facet2, value2) → number of works with both, for the gap map and
  a list filtered by one value; zero cells of the gap map's axes are stored too.
- ``portal_figures``: (key, JSON value) for the landing page: totals, period, flow, yield.
- ``portal_related``: (work_id, rank) → related_id, the :data:`RELATED_PER_WORK` included works
  nearest to each by its stored text embedding (db/embeddings.py). Empty when the optional extra
  is missing or more than :data:`RELATED_MAX_WORKS` works are included: the work page then picks
  related works by shared themes.

:func:`refresh_portal` rewrites a table only when its rows differ:
a second build changes nothing.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

import sqlite_utils

# Facets of the reader's list, in the order it shows them; each is a codebook field or a column.
FACETS: tuple[str, ...] = (
    "theme",
    "method",
    "country",
    "language",
    "group",
    "type",
    "year",
    "refugees_interviewed",
)
# The gap map: themes (rows) against one of these (columns).
GAP_AXES: tuple[str, ...] = ("method", "country", "refugees_interviewed", "group")
EXCERPT_CHARS = 280
RELATED_PER_WORK = 6
# Above this many included works the related works are not embedded: the first build would
# embed every work (about 4 s per 20,000 on two cores) and compare all pairs (about 7 s at
# 20,000, growing with the square), a cost the shared-theme rule of the work page avoids. The
# review publishes hundreds of works; bench/portal_latency.py's 100,000 synthetic ones use the
# shared-theme rule.
RELATED_MAX_WORKS = 20_000

_TABLES = """
CREATE TABLE IF NOT EXISTS portal_works (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, title TEXT NOT NULL, authors TEXT NOT NULL,
    first_author TEXT, year INTEGER, type TEXT, language TEXT, report_group TEXT, method TEXT,
    countries TEXT NOT NULL, themes TEXT NOT NULL, peer_reviewed INTEGER,
    refugees_interviewed TEXT, doi TEXT, url TEXT, published_in TEXT,
    excerpt_nb TEXT, excerpt_en TEXT, search_text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS portal_works_order ON portal_works(year DESC, authors, id);
CREATE TABLE IF NOT EXISTS portal_work_values (
    work_id INTEGER NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (facet, value, work_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS portal_work_values_work ON portal_work_values(work_id);
CREATE TABLE IF NOT EXISTS portal_facets (
    facet TEXT NOT NULL, value TEXT NOT NULL, nb TEXT NOT NULL, en TEXT NOT NULL,
    sort INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (facet, value)
);
CREATE TABLE IF NOT EXISTS portal_cross (
    facet TEXT NOT NULL, value TEXT NOT NULL, facet2 TEXT NOT NULL, value2 TEXT NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (facet, value, facet2, value2)
);
CREATE TABLE IF NOT EXISTS portal_figures (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS portal_related (
    work_id INTEGER NOT NULL, rank INTEGER NOT NULL, related_id INTEGER NOT NULL,
    PRIMARY KEY (work_id, rank)
) WITHOUT ROWID;
-- Written content="portal_works" exactly: that is how Datasette finds a table's search index.
CREATE VIRTUAL TABLE IF NOT EXISTS portal_works_fts USING fts5(
    search_text, content="portal_works", content_rowid="id", tokenize='trigram'
);
"""

_FOLD_A = str.maketrans({"æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d", "ð": "d"})
_FOLD_AA = str.maketrans({"å": "aa", "Å": "Aa"})


def fold(text: str, aa: bool = False) -> str:
    """Nordic and other accented letters as people type them without: 'Kjærgård' → 'Kjaergard'.

    ``aa=True`` writes å as 'aa' ('Kjaergaard'); the index holds both spellings.
    """
    if text.isascii():
        return text
    if aa:
        text = text.translate(_FOLD_AA)
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_A))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_text(parts: Iterable[str | None]) -> str:
    """The indexed text: the parts as written, then folded (both å spellings) if that differs."""
    text = "\n".join(p for p in parts if p)
    variants = [text]
    for aa in (False, True):
        folded = fold(text, aa)
        if folded not in variants:
            variants.append(folded)
    return "\n".join(variants)


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str | None:
    """The first lines of a summary, cut at a word boundary with an ellipsis."""
    if not text:
        return None
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;: ") + " …"


def _ensure_tables(db: sqlite_utils.Database) -> None:
    for statement in _TABLES.split(";"):
        if statement.strip():
            db.execute(statement)


def _included(db: sqlite_utils.Database) -> list[int]:
    return [row[0] for row in db.execute("SELECT id FROM corpus ORDER BY id")]


def _codes(db: sqlite_utils.Database, ids: set[int]) -> dict[int, dict[str, list[str]]]:
    """Each included work's distinct code values per field, in the labels' sort order."""
    out: dict[int, dict[str, list[str]]] = {}
    rows = db.execute(
        "SELECT DISTINCT c.work_id, c.field, c.value, coalesce(l.sort, 0) FROM codes c "
        "LEFT JOIN labels l ON l.vocabulary = c.field AND l.value = c.value "
        "ORDER BY c.work_id, c.field, 4, c.value"
    )
    for work_id, field, value, _ in rows:
        if work_id in ids:
            values = out.setdefault(work_id, {}).setdefault(field, [])
            if value not in values:
                values.append(value)
    return out


def _summaries(db: sqlite_utils.Database) -> dict[tuple[int, str], tuple[str, str, str]]:
    return {
        (row[0], row[1]): (row[2], row[3], row[4])
        for row in db.execute("SELECT work_id, language, topic, method, findings FROM summaries")
    }


def _first(values: list[str] | None) -> str | None:
    return values[0] if values else None


_INTERVIEWED = {"true": "yes", "false": "no"}


def work_rows(db: sqlite_utils.Database) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """portal_works rows and the (work_id, facet, value) rows, for the included works."""
    ids = _included(db)
    idset = set(ids)
    codes = _codes(db, idset)
    summaries = _summaries(db)
    works: list[dict[str, Any]] = []
    values: list[tuple[Any, ...]] = []
    columns = (
        "id, key, title, authors_display, "
        "coalesce(json_extract(authors, '$[0].family'), json_extract(authors, '$[0].literal')), "
        "year, type, language, peer_reviewed, doi, url, coalesce(container, publisher), abstract"
    )
    for row in db.execute(f"SELECT {columns} FROM works ORDER BY id"):
        if row[0] not in idset:
            continue
        work_id = row[0]
        c = codes.get(work_id, {})
        nb = summaries.get((work_id, "nb"))
        en = summaries.get((work_id, "en"))
        interviewed = _INTERVIEWED.get((c.get("refugees_interviewed") or ["unknown"])[0], "unknown")
        work = {
            "id": work_id,
            "key": row[1],
            "title": row[2],
            "authors": row[3],
            "first_author": row[4],
            "year": row[5],
            "type": row[6],
            "language": row[7],
            "report_group": _first(c.get("group")),
            "method": _first(c.get("method")),
            "countries": json.dumps(c.get("country", []), ensure_ascii=False),
            "themes": json.dumps(c.get("theme", []), ensure_ascii=False),
            "peer_reviewed": row[8],
            "refugees_interviewed": interviewed,
            "doi": row[9],
            "url": row[10],
            "published_in": row[11],
            "excerpt_nb": excerpt(nb[0]) if nb else None,
            "excerpt_en": excerpt(en[0]) if en else None,
            "search_text": search_text(
                [row[2], row[3], row[11], row[12], *(nb or ()), *(en or ())]
            ),
        }
        works.append(work)
        facet_values = {
            "theme": c.get("theme", []),
            "method": c.get("method", []),
            "country": c.get("country", []),
            "group": c.get("group", []),
            "language": [row[7]] if row[7] else [],
            "type": [row[6]] if row[6] else [],
            "year": [str(row[5])] if row[5] else [],
            "refugees_interviewed": [interviewed],
        }
        for facet in FACETS:
            for value in facet_values[facet]:
                values.append((work_id, facet, value))
    return works, values


def _labels(db: sqlite_utils.Database) -> dict[tuple[str, str], tuple[str, str, int]]:
    return {
        (r[0], r[1]): (r[2], r[3], r[4])
        for r in db.execute("SELECT vocabulary, value, nb, en, sort FROM labels")
    }


INTERVIEWED_LABELS = {
    "yes": (
        "Ja, flyktninger eller innvandrere intervjuet",
        "Yes, refugees or immigrants interviewed",
    ),
    "no": ("Nei, ikke intervjuet", "No, not interviewed"),
    "unknown": ("Ikke oppgitt", "Not stated"),
}


def facet_label(
    labels: dict[tuple[str, str], tuple[str, str, int]], facet: str, value: str
) -> tuple[str, str, int]:
    """nb label, en label and sort order of one facet value."""
    if facet == "year":
        return value, value, -int(value) if value.isdigit() else 0
    if facet == "refugees_interviewed":
        order = list(INTERVIEWED_LABELS)
        nb, en = INTERVIEWED_LABELS.get(value, (value, value))
        return nb, en, order.index(value) if value in order else 9
    return labels.get((facet, value), (value, value, 999))


def facet_rows(
    db: sqlite_utils.Database, values: list[tuple[Any, ...]]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """portal_facets and portal_cross rows from the (work_id, facet, value) rows."""
    labels = _labels(db)
    counts = Counter((facet, value) for _, facet, value in values)
    facets = [
        (facet, value, *facet_label(labels, facet, value), n)
        for (facet, value), n in sorted(counts.items())
    ]
    by_work: dict[int, list[tuple[str, str]]] = {}
    for work_id, facet, value in values:
        by_work.setdefault(work_id, []).append((facet, value))
    cross: Counter[tuple[str, str, str, str]] = Counter()
    for pairs in by_work.values():
        for facet, value in pairs:
            for facet2, value2 in pairs:
                if (facet, value) != (facet2, value2):
                    cross[(facet, value, facet2, value2)] += 1
    # The gap map shows empty cells: every theme × every value of each axis, zero included.
    themes = [value for (vocabulary, value) in labels if vocabulary == "theme"]
    for axis in GAP_AXES:
        if axis == "refugees_interviewed":
            axis_values = list(INTERVIEWED_LABELS)
        else:
            axis_values = [v for (vocabulary, v) in labels if vocabulary == axis]
        for theme in themes:
            for value in axis_values:
                cross.setdefault(("theme", theme, axis, value), 0)
    return facets, [(*key, n) for key, n in sorted(cross.items())]


def _one(db: sqlite_utils.Database, sql: str) -> Any:
    return db.execute(sql).fetchone()[0]


def figure_rows(db: sqlite_utils.Database, works: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The landing page's figures as (key, JSON)."""
    years = [w["year"] for w in works if w["year"]]
    protocol = dict(db.execute("SELECT key, value FROM protocol").fetchall())
    review = json.loads(protocol.get("review", "{}"))
    flow = [
        list(r) for r in db.execute("SELECT step, stage, label, reported, evidensbase FROM flow")
    ]
    search_yield = [
        list(r)
        for r in db.execute(
            "SELECT position, engines, search_terms, language, hits, after_stage1, "
            "after_stage2, included FROM search_yield"
        )
    ]
    figures: dict[str, Any] = {
        "works": len(works),
        "first_year": min(years) if years else None,
        "last_year": max(years) if years else None,
        "review": review,
        "flow": flow,
        "search_yield": search_yield,
        "harvested": _one(db, "SELECT count(*) FROM works WHERE origin != 'corpus'"),
        # The latest decision: when the review's content last changed (the year to cite).
        "updated": _one(db, "SELECT max(decided_at) FROM decisions"),
    }
    return [
        (key, json.dumps(value, ensure_ascii=False, sort_keys=True))
        for key, value in figures.items()
    ]


def related_rows(db: sqlite_utils.Database, ids: list[int]) -> list[tuple[int, int, int]]:
    """(work_id, rank, related_id): each included work's nearest included works by embedding.

    Missing vectors are embedded and stored once (db.embeddings.work_vectors); none without the
    optional extra, or above RELATED_MAX_WORKS works (the page falls back to shared themes).
    """
    if len(ids) < 2 or len(ids) > RELATED_MAX_WORKS:
        return []
    # Imported here: the published portal's plugins import this module without screening/.
    from db.embeddings import nearest_all, work_vectors
    from screening.embeddings import EmbeddingsUnavailable

    try:
        vectors = work_vectors(db, ids)
    except EmbeddingsUnavailable:
        return []
    return [
        (work_id, rank, related_id)
        for work_id, related in sorted(nearest_all(vectors, ids, RELATED_PER_WORK).items())
        for rank, related_id in enumerate(related, start=1)
    ]


def _replace(
    db: sqlite_utils.Database, table: str, columns: list[str], rows: list[tuple[Any, ...]]
) -> int:
    """Make the table hold exactly these rows; return how many rows changed (0 if none)."""
    names = ", ".join(columns)
    old = {tuple(r) for r in db.execute(f"SELECT {names} FROM {table}")}
    new = {tuple(r) for r in rows}
    if old == new:
        return 0
    db.execute(f"DELETE FROM {table}")
    marks = ", ".join("?" for _ in columns)
    db.conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    return len(old ^ new)


def refresh_portal(db: sqlite_utils.Database) -> dict[str, int]:
    """Recompute the portal tables; return the changed row count per table (only non-zero ones)."""
    _ensure_tables(db)
    works, values = work_rows(db)
    facets, cross = facet_rows(db, values)
    work_columns = list(works[0]) if works else ["id"]
    changed = {
        "portal_works": _replace(
            db, "portal_works", work_columns, [tuple(w.values()) for w in works]
        ),
        "portal_work_values": _replace(
            db, "portal_work_values", ["work_id", "facet", "value"], values
        ),
        "portal_facets": _replace(
            db, "portal_facets", ["facet", "value", "nb", "en", "sort", "count"], facets
        ),
        "portal_cross": _replace(
            db, "portal_cross", ["facet", "value", "facet2", "value2", "count"], cross
        ),
        "portal_figures": _replace(db, "portal_figures", ["key", "value"], figure_rows(db, works)),
        "portal_related": _replace(
            db,
            "portal_related",
            ["work_id", "rank", "related_id"],
            related_rows(db, [w["id"] for w in works]),
        ),
    }
    if changed["portal_works"]:
        # External content (Datasette finds the index by content="portal_works"): rebuild it.
        db.execute("INSERT INTO portal_works_fts (portal_works_fts) VALUES ('rebuild')")
        changed["portal_works_fts"] = len(works)
    return {table: n for table, n in changed.items() if n}
