"""Scrapy settings of the harvest project: polite by default, cached, and piped into db/.

Oria's Primo VE values (``ORIA_*``) are Oria's public front end as far as we could tell from
outside; they are UNVERIFIED (Oria's own inst/vid/scope/tab were not found in any public source).
Override them with ``-s ORIA_VID=...`` style settings or ``--base-url`` for another server.
"""

from __future__ import annotations

import os

from evidensbase import __version__

BOT_NAME = "evidensbase"
SPIDER_MODULES = ["harvest.spiders"]
NEWSPIDER_MODULE = "harvest.spiders"

# Who we are and how to reach us: engines see this in every request.
CONTACT = os.environ.get("EVIDENSBASE_CONTACT", "evidensbase-maintainers@example.org")
USER_AGENT = f"evidensbase/{__version__} (living systematic review harvester; mailto:{CONTACT})"

# Politeness: robots.txt obeyed, one request at a time per host, a delay that AutoThrottle widens
# when the server slows down.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 3.0
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 3.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# One retry for a transient fault; 429 means "slow down", which we treat as a block, never retry.
RETRY_ENABLED = True
RETRY_TIMES = 1
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
HTTPERROR_ALLOWED_CODES: list[int] = []
# An engine that says when to come back (Retry-After on a 429 or 503) is asked again then, if that
# is within a minute, at most twice; otherwise a 429 blocks the run (see harvest/politeness.py).
RETRY_AFTER_MAX_SECONDS = 60.0
RETRY_AFTER_TIMES = 2
DOWNLOADER_MIDDLEWARES = {"harvest.politeness.RetryAfterMiddleware": 560}

# A rerun of the same search is served from disk; --offline uses nothing else.
HTTPCACHE_ENABLED = True
HTTPCACHE_EXPIRATION_SECS = 0
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_IGNORE_HTTP_CODES = [401, 403, 408, 429, 500, 502, 503, 504, 522, 524]
# One SQLite file per spider, a row per response (see harvest/httpcache.py for why not Scrapy's
# filesystem or DBM storage).
HTTPCACHE_STORAGE = "harvest.httpcache.SqliteCacheStorage"

# A page gives one item (and, for a first page, the requests for the rest); the pipeline is
# synchronous. Scrapy starts CONCURRENT_ITEMS asyncio tasks per response (default 100): one is
# all we can use. (Item handling within a response, not requests to a host.)
CONCURRENT_ITEMS = 1

# Pages are fetched in the order they are asked for (offset 0, 10, 20, ...): first in, first out,
# all at one priority. (A priority per page would give Scrapy one queue per page, and its
# scheduler walks every queue on each pop: quadratic in the number of pages.)
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

ITEM_PIPELINES = {"harvest.pipelines.ProvenancePipeline": 300}

# Primo VE (Oria) endpoint and view: UNVERIFIED defaults, see the module docstring.
ORIA_BASE_URL = "https://bibsys-almaprimo.hosted.exlibrisgroup.com"
ORIA_INST = "47BIBSYS_NETWORK"
ORIA_VID = "47BIBSYS_NETWORK:default"
ORIA_TAB = "default_tab"
ORIA_SCOPE = "default_scope"
ORIA_PAGE_SIZE = 50

LOG_LEVEL = "WARNING"
FEED_EXPORT_ENCODING = "utf-8"
