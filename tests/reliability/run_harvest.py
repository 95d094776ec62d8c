"""``python run_harvest.py DB URL SEARCH [SETTINGS_JSON]``: one Oria harvest with Scrapy settings
of the test's choosing (short timeouts), exiting as ``evidensbase harvest`` does."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from harvest.crawl import HarvestOptions, exit_status, harvest


def main() -> None:
    db, url, search, *rest = sys.argv[1:]
    overrides = json.loads(rest[0]) if rest else {}
    options = HarvestOptions(
        engine="oria", search_ids=(search,), base_url=url, delay=0, overrides=overrides
    )
    results = harvest(Path(db), options)
    for plan, run in results:
        print(f"run {run['id']} ({plan.mode}): {run['status']}: {run['error']}")
    raise SystemExit(exit_status([run for _, run in results]))


if __name__ == "__main__":
    main()
