"""The pages people read: landing page, the reader's list, work pages, the evidence gap map.

Routes (every page in Norwegian bokmål or English: ``/lang/en?next=/works`` switches and remembers
the choice in a cookie; ``?lang=en`` on any page overrides it once):

- ``/``: what the review asks, how it was made, PRISMA flow, Table 3.1, charts, entry points;
- ``/works``: one card per included work; facets ``theme``, ``method``, ``country``, ``language``,
  ``group``, ``type``, ``year``, ``refugees_interviewed`` (clean codes, repeatable) and ``q``
  (full-text search that ignores Nordic letters the user leaves out); ``page``;
- ``/works/<key>``: one work (``works.key``, the exports' citation key);
- ``/gap-map?axis=method|country|refugees_interviewed|group``: themes × axis.

Every page reads the tables of db/portal/precompute.py and single rows, never all works.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from db.portal import http_url
from db.portal.i18n import COOKIE, LANGUAGES, TEXTS, language_of, other
from db.portal.precompute import FACETS, GAP_AXES, INTERVIEWED_LABELS, fold
from db.portal.quality import acceptable_quality, quality_rule_text

PAGE_SIZE = 25
RELATED_POOL = 200  # works looked at per theme when picking related works
COUNT_CAP = 1000  # a narrowed list counts its works (and facet values) up to this many
MIN_TERM = 3  # the trigram index cannot match shorter words
ORIA_SEARCH = (
    "https://bibsys-almaprimo.hosted.exlibrisgroup.com/discovery/search?query=any,contains,{q}"
    "&tab=default_tab&search_scope=default_scope&vid=47BIBSYS_NETWORK:default"
)
# A facet of the reader's list → the portal_works filter a download URL carries (renderers.py).
DOWNLOAD_FILTERS = {
    "theme": "themes__arraycontains",
    "country": "countries__arraycontains",
    "method": "method__exact",
    "language": "language__exact",
    "group": "report_group__exact",
    "type": "type__exact",
    "year": "year__exact",
    "refugees_interviewed": "refugees_interviewed__exact",
}
DOWNLOAD_FORMATS = (("ris", "RIS"), ("bib", "BibTeX"), ("csljson", "CSL-JSON"), ("csv", "CSV"))


def _database(datasette: Any) -> Any:
    return datasette.get_database()


async def _built(db: Any) -> bool:
    return bool(await db.table_exists("portal_works"))


def _language(request: Any) -> str:
    return language_of(request)


def _switch_url(request: Any, lang: str) -> str:
    """The language switch: the same page, without the site's own internal parameters."""
    params = [
        (k, v)
        for k, v in parse_qsl(request.query_string, keep_blank_values=True)
        if k not in ("lang", "_nocol")
    ]
    target = request.path + (f"?{urlencode(params)}" if params else "")
    return f"/lang/{other(lang)}?" + urlencode({"next": target})


@hookimpl
def extra_template_vars(request: Any) -> dict[str, Any]:
    lang = _language(request)
    return {
        "lang": lang,
        "T": TEXTS[lang],
        "other_lang": other(lang),
        "switch_url": _switch_url(request, lang) if request is not None else "/lang/en",
    }


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    # Pages rendered without extra_template_vars (error pages) still have the portal's words.
    env.globals["PORTAL_TEXTS"] = TEXTS


@hookimpl
def extra_css_urls() -> list[str]:
    return ["/static/portal.css"]


async def _render(
    datasette: Any, request: Any, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html, status=status)


async def _figures(db: Any) -> dict[str, Any]:
    rows = await db.execute("SELECT key, value FROM portal_figures")
    return {row[0]: json.loads(row[1]) for row in rows}


async def _facet_labels(db: Any) -> dict[tuple[str, str], dict[str, Any]]:
    rows = await db.execute("SELECT facet, value, nb, en, sort, count FROM portal_facets")
    return {(r[0], r[1]): {"nb": r[2], "en": r[3], "sort": r[4], "count": r[5]} for r in rows}


