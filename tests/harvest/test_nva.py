"""The real ``evidensbase harvest --engine nva`` against a local server replaying NVA answers.

Recordings (../shared/fixtures/open/SOURCE.md, nva/): BIBSYSDEV_nva-search-api__bibtex_* are real
answers of ``GET https://api.nva.unit.no/search/resources`` from Sikt's own search service tests:
``report_research`` (3 research reports, totalHits 127049), ``academic_article`` (9 journal
articles, all of them), ``academic_monograph`` (3 monographs, totalHits 11209).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

from tests.harvest.conftest import OPEN

NVA = OPEN / "nva"
REPORTS = NVA / "BIBSYSDEV_nva-search-api__bibtex_report_research.json"
ARTICLES = NVA / "BIBSYSDEV_nva-search-api__bibtex_academic_article.json"
MONOGRAPHS = NVA / "BIBSYSDEV_nva-search-api__bibtex_academic_monograph.json"
SEARCH = "nva-nb-reports-innvandrere"  # beyond the report: karriereveiledning AND innvandrere


def harvest_args(db: Path, url: str, *extra: str) -> list[str]:
    return ["harvest", "--db", str(db), "--engine", "nva", "--search", SEARCH,
            "--base-url", url, "--delay", "0", *extra]  # fmt: skip


def test_research_reports_are_stored_with_their_fields_and_an_offline_rerun_adds_nothing(
    built_db: Path, open_replay, cli, sql, get_hit
) -> None:
    server = open_replay("nva", REPORTS)
    done = cli(*harvest_args(built_db, server.url, "--max-pages", "1"))
    assert done.returncode == 0, done.stderr
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert (run["status"], run["pages_fetched"], run["hits_fetched"]) == ("complete", 1, 3)
    assert run["reported_total"] == 127049
    assert run["engine"] == "nva" and run["source"] == server.url
    assert "stopped at --max-pages 1 of 100 pages" in run["error"]
    assert "no deeper than 10000" in run["error"]
    xylella = get_hit(built_db, "019dfd4c35f5-0ceb0ced-8bff-4bbb-9c9a-003dfce50746")
    assert xylella["title"] == "Overvåkings- og kartleggingsprogram for Xylella fastidiosa 2025"
    assert xylella["authors"] == [
        {"family": "Umu", "given": "Özgün Candan Onarman"},
        {"family": "Akselsen", "given": "Inger-Lise"},
        {"family": "Alvin", "given": "Carl-Henrik Lensjø"},
    ]
    assert (xylella["year"], xylella["type"], xylella["language"]) == (2026, "report", "nb")
    assert (xylella["publisher"], xylella["container"]) == ("NIBIO", "NIBIO Rapport")
    assert (xylella["isbn"], xylella["issn"]) == ("9788217040064", "2464-1162")
    assert xylella["doi"] == "10.21350/3zt2-b261"
    assert xylella["peer_reviewed"] == 0
    assert xylella["abstract"].startswith("Xylella fastidiosa er en alvorlig planteskadegjører")
    borge = get_hit(built_db, "019df2f0e971-fe3e4601-7302-4487-a8de-414cf4c1cef7")
    assert borge["publisher"] == "Kulturhistorisk museum, Universitetet i Oslo, Arkeologisk seksjon"
    assert (borge["isbn"], borge["doi"]) == (None, None)
    (sent,) = [p for p in server.config.requests if p.startswith("/resources")]
    query = parse_qs(urlparse(sent).query)
    assert query["query"] == ["karriereveiledning,innvandrere"]
    assert query["instanceType"] == ["ReportResearch,ReportPolicy,ReportWorkingPaper"]
    assert query["publicationLanguage"] == [
        "http://lexvo.org/id/iso639-3/nob,http://lexvo.org/id/iso639-3/nno"
    ]
    assert (query["publicationYearSince"], query["publicationYearBefore"]) == (["2016"], ["2023"])
    assert (query["from"], query["size"]) == (["0"], ["100"])

    before = len(server.config.requests)
    again = cli(*harvest_args(built_db, server.url, "--max-pages", "1", "--offline"))
    assert again.returncode == 0, again.stderr
    assert "(replay)" in again.stdout
    assert len(server.config.requests) == before  # the cache alone
    assert sql(built_db, "SELECT count(*) AS n FROM hits")[0]["n"] == 3


def test_journal_articles_and_monographs_keep_journal_doi_isbn_and_publisher(
    built_db: Path, open_replay, cli, sql, get_hit
) -> None:
    articles = open_replay("nva", ARTICLES)
    done = cli(*harvest_args(built_db, articles.url))
    assert done.returncode == 0, done.stderr
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    # all 9 on one page: nothing more is asked for
    assert (run["status"], run["pages_fetched"], run["hits_fetched"]) == ("complete", 1, 9)
    assert run["reported_total"] == 9 and run["error"] is None
    rieker = get_hit(built_db, "0198cc4beaac-4540aa56-5021-4251-aaa5-83492e8c071a")
    assert rieker["title"] == "Differentiated Defence Integration Under French Leadership"
    assert rieker["authors"] == [{"family": "Rieker", "given": "Pernille"}]
    assert (rieker["year"], rieker["type"], rieker["language"]) == (2021, "journal_article", "en")
    assert rieker["container"] == "European Foreign Affairs Review"
    assert (rieker["doi"], rieker["issn"]) == ("10.54648/EERR2021029", "1384-6299")
    assert rieker["peer_reviewed"] == 1

    monographs = open_replay("nva", MONOGRAPHS)
    cli(*harvest_args(built_db, monographs.url, "--max-pages", "1"))
    funerals = get_hit(built_db, "019df73c7610-8c85cd9d-bae0-49ea-8847-114c762ff7d0")
    assert funerals["title"] == "Death and Funeral Practices in Norway"
    assert funerals["authors"] == [{"family": "Fjell", "given": "Tove Ingebjørg"}]
    assert (funerals["year"], funerals["type"], funerals["publisher"]) == (
        2026,
        "book",
        "Routledge",
    )
    assert (funerals["isbn"], funerals["doi"]) == ("9781032431253", "10.4324/9781003367505")
    # an anthology without creators: its editors stand as its names
    egypt = get_hit(built_db, "019a0bcd763f-848d9a91-6267-453d-b11d-12e56548982b")
    assert [a["family"] for a in egypt["authors"]] == ["Mainieri", "Pirelli"]


def test_a_server_error_ends_partial_and_the_rerun_completes_to_the_clean_hits(
    built_db: Path, open_replay, cli, sql
) -> None:
    # 3 pages of 100 (250 distinct records); the page from=100 fails (HTTP 500, retried once)
    server = open_replay("nva", REPORTS, total=250, faults={1: "fail"})
    first = cli(*harvest_args(built_db, server.url))
    assert first.returncode == 3, first.stderr  # partial: run the same command again
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert run["status"] == "partial"
    assert "HTTP 500" in run["error"] and "from=100" in run["error"]
    assert (run["pages_fetched"], run["hits_fetched"]) == (2, 150)
    server.config.faults.clear()
    second = cli(*harvest_args(built_db, server.url))
    assert "(resume)" in second.stdout
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert (run["status"], run["pages_fetched"], run["hits_fetched"]) == ("complete", 3, 250)
    keys = {r["hit_key"] for r in sql(built_db, "SELECT hit_key FROM hits")}
    assert len(keys) == 250
    assert sorted(r["rank"] for r in sql(built_db, "SELECT rank FROM hits")) == list(range(1, 251))


def test_truncated_html_and_unexpected_pages_end_partial_keeping_what_was_stored(
    tmp_path: Path, open_replay, cli, sql
) -> None:
    from db.build import build_database

    for fault, says in (
        ("truncate", "not valid JSON"),
        ("html", "an HTML page"),
        ("shape", "no 'hits' list"),
    ):
        db = tmp_path / f"{fault}.db"
        build_database(db)
        server = open_replay("nva", REPORTS, total=250, faults={1: fault})
        cli(*harvest_args(db, server.url))
        (run,) = sql(db, "SELECT * FROM search_runs")
        assert run["status"] == "partial", (fault, run)
        assert says in run["error"] and "from=100" in run["error"], (fault, run["error"])
        assert (run["pages_fetched"], run["hits_fetched"]) == (2, 150), fault


def test_http_429_ends_the_run_blocked_without_retrying(
    built_db: Path, open_replay, cli, sql
) -> None:
    server = open_replay("nva", REPORTS, total=250, faults={1: "too_many"})
    result = cli(*harvest_args(built_db, server.url))
    assert result.returncode == 4  # blocked (harvest.crawl.EXIT_STATUS)
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert run["status"] == "blocked" and "HTTP 429" in run["error"]
    assert len([p for p in server.config.requests if "from=100&" in p]) == 1  # never retried
    # the first page is kept and the blocked one never stored; the page after it may already have
    # been on its way when the block was seen (pages are asked by offset), and is kept if it came
    stored = {p["page_key"] for p in sql(built_db, "SELECT page_key FROM run_pages")}
    assert "any:0" in stored and stored <= {"any:0", "any:200"}, stored
    assert run["hits_fetched"] in (100, 150)
