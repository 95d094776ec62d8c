"""NVA (Nasjonalt vitenarkiv, Sikt) search answers, ``GET /search/resources``, as hits.

The shape is that of the recorded answers in ../shared/fixtures/open/nva/ (the public search API's
own test data): ``{id, totalHits, hits: [Publication], nextResults}``; a Publication's fields are
in ``entityDescription`` (mainTitle, contributors, publicationDate, language as a lexvo URI,
abstract) and ``entityDescription.reference`` (doi, publicationInstance.type — NVA's category —
and publicationContext: journal or series, publisher, ISBNs, ISSNs). The whole hit is kept as
``raw``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from db.protocol import language_id
from harvest.parse.answers import AnswerPage, PageError, load_object, number, text
from harvest.parse.names import clean_doi, csl_name, year_of

# NVA's categories (publicationInstance.type, the docs' CategoryEnum) to the review's types.
_REPORTS = {"ReportResearch", "ReportPolicy", "ReportWorkingPaper", "ReportBasic",
            "ReportBookOfAbstract", "ConferenceReport"}  # fmt: skip
_ARTICLES = {"AcademicArticle", "AcademicLiteratureReview", "JournalArticle", "ProfessionalArticle",
             "PopularScienceArticle", "JournalReview", "JournalLeader", "JournalLetter",
             "JournalCorrigendum", "JournalInterview", "FeatureArticle", "CaseReport",
             "StudyProtocol"}  # fmt: skip
_CHAPTERS = {"AcademicChapter", "ChapterArticle", "ChapterInReport", "NonFictionChapter",
             "PopularScienceChapter", "TextbookChapter", "EncyclopediaChapter",
             "ExhibitionCatalogChapter", "ChapterConferenceAbstract", "Introduction"}  # fmt: skip
_BOOKS = {"AcademicMonograph", "BookMonograph", "BookAnthology", "NonFictionMonograph",
          "PopularScienceMonograph", "Textbook", "Encyclopedia", "ExhibitionCatalog",
          "BookAbstracts"}  # fmt: skip
_THESES = {"DegreePhd", "DegreeLicentiate", "DegreeMaster", "DegreeBachelor", "OtherStudentWork"}
# NVA's "Academic" categories are the ones published in an approved scholarly channel (the
# Norwegian publication indicator's peer-reviewed levels).
_PEER_REVIEWED = {"AcademicArticle", "AcademicChapter", "AcademicLiteratureReview",
                  "AcademicMonograph"}  # fmt: skip


def nva_type(category: str | None) -> str | None:
    """The review's work type for an NVA category (None when the record has none)."""
    if not category:
        return None
    for types, name in (
        (_REPORTS, "report"),
        (_ARTICLES, "journal_article"),
        (_CHAPTERS, "book_chapter"),
        (_BOOKS, "book"),
        (_THESES, "thesis"),
    ):
        if category in types:
            return name
    return "other"


def parse_nva_page(body: str | bytes, *, offset: int = 0) -> AnswerPage:
    """One JSON answer of ``/search/resources`` (PageError when it is not one)."""
    data = load_object(body, "an NVA search answer")
    if not isinstance(data.get("hits"), list):
        raise PageError("not an NVA search answer: no 'hits' list")
    if "totalHits" not in data:
        raise PageError("not an NVA search answer: no 'totalHits'")
    total = number(data["totalHits"], "totalHits")
    hits = []
    for index, record in enumerate(data["hits"]):
        hit = nva_hit(record) if isinstance(record, dict) else None
        if hit is None:
            raise PageError(f"hit {index} has no identifier")
        hit["rank"] = offset + index + 1
        hits.append(hit)
    return AnswerPage(total=total, hits=hits)


def nva_hit(record: dict[str, Any]) -> dict[str, Any] | None:
    """One NVA Publication as a hit (None when it has no identifier)."""
    identifier = text(record.get("identifier"))
    if not identifier:
        return None
    entity = _mapping(record.get("entityDescription"))
    reference = _mapping(entity.get("reference"))
    context = _mapping(reference.get("publicationContext"))
    category = text(_mapping(reference.get("publicationInstance")).get("type"))
    series = _mapping(context.get("series"))
    isbns = context.get("isbnList") if isinstance(context.get("isbnList"), list) else []
    return {
        "hit_key": identifier,
        "title": text(entity.get("mainTitle")),
        "authors": _authors(entity.get("contributors")),
        "year": year_of(text(_mapping(entity.get("publicationDate")).get("year"))),
        "type": nva_type(category),
        "language": _language(text(entity.get("language"))),
        "container": text(context.get("name")) or text(series.get("name") or series.get("title")),
        "publisher": text(_mapping(context.get("publisher")).get("name")),
        "doi": clean_doi(text(reference.get("doi")) or text(record.get("doi"))),
        "isbn": text(isbns),
        "issn": text(context.get("printIssn"))
        or text(context.get("onlineIssn"))
        or text(series.get("printIssn"))
        or text(series.get("onlineIssn")),
        "url": text(record.get("handle")) or text(record.get("id")),
        "abstract": text(entity.get("abstract")),
        "peer_reviewed": category in _PEER_REVIEWED,
        "raw": record,
    }


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _authors(contributors: Any) -> list[dict[str, str]]:
    """Creators in their sequence; editors when a record has no creators (an anthology)."""
    people = (
        [c for c in contributors or [] if isinstance(c, dict)]
        if isinstance(contributors, list)
        else []
    )
    people.sort(key=lambda c: _sequence(c.get("sequence")))
    roles = [text(_mapping(c.get("role")).get("type")) for c in people]
    wanted = "Creator" if "Creator" in roles else None
    names = []
    for person, role in zip(people, roles, strict=True):
        if wanted and role != wanted:
            continue
        name = text(_mapping(person.get("identity")).get("name"))
        parsed = csl_name(name) if name else None
        if parsed:
            names.append(parsed)
    return names


def _sequence(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1_000_000


def _language(uri: str | None) -> str | None:
    # 'http://lexvo.org/id/iso639-3/nob' -> 'nob' -> 'nb'
    if not uri:
        return None
    return language_id(uri.rstrip("/").rsplit("/", 1)[-1])


# Languages of the protocol as NVA indexes them (lexvo ISO 639-3 URIs).
LEXVO = "http://lexvo.org/id/iso639-3/"


def nva_params(
    *,
    terms: list[str],
    instance_types: list[str],
    language_codes: list[str],
    year_from: int | None,
    year_to: int | None,
    offset: int,
    size: int,
) -> str:
    """The query string of one ``/search/resources`` request (see the NVA docs in
    ../shared/fixtures/open/nva/: comma-separated values; ``query`` phrases must all match,
    ``instanceType`` and ``publicationLanguage`` match any of theirs)."""
    params: list[tuple[str, str]] = [
        ("query", ",".join(" ".join(t.replace(",", " ").split()) for t in terms))
    ]
    if instance_types:
        params.append(("instanceType", ",".join(instance_types)))
    if language_codes:
        params.append(("publicationLanguage", ",".join(LEXVO + c for c in language_codes)))
    if year_from:
        params.append(("publicationYearSince", str(year_from)))
    if year_to:
        params.append(("publicationYearBefore", str(year_to + 1)))  # "less than"
    params += [
        ("aggregation", "none"),
        ("sort", "relevance,identifier"),
        ("from", str(offset)),
        ("size", str(size)),
    ]
    return urlencode(params)