async def _axis_labels(db: Any, axis: str) -> list[dict[str, Any]]:
    """Every value of a vocabulary (with the ones no work has), in the labels' order."""
    if axis == "refugees_interviewed":
        return [
            {"value": value, "nb": nb, "en": en} for value, (nb, en) in INTERVIEWED_LABELS.items()
        ]
    rows = await db.execute(
        "SELECT value, nb, en FROM labels WHERE vocabulary = ? ORDER BY sort, value", [axis]
    )
    return [{"value": r[0], "nb": r[1], "en": r[2]} for r in rows]


# --- charts ---------------------------------------------------------------------------------


def bar_chart(title: str, bars: list[tuple[str, int]], chart_id: str, alt: str) -> Markup:
    """A horizontal bar chart as accessible SVG: a title, a description with every figure."""
    width, label_w, bar_h, gap = 320, 130, 18, 6
    top = max((n for _, n in bars), default=0) or 1
    height = len(bars) * (bar_h + gap) + gap
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(alt)}</desc>',
    ]
    for index, (label, n) in enumerate(bars):
        y = gap + index * (bar_h + gap)
        bar_w = max(1, round((width - label_w - 36) * n / top)) if n else 0
        short = label if len(label) <= 20 else label[:19] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="{bar_h}" rx="2"></rect>'
            f'<text x="{label_w + bar_w + 4}" y="{y + 13}">{n}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _charts(labels: dict[tuple[str, str], dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    T = TEXTS[lang]
    charts = []
    for facet, key in (
        ("year", "chart_year"),
        ("language", "chart_language"),
        ("group", "chart_group"),
        ("method", "chart_method"),
    ):
        values = [(v, info) for (f, v), info in labels.items() if f == facet]
        if facet == "year":
            values.sort(key=lambda item: item[0])
        else:
            values.sort(key=lambda item: (item[1]["sort"], item[0]))
        bars = [(info[lang], info["count"]) for _, info in values]
        title = T[key]
        items = "; ".join(f"{label} {n}" for label, n in bars)
        alt = T["chart_alt"].format(title=title, items=items)
        charts.append(
            {"title": title, "svg": bar_chart(title, bars, f"chart-{facet}", alt), "facet": facet}
        )
    return charts


# --- landing page -----------------------------------------------------------------------------


def _split_label(label: str, lang: str) -> str:
    """'Norsk / English' labels of the views → the one language."""
    parts = label.split(" / ", 1)
    return parts[0] if lang == "nb" or len(parts) == 1 else parts[1]


async def landing(datasette: Any, request: Any) -> Response:
    lang = _language(request)
    db = _database(datasette)
    if not await _built(db):
        return await _render(datasette, request, "portal_missing.html", {"page_lang": lang}, 503)
    figures = await _figures(db)
    labels = await _facet_labels(db)
    entry_points = []
    for facet in ("theme", "country", "method", "language", "group", "year"):
        values = [(v, info) for (f, v), info in labels.items() if f == facet]
        values.sort(key=lambda item: (item[1]["sort"], item[0]))
        entry_points.append(
            {
                "facet": facet,
                "title": TEXTS[lang][f"facet_{facet}"],
                "values": [
                    {
                        "href": "/works?" + urlencode({facet: v}),
                        "label": i[lang],
                        "count": i["count"],
                    }
                    for v, i in values
                ],
            }
        )
    flow = [
        {"label": _split_label(r[2], lang), "reported": r[3], "evidensbase": r[4]}
        for r in figures.get("flow", [])
    ]
    search_yield = [
        {
            "engines": r[1],
            "terms": _split_label(r[2], lang),
            "language": r[3],
            "total": r[0] == 99,
            "counts": r[4:8],
        }
        for r in figures.get("search_yield", [])
    ]
    review = figures.get("review", {})
    years = review.get("years") or [figures.get("first_year"), figures.get("last_year")]
    context = {
        "page_lang": lang,
        "figures": figures,
        "review_title": review.get(lang) or TEXTS[lang]["site_tagline"],
        "how_made": TEXTS[lang]["how_made_text"].format(first=years[0], last=years[1]),
        "entry_points": entry_points,
        "flow": flow,
        "search_yield": search_yield,
        "charts": _charts(labels, lang),
        "cite": TEXTS[lang]["cite_text"].format(year=(figures.get("updated") or "n.d.")[:4]),
        "database": db.name,
        "metadata": datasette.metadata(),
    }
    return await _render(datasette, request, "portal_index.html", context)


