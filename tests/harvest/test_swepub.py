"""The real ``evidensbase harvest --engine swepub`` against a local server replaying Xsearch JSON.

No SwePub answer was recorded anywhere we could find: the recording is SYNTHETIC,
tests/data/harvest/synthetic_swepub_xsearch.json, written to the shape the KTH-Library/XsearchLIBRIS
client documents (see harvest/parse/swepub.py). These tests prove the spider's crawl, paging and
faults, and the parser on that documented shape, not that real SwePub answers look like it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from db.build import build_database
from tests.harvest.conftest import DATA

SYNTHETIC = DATA / "synthetic_swepub_xsearch.json"
SEARCH = "swepub-sv-open-nyanländ"  # beyond the report: karriärvägledning AND nyanländ


def harvest_args(db: Path, url: str, *extra: str) -> list[str]:
    return ["harvest", "--db", str(db), "--engine", "swepub", "--search", SEARCH,
            "--base-url", url, "--delay", "0", *extra]  # fmt: skip


def test_records_of_the_documented_shape_are_stored_with_their_fields(
    built_db: Path, open_replay, cli, sql, get_hit
) -> None:
    server = open_replay("swepub", SYNTHETIC)
    done = cli(*harvest_args(built_db, server.url))
    assert done.returncode == 0, done.stderr
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert (run["status"], run["pages_fetched"], run["hits_fetched"]) == ("complete", 1, 3)
    assert run["reported_total"] == 3
    one = get_hit(built_db, "swepub:oai:synthetic.example:1")
    assert one["title"] == "Synthetic record one: karriärvägledning för nyanlända"
    assert one["authors"] == [
        {"family": "Exempelsson", "given": "Anna"},
        {"family": "Prov", "given": "Bertil"},
    ]
    assert (one["year"], one["type"], one["language"]) == (2019, "report", "sv")
    assert (one["publisher"], one["isbn"]) == ("Synthetic Institute", "9789100000001")
    assert one["url"] == "http://swepub.kb.se/bib/swepub:oai:synthetic.example:1"
    assert one["peer_reviewed"] is None
    two = get_hit(built_db, "swepub:oai:synthetic.example:2")
    assert two["authors"] == [{"family": "Testare", "given": "Cecilia"}]  # one name as a string
    assert (two["type"], two["language"], two["container"]) == (
        "journal_article",
        "en",
        "Synthetic Journal of Guidance",
    )
    three = get_hit(built_db, "swepub:oai:synthetic.example:3")
    assert (three["type"], three["year"]) == ("book_chapter", 2017)
    (sent,) = [p for p in server.config.requests if p.startswith("/xsearch")]
    query = parse_qs(urlparse(sent).query)
    assert query["query"] == ["karriärvägledning AND nyanländ AND SPR:swe"]
    assert (query["database"], query["format"]) == (["swepub"], ["json"])
    assert (query["start"], query["n"]) == (["1"], ["200"])


@pytest.mark.parametrize(
    ("fault", "status", "says"),
    [
        ("html", "partial", "an HTML page"),
        ("shape", "partial", "no 'xsearch' object"),
        ("truncate", "partial", "not valid JSON"),
        ("too_many", "blocked", "HTTP 429"),
    ],
)
def test_a_bad_second_page_ends_the_run_not_complete_with_the_first_kept(
    tmp_path: Path, open_replay, cli, sql, fault: str, status: str, says: str
) -> None:
    db = tmp_path / "run.db"
    build_database(db)
    # 450 records, 200 a page (start=1, 201, 401); the page at start=201 is bad
    server = open_replay("swepub", SYNTHETIC, total=450, faults={1: fault})
    cli(*harvest_args(db, server.url))
    (run,) = sql(db, "SELECT * FROM search_runs")
    assert run["status"] == status and says in run["error"], run
    assert "start=201" in run["error"]
    # partial: the pages before and after the bad one (200 + 50). A block stops the run asking:
    # the page after it may already be on its way (the spider asks for pages by offset) and is
    # kept when it comes; the blocked page itself is never stored.
    if status == "partial":
        assert (run["hits_fetched"], run["pages_fetched"]) == (250, 2)
    else:
        assert (run["hits_fetched"], run["pages_fetched"]) in ((200, 1), (250, 2))
    stored = {p["page_key"] for p in sql(db, "SELECT page_key FROM run_pages")}
    assert "swe:0" in stored and stored <= {"swe:0", "swe:400"}, stored  # start=201: offset 200
