"""The real ``evidensbase harvest --engine oria`` against a local server replaying Primo answers."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from db.build import build_database

ROOT = Path(__file__).resolve().parents[2]
OTTER = (
    ROOT.parent
    / "shared"
    / "fixtures"
    / "primo"
    / "tulibraries_tul_cob__articles_search_response.json"
)
NB_SEARCH = "oria-nb-innvandrere"  # Norwegian: one request stream each for nor, nob and nno
EN_SEARCH = "oria-en-career-guidance-refugee"  # English: eng only, peer reviewed, no theses


def harvest_args(db: Path, url: str, search: str, *extra: str) -> list[str]:
    return ["harvest", "--db", str(db), "--engine", "oria", "--search", search,
            "--base-url", url, "--delay", "0", *extra]  # fmt: skip


def test_replayed_answer_is_stored_with_a_complete_run_and_offline_rerun_adds_nothing(
    built_db: Path, replay, cli, sql, get_hit
) -> None:
    server = replay(OTTER)
    done = cli(*harvest_args(built_db, server.url, NB_SEARCH, "--max-pages", "1"))
    assert done.returncode == 0, done.stderr
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert run["status"] == "complete"
    assert run["search_id"] == NB_SEARCH
    assert run["source"] == server.url
    assert run["pages_fetched"] == 3  # offset 0 for nor, nob and nno
    # each language answers the same 10 records: stored once per run
    assert run["hits_fetched"] == 10
    assert run["reported_total"] == 3 * 63881
    assert run["finished_at"] is not None
    assert "stopped at --max-pages 1" in run["error"]
    plos = get_hit(built_db, "cdi_plos_journals_2325296025")
    assert plos["run_id"] == run["id"]
    assert plos["engine"] == "oria"
    assert plos["doi"] == "10.1371/journal.pone.0226253"
    assert plos["authors"][0] == {"family": "Kumari", "given": "Priyanka"}
    assert plos["year"] == 2019
    assert plos["peer_reviewed"] == 1
    assert plos["work_id"] is None  # dedupe makes works, not the harvest
    assert plos["url"] == (
        f"{server.url}/discovery/fulldisplay?docid=cdi_plos_journals_2325296025"
        "&vid=47BIBSYS_NETWORK%3Adefault"
    )
    assert json.loads(plos["raw"])["pnx"]["addata"]["doi"] == ["10.1371/journal.pone.0226253"]
    # the doc's own text in the answer, byte for byte (the recording is served unchanged)
    assert plos["raw"].startswith('{"pnx":{"sort":{"author":["Kumari, Priyanka ; Dong, Ke ;')
    assert plos["raw"].encode("utf-8") in OTTER.read_bytes()
    sent = [p for p in server.config.requests if p.startswith("/primaws")]
    assert len(sent) == 3
    assert any("facet_lang%2Cexact%2Cnob" in p for p in sent)
    assert all("any%2Ccontains%2Ckarriereveiledning%2CAND%3Bany%2Ccontains%2Cinnvandrere" in p
               for p in sent)  # fmt: skip

    before = len(server.config.requests)
    again = cli(*harvest_args(built_db, server.url, NB_SEARCH, "--max-pages", "1", "--offline"))
    assert again.returncode == 0, again.stderr
    assert len(server.config.requests) == before  # served from the cache alone
    assert sql(built_db, "SELECT count(*) AS n FROM hits")[0]["n"] == 10
    assert sql(built_db, "SELECT count(*) AS n FROM search_runs")[0]["n"] == 1
    assert sql(built_db, "SELECT status FROM search_runs")[0]["status"] == "complete"
    assert "(replay)" in again.stdout


def test_offline_without_a_cache_says_which_requests_it_lacks(
    built_db: Path, replay, cli, sql
) -> None:
    server = replay(OTTER)
    result = cli(*harvest_args(built_db, server.url, EN_SEARCH, "--max-pages", "1", "--offline"))
    assert [p for p in server.config.requests if p.startswith("/primaws")] == []
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert run["status"] == "failed"
    assert "not in the offline cache" in run["error"]
    assert f"{server.url}/primaws/rest/pub/pnxs?q=" in result.stderr


def test_guest_token_is_fetched_only_when_the_endpoint_asks_for_it(
    built_db: Path, replay, cli, sql
) -> None:
    server = replay(OTTER, require_token=True)
    done = cli(*harvest_args(built_db, server.url, EN_SEARCH, "--max-pages", "1"))
    assert done.returncode == 0, done.stderr
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert (run["status"], run["hits_fetched"]) == ("complete", 10)
    paths = [p.split("?")[0] for p in server.config.requests if not p.startswith("/robots")]
    assert paths == [
        "/primaws/rest/pub/pnxs",  # tried without a token: 401
        "/primaws/rest/pub/institution/47BIBSYS_NETWORK/guestJwt",
        "/primaws/rest/pub/pnxs",
    ]


def test_server_error_ends_partial_and_the_rerun_resumes_without_duplicates(
    built_db: Path, replay, cli, sql
) -> None:
    # 5 pages of 50 (250 distinct records); the page at offset 100 fails (HTTP 500, retried once)
    server = replay(OTTER, total=250, fail_offsets={100})
    first = cli(*harvest_args(built_db, server.url, EN_SEARCH))
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert run["status"] == "partial", first.stderr
    assert "HTTP 500" in run["error"] and "offset=100" in run["error"]
    assert (run["pages_fetched"], run["hits_fetched"]) == (4, 200)
    server.config.fail_offsets.clear()
    second = cli(*harvest_args(built_db, server.url, EN_SEARCH))
    assert second.returncode == 0, second.stderr
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert (run["status"], run["pages_fetched"], run["hits_fetched"]) == ("complete", 5, 250)
    assert run["reported_total"] == 250
    assert run["error"] is None
    keys = sql(built_db, "SELECT count(DISTINCT hit_key) AS n, count(*) AS m FROM hits")[0]
    assert keys == {"n": 250, "m": 250}
    ranks = [r["rank"] for r in sql(built_db, "SELECT rank FROM hits ORDER BY rank")]
    assert ranks == list(range(1, 251))


def test_truncated_page_ends_partial_with_its_url(built_db: Path, replay, cli, sql) -> None:
    server = replay(OTTER, total=150, truncate_offsets={50})
    cli(*harvest_args(built_db, server.url, EN_SEARCH))
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert run["status"] == "partial"
    assert "offset=50" in run["error"] and "not valid JSON" in run["error"]
    assert (run["pages_fetched"], run["hits_fetched"]) == (2, 100)


def test_http_429_ends_the_run_blocked_without_retrying(built_db: Path, replay, cli, sql) -> None:
    server = replay(OTTER, total=500, too_many_offsets={50})
    result = cli(*harvest_args(built_db, server.url, EN_SEARCH))
    assert result.returncode == 4  # blocked
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert run["status"] == "blocked"
    assert "HTTP 429" in run["error"]
    asked = [p for p in server.config.requests if "offset=50&" in p]
    assert len(asked) == 1  # never retried
    assert run["hits_fetched"] == 50  # the first page is kept


def _count(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=5)
    try:
        return conn.execute("SELECT count(*) FROM run_pages").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def test_killed_harvest_resumes_to_the_same_hits_as_a_clean_run(
    tmp_path: Path, built_db: Path, replay, cli, sql
) -> None:
    clean_db = tmp_path / "clean.db"
    build_database(clean_db)
    pages = 8
    clean_server = replay(OTTER, total=pages * 50)
    clean = cli(*harvest_args(clean_db, clean_server.url, EN_SEARCH))
    assert clean.returncode == 0, clean.stderr
    clean_keys = {r["hit_key"] for r in sql(clean_db, "SELECT hit_key FROM hits")}
    assert len(clean_keys) == pages * 50

    # A slow server, so the kill lands mid-run: after at least 2 of the 8 pages are stored.
    server = replay(OTTER, total=pages * 50, delay=0.4)
    args = harvest_args(built_db, server.url, EN_SEARCH)
    process = subprocess.Popen(
        [sys.executable, "-m", "evidensbase", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Generous: on a loaded machine Scrapy alone can take many seconds to start.
    deadline = time.monotonic() + 120
    while _count(built_db) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    (killed,) = sql(built_db, "SELECT * FROM search_runs")
    assert killed["status"] == "running", killed  # nothing marked it: the process died
    assert 2 <= killed["pages_fetched"] < pages, killed
    # whole pages only: every stored page holds its 50 hits
    assert killed["hits_fetched"] == killed["pages_fetched"] * 50

    server.config.delay = 0
    rerun = cli(*harvest_args(built_db, server.url, EN_SEARCH))
    assert rerun.returncode == 0, rerun.stderr
    assert "(resume)" in rerun.stdout
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert (run["status"], run["pages_fetched"]) == ("complete", pages)
    keys = [r["hit_key"] for r in sql(built_db, "SELECT hit_key FROM hits")]
    assert len(keys) == len(set(keys)) == len(clean_keys)
    assert set(keys) == clean_keys