# --- search ---------------------------------------------------------------------------------


_QUOTED = re.compile(r'"([^"]*)"')


def parse_query(q: str) -> tuple[list[str], list[str]]:
    """The search words and phrases, folded; and the notes to show (lone quotes, short words)."""
    notes: list[str] = []
    phrases = [p.strip() for p in _QUOTED.findall(q) if p.strip()]
    rest = _QUOTED.sub(" ", q)
    if '"' in rest:
        notes.append("search_note_quote")
        rest = rest.replace('"', " ")
    words = [w for w in re.split(r"[^\w\-']+", rest) if w.strip("-'")]
    terms = [fold(t).lower() for t in phrases + words]
    short = [t for t in terms if len(t) < MIN_TERM]
    if short:
        notes.append("search_error_short:" + ", ".join(short))
    return [t for t in terms if len(t) >= MIN_TERM], notes


def fts_query(terms: list[str]) -> str:
    """Every term as an FTS5 string (so no user input is FTS syntax), all of them required."""
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def highlight(text: str | None, terms: list[str]) -> Markup:
    """The text escaped, with each match of a (folded) term marked, Nordic letters or not."""
    if not text:
        return Markup("")
    if not terms:
        return escape(text)
    spans: list[tuple[int, int]] = []
    for aa in (False, True):
        folded: list[str] = []
        origin: list[int] = []
        for index, char in enumerate(text):
            piece = fold(char, aa).lower() or char.lower()
            folded.extend(piece)
            origin.extend([index] * len(piece))
        haystack = "".join(folded)
        for term in terms:
            start = haystack.find(term)
            while start != -1 and term:
                end = start + len(term) - 1
                spans.append((origin[start], origin[end] + 1))
                start = haystack.find(term, start + 1)
    if not spans:
        return escape(text)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[str] = []
    position = 0
    for start, end in merged:
        out.append(str(escape(text[position:start])))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    out.append(str(escape(text[position:])))
    return Markup("".join(out))


def marked_snippet(text: str | None) -> Markup:
    """An FTS snippet whose matches are wrapped in \x02…\x03: escaped first, then marked."""
    escaped = str(escape(" ".join((text or "").split())))
    return Markup(escaped.replace("\x02", "<mark>").replace("\x03", "</mark>"))


# --- the reader's list ---------------------------------------------------------------------


def _filters(request: Any) -> list[tuple[str, str]]:
    return [(facet, value) for facet in FACETS for value in request.args.getlist(facet) if value]


def _list_url(filters: list[tuple[str, str]], q: str = "", page: int = 1) -> str:
    params: list[tuple[str, str]] = list(filters)
    if q:
        params.append(("q", q))
    if page > 1:
        params.append(("page", str(page)))
    return "/works" + ("?" + urlencode(params) if params else "")


def download_urls(
    database: str, filters: list[tuple[str, str]], terms: list[str]
) -> list[dict[str, str]]:
    """Links to the renderers' downloads of exactly this list (see plugins/renderers.py)."""
    params = [(DOWNLOAD_FILTERS[f], v) for f, v in filters]
    if terms:
        params += [("_search", " ".join(terms)), ("_searchmode", "escaped")]
    query = urlencode(params)
    return [
        {"href": f"/{database}/portal_works.{ext}" + (f"?{query}" if query else ""), "label": name}
        for ext, name in DOWNLOAD_FORMATS
    ]


