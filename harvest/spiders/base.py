"""What every harvest spider shares: how a harvest of its engine is planned, the run it fills,
its faults, and how it ends."""

from __future__ import annotations

import json
import re
from typing import Any, Self

import scrapy
import sqlite_utils
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from db.protocol import Search, load_protocol
from harvest.httpcache import forget_response
from harvest.options import HarvestOptions, RunSpec, select_searches

_CAPTCHA = re.compile(rb"captcha|unusual traffic|not a robot", re.IGNORECASE)


def captcha_reason(response: Response) -> str | None:
    """Why an answer is an engine's block page (an HTML page asking for a CAPTCHA), or None."""
    head = response.body[:65536]
    content_type = response.headers.get(b"Content-Type", b"") or b""
    is_html = b"html" in content_type.lower() or head.lstrip()[:1] == b"<"
    if is_html and _CAPTCHA.search(head):
        return "the engine answered with a CAPTCHA page"
    return None


class HarvestSpider(scrapy.Spider):
    """A spider that fills one search run. The pipeline reads ``blocked``/``faults`` at the end.

    An engine is a subclass with a ``name``, registered in ``harvest.spiders.ENGINES``; it yields
    :class:`harvest.items.HarvestedPage` items.

    The contract an engine keeps so that no hit is lost quietly (the run is ``complete`` only when
    every page asked for was stored):

    - class hooks, all optional: :meth:`plan`, :meth:`source`, :meth:`extra_kwargs`;
    - every request's ``errback`` is :meth:`fault` (or calls it): HTTP errors, timeouts and resets
      become faults of the run, a 429 blocks it (``Retry-After`` is honoured before that, by
      :class:`harvest.politeness.RetryAfterMiddleware`, up to ``RETRY_AFTER_MAX_SECONDS``);
    - a callback validates the engine's answer (a schema per engine, as ``harvest.parse.primo``
      does) before it reads a field, and for an answer it cannot use (200 but truncated, another
      shape, an HTML page, empty, a total that is not a number) calls
      :meth:`reject_page` with the response and why, then yields nothing for that page: the
      cached copy is dropped, so the same command run again asks the engine for that page anew;
    - pages already stored (``done_pages``, keys as in ``HarvestedPage.page_key``) are not asked
      for again when a run resumes.

    An exception a callback lets escape is a fault of its page too (the ``spider_error`` signal),
    so a parser bug ends the run ``partial``, never ``complete``.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.callback_error, signal=signals.spider_error)
        return spider

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
            refused = request.meta.get("retry_after_refused")
            why = f" ({refused})" if refused else ""
            if status == 429:
                self.block(f"HTTP 429 Too Many Requests at {request.url}{why}")
                return
            self.faults.append(f"HTTP {status} at {request.url}{why}")
        elif failure.check(IgnoreRequest) and self.settings.getbool("HTTPCACHE_IGNORE_MISSING"):
            self.missing_offline.append(request.url)
            self.faults.append(f"not in the offline cache: {request.url}")
        else:
            self.faults.append(
                f"{type(failure.value).__name__} at {request.url}: {failure.getErrorMessage()}"
            )

    def reject_page(self, response: Response, reason: str) -> None:
        """A 200 answer the engine's parser cannot use: a fault of its page (a block when it is a
        CAPTCHA page), and never replayed from the HTTP cache."""
        request = response.request or scrapy.Request(response.url)
        forget_response(self, request)
        if self._refetch(response, request):
            return
        captcha = captcha_reason(response)
        if captcha:
            self.block(f"{captcha} at {response.url}")
            return
        self.faults.append(f"{response.url}: {reason}")
        self.logger.error("page rejected: %s: %s", response.url, reason)

    def _refetch(self, response: Response, request: scrapy.Request) -> bool:
        """A bad answer replayed from the cache (one an older version kept) is asked of the
        engine once more in this run rather than failing it; True if it was."""
        if "cached" not in response.flags or request.meta.get("refetched_rejected"):
            return False
        if self.settings.getbool("HTTPCACHE_IGNORE_MISSING") or self.crawler.engine is None:
            return False  # offline: the cache is all there is
        again = request.replace(dont_filter=True)
        again.meta["refetched_rejected"] = True
        self.crawler.engine.crawl(again)
        self.logger.warning("cached answer rejected, asking again: %s", response.url)
        return True

    def callback_error(self, failure: Failure, response: Response, spider: scrapy.Spider) -> None:
        """A callback raised: the page it was reading is lost to this run, so the run is not
        complete (and its cached copy is not trusted)."""
        if spider is not self:
            return
        self.reject_page(
            response, f"{type(failure.value).__name__} while reading the answer: {failure.value}"
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


class ApiSpider(HarvestSpider):
    """A spider of an engine that answers at a base URL (every engine but Scholar's saved pages):
    one search per run, the server overridable by ``--base-url`` (a replay server in tests)."""

    default_base_url = ""  # the engine's public API

    @classmethod
    def source(cls, options: HarvestOptions) -> str:
        return (options.base_url or cls.default_base_url).rstrip("/")

    @classmethod
    def extra_kwargs(cls, options: HarvestOptions, source: str) -> dict[str, Any]:
        return {"base_url": source}

    def __init__(
        self,
        run_id: int | str,
        search: str | dict[str, Any],
        base_url: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(run_id, **kwargs)
        self.search = json.loads(search) if isinstance(search, str) else search
        self.base_url = base_url
        self.totals: dict[str, int] = {}  # per request stream: the engine's reported total

    @property
    def root(self) -> str:
        return (self.base_url or self.default_base_url).rstrip("/")
