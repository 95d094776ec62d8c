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
import sqlite_utils
from scrapy.http import Response

from harvest.items import HarvestedPage
from harvest.options import HarvestError, HarvestOptions, RunSpec, select_searches
from harvest.parse.scholar import SCHOLAR_BASE, parse_scholar_page
from harvest.spiders.base import HarvestSpider

PAGE_SUFFIXES = (".html", ".htm")
SCHOLAR_ROBOTS = (
    "Live Google Scholar is not harvested: https://scholar.google.com/robots.txt disallows "
    "/scholar for every user agent and its terms forbid automated queries. Save the result pages "
    "from your browser and run `evidensbase harvest --engine scholar --pages DIR`, or export the "
    "results with Publish or Perish and run `evidensbase import FILE --format pop-csv`."
)


def saved_pages(directory: str | Path) -> list[Path]:
    """The saved pages of a directory in natural order (page2 before page10)."""

    def natural(path: Path) -> list[Any]:
        return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path.name)]

    found = [p for p in Path(directory).iterdir() if p.suffix.lower() in PAGE_SUFFIXES]
    return sorted(found, key=natural)


def page_text(response: Response) -> str:
    """The page as text. Browsers save Scholar pages as UTF-8 while the page still declares
    ISO-8859-1 (see the recordings), so bytes that are valid UTF-8 are read as UTF-8; anything
    else is read with the charset the page declares."""
    try:
        return response.body.decode("utf-8")
    except UnicodeDecodeError:
        return str(getattr(response, "text", response.body.decode("latin-1")))


class ScholarSpider(HarvestSpider):
    name = "scholar"
    # Saved pages are local files: no server to be polite to. They are read one at a time, in
    # file order, so a block page stops the pages after it (with 16 at once, a later page could
    # be parsed and stored before the block page was).
    custom_settings = {  # noqa: RUF012
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": 1,
    }

    @classmethod
    def plan(cls, db: sqlite_utils.Database, options: HarvestOptions) -> list[RunSpec]:
        """One run over the saved pages: of the named protocol searches, or of ``--query``."""
        if options.pages_dir is None:
            raise HarvestError(SCHOLAR_ROBOTS)
        pages = Path(options.pages_dir)
        if not pages.is_dir() or not saved_pages(pages):
            raise HarvestError(f"{pages}: no saved result pages (*.html) in this directory")
        source = str(pages.resolve())
        kwargs = {"pages": source, "max_pages": options.max_pages}
        if not options.search_ids:
            return [RunSpec(None, options.query, source, kwargs)]
        return [
            RunSpec(search.id, search.query, source, kwargs)
            for search in select_searches(db, cls.name, options.search_ids)
        ]

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
                priority=-index,  # in file order
                dont_filter=True,
                meta={"dont_cache": True},
            )

    def parse_page(self, response: Response, index: int, name: str) -> Any:
        if self.blocked:
            return
        text = page_text(response)
        page = parse_scholar_page(text, page_url=SCHOLAR_BASE, rank_offset=index * 10)
        if page.blocked:
            self.block(f"{page.blocked} in {name}")
            return
        if page.problem:
            self.reject_page(response, f"{name}: {page.problem}")
            return
        yield HarvestedPage(
            page_key=name, url=response.url, hits=page.hits, reported_total=page.total
        )
