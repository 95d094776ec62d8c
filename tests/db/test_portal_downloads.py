"""Downloads from the portal: the exports package's bytes, every selected work, text as data."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from db.portal import make_datasette
from evidensbase.cli import main

EXTENSIONS = {"ris": "ris", "bib": "bib", "csljson": "csljson", "csv": "csv"}


def fetch(datasette: Any, *paths: str) -> list[Any]:
    async def run() -> list[Any]:
        await datasette.invoke_startup()
        return [await datasette.client.get(path) for path in paths]

    return asyncio.run(run())


def cli_export(db: Path, fmt: str, sql: str, tmp_path: Path) -> bytes:
    out = tmp_path / f"cli.{fmt}"
    args = ["export", "--db", str(db), "-f", fmt, "--sql", sql, "-o", str(out)]
    if fmt == "csv":
        args.append("--excel")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out.read_bytes()


@pytest.mark.parametrize("fmt", ["ris", "bib", "csljson", "csv"])
def test_a_download_has_the_bytes_of_evidensbase_export(
    built_db: Path, tmp_path: Path, fmt: str
) -> None:
    datasette = make_datasette(built_db, immutable=True)
    whole, filtered = fetch(
        datasette, f"/evidensbase/corpus.{fmt}", f"/evidensbase/corpus.{fmt}?year__gte=2020"
    )
    assert whole.status_code == 200 and filtered.status_code == 200
    assert whole.content == cli_export(built_db, fmt, "SELECT id FROM corpus", tmp_path)
    assert filtered.content == cli_export(
        built_db, fmt, "SELECT id FROM corpus WHERE year >= 2020", tmp_path
    )
    assert whole.headers["x-works"] == "24"
    assert 0 < int(filtered.headers["x-works"]) < 24


def test_the_csv_is_excel_friendly_with_plain_cells(built_db: Path) -> None:
    (response,) = fetch(make_datasette(built_db), "/evidensbase/corpus.csv?_dl=1")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffcitation_key;key;")
    rows = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
    assert len(rows) == 24
    assert not any(cell.startswith("[") for row in rows for cell in row.values())
    stendal = next(r for r in rows if r["key"] == "stendal2019")
    assert stendal["countries"] == "Norway; Sweden; Denmark; Finland"
    assert "attachment" in response.headers["content-disposition"]
    # Datasette's own CSV stays one parameter away.
    (raw,) = fetch(make_datasette(built_db), "/evidensbase/corpus.csv?_raw=1")
    assert raw.status_code == 200 and raw.text.startswith("id,key,")


def test_a_full_download_is_not_cut_at_max_returned_rows(built_db: Path) -> None:
    datasette = make_datasette(built_db, settings={"max_returned_rows": 5})
    page, ris, sized = fetch(
        datasette,
        "/evidensbase/corpus.json?_size=max",
        "/evidensbase/corpus.ris",
        "/evidensbase/corpus.ris?_size=3",
    )
    assert len(page.json()["rows"]) == 5
    assert ris.text.count("ER  -") == 24
    assert sized.text.count("ER  -") == 24


def test_one_work_and_a_key_list_as_a_gap_map_cell_links_them(built_db: Path) -> None:
    one, cell = fetch(
        make_datasette(built_db),
        "/evidensbase/corpus.ris?key__exact=thomsen2016",
        "/evidensbase/corpus.bib?key__in=thomsen2016,abkhezr2017",
    )
    assert one.text.count("ER  -") == 1 and "Thomsen" in one.text
    assert cell.text.count("\n@") + cell.text.startswith("@") == 2


def test_a_page_that_is_not_a_list_of_works_is_refused_not_rendered(built_db: Path) -> None:
    (yield_ris,) = fetch(make_datasette(built_db), "/evidensbase/search_yield.ris")
    assert yield_ris.status_code == 400
    assert "<html" not in yield_ris.text.lower()


FIELDS = ("title", "abstract", "container", "publisher")
HOSTILE = '<script>alert("x")</script> & Co'


def poison(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        for column in FIELDS:
            conn.execute(f"UPDATE works SET {column} = ? WHERE key = 'thomsen2016'", [HOSTILE])
        conn.execute("UPDATE works SET notes = ? WHERE key = 'thomsen2016'", [HOSTILE])
        conn.execute(
            "UPDATE summaries SET topic = ?, method = ?, findings = ? "
            "WHERE work_id = (SELECT id FROM works WHERE key = 'thomsen2016')",
            [HOSTILE, HOSTILE, HOSTILE],
        )
        authors = [{"family": "<b>Thomsen</b> & Co", "given": "R."}]
        conn.execute(
            "UPDATE works SET authors = ?, authors_display = ? WHERE key = 'thomsen2016'",
            [json.dumps(authors), "<b>Thomsen</b> & Co, R."],
        )


@pytest.mark.parametrize("fmt", ["ris", "bib", "csljson", "csv"])
def test_text_fields_are_data_in_every_download(built_db: Path, fmt: str) -> None:
    poison(built_db)
    (response,) = fetch(make_datasette(built_db), f"/evidensbase/corpus.{fmt}?key=thomsen2016")
    assert response.status_code == 200
    assert not response.headers["content-type"].startswith("text/html")
    body = response.text
    if fmt == "csljson":
        (item,) = json.loads(body)
        assert item["title"] == HOSTILE  # kept as text; no markup added or interpreted
    else:
        assert "<script>" in body or "\\textless" in body or "{<}script" in body, body[:400]
    assert "&amp;" not in body  # never HTML-escaped twice or turned into markup


def test_the_feed_and_sitemap_escape_text(built_db: Path) -> None:
    poison(built_db)
    from xml.etree import ElementTree

    feed, sitemap = fetch(make_datasette(built_db), "/feed.atom", "/sitemap.xml")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(feed.content)  # well-formed XML
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.text or "" for e in root.findall("a:entry/a:title", ns)]
    assert len(titles) == 24
    assert any(t.startswith(HOSTILE) for t in titles)
    assert "<script>" not in feed.text
    assert all(e.find("a:id", ns) is not None for e in root.findall("a:entry", ns))
    assert root.find("a:updated", ns) is not None
    urls = ElementTree.fromstring(sitemap.content)
    locs = [e.text for e in urls.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "http://localhost/works/thomsen2016" in locs and len(locs) >= 26


@pytest.mark.parametrize("fmt", ["ris", "csv"])
def test_portal_works_with_a_theme_and_a_search_downloads_those_works(
    built_db: Path, tmp_path: Path, fmt: str
) -> None:
    themed, one = fetch(
        make_datasette(built_db, immutable=True),
        f"/evidensbase/portal_works.{fmt}?themes__arraycontains=power_relations",
        f"/evidensbase/portal_works.{fmt}?key__exact=thomsen2016",
    )
    assert themed.status_code == 200, themed.text[:300]
    sql = (
        "SELECT id FROM portal_works WHERE EXISTS "
        "(SELECT 1 FROM json_each(themes) WHERE value = 'power_relations')"
    )
    assert themed.content == cli_export(built_db, fmt, sql, tmp_path)
    assert int(themed.headers["x-works"]) >= 3
    assert one.content == cli_export(
        built_db, fmt, "SELECT id FROM works WHERE key = 'thomsen2016'", tmp_path
    )


def test_an_immutable_file_serves_the_same_download_again_from_the_cache(built_db: Path) -> None:
    datasette = make_datasette(built_db, immutable=True)
    path = "/evidensbase/portal_works.ris?year__gte=2019"
    first, again, other = fetch(datasette, path, path, "/evidensbase/portal_works.ris?year=2016")
    assert first.status_code == again.status_code == other.status_code == 200
    assert first.content == again.content and first.headers["x-works"] == again.headers["x-works"]
    assert other.content != first.content
