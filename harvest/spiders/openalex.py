"""OpenAlex: ``GET https://api.openalex.org/works`` with ``search`` and ``filter``, cursor paging.

One request stream per search: the terms ANDed in ``search``; ``filter`` on the group's
``countries`` (``institutions.country_code:no|se|dk|fi``), the review's years
(``publication_year:2016-2022``), the search's language codes and the group's ``types``; 200
works a page (OpenAlex's maximum), each page's ``cursor`` taken from the page before
(``meta.next_cursor``). A resumed run walks the cursor chain again from the HTTP cache.

Credentials come from configuration, never from the code: the API key from the Scrapy setting or
environment variable ``OPENALEX_API_KEY``, the ``mailto`` from ``--contact``, ``OPENALEX_MAILTO``
or ``EVIDENSBASE_CONTACT``. Neither is part of a request's cache key, nor of the URLs stored with
pages and hits. OpenAlex documents at most 100 requests a second and a daily budget per key; a
1 s delay stays far below the first, and 429 (budget spent) or 403 (rate exceeded) end the run
as blocked.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.request import fingerprint
from twisted.python.failure import Failure

from harvest.items import HarvestedPage
from harvest.options import HarvestOptions
from harvest.parse.answers import PageError
from harvest.parse.openalex import openalex_params, parse_openalex_page
from harvest.spiders.base import ApiSpider

OPENALEX_BASE_URL = "https://api.openalex.org"
# Query parameters that say who asks, not what: kept out of cache keys and stored URLs.
CREDENTIALS = frozenset({"api_key", "mailto"})


def without_credentials(url: str) -> str:
    """``url`` without its ``api_key`` and ``mailto`` parameters."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    kept = [(k, v) for k, v in query if k not in CREDENTIALS]
    if len(kept) == len(query):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))


def scrub(message: str) -> str:
    """A message with the credentials of every URL in it removed."""
    return _URL.sub(lambda match: without_credentials(match.group(0)), message)


_URL = re.compile(r"https?://\S+")


class CredentialFreeFingerprinter:
    """Scrapy's request fingerprint of the URL without credentials: a new API key or mailto
    still finds its answers in the HTTP cache (``--offline``, a resumed run)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CredentialFreeFingerprinter:
        return cls()

    def fingerprint(self, request: scrapy.Request) -> bytes:
        clean = without_credentials(request.url)
        return fingerprint(request if clean == request.url else request.replace(url=clean))


class OpenAlexSpider(ApiSpider):
    name = "openalex"
    page_size = 200
    custom_settings = {  # noqa: RUF012
        "REQUEST_FINGERPRINTER_CLASS": CredentialFreeFingerprinter,
        "DOWNLOAD_DELAY": 1.0,
        "AUTOTHROTTLE_START_DELAY": 1.0,
    }

    default_base_url = OPENALEX_BASE_URL

    @classmethod
    def extra_kwargs(cls, options: HarvestOptions, source: str) -> dict[str, Any]:
        return {**super().extra_kwargs(options, source), "mailto": options.contact}

    def __init__(
        self,
        run_id: int | str,
        search: str | dict[str, Any],
        mailto: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(run_id, search, **kwargs)
        self.mailto = (
            mailto or os.environ.get("OPENALEX_MAILTO") or os.environ.get("EVIDENSBASE_CONTACT")
        )

    @property
    def api_key(self) -> str | None:
        return self.settings.get("OPENALEX_API_KEY") or os.environ.get("OPENALEX_API_KEY")

    def page_request(self, number: int, cursor: str) -> scrapy.Request:
        filters = self.search.get("filters") or {}
        query = openalex_params(
            terms=self.search["terms"],
            countries=list(filters.get("countries") or []),
            language_codes=[c for c in self.search.get("language_codes") or [] if c],
            year_from=self.search.get("year_from"),
            year_to=self.search.get("year_to"),
            types=list(filters.get("types") or []),
            cursor=cursor,
            per_page=self.page_size,
            mailto=self.mailto,
            api_key=self.api_key,
        )
        return scrapy.Request(
            f"{self.root}/works?{query}",
            headers={"Accept": "application/json"},
            callback=self.parse_page,
            errback=self.page_fault,
            cb_kwargs={"number": number},
            dont_filter=True,
        )

    async def start(self) -> AsyncIterator[Any]:
        yield self.page_request(0, "*")

    def parse_page(self, response: Response, number: int) -> Any:
        if self.blocked:
            return
        url = without_credentials(response.url)
        try:
            page = parse_openalex_page(response.body, offset=number * self.page_size)
        except PageError as exc:
            self.faults.append(f"{url}: {exc}")
            return
        pages = -(-page.total // self.page_size)
        if page.next_cursor and page.hits and number + 1 < pages:
            if self.max_pages and number + 1 >= self.max_pages:
                self.notes.append(f"stopped at --max-pages {self.max_pages} of {pages} pages")
            else:
                yield self.page_request(number + 1, page.next_cursor)
        key = f"cursor:{number}"
        if key in self.done_pages:
            return  # stored before; walked again only for its cursor
        yield HarvestedPage(
            page_key=key,
            url=url,
            hits=page.hits,
            reported_total=page.total if number == 0 else None,
        )

    def block(self, reason: str) -> None:
        super().block(scrub(reason))

    def page_fault(self, failure: Failure) -> None:
        value = failure.value
        if isinstance(value, HttpError) and value.response.status == 403:
            url = without_credentials(failure.request.url)  # type: ignore[attr-defined]
            self.block(f"HTTP 403 (OpenAlex: rate limit exceeded) at {url}")
            return
        self.fault(failure)
        # the base class names the request's URL: keep the key out of the run's log
        self.faults = [scrub(fault) for fault in self.faults]
        self.missing_offline = [without_credentials(url) for url in self.missing_offline]
