"""Downloads of any list of works: ``.ris``, ``.bib``, ``.csljson`` and an Excel-friendly ``.csv``.

Every download is written by the exports package's writers (:func:`exports.registry.export_works`),
so its bytes are those of ``evidensbase export --format F --sql "<the page's work ids>"`` (CSV as
``--excel``: a BOM, semicolons, one plain cell per value, formula-safe). A download holds *every*
work the page selects, not only the rows shown: the page's SQL is run again without its page limit
(within the site's SQL time limit).

URL shapes (``DB`` is the database name, ``evidensbase`` for ``evidensbase.db``). Append the
extension to any list page of works: the ``corpus`` view, the ``portal_works`` table (one row per
included work, built by the pages plugin) and any other ``portal_works*`` table, with the page's
filters, facet selections and search kept in the query string::

    /DB/corpus.ris                                  every included work (RIS: Zotero, EndNote)
    /DB/corpus.bib?year__gte=2020                   BibTeX of a filter
    /DB/portal_works.ris?themes__arraycontains=individual_group      a theme (JSON array column)
    /DB/portal_works.ris?themes__arraycontains=power_relations&method=qualitative  a gap-map cell
    /DB/portal_works.csljson?_search=vagledning     CSL-JSON of a search (portal_works_fts)
    /DB/portal_works.csv?language__exact=sv         Excel-friendly CSV (Datasette's raw CSV is
                                                    /DB/portal_works.csv?_raw=1)
    /DB/portal_works.ris?key__exact=thomsen2016     one work ("download this reference")
    /DB/portal_works.bib?key__in=thomsen2016,abkhezr2017  any list of keys

Optional parameters: ``_labels_lang=nb`` (code labels in Norwegian in the CSV; English by default),
``_dl=1`` (sent as an attachment with a file name). A page whose rows are not works (no ``id`` or
``key`` column, or a table that is not a list of works) answers 400, never an HTML page.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from typing import Any

import sqlite_utils
from datasette import hookimpl
from datasette.utils.asgi import Response

from exports.records import ExportOptions
from exports.registry import FORMATS, export_works
from exports.selection import Selection, SelectionError

# URL extension → (export format, options). ``workscsv`` is reached as ``.csv`` (see public.py).
DOWNLOADS: dict[str, tuple[str, ExportOptions]] = {
    "ris": ("ris", ExportOptions()),
    "bib": ("bib", ExportOptions()),
    "csljson": ("csljson", ExportOptions()),
    "workscsv": ("csv", ExportOptions(excel=True)),
}
FILE_EXTENSIONS = {"ris": "ris", "bib": "bib", "csljson": "json", "workscsv": "csv"}
MEDIA_TYPES = {
    "ris": "application/x-research-info-systems; charset=utf-8",
    "bib": "application/x-bibtex; charset=utf-8",
    "csljson": "application/vnd.citationstyles.csl+json; charset=utf-8",
    "workscsv": "text/csv; charset=utf-8",
}

# The table view's SQL ends "limit N" or "limit N offset M"; a download drops it.
_LIMIT = re.compile(r"\s+limit\s+\d+(\s+offset\s+\d+)?\s*$", re.IGNORECASE)


# Datasette has a few SQL threads; at most this many of them write a big download (over BIG works)
# at a time, so big downloads queue behind each other and the pages stay quick for everyone else.
# Small ones (a filter, a gap-map cell, one work) take milliseconds and do not queue.
DOWNLOAD_SLOTS = 1
BIG = 2000
_slots: dict[int, asyncio.Semaphore] = {}


def _download_slot() -> asyncio.Semaphore:
    loop = id(asyncio.get_running_loop())
    if loop not in _slots:
        _slots[loop] = asyncio.Semaphore(DOWNLOAD_SLOTS)
    return _slots[loop]


def is_works_table(table: str | None) -> bool:
    """Lists whose ``id`` is a work id: the corpus view and the pages plugin's portal_works*."""
    return table is not None and (table == "corpus" or table.startswith("portal_works"))


def work_column(table: str | None, columns: list[str]) -> str | None:
    """The column naming the works: ``id`` in a works list, else ``key`` or ``work_id``."""
    if is_works_table(table) and "id" in columns:
        return "id"
    for name in ("key", "work_id"):
        if name in columns:
            return name
    return None


def _can_render(table: str | None, columns: list[str]) -> bool:
    if table is not None and not is_works_table(table):
        return False
    return work_column(table, columns) is not None


def _error(message: str, status: int = 400) -> Response:
    return Response.text(message + "\n", status=status)


async def _work_ids(
    datasette: Any, database: str, table: str | None, column: str, data: dict[str, Any]
) -> list[int]:
    query = data.get("query") or {}
    sql = query.get("sql")
    if not sql:
        return []
    sql = _LIMIT.sub("", sql.strip().rstrip(";"))
    params = query.get("params") or {}
    db = datasette.get_database(database)
    if column == "key":
        inner = f"SELECT w.id FROM works w WHERE w.key IN (SELECT key FROM ({sql}))"
    else:
        inner = f"SELECT DISTINCT {column} FROM ({sql})"
    results = await db.execute(inner, params, truncate=False)
    return [row[0] for row in results.rows if isinstance(row[0], int)]


# While a download is written, temporary views named like the tables shadow them on that connection
# (SQLite resolves an unqualified name in temp first), holding only the selected works: the
# exports package's own query and writers then read just those works, in the CLI's order and
# bytes, without scanning and sorting every work in the file.
_SHADOWED = ("works", "codes")


