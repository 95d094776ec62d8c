"""``python parser_bug.py DB URL``: an Oria harvest whose parser has a bug (it raises on the page
at offset 5, as a future parser change might): prints the run's status and the cache's rows."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import harvest.spiders.oria as oria
from db import open_db, provenance
from harvest.crawl import HarvestOptions, crawl_settings, plan_runs, run_crawls, state_dir_of

real_parse = oria.parse_primo_page


def buggy_parse(body: bytes, *, offset: int = 0, record_link: str | None = None) -> object:
    if offset == 5:
        raise RuntimeError("a bug in the parser")
    return real_parse(body, offset=offset, record_link=record_link)


def main() -> None:
    db, url = sys.argv[1:]
    oria.parse_primo_page = buggy_parse  # type: ignore[assignment]
    options = HarvestOptions(
        engine="oria",
        search_ids=("oria-en-career-guidance-refugee",),
        base_url=url,
        delay=0,
        overrides={"ORIA_PAGE_SIZE": 5},
    )
    state_dir = state_dir_of(db, options)
    state_dir.mkdir(parents=True, exist_ok=True)
    plans = plan_runs(db, options)
    run_crawls(plans, crawl_settings(db, options), state_dir)
    conn = open_db(Path(db))
    run = provenance.get_run(conn, plans[0].run_id)
    conn.close()
    cache = sqlite3.connect(state_dir / "httpcache" / "oria.sqlite")
    cached = [u for (u,) in cache.execute("SELECT request_url FROM responses")]
    print(json.dumps({"status": run["status"], "error": run["error"], "cached": cached}))


if __name__ == "__main__":
    main()
