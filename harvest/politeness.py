"""Honouring an engine's ``Retry-After``: wait as long as it asks, up to a limit, then give up.

A 429 or 503 answer with ``Retry-After`` (seconds, or an HTTP date) of at most
``RETRY_AFTER_MAX_SECONDS`` is asked again after that wait, at most ``RETRY_AFTER_TIMES`` times.
Anything else passes on unchanged: a 429 then blocks the run (``HarvestSpider.fault``), a 503 goes
to Scrapy's retry and then ends the run ``partial``. Never a loop: the waits are bounded in number
and length.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

RETRY_AFTER_CODES = (429, 503)


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now (None when absent or unreadable)."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware:
    """A downloader middleware (see ``harvest.settings.DOWNLOADER_MIDDLEWARES``)."""

    def __init__(self, max_seconds: float, times: int):
        self.max_seconds = max_seconds
        self.times = times

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        settings = crawler.settings
        return cls(
            settings.getfloat("RETRY_AFTER_MAX_SECONDS", 60.0),
            settings.getint("RETRY_AFTER_TIMES", 2),
        )

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if response.status not in RETRY_AFTER_CODES:
            return response
        delay = retry_after_seconds(response.headers.get(b"Retry-After"))
        waited = int(request.meta.get("retry_after_times", 0))
        if delay is None:
            return response
        if delay > self.max_seconds or waited >= self.times:
            request.meta["retry_after_refused"] = (
                f"Retry-After {delay:g} s is over the {self.max_seconds:g} s we wait"
                if delay > self.max_seconds
                else f"still refused after {waited} wait(s) for Retry-After"
            )
            return response
        await asyncio.sleep(delay)
        retry: Any = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = waited + 1
        return retry
