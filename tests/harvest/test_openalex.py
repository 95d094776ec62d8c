"""The real ``evidensbase harvest --engine openalex`` against a local server replaying OpenAlex.

Recording (../shared/fixtures/open/SOURCE.md, openalex/): anapaulagomes_peneira__works.json, the
complete body of a real ``GET https://api.openalex.org/works`` search answer (May 2024; 49 works,
no next_cursor). With ``total=N`` the replay server pages it by cursor, as OpenAlex does.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from db.build import build_database
from tests.harvest.conftest import OPEN

WORKS = OPEN / "openalex" / "anapaulagomes_peneira__works.json"
SEARCH = "openalex-en-nordic-refugee"  # beyond the report: "career guidance" AND refugee
KEY = "test-openalex-key-0001"  # a made-up key: the replay server checks nothing


def harvest_args(db: Path, url: str, *extra: str) -> list[str]:
    return ["harvest", "--db", str(db), "--engine", "openalex", "--search", SEARCH, "--base-url",
            url, "--delay", "0", "--contact", "review@example.org", *extra]  # fmt: skip


def test_works_are_stored_with_their_fields_and_credentials_stay_out_of_what_is_kept(
    built_db: Path, open_replay, cli, sql, get_hit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENALEX_API_KEY", KEY)
    server = open_replay("openalex", WORKS)
    done = cli(*harvest_args(built_db, server.url))
    assert done.returncode == 0, done.stderr
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert (run["status"], run["pages_fetched"], run["hits_fetched"]) == ("complete", 1, 49)
    assert run["reported_total"] == 49 and run["error"] is None
    liss = get_hit(built_db, "W2068311567")
    assert liss["title"].startswith("Redefining climate regions in the United States of America")
    assert liss["authors"][:2] == [
        {"family": "Liss", "given": "Alexander"},
        {"family": "Koch", "given": "Magaly"},
    ]
    assert (liss["year"], liss["type"], liss["language"]) == (2014, "journal_article", "en")
    assert (liss["container"], liss["publisher"]) == ("Geospatial Health", "PAGEPress (Italy)")
    assert (liss["doi"], liss["isbn"]) == ("10.4081/gh.2014.294", None)
    assert liss["abstract"].startswith("Existing climate classification has not been designed")
    assert liss["peer_reviewed"] is None  # OpenAlex does not say
    chapter = get_hit(built_db, "W4290839785")
    assert (chapter["title"], chapter["type"], chapter["year"]) == (
        "Machine learning and public health",
        "book_chapter",
        2022,
    )
    assert (chapter["container"], chapter["publisher"]) == ("Routledge eBooks", "Informa")
    assert chapter["doi"] == "10.4324/9781315675411-16"
    assert get_hit(built_db, "W4365441044")["type"] == "other"  # a preprint
    # the "NULL AUTHOR_ID" placeholder is not a person
    assert all("NULL" not in str(a) for a in get_hit(built_db, "W4206064211")["authors"])

    (sent,) = [p for p in server.config.requests if p.startswith("/works")]
    query = parse_qs(urlparse(sent).query)
    assert query["search"] == ['"career guidance" AND refugee']
    assert query["filter"] == [
        "institutions.country_code:no|se|dk|fi,publication_year:2016-2022,language:en"
    ]
    assert (query["cursor"], query["per-page"]) == (["*"], ["200"])
    assert (query["mailto"], query["api_key"]) == (["review@example.org"], [KEY])
    stored = [r["url"] for r in sql(built_db, "SELECT url FROM run_pages")]
    assert stored and all("api_key" not in u and "mailto" not in u for u in stored)

    # A new key (or none) still finds the answers in the cache: credentials are not its key.
    monkeypatch.setenv("OPENALEX_API_KEY", "another-key")
    before = len(server.config.requests)
    again = cli(*harvest_args(built_db, server.url, "--offline"))
    assert again.returncode == 0, again.stderr
    assert len(server.config.requests) == before
    assert sql(built_db, "SELECT count(*) AS n FROM hits")[0]["n"] == 49


def test_cursor_paging_walks_every_page_and_a_rerun_resumes_after_a_fault(
    built_db: Path, open_replay, cli, sql
) -> None:
    # 450 works, 200 a page: cursors *, page-1, page-2; the second page fails (HTTP 500)
    server = open_replay("openalex", WORKS, total=450, faults={1: "fail"})
    cli(*harvest_args(built_db, server.url))
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert run["status"] == "partial" and "HTTP 500" in run["error"]
    assert (run["pages_fetched"], run["hits_fetched"]) == (1, 200)  # no cursor past the fault
    server.config.faults.clear()
    rerun = cli(*harvest_args(built_db, server.url))
    assert rerun.returncode == 0, rerun.stderr
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert (run["status"], run["pages_fetched"], run["hits_fetched"]) == ("complete", 3, 450)
    cursors = [parse_qs(urlparse(p).query)["cursor"][0] for p in server.config.requests
               if p.startswith("/works")]  # fmt: skip
    # first run: *, page-1 (tried twice); the rerun: page-1, page-2 (* came from the cache)
    assert cursors == ["*", "page-1", "page-1", "page-1", "page-2"]
    keys = {r["hit_key"] for r in sql(built_db, "SELECT hit_key FROM hits")}
    assert len(keys) == 450


@pytest.mark.parametrize(
    ("fault", "status", "says"),
    [
        ("truncate", "partial", "not valid JSON"),
        ("html", "partial", "an HTML page"),
        ("shape", "partial", "no 'meta' object and 'results' list"),
        ("too_many", "blocked", "HTTP 429"),
    ],
)
def test_a_bad_second_page_ends_the_run_not_complete_with_the_first_kept(
    tmp_path: Path,
    open_replay,
    cli,
    sql,
    fault: str,
    status: str,
    says: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENALEX_API_KEY", KEY)
    db = tmp_path / "run.db"
    build_database(db)
    server = open_replay("openalex", WORKS, total=450, faults={1: fault})
    cli(*harvest_args(db, server.url))
    (run,) = sql(db, "SELECT * FROM search_runs")
    assert run["status"] == status and says in run["error"], run
    assert "cursor=page-1" in run["error"]
    assert KEY not in run["error"] and "mailto" not in run["error"]
    assert (run["pages_fetched"], run["hits_fetched"]) == (1, 200)
