"""Primo VE (Oria) search answers (``/primaws/rest/pub/pnxs``) as hits.

Field sources, in order of preference: ``pnx.display`` (what the catalogue shows), ``pnx.addata``
(citation data), ``pnx.facets`` and ``pnx.control`` (record id). The whole doc is kept as ``raw``.

Every answer is checked against :class:`PrimoAnswer` (pydantic) before a field is read: each field
the parser reads must be a list of strings, ``info.total`` a whole number. A body that is not UTF-8,
not JSON, nested deeper than Python can decode, or of another shape is a :class:`PageError` naming
the place (``docs[3].pnx.display.title[0]: expected a string, got int``), never another exception.
Why pydantic rather than a hand-written check: the schema is the documentation of the shape we rely
on, and its errors name the path to the bad value for free.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Annotated, Any
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from db.protocol import language_id
from harvest.parse.names import clean_doi, csl_names, first, work_type, year_of


class PageError(ValueError):
    """A page that cannot be read (truncated or not the expected shape)."""


Strings = list[str] | None  # every pnx field is a list of strings


class _Section(BaseModel):
    # Only the fields the parser reads are typed; the rest of a section is kept as it came.
    model_config = ConfigDict(extra="allow")


class _Control(_Section):
    recordid: Strings = None


class _Display(_Section):
    title: Strings = None
    creator: Strings = None
    contributor: Strings = None
    creationdate: Strings = None
    type: Strings = None
    language: Strings = None
    ispartof: Strings = None
    publisher: Strings = None
    identifier: Strings = None
    description: Strings = None
    lds50: Strings = None


class _Addata(_Section):
    atitle: Strings = None
    au: Strings = None
    risdate: Strings = None
    date: Strings = None
    genre: Strings = None
    jtitle: Strings = None
    btitle: Strings = None
    pub: Strings = None
    doi: Strings = None
    isbn: Strings = None
    issn: Strings = None
    eissn: Strings = None
    abstract: Strings = None


class _Facets(_Section):
    creationdate: Strings = None
    language: Strings = None
    toplevel: Strings = None


class _Search(_Section):
    creationdate: Strings = None


class _Pnx(_Section):
    control: _Control | None = None
    display: _Display | None = None
    addata: _Addata | None = None
    facets: _Facets | None = None
    search: _Search | None = None


class PrimoDoc(_Section):
    """One doc of an answer, as far as :func:`primo_hit` reads it."""

    pnx: _Pnx | None = None
    id: str | None = Field(default=None, alias="@id")


class _Info(_Section):
    total: Annotated[StrictInt, Field(ge=0)] | None = None


class PrimoAnswer(_Section):
    """A ``pnxs`` (or Search API) answer: ``docs`` a list of docs, ``info.total`` a count."""

    info: _Info | None = None
    docs: list[PrimoDoc]


_EXPECTED = {
    "string_type": "a string",
    "list_type": "a list",
    "int_type": "a whole number",
    "model_type": "an object",
    "dict_type": "an object",
    "missing": "a value",
    "greater_than_equal": "a number of 0 or more",
}


def shape_problem(exc: ValidationError, prefix: str = "") -> str:
    """A pydantic error as 'docs[3].pnx.display.title[0]: expected a string, got int' (first
    problem only, and how many more there are)."""
    errors = exc.errors(include_url=False)
    first_error = errors[0]
    path = prefix
    for part in first_error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    expected = _EXPECTED.get(first_error["type"], first_error["msg"])
    got = type(first_error.get("input")).__name__ if first_error["type"] != "missing" else None
    message = f"{path or 'the answer'}: expected {expected}" + (f", got {got}" if got else "")
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem(s))"
    return message


def check_doc(doc: Any, prefix: str) -> str | None:
    """Why ``doc`` is not a Primo doc the parser can read (None when it is)."""
    try:
        PrimoDoc.model_validate(doc)
    except ValidationError as exc:
        return shape_problem(exc, prefix)
    return None


@dataclass
class PrimoPage:
    """One answer: the engine's total and the hits on this page."""

    total: int | None
    hits: list[dict[str, Any]] = field(default_factory=list)


