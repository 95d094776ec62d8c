"""What the offset-paged JSON engines (NVA, SwePub) share: one request stream per language code
(or one for all), each paged by offset until the engine's total, ``max_pages`` or the engine's
deepest offset; a page that cannot be read is a fault of that page."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response

from harvest.items import HarvestedPage
from harvest.parse.answers import AnswerPage, PageError
from harvest.spiders.base import ApiSpider


class OffsetPagedSpider(ApiSpider):
    """A spider of a JSON search API paged by offset. Subclasses give the endpoint and parser."""

    page_size = 100
    max_offset: int | None = None  # the engine answers no deeper than this (from + size)

    # What a subclass gives -------------------------------------------------------------------

    def streams(self) -> list[str | None]:
        """One request stream per item (a language code, or None for one stream)."""
        return list(self.search.get("language_codes") or [None])

    def page_url(self, stream: str | None, offset: int) -> str:
        raise NotImplementedError

    def parse_answer(self, body: bytes, offset: int) -> AnswerPage:
        raise NotImplementedError

    # The crawl -------------------------------------------------------------------------------

    def page_request(self, stream: str | None, offset: int) -> scrapy.Request:
        return scrapy.Request(
            self.page_url(stream, offset),
            headers={"Accept": "application/json"},
            callback=self.parse_page,
            errback=self.fault,
            cb_kwargs={"stream": stream, "offset": offset},
            dont_filter=True,  # a resumed run asks again; the cache answers
        )

    async def start(self) -> AsyncIterator[Any]:
        for stream in self.streams():
            yield self.page_request(stream, 0)

    def parse_page(self, response: Response, stream: str | None, offset: int) -> Any:
        if self.blocked:
            return  # answers already on their way when the block came are not used
        try:
            page = self.parse_answer(response.body, offset)
        except PageError as exc:
            self.faults.append(f"{response.url}: {exc}")
            return
        if offset == 0:
            self.totals[stream or "any"] = page.total
            yield from self.next_pages(stream, page.total)
        yield HarvestedPage(
            page_key=f"{stream or 'any'}:{offset}",
            url=response.url,
            hits=page.hits,
            reported_total=sum(self.totals.values()) if offset == 0 else None,
        )

    def next_pages(self, stream: str | None, total: int) -> Any:
        reachable = min(total, self.max_offset) if self.max_offset else total
        pages = math.ceil(reachable / self.page_size)
        label = stream or "any"
        if reachable < total:
            self.notes.append(f"{label}: the engine pages no deeper than {self.max_offset} hits")
        if self.max_pages and pages > self.max_pages:
            self.notes.append(f"{label}: stopped at --max-pages {self.max_pages} of {pages} pages")
            pages = self.max_pages
        for number in range(1, pages):
            offset = number * self.page_size
            if f"{label}:{offset}" not in self.done_pages:
                yield self.page_request(stream, offset)
