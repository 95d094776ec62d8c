"""A 1,000-page Oria crawl from a local replay server, delays off: pages per second end to end, and
what the pipeline into SQLite costs per page.

Three configurations, each a fresh database and cache, each run in its own process (Scrapy's
reactor starts once per process), alternated over ``--rounds``; medians reported:
- ``full``: the real harvest (HTTP cache on, pipeline into SQLite, Scrapy job state for resume,
  robots.txt), as a user runs it;
- ``no-pipeline``: the same crawl with ITEM_PIPELINES off — the peer: Scrapy, our spider and parser;
- ``no-cache``: the real pipeline, HTTP cache off;
- ``fs-cache``: the real pipeline, Scrapy's filesystem cache storage instead of ours
  (harvest.httpcache, one SQLite file), as the harvest had it before;
- ``dbm-cache``: the real pipeline, Scrapy's DBM cache storage instead of ours (on this
  interpreter ``dbm`` is ``dbm.dumb``: no gdbm/ndbm module is built);
- ``minimal-scrapy``: the peer floor, a ten-line Scrapy spider on the same server with the same
  concurrency (4 requests, 1 per host, no delay), no robots.txt, cache, job state or pipeline,
  that only ``json.loads`` each page and yields one item: what Scrapy itself costs here.
Also timed in-process: ``db.provenance.store_page`` alone for the same 1,000 pages.
Each crawl reports wall seconds and the CPU seconds of its process (the machine may be shared:
CPU per page is the steadier figure).

    .venv/bin/python bench/harvest_crawl.py [--pages 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from db import open_db, provenance
from db.build import build_database
from harvest.parse.primo import parse_primo_page
from harvest.replay import ReplayConfig, ReplayServer

ROOT = Path(__file__).resolve().parents[1]
OTTER = ROOT.parent / "shared/fixtures/primo/tulibraries_tul_cob__articles_search_response.json"
SEARCH = "oria-en-career-guidance-refugee"
PAGE = 10  # the recording's own page size; --page-size 50 is what the spider asks Oria for

CHILD = """
import json, resource, sys, time
from pathlib import Path
from harvest.crawl import HarvestOptions, harvest
db, url, pages, overrides = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
start, cpu = time.perf_counter(), time.process_time()
[(plan, run)] = harvest(db, HarvestOptions(engine="oria", search_ids=(sys.argv[5],), base_url=url,
                                           max_pages=pages, delay=0, overrides=overrides))
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
                  "status": run["status"], "pages": run["pages_fetched"],
                  "hits": run["hits_fetched"]}))
"""

PEER = """
import json, sys, time
import scrapy
from scrapy.crawler import CrawlerProcess
url, pages, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fetched = []
def page(offset):
    return scrapy.Request(f"{url}/primaws/rest/pub/pnxs?offset={offset}&limit={size}",
                          dont_filter=True, cb_kwargs={"offset": offset})
class Minimal(scrapy.Spider):
    name = "minimal"
    async def start(self):
        yield page(0)
    def parse(self, response, offset):
        docs = json.loads(response.body)["docs"]
        fetched.append(offset)
        if offset == 0:
            for number in range(1, pages):
                yield page(number * size)
        yield {"offset": offset, "docs": len(docs)}
process = CrawlerProcess({"LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS": 4,
                          "CONCURRENT_REQUESTS_PER_DOMAIN": 1, "DOWNLOAD_DELAY": 0,
                          "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False})
start, cpu = time.perf_counter(), time.process_time()
process.crawl(Minimal)
process.start()
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
                  "pages": len(fetched)}))
