"""The portal's pages for readers, through Datasette's own test client on a real built database."""

from __future__ import annotations

import asyncio
import html
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from db.portal import make_datasette
from db.portal.i18n import COOKIE
from db.portal.plugins.pages import highlight, parse_query
from db.portal.precompute import fold, refresh_portal


@pytest.fixture
def portal(built_db: Path) -> Any:
    return make_datasette(built_db, immutable=True)


def fetch(datasette: Any, *paths: str, cookies: dict[str, str] | None = None) -> list[Any]:
    async def run() -> list[Any]:
        await datasette.invoke_startup()
        return [await datasette.client.get(p, cookies=cookies) for p in paths]

    return asyncio.run(run())


def page(datasette: Any, path: str, status: int = 200, **kwargs: Any) -> str:
    (response,) = fetch(datasette, path, **kwargs)
    assert response.status_code == status, (path, response.status_code, response.text[:500])
    return str(response.text)


def visible(markup: str) -> str:
    """What a person reads: the text without tags, entities resolved, blanks collapsed."""
    markup = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", markup, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def keys_on(markup: str) -> list[str]:
    return re.findall(r'<h3><a href="/works/([^"]+)"', markup)


def test_landing_page_tells_what_the_review_asks_with_flow_yield_and_entry_points(
    portal: Any,
) -> None:
    nb = page(portal, "/")
    assert '<html lang="nb">' in nb
    text = visible(nb)
    assert "Hva vet nordisk forskning om karriereveiledning" in text
    assert "24 inkluderte bidrag (2016–2022)" in text
    # PRISMA flow as the report gives it, and Table 3.1's total row.
    for label, n in (("Unike treff", 385), ("tittel og sammendrag", 88), ("fulltekst", 37)):
        assert re.search(rf"{label}.*?Rapporten: {n}", text), label
    assert "Totalt Oria/Google Scholar" not in text and "Totalt" in text
    assert re.search(r"Totalt\s+385 88 37 24", text)
    # Entry points link to clean code values, labelled in Norwegian.
    assert 'href="/works?theme=power_relations"' in nb
    assert "Maktrelasjoner" in text and "Power relations" not in text
    assert 'href="/works?country=NO"' in nb and 'href="/works?year=2019"' in nb
    assert '<label for="q">Søk i bidragene</label>' in nb
    assert "Slik siterer du databasen" in text and "CC BY 4.0" in text
    assert "evidensbase. (2023). Karriereveiledning for nyankomne" in text  # the latest decision
    # Charts are SVG with a text alternative that names every figure.
    assert re.search(r'<svg class="chart"[^>]*role="img"[^>]*aria-labelledby=', nb)
    assert re.search(r"<desc [^>]*>Bidrag etter gruppe i rapporten: Norske rapporter 9;", nb)
    en = page(portal, "/?lang=en")
    assert '<html lang="en">' in en
    text = visible(en)
    assert "What does Nordic research know about career guidance" in text
    assert "Power relations" in text and "Maktrelasjoner" not in text
    assert "How to cite the database" in text


def test_the_language_switch_is_remembered_in_a_cookie(portal: Any) -> None:
    (response,) = fetch(portal, "/lang/en?next=/works%3Ftheme%3Dother")
    assert response.status_code == 302
    assert response.headers["location"] == "/works?theme=other"
    assert f"{COOKIE}=en" in response.headers["set-cookie"]
    english = page(portal, "/works", cookies={COOKIE: "en"})
    assert '<html lang="en">' in english and "All works" in english
    assert 'href="/lang/nb?next=%2Fworks"' in english and ">Norsk</a>" in english
    # Datasette's own pages get the same chrome in the chosen language.
    table = page(portal, "/evidensbase/corpus", cookies={COOKIE: "en"})
    assert '<html lang="en">' in table and "Skip to content" in table
    (away,) = fetch(portal, "/lang/nb?next=https://evil.example/")
    assert away.headers["location"] == "/"


def test_the_list_shows_cards_and_facets_with_clean_values(portal: Any) -> None:
    markup = page(portal, "/works")
    text = visible(markup)
    assert "24 bidrag" in text
    assert len(keys_on(markup)) == 24
    card = markup[markup.index('href="/works/axelsson2022"') :]
    card = visible(card[: card.index("</li>")])
    assert "Axelsson" in card and "2022" in card and "Rapport" in card
    assert 'href="/works?theme=individual_group"' in markup
    assert "Norge / Norway" not in text and "[]" not in text
    filtered = page(portal, "/works?group=norwegian_report")
    assert "9 bidrag" in visible(filtered) and len(keys_on(filtered)) == 9
    assert 'aria-current="true"' in filtered
    # Facet counts within the filter: the nine Norwegian reports by language.
    assert re.search(r">Norsk \(bokmål\)</a> <span class=\"count\">\d+</span>", filtered)
    both = page(portal, "/works?group=norwegian_report&method=qualitative")
    n = int(re.search(r"(\d+) bidrag", visible(both)).group(1))  # type: ignore[union-attr]
    assert 0 < n < 9 and len(keys_on(both)) == n


