"""A polite HTTP client for the lookups: one request at a time, our User-Agent with a contact,
the rate the source announces (``x-rate-limit-limit`` per ``x-rate-limit-interval``, as Crossref
sends them), ``Retry-After`` honoured a bounded number of times, a block that stops the run, and
the host's robots.txt obeyed (read once per host; none, or one that cannot be read, allows all, as
Scrapy's robots.txt middleware does for the harvest)."""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from harvest.politeness import retry_after_seconds
from harvest.settings import USER_AGENT

RETRY_AFTER_TIMES = 2
RETRY_AFTER_MAX_SECONDS = 60.0
TIMEOUT = 30.0


class EnrichError(Exception):
    """A lookup that cannot be used: the message names the URL and what was wrong."""


class Blocked(EnrichError):
    """The source refused us (403, 429 without a usable Retry-After): the run stops."""


def without_credentials(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("mailto", "api_key")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def with_params(url: str, params: dict[str, str]) -> str:
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(params)


@dataclass
class PoliteClient:
    min_delay: float
    params: dict[str, str] = field(default_factory=dict)  # mailto, api_key
    requests: int = 0
    _next_at: float = 0.0
    _robots: dict[str, urllib.robotparser.RobotFileParser | None] = field(default_factory=dict)

    def get(self, url: str) -> bytes | None:
        """The body of a 200 answer, None for a 404 (nothing found); EnrichError otherwise."""
        shown = without_credentials(url)
        if not self.allowed(url):
            raise Blocked(f"{shown}: the host's robots.txt does not allow {USER_AGENT!r} to ask")
        for attempt in range(RETRY_AFTER_TIMES + 1):
            wait = self._next_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            request = urllib.request.Request(
                with_params(url, self.params),
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            )
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                    self._pace(answer.headers)
                    body: bytes = answer.read()
                    length = answer.headers.get("Content-Length")
                    if length and length.isdigit() and int(length) != len(body):
                        raise EnrichError(
                            f"{shown}: truncated answer ({len(body)} of {length} bytes)"
                        )
                    return body
            except urllib.error.HTTPError as exc:
                self._pace(exc.headers)
                if exc.code == 404:
                    return None
                if exc.code in (429, 503):
                    delay = retry_after_seconds(exc.headers.get("Retry-After"))
                    if (
                        delay is not None
                        and delay <= RETRY_AFTER_MAX_SECONDS
                        and attempt < RETRY_AFTER_TIMES
                    ):
                        self._next_at = time.monotonic() + delay
                        continue
                if exc.code in (403, 429):
                    raise Blocked(f"{shown}: HTTP {exc.code}, the source refused us") from exc
                raise EnrichError(f"{shown}: HTTP {exc.code}") from exc
            except urllib.error.URLError as exc:
                raise EnrichError(f"{shown}: {exc.reason}") from exc
            except http.client.IncompleteRead as exc:
                raise EnrichError(f"{shown}: truncated answer ({len(exc.partial)} bytes)") from exc
            except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
                raise EnrichError(f"{shown}: {exc}") from exc
        raise Blocked(f"{shown}: still refused after {RETRY_AFTER_TIMES} waits for Retry-After")

    def allowed(self, url: str) -> bool:
        """Whether the host's robots.txt lets us ask for ``url``."""
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        if host not in self._robots:
            self._robots[host] = self._read_robots(f"{host}/robots.txt")
        rules = self._robots[host]
        return rules is None or rules.can_fetch(USER_AGENT, url)

    def _read_robots(self, robots_url: str) -> urllib.robotparser.RobotFileParser | None:
        request = urllib.request.Request(robots_url, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                text = answer.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException, ValueError):
            return None  # no robots.txt (404), or none that can be read: nothing forbidden
        rules = urllib.robotparser.RobotFileParser(robots_url)
        rules.parse(text.splitlines())
        return rules

    def _pace(self, headers: object) -> None:
        delay = self.min_delay
        get = getattr(headers, "get", None)
        if get is not None:
            limit, interval = get("x-rate-limit-limit"), get("x-rate-limit-interval")
            if limit and interval and limit.isdigit() and int(limit) > 0:
                seconds = interval.strip().removesuffix("s")
                if seconds.replace(".", "", 1).isdigit():
                    delay = max(delay, float(seconds) / int(limit))
        self._next_at = time.monotonic() + delay
