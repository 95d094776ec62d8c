"""Google Scholar result pages saved from a browser, read through ``file://`` URLs.

Live Scholar is never crawled: its robots.txt disallows ``/scholar`` (the command refuses before a
request is made). A CAPTCHA page or HTTP 429 ends the run as ``blocked``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from harvest.parse.scholar import SCHOLAR_BASE, parse_scholar_page
from harvest.spiders.base import HarvestSpider

PAGE_SUFFIXES = (".html", ".htm")


def saved_pages(directory: str | Path) -> list[Path]:
    """The saved pages of a directory in natural order (page2 before page10)."""

    def natural(path: Path) -> list[Any]:
        return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path.name)]

    found = [p for p in Path(directory).iterdir() if p.suffix.lower() in PAGE_SUFFIXES]
    return sorted(found, key=natural)


class ScholarSpider(HarvestSpider):
    name = "scholar"

    def __init__(self, run_id: int | str, pages: str, **kwargs: Any):
        super().__init__(run_id, **kwargs)
        self.pages = pages

    async def start(self) -> AsyncIterator[Any]:
        for index, path in enumerate(saved_pages(self.pages)):
            yield scrapy.Request(
                path.resolve().as_uri(),
                callback=self.parse_page,
                errback=self.fault,
                cb_kwargs={"index": index, "name": path.name},
                priority=-index,  # one at a time, in file order, so a block stops what follows
                dont_filter=True,
                meta={"dont_cache": True},
            )

    def parse_page(self, response: Response, index: int, name: str) -> Any:
        if self.blocked:
            return
        text = response.text if hasattr(response, "text") else response.body.decode("utf-8")
        page = parse_scholar_page(text, page_url=SCHOLAR_BASE, rank_offset=index * 10)
        if page.blocked:
            self.block(f"{page.blocked} in {name}")
            return
        yield {
            "page_key": name,
            "url": response.url,
            "hits": page.hits,
            "reported_total": page.total,
        }
