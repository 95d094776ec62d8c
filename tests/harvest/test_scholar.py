"""The real ``evidensbase harvest --engine scholar --pages DIR`` over saved pages (file://)."""

from __future__ import annotations

import json
from pathlib import Path

SCHOLAR = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "scholar"
RESULTS = SCHOLAR / "selkind_GeoMap__scholar_search_results.html"
CAPTCHA = SCHOLAR / "selkind_GeoMap__scholar_search_results2_captcha.html"
OLD_LAYOUT = SCHOLAR / "sotetsuk_goscholar__parse_test_case1.html"


def saved_pages(directory: Path, *pages: Path) -> Path:
    """A directory of saved pages in this order (symlinks to the read-only recordings)."""
    directory.mkdir()
    for number, page in enumerate(pages, start=1):
        (directory / f"page{number}.html").symlink_to(page)
    return directory


def latin1_copy(tmp_path: Path) -> Path:
    """The 2016 page as saved in ISO-8859-1: re-encoded, charset declared (a derived file)."""
    html = OLD_LAYOUT.read_text("utf-8").replace("charset=UTF-8", "charset=ISO-8859-1")
    path = tmp_path / "old_layout_latin1.html"
    path.write_bytes(html.encode("iso-8859-1", errors="xmlcharrefreplace"))
    return path


def test_saved_pages_store_every_result_with_its_fields(
    tmp_path: Path, built_db: Path, cli, sql, get_hit
) -> None:
    # page 1 declares ISO-8859-1 but is saved as UTF-8; page 2 is really ISO-8859-1
    latin1 = latin1_copy(tmp_path)
    assert b"trends\xae in" in latin1.read_bytes()
    pages = saved_pages(tmp_path / "saved", RESULTS, latin1)
    done = cli(
        "harvest", "--db", str(built_db), "--engine", "scholar", "--pages", str(pages),
        "--query", "Geology of the Olympus Range area",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert (run["engine"], run["status"]) == ("scholar", "complete")
    assert (run["pages_fetched"], run["hits_fetched"]) == (2, 11)
    assert run["reported_total"] == 30  # 'About 30 results'; the 2016 page states none
    assert run["source"] == str(pages.resolve())
    assert run["query"] == "Geology of the Olympus Range area"
    plutonic = get_hit(built_db, "cXeT3ShOpHEJ")
    assert plutonic["title"] == (
        "Plutonic rocks from the Cape Roberts hinterland: Wilson piedmont glacier, "
        "southern Victoria land, Antarctica"
    )
    assert plutonic["authors"] == [
        {"family": "Forsyth", "given": "PJ"},
        {"family": "Mortimer", "given": "N"},
        {"family": "Turnbull", "given": "IM"},
    ]
    assert (plutonic["year"], plutonic["container"], plutonic["rank"]) == (
        2002,
        "Terra Antartica",
        2,
    )
    raw = json.loads(plutonic["raw"])
    assert (raw["cited_by"], raw["versions"], raw["markers"]) == (6, 3, ["PDF"])
    assert raw["cluster_id"] == "8188755959889491825"
    bengio = get_hit(built_db, "pYyS8T9g_kkJ")
    assert bengio["container"] == "Foundations and trends® in Machine Learning"
    assert bengio["rank"] == 11  # first result of the second saved page
    citation = get_hit(built_db, "4qAC3XBmStsJ")
    assert json.loads(citation["raw"])["markers"] == ["CITATION"]


def test_block_page_ends_the_run_blocked_and_keeps_what_came_before(
    tmp_path: Path, built_db: Path, cli, sql
) -> None:
    pages = saved_pages(tmp_path / "saved", RESULTS, CAPTCHA, OLD_LAYOUT)
    result = cli("harvest", "--db", str(built_db), "--engine", "scholar", "--pages", str(pages))
    assert result.returncode == 4  # blocked
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert run["status"] == "blocked"
    assert "CAPTCHA" in run["error"] and "page2.html" in run["error"]
    assert "CAPTCHA" in result.stderr
    assert (run["pages_fetched"], run["hits_fetched"]) == (1, 10)  # page 3 is never read
    assert sql(built_db, "SELECT count(*) AS n FROM hits WHERE hit_key = 'pYyS8T9g_kkJ'") == [
        {"n": 0}
    ]


def test_live_scholar_is_refused_with_the_reason_and_the_way_out(built_db: Path, cli, sql) -> None:
    result = cli("harvest", "--db", str(built_db), "--engine", "scholar")
    assert result.returncode != 0
    assert "robots.txt disallows" in result.stderr
    assert "--pages DIR" in result.stderr and "--format pop-csv" in result.stderr
    assert sql(built_db, "SELECT count(*) AS n FROM search_runs") == [{"n": 0}]
