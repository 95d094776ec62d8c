"""What every harvest spider shares: the run it fills, its faults, and how it ends."""

from __future__ import annotations

from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure


class HarvestSpider(scrapy.Spider):
    """A spider that fills one search run. The pipeline reads ``blocked``/``faults`` at the end."""

    def __init__(
        self,
        run_id: int | str,
        done_pages: list[str] | None = None,
        max_pages: int | str | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.run_id = int(run_id)
        self.done_pages = set(done_pages or [])
        self.max_pages = int(max_pages) if max_pages else None
        self.blocked: str | None = None
        self.faults: list[str] = []
        self.missing_offline: list[str] = []
        self.notes: list[str] = []

    def fault(self, failure: Failure) -> None:
        """Errback: record why a request gave nothing; a 429 ends the run as blocked."""
        request = failure.request  # type: ignore[attr-defined]
        if isinstance(failure.value, HttpError):
            status = failure.value.response.status
            if status == 429:
                self.block(f"HTTP 429 Too Many Requests at {request.url}")
                return
            self.faults.append(f"HTTP {status} at {request.url}")
        elif failure.check(IgnoreRequest) and self.settings.getbool("HTTPCACHE_IGNORE_MISSING"):
            self.missing_offline.append(request.url)
            self.faults.append(f"not in the offline cache: {request.url}")
        else:
            self.faults.append(
                f"{type(failure.value).__name__} at {request.url}: {failure.getErrorMessage()}"
            )

    def block(self, reason: str) -> None:
        """Stop at once: the engine refused us. Nothing queued is fetched, nothing retried."""
        if self.blocked is None:
            self.blocked = reason
            self.logger.error("blocked: %s", reason)
            assert self.crawler.engine is not None
            self.crawler.engine.close_spider(self, "blocked")
