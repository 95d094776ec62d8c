"""The pure parsers on the recorded answers in ../shared/fixtures (values read off the files)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import pytest

from harvest.parse.primo import PageError, parse_primo_page, primo_params
from harvest.parse.scholar import parse_results_total, parse_scholar_page

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
PRIMO, SCHOLAR = FIXTURES / "primo", FIXTURES / "scholar"
OTTER = PRIMO / "tulibraries_tul_cob__articles_search_response.json"


def by_key(hits: list[dict]) -> dict[str, dict]:
    return {h["hit_key"]: h for h in hits}


def test_primo_search_answer_fields_of_named_records() -> None:
    page = parse_primo_page(OTTER.read_bytes(), offset=50)
    assert page.total == 63881
    assert len(page.hits) == 10
    hits = by_key(page.hits)
    plos = hits["cdi_plos_journals_2325296025"]
    assert plos["title"].startswith("DNA metabarcoding-based diet survey for the Eurasian otter")
    assert plos["authors"][0] == {"family": "Kumari", "given": "Priyanka"}
    assert plos["authors"][-1] == {"family": "Yamamoto", "given": "Naomichi"}
    assert len(plos["authors"]) == 6
    assert plos["doi"] == "10.1371/journal.pone.0226253"
    assert plos["year"] == 2019
    assert plos["container"] == "PloS one"
    assert plos["type"] == "journal_article"
    assert plos["language"] == "en"
    assert plos["peer_reviewed"] is True
    assert plos["rank"] == 52  # second doc on the page at offset 50
    otter = hits["cdi_gale_litfinder_A464764181"]
    assert otter["authors"] == [{"family": "Romero", "given": "Natalia"}]
    assert otter["issn"] == "0026-2420"
    assert otter["publisher"] == "University of Michigan"
    assert otter["year"] == 2016
    entry = hits["cdi_oup_oro_10_1093_acref_9780198868750_013_3481"]
    assert entry["type"] == "other"  # a reference_entry
    # no creator: the contributor 'Julia Cresswell' (display.contributor) stands in
    assert entry["authors"] == [{"family": "Cresswell", "given": "Julia"}]
    assert entry["isbn"] == "0198868758"
    assert entry["peer_reviewed"] is False
    assert entry["raw"]["pnx"]["display"]["title"] == ["otter"]


# synthetic_answer: a hand-made pnxs answer with odd spacing, escapes and Nordic letters; two
# docs with record ids r1 and r2, info.total 2.
SYNTHETIC_ANSWER = (
    '{ "info" : {"total": 2},\n "docs" : [\n'
    '  {"pnx": {"control": {"recordid": ["r1"]}, "display": {"title": ["Karriereveiledning for '
    'nyankomne: \\"æøå\\" og äö"]}}} ,\n'
    '  {"pnx":{"control":{"recordid":["r2"]},"display":{"title":["Sj\\u00e6l"]}}}\n ],'
    ' "timelog": {} }'
)


def test_primo_hit_keeps_its_doc_text_exactly_as_the_engine_sent_it() -> None:
    page = parse_primo_page(SYNTHETIC_ANSWER.encode("utf-8"))
    first, second = page.hits
    assert first["raw_json"] == (
        '{"pnx": {"control": {"recordid": ["r1"]}, "display": {"title": ["Karriereveiledning for '
        'nyankomne: \\"æøå\\" og äö"]}}}'
    )
    assert first["title"] == 'Karriereveiledning for nyankomne: "æøå" og äö'
    assert second["raw_json"] == (
        '{"pnx":{"control":{"recordid":["r2"]},"display":{"title":["Sj\\u00e6l"]}}}'
    )
    assert second["title"] == "Sjæl"
    assert second["raw"]["pnx"]["display"]["title"] == ["Sjæl"]


def test_primo_page_that_is_not_an_answer_is_a_page_error_naming_the_place() -> None:
    with pytest.raises(PageError, match=r"line 1, column 13"):
        parse_primo_page(b'{"docs": [1,]}')
    with pytest.raises(PageError, match=r"doc 0 has no pnx\.control\.recordid"):
        parse_primo_page(b'{"docs": [1]}')
    with pytest.raises(PageError, match="no 'docs' list"):
        parse_primo_page(b'{"docs": {"pnx": {}}}')


def test_primo_ve_answer_with_nordic_and_slavic_letters_and_doi_from_identifiers() -> None:
    page = parse_primo_page((PRIMO / "davzavada_dawmain__search-cdi-article.json").read_bytes())
    assert page.total == 10789
    (article,) = page.hits
    assert article["title"] == "Kako je Lemkinovo tumačenje genocida postalo instrument politike?"
    assert article["authors"] == [{"family": "Ćujić", "given": "Miodrag"}]
    assert article["doi"] == "10.18485/iipe_mp.2025.76.1194.1"
    assert article["container"] == "Međunarodna politika"
    assert article["language"] == "srp"
    assert article["year"] == 2025
    assert article["abstract"].startswith("The aim of the paper is to review the shortcomings")


def test_primo_zero_hits_and_a_truncated_page() -> None:
    empty = parse_primo_page((PRIMO / "davzavada_dawmain__search-empty.json").read_bytes())
    assert (empty.total, empty.hits) == (0, [])
    body = OTTER.read_bytes()
    with pytest.raises(PageError, match="not valid JSON"):
        parse_primo_page(body[: len(body) // 2])


def test_primo_request_carries_years_language_peer_review_and_thesis_filters() -> None:
    query = parse_qs(
        primo_params(
            terms=["career guidance", "refugee"],
            language_code="eng",
            year_from=2016,
            year_to=2022,
            peer_reviewed_only=True,
            exclude_theses=True,
            offset=100,
            limit=50,
            vid="INST:VIEW",
            inst="INST",
            tab="default_tab",
            scope="default_scope",
        )
    )
    assert query["q"] == ['any,contains,"career guidance",AND;any,contains,refugee']
    assert query["qInclude"] == [
        "facet_searchcreationdate,exact,[2016 TO 2022]|,|facet_lang,exact,eng"
        "|,|facet_tlevel,exact,peer_reviewed"
    ]
    assert query["qExclude"] == ["facet_rtype,exact,dissertations"]
    assert (query["offset"], query["limit"], query["vid"]) == (["100"], ["50"], ["INST:VIEW"])


def test_scholar_current_layout_fields_of_named_results() -> None:
    html = (SCHOLAR / "selkind_GeoMap__scholar_search_results.html").read_text("utf-8")
    page = parse_scholar_page(html)
    assert page.blocked is None
    assert page.total == 30
    assert len(page.hits) == 10
    hits = by_key(page.hits)
    first = hits["4qAC3XBmStsJ"]
    assert first["title"] == "Geology of the Olympus Range Area, Southern Victoria Land"
    assert first["raw"]["markers"] == ["CITATION"]
    assert first["url"] is None  # a [CITATION] has no link
    assert first["year"] == 1996
    assert first["raw"]["cited_by"] == 4
    assert [a["family"] for a in first["authors"]] == ["Isaac", "Chinn", "Edbrooke", "Forsyth"]
    plutonic = hits["cXeT3ShOpHEJ"]
    assert plutonic["title"].startswith("Plutonic rocks from the Cape Roberts hinterland")
    assert plutonic["raw"]["markers"] == ["PDF"]
    assert plutonic["raw"]["versions"] == 3
    assert plutonic["raw"]["cited_by"] == 6
    assert plutonic["raw"]["cluster_id"] == "8188755959889491825"
    assert plutonic["container"] == "Terra Antartica"
    assert plutonic["year"] == 2002
    assert plutonic["authors"][1] == {"family": "Mortimer", "given": "N"}
    assert plutonic["abstract"].startswith("Previous geological mapping of the inland Dry Valleys")
    assert plutonic["raw"]["full_text"][0]["kind"] == "PDF"
    crust = hits["TVE33_MDk5YJ"]
    assert crust["authors"][-1] == {"family": "Leitner", "given": "B"}  # 'B Leitner…' cut
    assert crust["raw"]["full_text"] == [
        {"kind": "HTML", "url": "https://academic.oup.com/gji/article/155/3/870/631318"}
    ]


def test_scholar_2016_layout() -> None:
    html = (SCHOLAR / "sotetsuk_goscholar__parse_test_case1.html").read_text("utf-8")
    (bengio,) = parse_scholar_page(html).hits
    assert bengio["hit_key"] == "pYyS8T9g_kkJ"  # from the Cite link; no data-cid in 2016
    assert bengio["title"] == "Learning deep architectures for AI"
    assert bengio["authors"] == [{"family": "Bengio", "given": "Y"}]
    assert bengio["container"] == "Foundations and trends® in Machine Learning"
    assert bengio["year"] == 2009
    assert bengio["raw"]["cited_by"] == 2441
    assert bengio["raw"]["versions"] == 58
    assert bengio["url"] == "http://dl.acm.org/citation.cfm?id=1658424"


def test_scholar_captcha_page_is_a_block_not_an_empty_result() -> None:
    html = (SCHOLAR / "selkind_GeoMap__scholar_search_results2_captcha.html").read_text("utf-8")
    page = parse_scholar_page(html)
    assert page.blocked is not None and "CAPTCHA" in page.blocked
    assert page.hits == []


@pytest.mark.parametrize(
    ("text", "total"),
    [
        ("About 30 results (0.03 sec)", 30),
        ("Page 2 of about 79.800 results (0,05 sec)", 79800),
        ("About 1,230,000 results", 1230000),
        ("1 result", 1),
        ("Omtrent 2 340 resultater (0,04 sek)", 2340),  # a Norwegian interface
    ],
)
def test_scholar_results_total(text: str, total: int | None) -> None:
    assert parse_results_total(text) == total
