"""The public site shows only what is public; bad input gets a 4xx, never a 500 or a traceback."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from db.portal import make_datasette

SECRET_NAME = "Kari Hemmeligsen"
SECRET_NOTE = "SECRET-NOTE-7731"
SECRET_RAW = "RAW-JSON-SECRET-4410"
RAW_TABLES = (
    "hits", "decisions", "hit_pairs", "hit_links", "quality", "search_runs", "codes",
    "works", "works_fts", "work_sources", "summaries", "run_pages", "work_status",
)  # fmt: skip


def fetch(datasette: Any, *paths: str, method: str = "GET") -> list[Any]:
    async def run() -> list[Any]:
        await datasette.invoke_startup()
        out = []
        for path in paths:
            if method == "GET":
                out.append(await datasette.client.get(path))
            else:
                out.append(await datasette.client.request(method, path, data={"a": "b"}))
        return out

    return asyncio.run(run())


@pytest.fixture
def secret_db(built_db: Path) -> Path:
    with sqlite3.connect(built_db) as conn:
        conn.execute("UPDATE works SET notes = ? WHERE key = 'thomsen2016'", [SECRET_NOTE])
        work_id = conn.execute("SELECT id FROM works WHERE key = 'thomsen2016'").fetchone()[0]
        conn.execute(
            "INSERT INTO decisions (work_id, stage, decision, reviewer, actor, note, decided_at) "
            "VALUES (?, 1, 'include', ?, 'person', ?, '2022-01-01')",
            [work_id, SECRET_NAME, SECRET_NOTE],
        )
        conn.execute(
            "INSERT INTO quality (work_id, reviewer, criterion, rating, note, rated_at) "
            "VALUES (?, ?, 'q1', 'yes', ?, '2022-01-01')",
            [work_id, SECRET_NAME, SECRET_NOTE],
        )
        run = conn.execute("SELECT id FROM search_runs LIMIT 1").fetchone()
        if run:
            conn.execute(
                "INSERT INTO hits (run_id, engine, hit_key, raw, fetched_at, title) "
                "VALUES (?, 'oria', 'x1', ?, '2022', 't')",
                [run[0], SECRET_RAW],
            )
    return built_db


PUBLIC_PAGES = (
    "/", "/evidensbase", "/evidensbase.json", "/evidensbase/corpus",
    "/evidensbase/corpus.json?_size=max", "/evidensbase/corpus?key=thomsen2016",
    "/evidensbase/corpus.json?_facet=type&_facet=year", "/evidensbase/flow",
    "/evidensbase/search_yield", "/evidensbase/labels.json", "/feed.atom", "/sitemap.xml",
    "/robots.txt", "/-/metadata.json", "/-/databases.json", "/-/plugins.json",
    "/evidensbase/corpus.ris", "/evidensbase/corpus.bib", "/evidensbase/corpus.csljson",
    "/evidensbase/corpus.csv", "/evidensbase/corpus.csv?_raw=1",
)  # fmt: skip


def test_no_public_page_shows_names_notes_raw_json_or_sql(secret_db: Path) -> None:
    responses = fetch(make_datasette(secret_db, immutable=True), *PUBLIC_PAGES)
    for path, response in zip(PUBLIC_PAGES, responses, strict=True):
        assert response.status_code == 200, (path, response.text[:300])
        # Until the corpus view drops them, the public site asks for it without its internal
        # columns (links carry _nocol=); the columns themselves must not appear.
        text = re.sub(
            r'_nocol(=|" value=")(notes|report_lines)', "", response.text.replace("&amp;", "&")
        )
        for secret in (SECRET_NAME, SECRET_NOTE, SECRET_RAW):
            assert secret not in text, (path, secret)
        if path != "/-/metadata.json":  # which names the hidden columns in its plugin settings
            assert "report_lines" not in text, path
        assert not re.search(r"CREATE (VIEW|TABLE)", text, re.IGNORECASE), path
        assert "json_group_array" not in text, path


def test_the_reviewers_local_site_still_shows_everything(secret_db: Path) -> None:
    (decisions,) = fetch(make_datasette(secret_db, public=False), "/evidensbase/decisions.json")
    assert decisions.status_code == 200 and SECRET_NAME in decisions.text


@pytest.mark.parametrize("table", RAW_TABLES)
def test_raw_tables_are_not_reachable(secret_db: Path, table: str) -> None:
    datasette = make_datasette(secret_db, immutable=True)
    paths = [f"/evidensbase/{table}", f"/evidensbase/{table}.json", f"/evidensbase/{table}.csv",
             f"/evidensbase/{table}.ris", f"/evidensbase/{table}/1"]  # fmt: skip
    for path, response in zip(paths, fetch(datasette, *paths), strict=True):
        assert response.status_code in (403, 404), (path, response.status_code)
        assert SECRET_NAME not in response.text and SECRET_RAW not in response.text


def test_arbitrary_sql_and_the_file_download_are_off(secret_db: Path) -> None:
    paths = [
        "/evidensbase?sql=select+reviewer+from+decisions",
        "/evidensbase.json?sql=select+raw+from+hits",
        "/evidensbase/corpus.json?_where=1=1",
        "/evidensbase.db",
    ]
    for path, response in zip(paths, fetch(make_datasette(secret_db), *paths), strict=True):
        assert response.status_code in (400, 403, 404), (path, response.status_code)
        assert SECRET_NAME not in response.text


def test_internal_corpus_columns_can_be_neither_shown_nor_filtered(secret_db: Path) -> None:
    paths = [
        f"/evidensbase/corpus.json?notes__contains={SECRET_NOTE[:6]}",
        "/evidensbase/corpus.json?_col=notes",
        "/evidensbase/corpus.json?_sort=notes",
        "/evidensbase/corpus.json?_facet=report_lines",
        "/evidensbase/corpus.json?_search_notes=SECRET",
    ]
    # The corpus view has no internal columns any more: a filter on one filters nothing (Datasette
    # ignores a filter on a column it does not have), the rest are refused; none shows a note.
    for path, response in zip(paths, fetch(make_datasette(secret_db), *paths), strict=True):
        expected = (200, 400) if "notes__contains" in path else (400,)
        assert response.status_code in expected, (path, response.status_code)
        assert SECRET_NOTE not in response.text
    (page,) = fetch(make_datasette(secret_db), "/evidensbase/corpus.json?_shape=objects")
    assert not {"notes", "report_lines"} & set(page.json()["rows"][0])


LONG_IDS = ",".join(str(i) for i in range(1, 2600))  # about 10 KB, as in the issue
BAD_INPUT = (
    "/evidensbase/corpus?unknown_parameter=1",
    "/evidensbase/corpus.json?_size=100000000",
    "/evidensbase/corpus.json?_size=-1",
    "/evidensbase/corpus.json?_size=abc",
    f"/evidensbase/corpus.json?id__in={LONG_IDS}",
    f"/evidensbase/corpus.ris?id__in={LONG_IDS}",
    "/evidensbase/corpus.json?_facet=no_such_column",
    "/evidensbase/corpus.json?_facet=themes&themes__arraycontains=%5B%22",
    "/evidensbase/corpus.json?year=not-a-year&_facet=year",
    "/evidensbase/corpus.json?_facet_size=abc",
    "/evidensbase/corpus.json?_sort=no_such_column",
    "/evidensbase/corpus.json?_sort_desc=%27%3B+drop+table+works",
    "/evidensbase/corpus.json?_next=zzz",
    "/evidensbase/corpus.json?_timelimit=abc",
    "/evidensbase/corpus.json?_shape=nonsense",
    "/evidensbase/corpus.json?_search=%22",
    "/evidensbase/corpus.json?year__nonsense=1",
    "/evidensbase/corpus.ris?_labels_lang=xx",
    "/evidensbase/corpus.json?%ff%fe=1",
    "/evidensbase/no_such_table.ris",
    "/works/%00",
)


def test_bad_input_gets_a_4xx_or_a_bounded_answer_never_a_500(secret_db: Path) -> None:
    responses = fetch(make_datasette(secret_db, immutable=True), *BAD_INPUT)
    for path, response in zip(BAD_INPUT, responses, strict=True):
        assert response.status_code < 500, (path, response.status_code, response.text[:300])
        assert "Traceback" not in response.text, path
        if response.status_code == 200:
            assert len(response.content) < 2_000_000, path
    statuses = dict(zip(BAD_INPUT, (r.status_code for r in responses), strict=True))
    assert statuses[f"/evidensbase/corpus.json?id__in={LONG_IDS}"] == 414
    assert statuses["/evidensbase/corpus.json?_size=100000000"] == 400


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_writes_are_refused(secret_db: Path, method: str) -> None:
    paths = ["/evidensbase/corpus", "/evidensbase/corpus/-/insert", "/-/messages", "/"]
    for path, response in zip(
        paths, fetch(make_datasette(secret_db), *paths, method=method), strict=True
    ):
        assert response.status_code == 405, (method, path, response.status_code)
        assert response.headers["allow"] == "GET, HEAD"


def test_every_query_has_a_short_time_limit(secret_db: Path) -> None:
    datasette = make_datasette(secret_db)
    assert datasette.setting("sql_time_limit_ms") <= 1000
    assert datasette.setting("facet_time_limit_ms") <= 200
    assert datasette.setting("default_allow_sql") is False
    assert datasette.setting("allow_download") is False
    assert datasette.setting("suggest_facets") is False


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_off_query_strings(
    secret_db: Path,
) -> None:
    (robots,) = fetch(make_datasette(secret_db), "/robots.txt")
    lines = robots.text.splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /*?" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines
