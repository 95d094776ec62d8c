"""``python run_trials.py DB SETTINGS_JSON SEARCH URL...``: one Oria harvest of SEARCH from each
server URL, all crawled in one process (one Scrapy reactor), as ``evidensbase harvest --base-url
URL`` would each; prints one JSON line per URL: the run as stored and the exit status the command
would give for it.

One process for many fault trials keeps the suite fast: starting Scrapy costs seconds, a crawl of
three pages from loopback a fraction of one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from db import open_db, provenance
from harvest.crawl import (
    HarvestOptions,
    crawl_settings,
    exit_status,
    plan_runs,
    run_crawls,
    state_dir_of,
)


def main() -> None:
    db, settings_json, search, *urls = sys.argv[1:]
    overrides = json.loads(settings_json)
    options = [
        HarvestOptions(
            engine="oria", search_ids=(search,), base_url=url, delay=0, overrides=overrides
        )
        for url in urls
    ]
    state_dir = state_dir_of(db, options[0])
    state_dir.mkdir(parents=True, exist_ok=True)
    plans = [(url, plan) for url, option in zip(urls, options, strict=True)
             for plan in plan_runs(db, option)]  # fmt: skip
    run_crawls([plan for _, plan in plans], crawl_settings(db, options[0]), state_dir)
    conn = open_db(Path(db))
    try:
        for url, plan in plans:
            run = provenance.get_run(conn, plan.run_id)
            line = {"url": url, "mode": plan.mode, "exit": exit_status([run]), **run}
            print(json.dumps(line), flush=True)
    finally:
        conn.close()


if __name__ == "__main__":
    main()
