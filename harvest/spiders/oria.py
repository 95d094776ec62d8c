"""Oria (Ex Libris Primo VE): the JSON endpoint ``GET /primaws/rest/pub/pnxs``, paged by offset.

One request stream per language code (Norwegian is indexed under nor, nob and nno), each paged
until its total or ``max_pages``. A guest token is fetched only when the endpoint answers 401/403.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from harvest.items import HarvestedPage
from harvest.parse.primo import PageError, parse_primo_page, primo_params
from harvest.settings import ORIA_BASE_URL
from harvest.spiders.base import ApiSpider


class OriaSpider(ApiSpider):
    name = "oria"

    default_base_url = ORIA_BASE_URL

    def __init__(self, run_id: int | str, search: str | dict[str, Any], **kwargs: Any):
        super().__init__(run_id, search, **kwargs)
        self.token: str | None = None
        self.pending_auth: list[scrapy.Request] = []

    def _setting(self, name: str) -> str:
        return str(self.settings.get(name))

    @property
    def root(self) -> str:
        return (self.base_url or self._setting("ORIA_BASE_URL")).rstrip("/")

    @property
    def page_size(self) -> int:
        return self.settings.getint("ORIA_PAGE_SIZE", 50)

    def page_request(self, code: str | None, offset: int) -> scrapy.Request:
        filters = self.search.get("filters") or {}
        query = primo_params(
            terms=self.search["terms"],
            language_code=code,
            year_from=self.search.get("year_from"),
            year_to=self.search.get("year_to"),
            peer_reviewed_only=bool(filters.get("peer_reviewed_only")),
            exclude_theses=bool(filters.get("exclude_theses")),
            offset=offset,
            limit=self.page_size,
            vid=self._setting("ORIA_VID"),
            inst=self._setting("ORIA_INST"),
            tab=self._setting("ORIA_TAB"),
            scope=self._setting("ORIA_SCOPE"),
        )
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return scrapy.Request(
            f"{self.root}/primaws/rest/pub/pnxs?{query}",
            headers=headers,
            callback=self.parse_page,
            errback=self.page_fault,
            cb_kwargs={"code": code, "offset": offset},
            # The same page may be asked for again when a run resumes; the cache answers it.
            dont_filter=True,
        )

    async def start(self) -> AsyncIterator[Any]:
        for code in self.search.get("language_codes") or [None]:
            yield self.page_request(code, 0)

    def parse_page(self, response: Response, code: str | None, offset: int) -> Any:
        if self.blocked:
            return  # answers already on their way when the block came are not used
        key = f"{code or 'any'}:{offset}"
        link = (
            f"{self.root}/discovery/fulldisplay?docid={{docid}}"
            f"&vid={quote(self._setting('ORIA_VID'))}"
        )
        try:
            page = parse_primo_page(response.body, offset=offset, record_link=link)
        except PageError as exc:
            self.reject_page(response, str(exc))
            return
        if offset == 0 and page.total is None:
            self.reject_page(response, "no info.total: cannot tell how many pages the search has")
            return
        if offset == 0:
            self.totals[code or "any"] = page.total or 0
            yield from self.next_pages(code, page.total or 0)
        yield HarvestedPage(
            page_key=key,
            url=response.url,
            hits=page.hits,
            reported_total=sum(self.totals.values()) if offset == 0 else None,
        )

    def next_pages(self, code: str | None, total: int) -> Any:
        pages = math.ceil(total / self.page_size)
        if self.max_pages and pages > self.max_pages:
            self.notes.append(
                f"{code or 'any'}: stopped at --max-pages {self.max_pages} of {pages} pages"
            )
            pages = self.max_pages
        for number in range(1, pages):
            offset = number * self.page_size
            if f"{code or 'any'}:{offset}" not in self.done_pages:
                yield self.page_request(code, offset)

    def page_fault(self, failure: Failure) -> Any:
        value = failure.value
        status = value.response.status if isinstance(value, HttpError) else None
        if status in (401, 403) and self.token is None:
            yield from self.ask_for_token(failure.request)  # type: ignore[attr-defined]
            return
        self.fault(failure)

    def ask_for_token(self, failed: scrapy.Request) -> Any:
        self.pending_auth.append(failed)
        if len(self.pending_auth) > 1:
            return  # a token request is already on its way
        inst, vid = self._setting("ORIA_INST"), self._setting("ORIA_VID")
        yield scrapy.Request(
            f"{self.root}/primaws/rest/pub/institution/{quote(inst)}/guestJwt"
            f"?isGuest=true&lang=en&viewId={quote(vid)}",
            callback=self.got_token,
            errback=self.fault,
            dont_filter=True,
            meta={"dont_cache": True},
            priority=100,
        )

    def got_token(self, response: Response) -> Any:
        text = response.text.strip()
        try:
            self.token = str(json.loads(text))
        except json.JSONDecodeError:
            self.token = text.strip('"')
        for failed in self.pending_auth:
            code, offset = failed.cb_kwargs["code"], failed.cb_kwargs["offset"]
            retry = self.page_request(code, offset)
            retry.meta["dont_cache"] = False
            yield retry
        self.pending_auth.clear()
