"""What each enrichment source is asked and how its answer becomes candidates.

A candidate is a record shaped like a hit (title, authors, year, type, and the fields enrichment may
fill), so dedupe's rules (``db.dedupe.matching``) can compare it with a work.
Crossref: ``/works/{doi}`` or ``/works?query.bibliographic=…&query.author=…&filter=from-pub-date:Y,
until-pub-date:Y``; OpenAlex: ``/works/doi:{doi}`` or ``/works?search=…&filter=publication_year:Y``;
NVA: ``/resources?doi=…`` or ``/resources?title=…&contributorName=…&publicationYear=Y``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from harvest.parse.answers import PageError, load_object, text
from harvest.parse.names import clean_doi, year_of
from harvest.parse.nva import nva_hit
from harvest.parse.openalex import openalex_hit

# The columns of works that enrichment may fill (only when empty).
ENRICH_FIELDS = (
    "doi", "container", "volume", "issue", "pages", "publisher", "place", "issn", "isbn",
    "series", "number",
)  # fmt: skip

_CROSSREF_TYPES = {
    "journal-article": "journal_article",
    "book-chapter": "book_chapter",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "report": "report",
    "report-component": "report",
    "dissertation": "thesis",
}


@dataclass(frozen=True)
class Source:
    name: str
    base_url: str  # the public API
    min_delay: float  # seconds between requests when the answers give no rate limit
    by_doi: Callable[[str, str], str]
    by_search: Callable[[str, str, str | None, int | None], str]
    parse: Callable[[bytes, bool], list[dict[str, Any]]]  # body, whether it answers a DOI lookup


def _contact() -> str:
    return os.environ.get("EVIDENSBASE_CONTACT", "")


def crossref_doi(base: str, doi: str) -> str:
    return f"{base}/works/{quote(doi, safe='/')}"


def crossref_search(base: str, title: str, author: str | None, year: int | None) -> str:
    params: dict[str, str] = {"query.bibliographic": title, "rows": "5"}
    if author:
        params["query.author"] = author
    if year:
        params["filter"] = f"from-pub-date:{year},until-pub-date:{year}"
    return f"{base}/works?{urlencode(params)}"


def parse_crossref(body: bytes, single: bool) -> list[dict[str, Any]]:
    data = load_object(body, "a Crossref answer")
    message = data.get("message")
    if not isinstance(message, dict):
        raise PageError("not a Crossref answer: no 'message' object")
    if single:
        items: Any = [message]
    else:
        items = message.get("items")
        if not isinstance(items, list):
            raise PageError("not a Crossref list answer: 'message.items' is not a list")
    return [c for c in (crossref_candidate(i) for i in items if isinstance(i, dict)) if c]


def _first(value: Any) -> str | None:
    return text(value)


def crossref_candidate(item: dict[str, Any]) -> dict[str, Any] | None:
    doi = clean_doi(text(item.get("DOI")))
    if not doi:
        return None
    authors = []
    for person in item.get("author") or []:
        if isinstance(person, dict) and (person.get("family") or person.get("name")):
            if person.get("family"):
                authors.append({"family": person["family"], "given": person.get("given") or ""})
            else:
                authors.append({"literal": person["name"]})
    year = None
    for key in ("issued", "published-print", "published-online", "published"):
        parts = (item.get(key) or {}).get("date-parts") or [[None]]
        if parts and parts[0] and parts[0][0]:
            year = year_of(parts[0][0])
            break
    return {
        "key": doi,
        "title": _first(item.get("title")),
        "authors": authors,
        "year": year,
        "type": _CROSSREF_TYPES.get(str(item.get("type")), "other"),
        "doi": doi,
        "container": _first(item.get("container-title")),
        "volume": text(item.get("volume")),
        "issue": text(item.get("issue")),
        "pages": text(item.get("page")),
        "publisher": text(item.get("publisher")),
        "place": text(item.get("publisher-location")),
        "issn": _first(item.get("ISSN")),
        "isbn": _first(item.get("ISBN")),
    }


def openalex_doi(base: str, doi: str) -> str:
    return f"{base}/works/doi:{quote(doi, safe='/')}"


def openalex_search(base: str, title: str, author: str | None, year: int | None) -> str:
    params = {"search": title, "per-page": "5"}
    if year:
        params["filter"] = f"publication_year:{year}"
    return f"{base}/works?{urlencode(params)}"


def parse_openalex(body: bytes, single: bool) -> list[dict[str, Any]]:
    data = load_object(body, "an OpenAlex answer")
    if single:
        if not text(data.get("id")):
            raise PageError("not an OpenAlex Work: no 'id'")
        works: Any = [data]
    else:
        works = data.get("results")
        if not isinstance(works, list):
            raise PageError("not an OpenAlex list answer: 'results' is not a list")
    out = []
    for work in works:
        hit = openalex_hit(work) if isinstance(work, dict) else None
        if not hit:
            continue
        biblio = work.get("biblio") if isinstance(work.get("biblio"), dict) else {}
        first, last = text(biblio.get("first_page")), text(biblio.get("last_page"))
        pages = f"{first}-{last}" if first and last and first != last else first
        out.append(
            {
                "key": hit["hit_key"],
                **{k: hit.get(k) for k in ("title", "authors", "year", "type", "doi")},
                "container": hit.get("container"),
                "volume": text(biblio.get("volume")),
                "issue": text(biblio.get("issue")),
                "pages": pages,
                "publisher": hit.get("publisher"),
                "place": None,
                "issn": hit.get("issn"),
                "isbn": None,
            }
        )
    return out


def nva_doi(base: str, doi: str) -> str:
    return f"{base}/resources?{urlencode({'doi': doi, 'size': '5'})}"


def nva_search(base: str, title: str, author: str | None, year: int | None) -> str:
    params = {"title": title, "size": "5"}
    if author:
        params["contributorName"] = author
    if year:
        params["publicationYear"] = str(year)
    return f"{base}/resources?{urlencode(params)}"


def parse_nva(body: bytes, single: bool) -> list[dict[str, Any]]:
    data = load_object(body, "an NVA search answer")
    records = data.get("hits")
    if not isinstance(records, list):
        raise PageError("not an NVA search answer: 'hits' is not a list")
    out = []
    for record in records:
        hit = nva_hit(record) if isinstance(record, dict) else None
        if not hit:
            continue
        entity = record.get("entityDescription") or {}
        context = ((entity.get("reference") or {}).get("publicationContext")) or {}
        found = context.get("series")
        series: dict[str, Any] = found if isinstance(found, dict) else {}
        out.append(
            {
                "key": hit["hit_key"],
                **{k: hit.get(k) for k in ("title", "authors", "year", "type", "doi")},
                "container": hit.get("container"),
                "volume": None,
                "issue": None,
                "pages": None,
                "publisher": hit.get("publisher"),
                "place": None,
                "issn": hit.get("issn"),
                "isbn": hit.get("isbn"),
                "series": text(series.get("name") or series.get("title")),
                "number": text(context.get("seriesNumber")),
            }
        )
    return out


SOURCES = {
    "crossref": Source(
        "crossref", "https://api.crossref.org", 0.1, crossref_doi, crossref_search, parse_crossref
    ),
    "openalex": Source(
        "openalex", "https://api.openalex.org", 0.1, openalex_doi, openalex_search, parse_openalex
    ),
    # NVA publishes no limit: be gentle.
    "nva": Source("nva", "https://api.nva.unit.no/search", 1.0, nva_doi, nva_search, parse_nva),
}


def credentials(source: str) -> dict[str, str]:
    """Query parameters from configuration: Crossref's and OpenAlex's mailto, OpenAlex's key."""
    out: dict[str, str] = {}
    if source == "crossref":
        mailto = os.environ.get("CROSSREF_MAILTO") or _contact()
        if mailto:
            out["mailto"] = mailto
    elif source == "openalex":
        mailto = os.environ.get("OPENALEX_MAILTO") or _contact()
        if mailto:
            out["mailto"] = mailto
        if os.environ.get("OPENALEX_API_KEY"):
            out["api_key"] = os.environ["OPENALEX_API_KEY"]
    return out
