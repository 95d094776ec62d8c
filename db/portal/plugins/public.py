"""The public site: only curated views and pages, bounded requests, robots.txt, a sitemap, a feed.

Settings (``plugins: evidensbase-portal:`` in metadata.yaml; ``public: false`` is the reviewers'
local site, where every table is readable):

- ``public: true`` – only the tables and views in ``public_tables`` and any table whose name starts
  with ``portal_`` can be read (``permission_allowed`` denies ``view-table`` for the rest: hits and
  their raw JSON, decisions with names and notes, codes and quality with reviewers, hit_pairs,
  hit_links, search_runs, works and the full-text index); arbitrary SQL is off (``execute-sql``
  denied; Datasette's ``allow_sql`` setting is also off), the SQL of views and tables is not shown,
  the corpus view's internal columns (``hidden_columns``) are neither shown nor filterable, and the
  database file cannot be downloaded (``allow_download`` off).
- Every request is bounded: GET and HEAD only (405 otherwise; the review pages of
  ``serve --review`` take their own login- and CSRF-checked POSTs), a query string of at most
  ``MAX_QUERY_BYTES`` (414 otherwise: a 10 KB ``id__in`` list is refused at once), and Datasette's
  ``sql_time_limit_ms`` / ``facet_time_limit_ms`` limit every query.

Routes: ``/robots.txt``, ``/sitemap.xml`` (the list pages and every work page ``/works/<key>``) and
``/feed.atom`` (the 50 works most recently included, newest first).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import datasette.handle_exception
from datasette import hookimpl
from datasette.utils.asgi import Response

# Datasette 0.65's error handler prints every handled exception with rich when rich is installed
# (asreview, among others, installs it), but a 404 is handled without being raised, and rich then
# raises "Value for 'trace' required if not called in except: block": every 404 page became a
# 500. The pages render as before without that console print.
datasette.handle_exception.rich = None  # type: ignore[attr-defined]

PLUGIN = "evidensbase-portal"
MAX_QUERY_BYTES = 4096
DEFAULT_PUBLIC_TABLES = ("corpus", "search_yield", "flow", "labels")
DEFAULT_HIDDEN_COLUMNS = ("notes", "report_lines")
DOWNLOAD_FORMATS = ("ris", "bib", "csljson", "workscsv")
FEED_SIZE = 50
SITEMAP_LIMIT = 50_000  # the sitemap protocol's limit per file


def config(datasette: Any) -> dict[str, Any]:
    return datasette.plugin_config(PLUGIN) or {}


def is_public(datasette: Any) -> bool:
    return bool(config(datasette).get("public", True))


def public_tables(datasette: Any) -> set[str]:
    return set(config(datasette).get("public_tables", DEFAULT_PUBLIC_TABLES))


def hidden_columns(datasette: Any) -> tuple[str, ...]:
    return tuple(config(datasette).get("hidden_columns", DEFAULT_HIDDEN_COLUMNS))


def table_is_public(datasette: Any, table: str) -> bool:
    return table in public_tables(datasette) or table.startswith("portal_")


@hookimpl
def permission_allowed(datasette: Any, action: str, resource: Any) -> bool | None:
    if not is_public(datasette):
        return None
    if action in ("execute-sql", "view-permissions", "permissions-debug", "debug-menu"):
        return False
    if action == "view-table" and isinstance(resource, tuple | list) and len(resource) == 2:
        return None if table_is_public(datasette, resource[1]) else False
    return None


@hookimpl
def extra_template_vars(datasette: Any, database: str | None, table: str | None) -> Any:
    if not is_public(datasette):
        return {}

    async def hide() -> dict[str, Any]:
        # The table and view pages print their CREATE statement; the public site does not.
        extra: dict[str, Any] = {"view_definition": None, "table_definition": None}
        if table == "corpus" and database:
            columns = await datasette.get_database(database).table_columns(table)
            hidden = hidden_columns(datasette)
            extra["filter_columns"] = [c for c in columns if c not in hidden]
        return extra

    return hide


def _corpus_path(path: str, database: str) -> tuple[bool, str]:
    """Whether path is the corpus view's page (any format), and its format extension."""
    prefix = f"/{database}/corpus"
    if path == prefix:
        return True, ""
    if path.startswith(prefix + "."):
        return True, path[len(prefix) + 1 :]
    return False, ""


def _review_post(datasette: Any, path: str) -> bool:
    """A form of the review team's pages (``serve --review``), which check login and CSRF."""
    from db.portal.review import review_site

    return path.startswith("/-/review/") and review_site(datasette) is not None


