"""OpenAlex ``GET /works`` answers as hits.

The shape is that of the recorded answer in ../shared/fixtures/open/openalex/ (``{meta: {count,
next_cursor?}, results: [Work]}``). A Work gives title, authorships, publication_year, type,
language (ISO 639-1), doi, primary_location.source (journal or series, its publisher, ISSN-L) and
the abstract as an inverted index ({word: [positions]}), rebuilt here as text. OpenAlex does not
say whether a work was peer reviewed: that stays unknown (None). The whole work is kept as ``raw``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from db.protocol import language_id
from harvest.parse.answers import AnswerPage, PageError, load_object, number, text
from harvest.parse.names import clean_doi, csl_name

# OpenAlex's work types (its own vocabulary, Crossref's in type_crossref) to the review's types.
_TYPES = {
    "article": "journal_article",
    "review": "journal_article",
    "letter": "journal_article",
    "editorial": "journal_article",
    "book-chapter": "book_chapter",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "reference-book": "book",
    "dissertation": "thesis",
    "report": "report",
}


def openalex_type(value: str | None) -> str | None:
    """The review's work type for an OpenAlex type ('other' for preprints, datasets, …)."""
    if not value:
        return None
    return _TYPES.get(value.strip().lower(), "other")


def parse_openalex_page(body: str | bytes, *, offset: int = 0) -> AnswerPage:
    """One JSON answer of ``/works`` (PageError when it is not one)."""
    data = load_object(body, "an OpenAlex works answer")
    meta = data.get("meta")
    if not isinstance(meta, dict) or not isinstance(data.get("results"), list):
        raise PageError("not an OpenAlex works answer: no 'meta' object and 'results' list")
    total = number(meta.get("count"), "meta.count")
    cursor = meta.get("next_cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise PageError(f"meta.next_cursor is not a string: {cursor!r}")
    hits = []
    for index, work in enumerate(data["results"]):
        hit = openalex_hit(work) if isinstance(work, dict) else None
        if hit is None:
            raise PageError(f"result {index} has no id")
        hit["rank"] = offset + index + 1
        hits.append(hit)
    return AnswerPage(total=total, hits=hits, next_cursor=cursor or None)


def openalex_hit(work: dict[str, Any]) -> dict[str, Any] | None:
    """One OpenAlex Work as a hit (None when it has no id)."""
    work_id = text(work.get("id"))
    if not work_id:
        return None
    location = _mapping(work.get("primary_location"))
    source = _mapping(location.get("source"))
    doi = clean_doi(text(work.get("doi")))
    return {
        "hit_key": work_id.rsplit("/", 1)[-1],  # 'https://openalex.org/W2068311567' -> 'W…'
        "title": text(work.get("title")) or text(work.get("display_name")),
        "authors": _authors(work.get("authorships")),
        "year": _year(work.get("publication_year")),
        "type": openalex_type(text(work.get("type"))),
        "language": language_id(text(work.get("language"))),
        "container": text(source.get("display_name")),
        "publisher": text(source.get("host_organization_name")),
        "doi": doi,
        "isbn": None,
        "issn": text(source.get("issn_l")) or text(source.get("issn")),
        "url": text(location.get("landing_page_url")) or work_id,
        "abstract": abstract_text(work.get("abstract_inverted_index")),
        "peer_reviewed": None,
        "raw": work,
    }


def abstract_text(index: Any) -> str | None:
    """The abstract from OpenAlex's inverted index ({word: [positions]}), words in order."""
    if not isinstance(index, dict) or not index:
        return None
    placed: dict[int, str] = {}
    for word, positions in index.items():
        for position in positions if isinstance(positions, list) else []:
            if isinstance(position, int) and not isinstance(position, bool):
                placed[position] = str(word)
    return " ".join(placed[p] for p in sorted(placed)) or None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _year(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 2100:
        return value
    return None


def _authors(authorships: Any) -> list[dict[str, str]]:
    names = []
    for entry in authorships if isinstance(authorships, list) else []:
        if not isinstance(entry, dict):
            continue
        name = text(_mapping(entry.get("author")).get("display_name"))
        if not name or name.upper() == "NULL AUTHOR_ID":  # OpenAlex's placeholder
            name = text(entry.get("raw_author_name"))
        parsed = csl_name(name) if name else None
        if parsed:
            names.append(parsed)
    return names


def openalex_params(
    *,
    terms: list[str],
    countries: list[str],
    language_codes: list[str],
    year_from: int | None,
    year_to: int | None,
    types: list[str],
    cursor: str,
    per_page: int,
    mailto: str | None,
    api_key: str | None,
) -> str:
    """The query string of one ``/works`` request: ``search`` with the terms, ``filter`` on
    institution country, year range, language and type (``|`` within one filter is OR), cursor
    paging."""
    filters = []
    if countries:
        filters.append("institutions.country_code:" + "|".join(c.lower() for c in countries))
    if year_from or year_to:
        filters.append(f"publication_year:{year_from or ''}-{year_to or ''}")
    if language_codes:
        filters.append("language:" + "|".join(language_codes))
    if types:
        filters.append("type:" + "|".join(types))
    quoted = [f'"{t}"' if " " in t else t for t in (" ".join(t.split()) for t in terms)]
    params: list[tuple[str, str]] = [("search", " AND ".join(quoted))]
    if filters:
        params.append(("filter", ",".join(filters)))
    params += [("per-page", str(per_page)), ("cursor", cursor)]
    if mailto:
        params.append(("mailto", mailto))
    if api_key:
        params.append(("api_key", api_key))
    return urlencode(params)