def _export(conn: Any, extension: str, ids: list[int], labels: str) -> tuple[str, int]:
    format_name, options = DOWNLOADS[extension]
    options = ExportOptions(
        latex=options.latex, excel=options.excel, screening=options.screening, labels=labels
    )
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS portal_download_ids (id INTEGER PRIMARY KEY)")
    try:
        conn.execute("DELETE FROM temp.portal_download_ids")
        conn.executemany(
            "INSERT OR IGNORE INTO temp.portal_download_ids (id) VALUES (?)", [(i,) for i in ids]
        )
        column = {"works": "id", "codes": "work_id"}
        for table in _SHADOWED:
            conn.execute(
                f"CREATE TEMP VIEW {table} AS SELECT * FROM main.{table} "
                f"WHERE {column[table]} IN (SELECT id FROM temp.portal_download_ids)"
            )
        result = export_works(sqlite_utils.Database(conn), format_name, Selection(), options)
    finally:
        for table in _SHADOWED:
            conn.execute(f"DROP VIEW IF EXISTS temp.{table}")
        conn.execute("DELETE FROM temp.portal_download_ids")
    return result.text, result.count


def _make_render(extension: str) -> Any:
    async def render(
        datasette: Any,
        columns: list[str],
        database: str,
        table: str | None,
        request: Any,
        data: dict[str, Any],
    ) -> Response:
        if data.get("error"):
            return _error(f"error: {data['error']}")
        column = work_column(table, list(columns))
        if not _can_render(table, list(columns)) or column is None:
            return _error(
                f"a .{extension.replace('works', '')} download needs a list of works "
                "(the corpus or portal_works, or rows with a key column)"
            )
        labels = request.args.get("_labels_lang") or "en"
        if labels not in ("en", "nb"):
            return _error("_labels_lang must be en or nb")
        db = datasette.get_database(database)
        # An immutable file gives the same download for the same URL: kept in a bounded cache.
        key = (db.path, db.size, table, extension, request.query_string)
        cached = None if db.is_mutable else _CACHE.get(key)
        if cached is not None:
            return _response(extension, table, request, *cached)
        ids = await _work_ids(datasette, database, table, column, data)
        try:
            if len(ids) > BIG:
                async with _download_slot():
                    text, count = await db.execute_fn(
                        lambda conn: _export(conn, extension, ids, labels)
                    )
            else:
                text, count = await db.execute_fn(
                    lambda conn: _export(conn, extension, ids, labels)
                )
        except SelectionError as exc:
            return _error(f"error: {exc}")
        if not db.is_mutable:
            _CACHE.put(key, text, count)
            raw_key = request.scope.get(RAW_KEY)
            if raw_key is not None:
                _FAST.put(raw_key, text, count)
                _FAST_META[raw_key] = (extension, table, bool(request.args.get("_dl")))
        return _response(extension, table, request, text, count)

    return render


def _response(extension: str, table: str | None, request: Any, text: str, count: int) -> Response:
    headers = {"X-Works": str(count)}
    if request.args.get("_dl"):
        name = f"{table or 'works'}.{FILE_EXTENSIONS[extension]}"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(text, status=200, headers=headers, content_type=MEDIA_TYPES[extension])


class DownloadCache:
    """Least recently used downloads, at most ``limit`` characters of text in all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.items: OrderedDict[Any, tuple[str, int]] = OrderedDict()

    def get(self, key: Any) -> tuple[str, int] | None:
        item = self.items.get(key)
        if item is not None:
            self.items.move_to_end(key)
        return item

    def put(self, key: Any, text: str, count: int) -> None:
        if len(text) > self.limit // 4 or key in self.items:
            return
        self.items[key] = (text, count)
        self.size += len(text)
        while self.size > self.limit:
            _, (old, _n) = self.items.popitem(last=False)
            self.size -= len(old)


CACHE_CHARS = 64_000_000
_CACHE = DownloadCache(CACHE_CHARS)

# The same downloads by the URL as it arrived, answered before Datasette runs the page again.
RAW_KEY = "evidensbase_download_key"
_FAST = DownloadCache(CACHE_CHARS // 2)
_FAST_META: dict[Any, tuple[str, str | None, bool]] = {}


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        async def cached(scope: dict[str, Any], receive: Any, send: Any) -> None:
            path = scope.get("path", "")
            extension = path.rpartition(".")[2]
            if (
                scope.get("type") != "http"
                or scope.get("method") not in ("GET", "HEAD")
                or extension not in ("ris", "bib", "csljson", "csv", "workscsv")
            ):
                await app(scope, receive, send)
                return
            key = (id(datasette), path, scope.get("query_string", b""))
            hit = _FAST.get(key)
            meta = _FAST_META.get(key)
            if hit is None or meta is None:
                scope = {**scope, RAW_KEY: scope.get(RAW_KEY, key)}
                await app(scope, receive, send)
                return
            text, count = hit
            ext, table, attachment = meta
            headers = [
                (b"content-type", MEDIA_TYPES[ext].encode()),
                (b"x-works", str(count).encode()),
                (b"cache-control", f"max-age={datasette.setting('default_cache_ttl')}".encode()),
            ]
            if attachment:
                name = f"{table or 'works'}.{FILE_EXTENSIONS[ext]}"
                headers.append((b"content-disposition", f'attachment; filename="{name}"'.encode()))
            body = text.encode("utf-8")
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD"
                        else body})  # fmt: skip

        return cached

    return wrap


def _make_can_render() -> Any:
    def can_render(table: str | None, columns: list[str]) -> bool:
        return _can_render(table, list(columns or []))

    return can_render


@hookimpl
def register_output_renderer(datasette: Any) -> list[dict[str, Any]]:
    assert set(FORMATS) >= {fmt for fmt, _ in DOWNLOADS.values()}
    return [
        {"extension": ext, "render": _make_render(ext), "can_render": _make_can_render()}
        for ext in DOWNLOADS
    ]
