"""Scrapy's HTTP cache kept in one SQLite file per spider (``<HTTPCACHE_DIR>/<spider>.sqlite``).

Why not Scrapy's storages: the filesystem one writes seven files and two directories per response
(on this project's crawls that cost more than everything else we do per page), and the DBM one
falls back to ``dbm.dumb`` where Python has no gdbm/ndbm built, whose index a kill can leave
unreadable. Here each response is one row written in its own transaction (WAL journal): a kill
loses at most the response being written, never the cache, so ``--offline`` and a resumed run
read every page stored before it.

A row is keyed on Scrapy's request fingerprint and holds the response's URL, status, raw headers
and body. ``HTTPCACHE_EXPIRATION_SECS`` applies as in Scrapy's storages (0: never expires).

A 200 answer that the spider cannot use (truncated JSON, a CAPTCHA page, another shape) is stored
by Scrapy's cache middleware before the spider sees it; the spider then drops it again with
:func:`forget_response` (``HarvestSpider.reject_page`` does), so the cache only ever replays
answers that were used and a rerun asks the engine again for exactly the pages that failed.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import BaseSettings
from scrapy.utils.project import data_path
from w3lib.http import headers_dict_to_raw, headers_raw_to_dict

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    fingerprint TEXT PRIMARY KEY,
    request_url TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers BLOB NOT NULL,
    body BLOB NOT NULL,
    stored_at REAL NOT NULL
)
"""


class SqliteCacheStorage:
    """An ``HTTPCACHE_STORAGE`` for Scrapy's ``HttpCacheMiddleware``."""

    def __init__(self, settings: BaseSettings):
        self.cachedir = Path(data_path(settings["HTTPCACHE_DIR"], createdir=True))
        self.expiration_secs = settings.getint("HTTPCACHE_EXPIRATION_SECS")
        self.conn: sqlite3.Connection | None = None
        self._fingerprinter: Any = None

    def path(self, spider: Spider) -> Path:
        return self.cachedir / f"{spider.name}.sqlite"

    def open_spider(self, spider: Spider) -> None:
        assert spider.crawler is not None
        self._fingerprinter = spider.crawler.request_fingerprinter
        # autocommit: each stored response is its own transaction
        self.conn = sqlite3.connect(self.path(spider), isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")  # WAL: safe against a killed process
        self.conn.execute(SCHEMA)

    def close_spider(self, spider: Spider) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _key(self, request: Request) -> str:
        return str(self._fingerprinter.fingerprint(request).hex())

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        """The cached response to ``request``, or None when there is none (or it expired)."""
        assert self.conn is not None
        row = self.conn.execute(
            "SELECT url, status, headers, body, stored_at FROM responses WHERE fingerprint = ?",
            (self._key(request),),
        ).fetchone()
        if row is None:
            return None
        url, status, raw_headers, body, stored_at = row
        if 0 < self.expiration_secs < time.time() - stored_at:
            return None
        headers = Headers(headers_raw_to_dict(bytes(raw_headers)))
        body = bytes(body)
        cls = responsetypes.from_args(headers=headers, url=url, body=body)
        request.meta["cache_timestamp"] = stored_at
        return cls(url=url, status=status, headers=headers, body=body)

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        assert self.conn is not None
        self.conn.execute(
            "INSERT OR REPLACE INTO responses"
            " (fingerprint, request_url, url, status, headers, body, stored_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                self._key(request),
                request.url,
                response.url,
                response.status,
                headers_dict_to_raw(response.headers) or b"",
                response.body,
                time.time(),
            ),
        )


def forget_response(spider: Spider, request: Request) -> bool:
    """Delete the cached answer to ``request`` (one the spider rejected); True if one was stored.

    A connection of its own, committed at once: the storage's connection is in autocommit (WAL),
    so the row is gone before the next request can be answered from the cache.
    """
    settings = spider.settings
    if not settings.getbool("HTTPCACHE_ENABLED"):
        return False
    if settings.get("HTTPCACHE_STORAGE") != f"{__name__}.{SqliteCacheStorage.__name__}":
        return False
    path = Path(data_path(settings["HTTPCACHE_DIR"], createdir=True)) / f"{spider.name}.sqlite"
    if not path.exists():
        return False
    assert spider.crawler is not None
    key = str(spider.crawler.request_fingerprinter.fingerprint(request).hex())
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        return conn.execute("DELETE FROM responses WHERE fingerprint = ?", (key,)).rowcount > 0
    finally:
        conn.close()