def parse_primo_page(
    body: str | bytes, *, offset: int = 0, record_link: str | None = None
) -> PrimoPage:
    """Parse one JSON answer; ``record_link`` is a format string with ``{docid}`` for the URL.

    Each hit's ``raw`` is its doc as parsed, and ``raw_json`` the doc's own text in the answer, as
    the engine sent it (stored as the hit's raw JSON without serializing the doc again).
    """
    data, doc_texts = decode_answer(body)
    if not isinstance(data, dict) or not isinstance(data.get("docs"), list):
        raise PageError(f"not a Primo search answer: no 'docs' list (a JSON {_kind(data)})")
    hits = []
    for index, doc in enumerate(data["docs"]):
        if not isinstance(doc, dict):
            raise PageError(f"doc {index} has no pnx.control.recordid (a JSON {_kind(doc)})")
        problem = check_doc(doc, f"docs[{index}]")
        if problem:
            raise PageError(problem)
        hit = primo_hit(doc, record_link=record_link)
        if hit is None:
            raise PageError(f"doc {index} has no pnx.control.recordid")
        hit["rank"] = offset + index + 1
        if doc_texts is not None:
            hit["raw_json"] = doc_texts[index]
        hits.append(hit)
    try:
        answer = PrimoAnswer.model_validate({"info": data.get("info"), "docs": []})
    except ValidationError as exc:
        raise PageError(shape_problem(exc)) from exc
    return PrimoPage(total=answer.info.total if answer.info else None, hits=hits)