"""

CONFIGS = {
    "full": {"LOG_LEVEL": "ERROR"},
    "no-pipeline": {"LOG_LEVEL": "ERROR", "ITEM_PIPELINES": {}},
    "no-cache": {"LOG_LEVEL": "ERROR", "HTTPCACHE_ENABLED": False},
    "fs-cache": {
        "LOG_LEVEL": "ERROR",
        "HTTPCACHE_STORAGE": "scrapy.extensions.httpcache.FilesystemCacheStorage",
    },
    "dbm-cache": {
        "LOG_LEVEL": "ERROR",
        "HTTPCACHE_STORAGE": "scrapy.extensions.httpcache.DbmCacheStorage",
    },
}


def peer_once(url: str, pages: int, page_size: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PEER, url, str(pages), str(page_size)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def crawl_once(url: str, pages: int, overrides: dict, workdir: Path) -> dict:
    db = workdir / "bench.db"
    build_database(db)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(db), url, str(pages), json.dumps(overrides), SEARCH],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def store_only(server: ReplayServer, pages: int, size: int, workdir: Path, batched: bool) -> float:
    """Seconds to store the pages: each committed alone, or batched as the pipeline does."""
    db_path = workdir / f"store-{batched}.db"
    build_database(db_path)
    db = open_db(db_path)
    with db.conn:
        run = provenance.start_run(db, engine="oria", query="bench", source="bench", tool="bench")
    parsed = [parse_primo_page(server.page(o * size, size), offset=o * size) for o in range(pages)]
    start = time.perf_counter()
    for number, page in enumerate(parsed):
        provenance.store_page(
            db, run, page_key=f"eng:{number}", url="u", hits=page.hits, commit=not batched
        )
        if batched and number % 50 == 49:
            provenance.commit(db)
    provenance.commit(db)
    seconds = time.perf_counter() - start
    db.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=PAGE)
    args = parser.parse_args()
    page_size = args.page_size
    for overrides in CONFIGS.values():
        overrides["ORIA_PAGE_SIZE"] = page_size
    config = ReplayConfig(OTTER, total=args.pages * page_size)
    with ReplayServer(config) as server:
        for number in range(args.pages):  # answers built before timing: measure us, not it
            server.page(number * page_size, page_size)
        results: dict[str, list[dict]] = {name: [] for name in [*CONFIGS, "minimal-scrapy"]}
        stores: list[float] = []
        batches: list[float] = []
        for _ in range(args.rounds):
            for name, overrides in CONFIGS.items():
                with tempfile.TemporaryDirectory() as tmp:
                    outcome = crawl_once(server.url, args.pages, overrides, Path(tmp))
                expected_pages = args.pages if name != "no-pipeline" else 0
                assert outcome["pages"] == expected_pages, outcome
                results[name].append(outcome)
            peer = peer_once(server.url, args.pages, page_size)
            assert peer["pages"] == args.pages, peer
            results["minimal-scrapy"].append(peer)
            with tempfile.TemporaryDirectory() as tmp:
                stores.append(store_only(server, args.pages, page_size, Path(tmp), False))
                batches.append(store_only(server, args.pages, page_size, Path(tmp), True))
    medians = {n: statistics.median(r["seconds"] for r in rs) for n, rs in results.items()}
    cpus = {n: statistics.median(r["cpu"] for r in rs) for n, rs in results.items()}
    print(
        f"{args.pages} pages of {page_size} hits, {args.rounds} rounds, median seconds per crawl:"
    )
    for name, seconds in medians.items():
        print(
            f"  {name:<15} {seconds:7.2f} s  {args.pages / seconds:7.0f} pages/s"
            f"  CPU {cpus[name] / args.pages * 1e3:5.2f} ms/page"
            f"  ({args.pages / cpus[name]:4.0f} pages per CPU second)"
        )
    overhead = (medians["full"] - medians["no-pipeline"]) / args.pages
    print(
        f"pipeline overhead (full - no-pipeline): {overhead * 1e3:.2f} ms/page; "
        f"full/no-pipeline = {medians['full'] / medians['no-pipeline']:.2f}x"
    )
    for label, values in (("a commit per page", stores), ("batched commits", batches)):
        store = statistics.median(values)
        print(
            f"store_page alone, {label}: {store / args.pages * 1e3:.2f} ms/page "
            f"({args.pages / store:.0f} pages/s)"
        )
    print(
        f"HTTP cache cost (full - no-cache): "
        f"{(medians['full'] - medians['no-cache']) / args.pages * 1e3:.2f} ms/page"
    )


if __name__ == "__main__":
    main()
