"""The HTTP cache storage (harvest.httpcache) with real Scrapy crawler objects and a real file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.test import get_crawler

from harvest.httpcache import SqliteCacheStorage

URL = "http://127.0.0.1:9/primaws/rest/pub/pnxs?q=any,contains,karriereveiledning&offset="
BODY = '{"docs": [{"title": "Karriereveiledning for nyankomne: æøå äö"}]}'.encode()


def storage_for(cache_dir: Path, expiration: int = 0) -> tuple[SqliteCacheStorage, scrapy.Spider]:
    settings = {"HTTPCACHE_DIR": str(cache_dir), "HTTPCACHE_EXPIRATION_SECS": expiration}
    crawler = get_crawler(scrapy.Spider, settings)
    spider = scrapy.Spider.from_crawler(crawler, name="oria")
    storage = SqliteCacheStorage(crawler.settings)
    storage.open_spider(spider)
    return storage, spider


def test_a_stored_answer_is_read_back_by_the_next_run_and_only_for_its_own_request(
    tmp_path: Path,
) -> None:
    first, spider = storage_for(tmp_path)
    answer = Response(
        URL + "0", status=200, headers={"Content-Type": "application/json"}, body=BODY
    )
    first.store_response(spider, scrapy.Request(URL + "0"), answer)
    first.close_spider(spider)

    again, spider = storage_for(tmp_path)  # a later harvest opens the same file
    cached = again.retrieve_response(spider, scrapy.Request(URL + "0"))
    assert isinstance(cached, TextResponse)  # typed from its Content-Type, as when fetched
    assert cached.body == BODY
    assert "æøå äö" in cached.text
    assert cached.status == 200
    assert cached.url == URL + "0"
    assert cached.headers[b"Content-Type"] == b"application/json"
    assert again.retrieve_response(spider, scrapy.Request(URL + "50")) is None
    again.close_spider(spider)
    assert (tmp_path / "oria.sqlite").is_file()


def test_an_answer_older_than_the_expiration_is_not_used(tmp_path: Path) -> None:
    storage, spider = storage_for(tmp_path, expiration=60)
    request = scrapy.Request(URL + "0")
    storage.store_response(spider, request, Response(URL + "0", body=BODY))
    assert storage.retrieve_response(spider, request) is not None
    with sqlite3.connect(tmp_path / "oria.sqlite") as conn:  # stored two minutes ago
        conn.execute("UPDATE responses SET stored_at = stored_at - 120")
    assert storage.retrieve_response(spider, request) is None
    storage.close_spider(spider)