def _error(status: int, message: str) -> tuple[int, bytes]:
    return status, (message + "\n").encode("utf-8")


def rewrite(
    datasette: Any, method: str, path: str, query: bytes, hidden: tuple[str, ...] = ()
) -> tuple[str, bytes] | tuple[int, bytes]:
    """The request to pass on (path, query), or an error (status, body) to answer at once.

    ``hidden`` are the corpus view's internal columns that exist in this database.
    """
    if method not in ("GET", "HEAD") and not _review_post(datasette, path):
        return _error(405, "the evidence portal is read-only: use GET")
    if len(query) > MAX_QUERY_BYTES:
        return _error(414, f"query string too long (over {MAX_QUERY_BYTES} bytes)")
    try:
        args = parse_qsl(query.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return _error(400, "the query string is not UTF-8")
    for key, value in args:
        if key in ("_timelimit", "_facet_size") and not (value.isdigit() or value == "max"):
            return _error(400, f"{key}={value}: expected a whole number")
        if key == "_size" and not (value.isdigit() or value == "max"):
            return _error(400, f"_size={value}: expected a whole number or max")
    parts = path.strip("/").split("/")
    changed = False
    # A download of a list of works: no facets or counts to compute, the renderer reruns the SQL.
    last = parts[-1] if parts else ""
    stem, dot, ext = last.rpartition(".")
    if len(parts) == 2 and dot and stem and not stem.startswith("-"):
        from_renderer = ext in DOWNLOAD_FORMATS
        from_csv = ext == "csv" and (stem == "corpus" or stem.startswith("portal_works"))
        if from_csv and not any(k == "_raw" for k, _ in args):
            path = path[: -len("csv")] + "workscsv"
            from_renderer = True
        if from_renderer:
            args = [(k, v) for k, v in args if k not in ("_size", "_nofacet", "_nocount")]
            args += [("_size", "1"), ("_nofacet", "1"), ("_nocount", "1")]
            changed = True
        elif ext == "csv":
            args = [(k, v) for k, v in args if k != "_raw"]
            changed = True
    if is_public(datasette) and len(parts) >= 2:
        is_corpus, _ = _corpus_path(path, parts[0])
        if is_corpus and hidden:
            for key, value in args:
                name = key.removeprefix("_search_").split("__")[0]
                if name in hidden or (key.startswith("_") and value.split(":")[0] in hidden):
                    return _error(400, f"{key}={value}: no such public column")
            args = [(k, v) for k, v in args if k not in ("_col", "_nocol")]
            args += [("_nocol", column) for column in hidden]
            changed = True
    if changed:
        query = urlencode(args).encode("utf-8")
    return path, query


_START_400 = {
    "type": "http.response.start",
    "status": 400,
    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
}
_BODY_400 = {"type": "http.response.body", "body": b"bad request: a parameter is not valid here\n"}


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        hidden: tuple[str, ...] | None = None

        async def bounded(scope: dict[str, Any], receive: Any, send: Any) -> None:
            nonlocal hidden
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            if hidden is None:
                hidden = await _present_hidden_columns(datasette)
            outcome = rewrite(
                datasette,
                scope.get("method", "GET"),
                scope["path"],
                scope.get("query_string", b""),
                hidden,
            )
            if isinstance(outcome[0], int):
                status, body = outcome
                headers = [(b"content-type", b"text/plain; charset=utf-8")]
                if status == 405:
                    headers.append((b"allow", b"GET, HEAD"))
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            path, query = outcome
            if path != scope["path"] or query != scope.get("query_string", b""):
                scope = {**scope, "path": path, "raw_path": path.encode("utf-8"),
                         "query_string": query}  # fmt: skip
            if not query:
                await app(scope, receive, send)
                return
            # A parameter Datasette does not check (e.g. _sort=nope, _next=zzz) ends in a 500: with
            # a query string that is the request's fault, answered as a 400 without the details.
            swallowed = False

            async def guarded_send(message: dict[str, Any]) -> None:
                nonlocal swallowed
                if message["type"] == "http.response.start" and message.get("status") == 500:
                    swallowed = True
                    await send(_START_400)
                    await send(_BODY_400)
                    return
                if not swallowed:
                    await send(message)

            await app(scope, receive, guarded_send)

        return bounded

    return wrap


async def _present_hidden_columns(datasette: Any) -> tuple[str, ...]:
    """The hidden columns the corpus view has (the file is immutable: asked once)."""
    if not is_public(datasette):
        return ()
    try:
        columns = await _database(datasette).table_columns("corpus")
    except Exception:  # no database yet, or no corpus view
        return ()
    return tuple(c for c in hidden_columns(datasette) if c in columns)


def _database(datasette: Any) -> Any:
    return datasette.get_database()


async def robots_txt(datasette: Any, request: Any) -> Response:
    sitemap = datasette.absolute_url(request, "/sitemap.xml")
    lines = [
        "User-agent: *",
        "Allow: /$",
        "Disallow: /-/",
        "Disallow: /*?",  # every filter, facet and search combination: crawl the sitemap instead
        "Disallow: /*.json",
        "Disallow: /*.csv",
        f"Sitemap: {sitemap}",
    ]
    return Response.text("\n".join(lines) + "\n")


async def _corpus_rows(datasette: Any, sql: str, params: Any = ()) -> list[Any]:
    results = await _database(datasette).execute(sql, params, truncate=False)
    return list(results.rows)


async def sitemap_xml(datasette: Any, request: Any) -> Response:
    db = _database(datasette)
    pages = ["/", "/works", "/gap-map", f"/{db.name}/corpus"]
    names = await db.table_names()
    pages += [f"/{db.name}/{n}" for n in ("portal_works",) if n in names]
    rows = await _corpus_rows(
        datasette, "SELECT key FROM corpus WHERE key IS NOT NULL LIMIT ?", [SITEMAP_LIMIT - 10]
    )
    pages += [f"/works/{row[0]}" for row in rows]
    body = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']  # fmt: skip
    for page in pages:
        body.append(f"<url><loc>{xml_escape(datasette.absolute_url(request, page))}</loc></url>")
    body.append("</urlset>")
    return Response("\n".join(body) + "\n", content_type="application/xml; charset=utf-8")


_FEED_SQL = """
SELECT c.id, c.key, c.title, c.authors, c.year, c.topic_en, c.findings_en, c.topic_nb,
       (SELECT max(d.decided_at) FROM decisions d
         WHERE d.work_id = c.id AND d.decision = 'include') AS included_at
FROM corpus c
ORDER BY included_at DESC, c.id DESC
LIMIT ?
"""


def _atom_time(value: Any) -> str:
    """An RFC 3339 time from a decision's decided_at ('2023-01', '2026-05-01T10:00:00Z')."""
    text = str(value or "2023-01")
    if len(text) == 4:
        text += "-01"
    if len(text) == 7:
        text += "-01"
    if len(text) == 10:
        return text + "T00:00:00Z"
    text = text.replace(" ", "T")
    if not (text.endswith("Z") or "+" in text[10:] or "-" in text[10:]):
        text += "Z"
    return text


async def feed_atom(datasette: Any, request: Any) -> Response:
    rows = await _corpus_rows(datasette, _FEED_SQL, [FEED_SIZE])
    self_url = datasette.absolute_url(request, "/feed.atom")
    home = datasette.absolute_url(request, "/")
    updated = max((_atom_time(r["included_at"]) for r in rows), default="2023-01-01T00:00:00Z")
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        "<title>evidensbase: nye inkluderte bidrag / newly included works</title>",
        f"<id>{xml_escape(self_url)}</id>",
        f'<link rel="self" href={quoteattr(self_url)}/>',
        f'<link rel="alternate" href={quoteattr(home)}/>',
        f"<updated>{updated}</updated>",
        "<author><name>evidensbase</name></author>",
    ]
    for row in rows:
        url = datasette.absolute_url(request, f"/works/{row['key']}")
        try:
            authors = [a for a in (row["authors"] or "").split("; ") if a]
        except AttributeError:
            authors = []
        summary = " ".join(t for t in (row["topic_en"], row["findings_en"]) if t) or (
            row["topic_nb"] or ""
        )
        title = f"{row['title'] or row['key']} ({row['year'] or 'n.d.'})"
        out.append("<entry>")
        out.append(f"<title>{xml_escape(title)}</title>")
        out.append(f"<id>{xml_escape(url)}</id>")
        out.append(f'<link rel="alternate" href={quoteattr(url)}/>')
        out.append(f"<updated>{_atom_time(row['included_at'])}</updated>")
        for author in authors[:20]:
            out.append(f"<author><name>{xml_escape(author)}</name></author>")
        if summary:
            out.append(f'<summary type="text">{xml_escape(summary)}</summary>')
        out.append("</entry>")
    out.append("</feed>")
    return Response("\n".join(out) + "\n", content_type="application/atom+xml; charset=utf-8")


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/robots\.txt$", robots_txt),
        (r"^/sitemap\.xml$", sitemap_xml),
        (r"^/feed\.atom$", feed_atom),
    ]
