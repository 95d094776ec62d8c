"""The open sources' pure parsers on the recorded answers, and on answers they must refuse."""

from __future__ import annotations

import json

import pytest

from harvest.parse.answers import PageError
from harvest.parse.nva import nva_type, parse_nva_page
from harvest.parse.openalex import abstract_text, parse_openalex_page
from harvest.parse.swepub import parse_swepub_page
from tests.harvest.conftest import DATA, OPEN

REPORTS = OPEN / "nva" / "BIBSYSDEV_nva-search-api__bibtex_report_research.json"
WORKS = OPEN / "openalex" / "anapaulagomes_peneira__works.json"
SWEPUB = DATA / "synthetic_swepub_xsearch.json"


def test_each_parser_reads_its_answer_with_total_and_ranks() -> None:
    nva = parse_nva_page(REPORTS.read_bytes(), offset=100)
    assert (nva.total, [h["rank"] for h in nva.hits]) == (127049, [101, 102, 103])
    openalex = parse_openalex_page(WORKS.read_bytes())
    assert (openalex.total, len(openalex.hits), openalex.next_cursor) == (49, 49, None)
    swepub = parse_swepub_page(SWEPUB.read_bytes())
    assert (swepub.total, len(swepub.hits)) == (3, 3)
    # the raw record is the engine's own, whole
    assert nva.hits[0]["raw"] == json.loads(REPORTS.read_bytes())["hits"][0]


@pytest.mark.parametrize(
    ("category", "kind"),
    [
        ("ReportResearch", "report"),
        ("ReportPolicy", "report"),
        ("ReportWorkingPaper", "report"),
        ("AcademicArticle", "journal_article"),
        ("AcademicChapter", "book_chapter"),
        ("AcademicMonograph", "book"),
        ("DegreePhd", "thesis"),
        ("MediaInterview", "other"),
        (None, None),
    ],
)
def test_nva_categories_become_the_review_types(category: str | None, kind: str | None) -> None:
    assert nva_type(category) == kind


@pytest.mark.parametrize(
    ("parse", "body", "says"),
    [
        (parse_nva_page, b"[]", "the answer is a JSON list"),
        (parse_nva_page, b'{"totalHits": "many", "hits": []}', "totalHits is not a whole number"),
        (parse_nva_page, b'{"totalHits": 3, "hits": {}}', "no 'hits' list"),
        (parse_nva_page, b'{"totalHits": 1, "hits": [{"type": "Publication"}]}', "no identifier"),
        (parse_nva_page, b"<html><body>login</body></html>", "an HTML page"),
        (parse_openalex_page, b'{"meta": {"count": null}, "results": []}', "meta.count"),
        (parse_openalex_page, b'{"meta": {"count": 1, "next_cursor": 7}, "results": []}', "cursor"),
        (parse_openalex_page, b'{"meta": {"count": 1}, "results": [', "not valid JSON"),
        (parse_swepub_page, b'{"xsearch": {"records": "3", "list": {}}}', "not a list"),
        (parse_swepub_page, b'{"xsearch": {"records": -1, "list": []}}', "negative"),
        (parse_swepub_page, b"\xff\xfe{", "not valid JSON"),
    ],
)
def test_an_answer_that_cannot_be_used_is_a_page_error(parse, body: bytes, says: str) -> None:
    with pytest.raises(PageError, match=says):
        parse(body)


def test_openalex_abstracts_are_rebuilt_in_word_order() -> None:
    assert abstract_text({"guidance": [1], "Career": [0], "works": [2, 4], "it": [3]}) == (
        "Career guidance works it works"
    )
    assert abstract_text(None) is None and abstract_text({}) is None
