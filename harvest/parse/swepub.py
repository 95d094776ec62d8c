"""SwePub answers of LIBRIS Xsearch (``GET /xsearch?database=swepub&format=json``) as hits.

Why Xsearch JSON of SwePub's three open interfaces: it is a *search* (OAI-PMH only harvests
whole sets by date and cannot run a protocol's search string), it answers JSON like NVA and
OpenAlex (SRU answers MODS XML), and it pages by ``start``/``n`` with a total, like the other
spiders. Its limits: ``n`` at most 200 per request; records are LIBRIS's brief format
(title, creator, type, publisher, date, language, identifier, isbn/issn, description).

NO RECORDED SWEPUB ANSWER was found (none in ../shared/fixtures/open/, none in a public
repository's fixtures the search tool could find). This parser follows the documented shape,
``{"xsearch": {"from", "to", "records", "list": [record]}}``, as the KTH-Library/XsearchLIBRIS
client reads it (R/xsearch.R: ``parsed$xsearch$list``, ``$from``, ``$to``, ``$records``; ``n`` at
most 200; ``database = "swepub"``; query syntax with ``SPR:swe``); a field may be a string or a list
of strings. It is tested on ``tests/data/harvest/synthetic_swepub_xsearch.json``, written to
that shape, not recorded: check it against a real answer before relying on it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from db.protocol import language_id
from harvest.parse.answers import AnswerPage, PageError, load_object, number, text
from harvest.parse.names import clean_doi, csl_names, work_type, year_of

_TYPES = {"chapter": "book_chapter", "bookchapter": "book_chapter", "conference": "other"}


def parse_swepub_page(body: str | bytes, *, offset: int = 0) -> AnswerPage:
    """One Xsearch JSON answer (PageError when it is not one)."""
    data = load_object(body, "an Xsearch answer")
    answer = data.get("xsearch")
    if not isinstance(answer, dict):
        raise PageError("not an Xsearch answer: no 'xsearch' object")
    total = number(answer.get("records"), "xsearch.records")
    records = answer.get("list", [])
    if not isinstance(records, list):
        raise PageError("not an Xsearch answer: 'xsearch.list' is not a list")
    hits = []
    for index, record in enumerate(records):
        hit = swepub_hit(record) if isinstance(record, dict) else None
        if hit is None:
            raise PageError(f"record {index} has no identifier")
        hit["rank"] = offset + index + 1
        hits.append(hit)
    return AnswerPage(total=total, hits=hits)


def swepub_hit(record: dict[str, Any]) -> dict[str, Any] | None:
    """One Xsearch record as a hit (None when it has no identifier)."""
    identifier = text(record.get("identifier"))
    if not identifier:
        return None
    kind = text(record.get("type"))
    return {
        "hit_key": identifier.rsplit("/bib/", 1)[-1],
        "title": text(record.get("title")),
        "authors": csl_names(_strings(record.get("creator"))),
        "year": year_of(text(record.get("date"))),
        "type": (_TYPES.get(kind.lower()) or work_type(kind)) if kind else None,
        "language": language_id(text(record.get("language"))),
        "container": text(record.get("relation")),
        "publisher": text(record.get("publisher")),
        "doi": clean_doi(text(record.get("doi"))),
        "isbn": text(record.get("isbn")),
        "issn": text(record.get("issn")),
        "url": identifier,
        "abstract": text(record.get("description")),
        "peer_reviewed": None,  # the brief format does not say
        "raw": record,
    }


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def swepub_query(terms: list[str], language_code: str | None) -> str:
    """The LIBRIS query: the terms ANDed (a phrase quoted), limited to a language (``SPR:``)."""
    parts = [f'"{t}"' if " " in t else t for t in (" ".join(t.split()) for t in terms)]
    if language_code:
        parts.append(f"SPR:{language_code}")
    return " AND ".join(parts)


def swepub_params(*, terms: list[str], language_code: str | None, start: int, n: int) -> str:
    """The query string of one Xsearch request (``start`` is 1-based)."""
    return urlencode(
        [
            ("query", swepub_query(terms, language_code)),
            ("database", "swepub"),
            ("format", "json"),
            ("order", "rank"),
            ("start", str(start)),
            ("n", str(n)),
        ]
    )