async def works_list(datasette: Any, request: Any) -> Response:
    lang = _language(request)
    T = TEXTS[lang]
    db = _database(datasette)
    if not await _built(db):
        return await _render(datasette, request, "portal_missing.html", {"page_lang": lang}, 503)
    filters = _filters(request)
    q = (request.args.get("q") or "").strip()[:200]
    terms, notes = parse_query(q) if q else ([], [])
    messages = []
    for note in notes:
        key, _, words = note.partition(":")
        messages.append(T[key].format(words=words))
    if q and not terms and not any(n.startswith("search_error_short") for n in notes):
        messages = [T["search_error_empty"]]
    try:
        page = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page = 1
    clauses: list[str] = []
    params: list[Any] = []
    source = "portal_works w"
    if terms:
        # Driven by the index: rows come as it finds them, so a page and a capped count are fast.
        source = "portal_works_fts f JOIN portal_works w ON w.id = f.rowid"
        clauses.append("f.portal_works_fts MATCH ?")
        params.append(fts_query(terms))
    for facet, value in filters:
        # EXISTS (a primary-key probe per row) lets a page stop after its 25 rows.
        clauses.append(
            "EXISTS (SELECT 1 FROM portal_work_values v WHERE v.facet = ? AND v.value = ? "
            "AND v.work_id = w.id)"
        )
        params += [facet, value]
    searching_nothing = bool(q) and not terms
    where = " AND ".join(clauses) or "1"
    labels = await _facet_labels(db)
    capped = False
    # Counts: precomputed for the whole list and for one filter, counted only for narrower lists
    # (and only up to COUNT_CAP works: beyond it the page says "more than" and shows no counts).
    counts: dict[tuple[str, str], int] | None
    if searching_nothing:
        total, counts = 0, {}
    elif not filters and not terms:
        total = (await _figures(db)).get("works", 0)
        counts = {key: info["count"] for key, info in labels.items()}
    elif len(filters) == 1 and not terms:
        facet, value = filters[0]
        total = labels.get((facet, value), {}).get("count", 0)
        rows = await db.execute(
            "SELECT facet2, value2, count FROM portal_cross WHERE facet = ? AND value = ?",
            [facet, value],
        )
        counts = {(r[0], r[1]): r[2] for r in rows}
        counts[(facet, value)] = total
    else:
        total = (
            await db.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where} "
                f"LIMIT {COUNT_CAP + 1})",
                params,
            )
        ).first()[0]
        capped = total > COUNT_CAP
        if capped:
            total, counts = COUNT_CAP, None
        else:
            rows = await db.execute(
                "SELECT facet, value, count(*) FROM portal_work_values WHERE work_id IN "
                f"(SELECT w.id FROM {source} WHERE {where}) GROUP BY facet, value",
                params,
            )
            counts = {(r[0], r[1]): r[2] for r in rows}
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(page, pages)
    works = []
    if total and not searching_nothing:
        order = "" if capped else "ORDER BY w.year DESC, w.authors, w.id"
        snippet = "snippet(portal_works_fts, 0, char(2), char(3), '…', 64)" if terms else "NULL"
        rows = await db.execute(
            "SELECT w.id, w.key, w.title, w.authors, w.year, w.type, w.themes, w.excerpt_nb, "
            f"w.excerpt_en, w.language, {snippet} FROM {source} WHERE {where} {order} "
            f"LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE}",
            params,
        )
        snippets = {r[0]: marked_snippet(r[10]) for r in rows if r[10]}
        for r in rows:
            excerpt_text, excerpt_lang = (r[7], "nb") if lang == "nb" else (r[8], "en")
            if not excerpt_text:
                excerpt_text, excerpt_lang = (r[8], "en") if lang == "nb" else (r[7], "nb")
            works.append(
                {
                    "key": r[1],
                    "title": highlight(r[2], terms),
                    "authors": highlight(r[3], terms),
                    "year": r[4],
                    "type": labels.get(("type", r[5] or ""), {}).get(lang, r[5]),
                    "themes": [labels.get(("theme", t), {}).get(lang, t) for t in json.loads(r[6])],
                    "excerpt": highlight(excerpt_text, terms),
                    "excerpt_lang": excerpt_lang,
                    "match": snippets.get(r[0]),
                    "work_lang": r[9],
                }
            )
    selected = set(filters)
    facet_groups = []
    for facet in FACETS:
        values = []
        for (f, value), info in labels.items():
            if f != facet:
                continue
            n = counts.get((f, value), 0) if counts is not None else None
            chosen = (facet, value) in selected
            if n == 0 and not chosen:
                continue
            toggled = (
                [fv for fv in filters if fv != (facet, value)]
                if chosen
                else [*filters, (facet, value)]
            )
            values.append(
                {
                    "label": info[lang],
                    "count": n,
                    "chosen": chosen,
                    "href": _list_url(toggled, q),
                    "sort": info["sort"],
                    "has_count": n is not None,
                    "value": value,
                }
            )
        values.sort(key=lambda v: (v["sort"], v["value"]))
        if values:
            facet_groups.append({"facet": facet, "title": T[f"facet_{facet}"], "values": values})
    active = [
        {
            "label": f"{T['facet_' + f]}: {labels.get((f, v), {}).get(lang, v)}",
            "href": _list_url([fv for fv in filters if fv != (f, v)], q),
        }
        for f, v in filters
    ]
    shown = f"{total}+" if capped else total
    heading = T["results_for"].format(n=shown, q=q) if q else T["results"].format(n=shown)
    context = {
        "page_lang": lang,
        "works": works,
        "total": total,
        "heading": heading,
        "q": q,
        "messages": messages,
        "facet_groups": facet_groups,
        "active": active,
        "clear_url": _list_url([], q) if filters else None,
        "downloads": download_urls(db.name, filters, terms) if total else [],
        "page": page,
        "pages": pages,
        "previous_url": _list_url(filters, q, page - 1) if page > 1 else None,
        "next_url": _list_url(filters, q, page + 1) if page < pages else None,
        "filters": filters,
    }
    return await _render(datasette, request, "portal_works.html", context)


