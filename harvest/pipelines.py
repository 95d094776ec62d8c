"""Pages of hits into the database, and the run's final status when the crawl ends.

Each page is stored with its hits as a whole (db.provenance.store_page); pages are committed in
batches (every ``COMMIT_SECONDS``, and at the end), so a kill loses at most the last second of pages
and never half a page. The run stays ``running`` and the next harvest resumes it: the pages the
kill lost are served again from the HTTP cache.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from db import open_db, provenance
from harvest.items import HarvestedPage
from harvest.spiders.base import HarvestSpider

COMMIT_SECONDS = 0.5


class ProvenancePipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.last_commit = time.monotonic()
        self.db_path = crawler.settings.get("EVIDENSBASE_DB")
        self.db: Any = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProvenancePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.db = open_db(self.db_path)

    def process_item(self, item: HarvestedPage, spider: Spider | None = None) -> dict[str, Any]:
        spider = spider or self.crawler.spider
        assert isinstance(spider, HarvestSpider)
        if not isinstance(item, HarvestedPage):
            raise TypeError(f"{spider.name} yielded {type(item).__name__}, not a HarvestedPage")
        new = provenance.store_page(
            self.db,
            spider.run_id,
            page_key=item.page_key,
            url=item.url,
            hits=item.hits,
            reported_total=item.reported_total,
            commit=False,
        )
        if time.monotonic() - self.last_commit >= COMMIT_SECONDS:
            provenance.commit(self.db)
            self.last_commit = time.monotonic()
        run = provenance.get_run(self.db, spider.run_id)
        total = run["reported_total"] if run["reported_total"] is not None else "?"
        # The progress line: on stderr, so the command's summary on stdout stays clean.
        print(
            f"{spider.name} run {spider.run_id}: page {item.page_key} ({len(item.hits)} hits,"
            f" {new} new) - {run['pages_fetched']} pages, {run['hits_fetched']} hits of {total}",
            file=sys.stderr,
            flush=True,
        )
        # What Scrapy logs and signals as scraped: a summary, not the page's hits again.
        return {"page_key": item.page_key, "hits": len(item.hits), "new": new}

    def close_spider(self, spider: Spider | None = None) -> None:
        pass  # the run is finished in spider_closed, which knows why the crawl ended

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert isinstance(spider, HarvestSpider)
        if self.db is None:
            self.db = open_db(self.db_path)
        provenance.commit(self.db)
        status, error = outcome(spider, reason, self.db)
        provenance.finish_run(self.db, spider.run_id, status, error)
        self.db.close()
        self.db = None


def outcome(spider: HarvestSpider, reason: str, db: Any) -> tuple[str, str | None]:
    """The run's final status and message from how the crawl ended."""
    if spider.blocked:
        return provenance.BLOCKED, spider.blocked
    pages = provenance.get_run(db, spider.run_id)["pages_fetched"]
    if spider.faults:
        status = provenance.PARTIAL if pages else provenance.FAILED
        return status, "; ".join(spider.faults[:5]) + (
            f" (and {len(spider.faults) - 5} more)" if len(spider.faults) > 5 else ""
        )
    if reason != "finished":
        return provenance.PARTIAL, f"interrupted ({reason}); run the same command again to resume"
    return provenance.COMPLETE, "; ".join(spider.notes) or None
