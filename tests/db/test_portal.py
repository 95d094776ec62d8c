"""The Datasette portal, through Datasette's own test client on a real built database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from db.portal import make_datasette


@pytest.fixture
def portal(built_db: Path) -> Any:
    return make_datasette(built_db)


def get(datasette: Any, path: str) -> Any:
    async def fetch() -> Any:
        await datasette.invoke_startup()
        return await datasette.client.get(path)

    response = asyncio.run(fetch())
    assert response.status_code == 200, (path, response.text[:500])
    return response


def test_corpus_json_lists_the_24_works(portal: Any) -> None:
    data = get(portal, "/evidensbase/corpus.json?_shape=objects&_size=max").json()
    assert len(data["rows"]) == 24
    first = next(r for r in data["rows"] if r["key"] == "abkhezr2017")
    assert first["first_author"] == "Abkhezr"
    assert first["year"] == 2017
    assert first["published_in"] == "International Journal for the Advancement of Counselling"
    assert first["report_group"] == "Fagfellevurderte artikler / Peer-reviewed articles"


def test_facets_show_the_three_groups_of_the_report(portal: Any) -> None:
    data = get(portal, "/evidensbase/corpus.json?_size=0").json()
    facets = data["facet_results"]
    assert {
        "year",
        "language",
        "countries",
        "report_group",
        "type",
        "method",
        "themes",
        "peer_reviewed",
    } <= set(facets)
    groups = {v["value"]: v["count"] for v in facets["report_group"]["results"]}
    assert groups == {
        "Norske rapporter / Norwegian reports": 9,
        "Svenske og danske rapporter / Swedish and Danish reports": 6,
        "Fagfellevurderte artikler / Peer-reviewed articles": 9,
    }
    themes = {v["value"]: v["count"] for v in facets["themes"]["results"]}
    # Section 3.3 cites Kekki 2022, Udayar et al. 2021 and Lillevik et al. 2020
    # under power relations.
    assert themes["Maktrelasjoner / Power relations"] >= 3


def test_full_text_search_finds_narrative_career_counselling(portal: Any) -> None:
    data = get(portal, "/evidensbase/corpus.json?_search=narrativ&_shape=objects").json()
    keys = {r["key"] for r in data["rows"]}
    # Vedlegg 1 and section 3.3 name three works on narrative counselling.
    assert keys == {"abkhezr2017", "abkhezr2018", "udayar2021"}


def test_search_matches_inside_nordic_compounds_and_authors(portal: Any) -> None:
    data = get(portal, "/evidensbase/corpus.json?_search=Hatlem&_shape=objects").json()
    assert [r["key"] for r in data["rows"]] == ["thomsen2016"]
    data = get(portal, "/evidensbase/corpus.json?_search=samveiledning&_shape=objects").json()
    assert "kjaergard2019" in {r["key"] for r in data["rows"]}


def test_search_yield_page_shows_table_3_1(portal: Any) -> None:
    data = get(portal, "/evidensbase/search_yield.json?_shape=array").json()
    assert [(r["hits"], r["after_stage1"], r["after_stage2"], r["included"]) for r in data] == [
        (190, 31, 12, 9),
        (112, 22, 6, 3),
        (15, 6, 2, 2),
        (68, 29, 17, 10),
        (385, 88, 37, 24),
    ]


def test_metadata_is_in_norwegian_and_english_with_source_and_licence(portal: Any) -> None:
    html = get(portal, "/").text
    assert '<html lang="nb">' in html
    assert "Karriereveiledning for nyankomne flyktninger og innvandrere" in html
    assert "Fafo-rapport 2023:08" in html
    assert "CC BY 4.0" in html
    english = get(portal, "/?lang=en").text
    assert '<html lang="en">' in english
    assert "Career guidance for newly arrived refugees and immigrants" in english
    assert "CC BY 4.0" in english
    page = get(portal, "/evidensbase/corpus").text
    assert "Korpus: inkluderte bidrag / Corpus: included works" in page


def test_decisions_show_work_titles_not_raw_ids(built_db: Path) -> None:
    # The reviewers' local site: decisions are not on the public one.
    page = get(
        make_datasette(built_db, public=False), "/evidensbase/decisions?work_id__exact=1"
    ).text
    assert "Karriereveiledning for nyankomne innvandrere" in page


def test_lists_are_shown_as_text_not_json(portal: Any) -> None:
    page = get(portal, "/evidensbase/corpus?key__exact=stendal2019").text
    assert "Norge / Norway; Sverige / Sweden; Danmark / Denmark; Finland / Finland" in page
    assert "[&#34;Danmark" not in page and '["Danmark' not in page