# --- work pages ------------------------------------------------------------------------------


_REFERENCE_COLUMNS = (
    "id, key, title, authors, year, type, container, publisher, place, pages, volume, "
    "issue, language, doi, isbn, issn, url, abstract, peer_reviewed"
)


@lru_cache(maxsize=4096)
def reference_html(row: tuple[Any, ...], lang: str) -> str:
    """The APA reference of one works row by the exports package's formatter, as HTML.

    citeproc-py takes ~50 ms a reference, so each is kept once made; the key is the row itself,
    so a changed work is formatted again.
    """
    from exports.apa import reference_list
    from exports.records import ExportOptions, ExportWork, LoadedWorks

    # the exports' APA writer escapes every field of the work exactly once (exports/apa.py)
    work = ExportWork(row[0], row[1], row[2], json.loads(row[3] or "[]"), *row[4:])
    entries = reference_list(LoadedWorks([work], [], {}), ExportOptions(labels=lang), "html")
    return entries[0] if entries else ""


async def work_page(datasette: Any, request: Any) -> Response:
    lang = _language(request)
    T = TEXTS[lang]
    db = _database(datasette)
    if not await _built(db):
        return await _render(datasette, request, "portal_missing.html", {"page_lang": lang}, 503)
    key = unquote(request.url_vars["key"])
    row = (
        await db.execute(
            "SELECT id, key, title, authors, year, type, language, doi, url, peer_reviewed, "
            "themes, published_in FROM portal_works WHERE key = ?",
            [key],
        )
    ).first()
    if row is None:
        missing: dict[str, Any] = {"page_lang": lang, "key": key}
        return await _render(datasette, request, "portal_not_found.html", missing, 404)
    work_id = row[0]
    labels = await _facet_labels(db)
    work_row = (
        await db.execute(f"SELECT {_REFERENCE_COLUMNS} FROM works WHERE id = ?", [work_id])
    ).first()
    reference = reference_html(tuple(work_row), lang)
    summaries = {
        r[0]: {"topic": r[1], "method": r[2], "findings": r[3]}
        for r in await db.execute(
            "SELECT language, topic, method, findings FROM summaries WHERE work_id = ?", [work_id]
        )
    }
    summary_lang = lang if lang in summaries else next(iter(summaries), lang)
    codes = []
    values = await db.execute(
        "SELECT facet, value FROM portal_work_values WHERE work_id = ?", [work_id]
    )
    by_facet: dict[str, list[dict[str, str]]] = {}
    for facet, value in values:
        info = labels.get((facet, value), {})
        by_facet.setdefault(facet, []).append(
            {
                "label": info.get(lang, value),
                "href": "/works?" + urlencode({facet: value}),
                "sort": info.get("sort", 0),
            }
        )
    for facet in FACETS:
        if facet in by_facet:
            items = sorted(by_facet[facet], key=lambda i: (i["sort"], i["label"]))
            codes.append({"title": T[f"facet_{facet}"], "items": items})
    participants = (
        await db.execute(
            "SELECT value FROM codes WHERE work_id = ? AND field = ? LIMIT 1",
            [work_id, f"participants_{lang}"],
        )
    ).first()
    quality = await db.execute_fn(lambda conn: acceptable_quality(conn, work_id, lang))
    criteria = {
        r[0]: r[1 if lang == "nb" else 2]
        for r in await db.execute("SELECT value, nb, en FROM labels WHERE vocabulary = 'criterion'")
    }
    trail = []
    for stage, actor, role, decision, criterion, decided_at in await db.execute(
        "SELECT stage, actor, role, decision, criterion, decided_at FROM decisions "
        "WHERE work_id = ? ORDER BY stage, decided_at, id",
        [work_id],
    ):
        trail.append(
            {
                "stage": T.get(f"stage_{stage}", str(stage)),
                "who": T.get(f"actor_{actor}", actor)
                + (T["role_resolve"] if role == "resolve" else ""),
                "decision": T.get(f"decision_{decision}", decision),
                "reason": criteria.get(criterion or "", criterion or ""),
                "when": (decided_at or "")[:10],
            }
        )
    stage2 = [
        d for d in trail if d["stage"] == T["stage_2"] and d["decision"] == T["decision_include"]
    ]
    passed_stage2 = stage2[-1]["who"] if stage2 else None
    themes = json.loads(row[10])
    related = []
    if await db.table_exists("portal_related"):  # absent in a database built before it
        # The nearest works by text embedding, precomputed at build (precompute.related_rows).
        related = [
            {"key": r[0], "title": r[1], "authors": r[2], "year": r[3]}
            for r in await db.execute(
                "SELECT w.key, w.title, w.authors, w.year FROM portal_related r "
                "JOIN portal_works w ON w.id = r.related_id WHERE r.work_id = ? ORDER BY r.rank",
                [work_id],
            )
        ]
    related_by = "embedding" if related else "themes"
    if not related and themes:
        # Candidates: the latest works of each of its themes (an index range each, never a count
        # over every work), ranked by how many themes they share.
        candidates = " UNION ALL ".join(
            "SELECT * FROM (SELECT work_id FROM portal_work_values WHERE facet = 'theme' "
            f"AND value = ? AND work_id != ? ORDER BY work_id DESC LIMIT {RELATED_POOL})"
            for _ in themes
        )
        pool = await db.execute(candidates, [p for t in themes for p in (t, work_id)])
        shared: dict[int, int] = {}
        for (candidate,) in pool:
            shared[candidate] = shared.get(candidate, 0) + 1
        best = sorted(shared, key=lambda c: (-shared[c], -c))[:6]
        if best:
            marks = ", ".join("?" for _ in best)
            by_id = {
                r[0]: {"key": r[1], "title": r[2], "authors": r[3], "year": r[4]}
                for r in await db.execute(
                    f"SELECT id, key, title, authors, year FROM portal_works WHERE id IN ({marks})",
                    best,
                )
            }
            related = [by_id[c] for c in best if c in by_id]
    links = []
    if row[7]:
        links.append({"label": f"{T['doi']}: {row[7]}", "href": f"https://doi.org/{row[7]}"})
    web_url = http_url(row[8])
    if web_url:
        links.append({"label": T["url"], "href": web_url})
    links.append({"label": T["oria"], "href": ORIA_SEARCH.format(q=quote(row[2][:200]))})
    downloads = [
        {
            "href": f"/{db.name}/portal_works.{ext}?" + urlencode({"key__exact": row[1]}),
            "label": name,
        }
        for ext, name in DOWNLOAD_FORMATS[:2]
    ]
    context = {
        "page_lang": lang,
        "work": {
            "key": row[1],
            "title": row[2],
            "authors": row[3],
            "year": row[4],
            "language": row[6],
            "peer_reviewed": row[9],
            "published_in": row[11],
        },
        "reference": Markup(reference),
        "summary": summaries.get(summary_lang),
        "summary_lang": summary_lang,
        "summary_other": summary_lang != lang,
        "codes": codes,
        "participants": participants[0] if participants else None,
        "quality": quality,
        "passed_stage2": passed_stage2,
        "quality_rule": await db.execute_fn(lambda conn: quality_rule_text(conn, lang)),
        "trail": trail,
        "related": related,
        "related_title": T["related_similar" if related_by == "embedding" else "related"],
        "links": links,
        "downloads": downloads,
    }
    return await _render(datasette, request, "portal_work.html", context)