def _kind(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def decode_answer(body: str | bytes) -> tuple[Any, list[str] | None]:
    """:func:`load_answer`, with every way a body can fail to be JSON as a :class:`PageError`."""
    if not body.strip():
        raise PageError("empty answer: expected a JSON object")
    try:
        return load_answer(body)
    except UnicodeDecodeError as exc:
        raise PageError(
            f"not valid {exc.encoding.upper()} (byte {exc.start}): expected JSON text"
        ) from exc
    except json.JSONDecodeError as exc:
        raise PageError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise PageError("JSON nested too deeply to read: not a Primo answer") from exc


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


class _NotAnAnswer(Exception):
    """The text is not a JSON object with a ``docs`` array: let ``json.loads`` judge it."""


def load_answer(body: str | bytes) -> tuple[Any, list[str] | None]:
    """``json.loads(body)``, and the text of each element of the top-level ``docs`` array.

    One pass of the standard decoder over the answer: the top-level object is walked here key by
    key and each doc decoded with ``raw_decode``, whose end offset gives the doc's text. Anything
    that is not an object holding a ``docs`` array (or is not valid JSON) goes to ``json.loads``,
    which gives the same value or error as it always does; the texts are then None.
    """
    text = (
        body.decode(json.detect_encoding(body), "surrogatepass")
        if isinstance(body, bytes)
        else body
    )
    try:
        return _walk_answer(text)
    except (_NotAnAnswer, json.JSONDecodeError, IndexError):
        return json.loads(text), None


def _skip(text: str, pos: int) -> int:
    """The position after any JSON whitespace at ``pos``."""
    match = _SPACE.match(text, pos)
    assert match is not None  # the pattern matches the empty string too
    return match.end()


def _walk_answer(text: str) -> tuple[dict[str, Any], list[str]]:
    decode = _DECODER.raw_decode
    pos = _skip(text, 0)
    if text[pos] != "{":
        raise _NotAnAnswer
    data: dict[str, Any] = {}
    texts: list[str] | None = None
    pos = _skip(text, pos + 1)
    if text[pos] == "}":
        raise _NotAnAnswer  # no docs
    while True:
        if text[pos] != '"':
            raise _NotAnAnswer
        key, pos = scanstring(text, pos + 1)
        pos = _skip(text, pos)
        if text[pos] != ":":
            raise _NotAnAnswer
        pos = _skip(text, pos + 1)
        if key == "docs" and text[pos] == "[":
            docs, texts = [], []
            pos = _skip(text, pos + 1)
            if text[pos] == "]":
                pos += 1
            else:
                while True:
                    doc, end = decode(text, pos)
                    docs.append(doc)
                    texts.append(text[pos:end])
                    pos = _skip(text, end)
                    if text[pos] == "]":
                        pos += 1
                        break
                    if text[pos] != ",":
                        raise _NotAnAnswer
                    pos = _skip(text, pos + 1)
            data[key] = docs
        else:
            data[key], pos = decode(text, pos)
            if key == "docs":
                texts = None  # a later 'docs' key wins, as in json.loads
        pos = _skip(text, pos)
        if text[pos] == "}":
            break
        if text[pos] != ",":
            raise _NotAnAnswer
        pos = _skip(text, pos + 1)
    if _skip(text, pos + 1) != len(text) or texts is None:
        raise _NotAnAnswer
    return data, texts


def primo_hit(doc: dict[str, Any], *, record_link: str | None = None) -> dict[str, Any] | None:
    """One Primo doc as a hit (None when it has no record id)."""
    pnx = doc.get("pnx") or {}
    display = pnx.get("display") or {}
    addata = pnx.get("addata") or {}
    facets = pnx.get("facets") or {}
    control = pnx.get("control") or {}
    search = pnx.get("search") or {}
    record_id = first(control.get("recordid"))
    if not record_id:
        return None
    identifiers = display.get("identifier") or []
    levels = set(display.get("lds50") or []) | set(facets.get("toplevel") or [])
    link = record_link.format(docid=record_id) if record_link else doc.get("@id")
    return {
        "hit_key": record_id,
        "title": first(display.get("title")) or first(addata.get("atitle")),
        "authors": csl_names(display.get("creator") or addata.get("au") or [])
        or csl_names(display.get("contributor")),
        "year": year_of(
            first(addata.get("risdate")),
            first(facets.get("creationdate")),
            first(display.get("creationdate")),
            first(search.get("creationdate")),
            first(addata.get("date")),
        ),
        "type": work_type(first(display.get("type")) or first(addata.get("genre"))),
        "language": language_id(first(display.get("language")) or first(facets.get("language"))),
        "container": first(addata.get("jtitle"))
        or first(addata.get("btitle"))
        or _container_from_ispartof(first(display.get("ispartof"))),
        "publisher": first(display.get("publisher")) or first(addata.get("pub")),
        "doi": clean_doi(first(addata.get("doi")) or _identifier(identifiers, "DOI")),
        "isbn": first(addata.get("isbn")) or _identifier(identifiers, "ISBN"),
        "issn": first(addata.get("issn"))
        or _identifier(identifiers, "ISSN")
        or first(addata.get("eissn")),
        "url": link,
        "abstract": first(display.get("description")) or first(addata.get("abstract")),
        "peer_reviewed": "peer_reviewed" in levels,
        "raw": doc,
    }


def _identifier(identifiers: list[str], kind: str) -> str | None:
    for value in identifiers:
        label, _, rest = value.partition(":")
        if label.strip().upper() == kind and rest.strip():
            return rest.strip().split(";")[0].strip()
    return None


def _container_from_ispartof(value: str | None) -> str | None:
    # 'Michigan quarterly review, 2016-06, Vol.55 (3), p.367' -> the part before the date
    if not value:
        return None
    return re.split(r",\s*(?:\d{4}|Vol\.)", value, maxsplit=1)[0].strip() or None


def primo_query(terms: list[str]) -> str:
    """The ``q`` parameter: each term a clause on any field, ANDed (commas and semicolons, which
    would break Primo's clause syntax, become spaces; a term with spaces is a phrase)."""
    clauses = []
    for term in terms:
        value = " ".join(re.sub(r"[,;]", " ", term).split())
        if " " in value:
            value = f'"{value}"'
        clauses.append(f"any,contains,{value}")
    return ",AND;".join(clauses)


def primo_params(
    *,
    terms: list[str],
    language_code: str | None,
    year_from: int | None,
    year_to: int | None,
    peer_reviewed_only: bool,
    exclude_theses: bool,
    offset: int,
    limit: int,
    vid: str,
    inst: str,
    tab: str,
    scope: str,
) -> str:
    """The query string of one ``pnxs`` request (see ../shared/fixtures/SOURCE.md)."""
    include = []
    if year_from or year_to:
        years = f"[{year_from or 1000} TO {year_to or 3000}]"
        include.append(f"facet_searchcreationdate,exact,{years}")
    if language_code:
        include.append(f"facet_lang,exact,{language_code}")
    if peer_reviewed_only:
        include.append("facet_tlevel,exact,peer_reviewed")
    params: list[tuple[str, str]] = [
        ("q", primo_query(terms)),
        ("offset", str(offset)),
        ("limit", str(limit)),
        ("sort", "rank"),
        ("vid", vid),
        ("tab", tab),
        ("scope", scope),
        ("inst", inst),
        ("lang", "en"),
        ("skipDelivery", "Y"),
        ("pcAvailability", "false"),
    ]
    if include:
        params.append(("qInclude", "|,|".join(include)))
    if exclude_theses:
        params.append(("qExclude", "facet_rtype,exact,dissertations"))
    return urlencode(params)