def test_search_ignores_nordic_letters_and_highlights_matches(portal: Any) -> None:
    for q in ("Soholt", "Søholt", "soholt"):
        markup = page(portal, f"/works?q={q}")
        assert set(keys_on(markup)) == {"soholt2020a", "soholt2020b"}, q
        assert "<mark>Søholt</mark>" in markup
    for q in ("vagledning", "vägledning"):
        markup = page(portal, f"/works?q={q}")
        assert keys_on(markup) == ["axelsson2022"], q
        assert "<mark>vägledning</mark>" in markup
    group = page(portal, "/works?q=gruppe&lang=en")
    assert len(keys_on(group)) >= 5 and "11 works for “gruppe”" in visible(group)
    assert re.search(r"<mark>gruppe</mark>", group, re.IGNORECASE)


def test_a_lone_quote_or_fts_syntax_gets_a_helpful_message_not_an_error(portal: Any) -> None:
    for q in ("%22", "%22%22", "*", "AND", "NEAR(", "a+OR"):
        markup = page(portal, f"/works?q={q}")
        assert "Invalid SQL" not in markup and "fts5" not in markup
    assert "bare tegn det ikke kan søkes på" in visible(page(portal, "/works?q=%22"))
    assert "minst tre tegn" in visible(page(portal, "/works?q=ab"))
    unbalanced = page(portal, "/works?q=%22narrativ")
    assert "anførselstegn uten partner" in visible(unbalanced)
    assert set(keys_on(unbalanced)) == {"abkhezr2017", "abkhezr2018", "udayar2021"}


def test_the_download_links_of_a_filtered_list_give_those_works(portal: Any) -> None:
    markup = page(portal, "/works?group=norwegian_report&q=veiledning")
    shown = set(keys_on(markup))
    link = re.search(r'href="(/evidensbase/portal_works\.ris\?[^"]+)"', markup)
    assert link, "no RIS link on the list"
    (ris,) = fetch(portal, html.unescape(link.group(1)))
    assert ris.status_code == 200
    assert ris.text.count("TY  - ") == len(shown) > 0


def test_a_work_page_has_reference_summary_codes_quality_and_trail(portal: Any) -> None:
    markup = page(portal, "/works/thomsen2016")
    text = visible(markup)
    assert "Thomsen" in text and "(2016)" in text  # the APA reference
    assert "Tema og formål" in text and "Funn" in text
    assert '<dl class="summary" lang="nb">' in markup
    assert "Rapportens gruppe" not in text and "Norske rapporter" in text
    assert "rapportens forfattere" in text  # the corpus decisions' actor, as a role
    assert "Ikke fagfellevurdert" in text
    assert "akseptabel kvalitet i trinn 2 (av rapportens forfattere)" in text
    assert 'href="https://bibsys-almaprimo.hosted.exlibrisgroup.com/discovery/search' in markup
    assert 'href="/evidensbase/portal_works.ris?key__exact=thomsen2016"' in markup
    assert "Beslektede bidrag" in text and markup.count('href="/works/') > 1
    english = visible(page(portal, "/works/thomsen2016?lang=en"))
    assert "Topic and aim" in english and "report authors" in english
    (ris,) = fetch(portal, "/evidensbase/portal_works.ris?key__exact=thomsen2016")
    assert ris.text.count("TY  - ") == 1
    assert "Fant ikke bidraget" in visible(page(portal, "/works/nope", status=404))


def test_the_work_page_shows_quality_ratings_and_the_rule_without_names(built_db: Path) -> None:
    with sqlite3.connect(built_db) as conn:
        work_id = conn.execute("SELECT id FROM works WHERE key = 'thomsen2016'").fetchone()[0]
        for criterion, rating in (
            ("validity", "yes"), ("reliability", "yes"), ("generalisation_evidence", "partly"),
            ("clear_question", "yes"), ("specified_method", "yes"),
            ("findings_answer_question", "partly"),
        ):  # fmt: skip
            conn.execute(
                "INSERT INTO quality (work_id, reviewer, criterion, rating, rated_at) "
                "VALUES (?, 'Kari Nordmann', ?, ?, '2026-01-01')",
                [work_id, criterion, rating],
            )
    text = visible(page(make_datasette(built_db), "/works/thomsen2016"))
    assert "Oppfyller regelen for akseptabel kvalitet" in text
    assert "Minst 4 av 6 poeng" in text and "Klart formulert forskningsspørsmål" in text
    assert "Kari" not in text and "Nordmann" not in text