# --- the evidence gap map ----------------------------------------------------------------------


async def gap_map(datasette: Any, request: Any) -> Response:
    lang = _language(request)
    T = TEXTS[lang]
    db = _database(datasette)
    if not await _built(db):
        return await _render(datasette, request, "portal_missing.html", {"page_lang": lang}, 503)
    axis = request.args.get("axis") or "method"
    if axis not in GAP_AXES:
        axis = "method"
    themes = await _axis_labels(db, "theme")
    columns = await _axis_labels(db, axis)
    rows = await db.execute(
        "SELECT value, value2, count FROM portal_cross WHERE facet = 'theme' AND facet2 = ?",
        [axis],
    )
    counts = {(r[0], r[1]): r[2] for r in rows}
    grid = []
    for theme in themes:
        cells = []
        for column in columns:
            n = counts.get((theme["value"], column["value"]), 0)
            names = {"row": theme[lang], "col": column[lang]}
            cells.append(
                {
                    "count": n,
                    "href": "/works?" + urlencode({"theme": theme["value"], axis: column["value"]}),
                    "label": (T["gap_cell"] if n else T["gap_empty_label"]).format(n=n, **names),
                }
            )
        grid.append({"label": theme[lang], "cells": cells})
    axes = [
        {"value": a, "label": T[f"facet_{a}"], "chosen": a == axis, "href": f"/gap-map?axis={a}"}
        for a in GAP_AXES
    ]
    context = {
        "page_lang": lang,
        "axis": axis,
        "axis_label": T[f"facet_{axis}"],
        "axes": axes,
        "columns": [c[lang] for c in columns],
        "grid": grid,
    }
    return await _render(datasette, request, "portal_gap_map.html", context)


# --- the language switch --------------------------------------------------------------------


async def switch_language(request: Any) -> Response:
    lang = request.url_vars["lang"]
    target = request.args.get("next") or "/"
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/"
    response = Response.redirect(target)
    if lang in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/$", landing),
        (r"^/works$", works_list),
        (r"^/works/(?P<key>[^/]+)$", work_page),
        (r"^/gap-map$", gap_map),
        (r"^/lang/(?P<lang>nb|en)$", switch_language),
    ]
