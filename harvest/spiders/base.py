"""What every harvest spider shares: how a harvest of its engine is planned, the run it fills,
its faults, and how it ends."""

from __future__ import annotations

from typing import Any

import scrapy
import sqlite_utils
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from db.protocol import Search, load_protocol
from harvest.options import HarvestOptions, RunSpec, select_searches


class HarvestSpider(scrapy.Spider):
    """A spider that fills one search run. The pipeline reads ``blocked``/``faults`` at the end.

    An engine is a subclass with a ``name``, registered in ``harvest.spiders.ENGINES``; it yields
    :class:`harvest.items.HarvestedPage` items.
    """

    @classmethod
    def plan(cls, db: sqlite_utils.Database, options: HarvestOptions) -> list[RunSpec]:
        """What a harvest of this engine crawls: by default one run per protocol search."""
        codes = load_protocol(db).language_codes(cls.name)
        source = cls.source(options)
        return [
            RunSpec(
                search_id=search.id,
                query=search.query,
                source=source,
                spider_kwargs={
                    "search": search_spec(search, codes),
                    "max_pages": options.max_pages,
                    **cls.extra_kwargs(options, source),
                },
            )
            for search in select_searches(db, cls.name, options.search_ids)
        ]

    @classmethod
    def source(cls, options: HarvestOptions) -> str:
        """What the runs read from (part of a run's identity): the server, by default the engine."""
        return (options.base_url or cls.name).rstrip("/")

    @classmethod
    def extra_kwargs(cls, options: HarvestOptions, source: str) -> dict[str, Any]:
        """Spider arguments beyond the search and ``max_pages`` (none by default)."""
        return {}

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


def search_spec(search: Search, language_codes: dict[str, list[str]]) -> dict[str, Any]:
    """A protocol search as a spider's ``search`` argument, with the codes the engine indexes the
    search's language under (``[None]``: do not filter by language)."""
    return {
        "terms": list(search.terms),
        "year_from": search.year_from,
        "year_to": search.year_to,
        "filters": search.filters,
        "language_codes": language_codes.get(search.language, [None]),
    }