def test_the_gap_map_counts_works_per_cell_and_labels_the_gaps(portal: Any) -> None:
    markup = page(portal, "/gap-map")
    assert "Kunnskapskart" in visible(markup)
    cells = re.findall(r'<a href="(/works\?theme=[^"]+)" aria-label="[^"]+">(\d+)</a>', markup)
    assert cells
    for href, n in cells[:6]:
        assert len(keys_on(page(portal, html.unescape(href)))) == int(n)
    # No work of the corpus is quantitative: that whole column is gaps.
    assert re.search(r'aria-label="Ingen bidrag: [^"]+ og Kvantitativ"', markup)
    assert visible(markup).count("hull") >= 6
    for axis, column in (
        ("country", "Norge"),
        ("refugees_interviewed", "Ikke oppgitt"),
        ("group", "Norske rapporter"),
    ):
        assert f">{column}</th>" in page(portal, f"/gap-map?axis={axis}"), axis


def test_precompute_is_idempotent_and_folds_nordic_letters(built_db: Path) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(built_db)
    assert refresh_portal(db) == {}
    assert fold("Kjærgård Søholt Vägledning") == "Kjaergard Soholt Vagledning"
    assert fold("Kjærgård", aa=True) == "Kjaergaard"
    assert parse_query('"narrative career" Soholt') == (["narrative career", "soholt"], [])
    assert str(highlight("<b>Søholt & co</b>", ["soholt"])) == (
        "&lt;b&gt;<mark>Søholt</mark> &amp; co&lt;/b&gt;"
    )


XSS = "<script>alert(1)</script> & Co"
TEXT_FIELDS = ("title", "authors_display", "abstract", "notes", "publisher", "container")


def test_every_text_field_is_shown_escaped_on_every_page(built_db: Path) -> None:
    import sqlite_utils

    with sqlite3.connect(built_db) as conn:
        sets = ", ".join(f"{f} = ? || {f}" for f in TEXT_FIELDS)
        conn.execute(
            f"UPDATE works SET {sets}, authors = ? WHERE key = 'thomsen2016'",
            [XSS] * len(TEXT_FIELDS) + ['[{"family": "<script>alert(1)</script> & Co"}]'],
        )
        conn.execute(
            "UPDATE summaries SET topic = ? || topic, method = ? || method, "
            "findings = ? || findings WHERE work_id = (SELECT id FROM works "
            "WHERE key = 'thomsen2016')",
            [XSS, XSS, XSS],
        )
        conn.execute(
            "UPDATE labels SET nb = ? || nb, en = ? || en WHERE vocabulary = 'theme'", [XSS, XSS]
        )
    db = sqlite_utils.Database(built_db)
    with db.conn:
        refresh_portal(db)
    db.close()
    datasette = make_datasette(built_db)
    paths = [
        "/", "/?lang=en", "/works", "/works?q=thomsen", "/works?q=script", "/works/thomsen2016",
        "/works/thomsen2016?lang=en", "/gap-map", "/works?group=norwegian_report&q=thomsen",
        "/works?q=%3Cscript%3E", "/works/%3Cscript%3E",
    ]  # fmt: skip
    for path in paths:
        (response,) = fetch(datasette, path)
        assert response.status_code in (200, 404), path
        assert "<script>alert(1)" not in response.text, path
        assert "<script>alert" not in response.text and "<script></" not in response.text
        if "%3C" not in path:  # the pages of the changed work
            assert "&lt;script&gt;alert(1)" in response.text, path
            assert "& Co" not in response.text, path
        else:  # a typed "<script>" is shown back as text
            assert "&lt;script&gt;" in response.text, path


def test_the_screening_trail_names_roles_never_people_or_notes(built_db: Path) -> None:
    with sqlite3.connect(built_db) as conn:
        work_id = conn.execute("SELECT id FROM works WHERE key = 'thomsen2016'").fetchone()[0]
        conn.execute(
            "INSERT INTO decisions (work_id, stage, decision, criterion, reviewer, actor, note, "
            "decided_at, role) VALUES (?, 3, 'include', NULL, 'Ola Nordmann', 'person', "
            "'a private note', '2026-02-01', 'resolve')",
            [work_id],
        )
    markup = page(make_datasette(built_db), "/works/thomsen2016?lang=en")
    trail = visible(markup[markup.index('id="trail-h"') :])
    assert "reviewer (resolved a disagreement)" in trail and "2026-02-01" in trail
    assert "Ola" not in markup and "Nordmann" not in markup and "private note" not in markup


def test_a_big_narrowed_list_says_more_than_and_still_pages(
    portal: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datasette.plugins import pm

    # The cap is 1000 works; a cap of 3 makes the 24-work corpus take the same path. Datasette
    # loads plugins_dir modules by file, so the setting is changed on the module it loaded.
    (loaded,) = [
        p for p in pm.get_plugins() if str(getattr(p, "__file__", "")).endswith("pages.py")
    ]
    monkeypatch.setattr(loaded, "COUNT_CAP", 3)
    markup = page(portal, "/works?q=veiledning&group=norwegian_report")
    assert "3+ bidrag for «veiledning»" in visible(markup)
    assert 1 <= len(keys_on(markup)) <= 25
    facets = markup[markup.index('id="facets-h"') : markup.index('id="results-h"')]
    assert 'class="count"' not in facets and "Kvalitativ" in facets
