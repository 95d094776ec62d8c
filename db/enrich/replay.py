"""A local server that answers enrichment lookups from the recorded answers in
``shared/fixtures/open/`` (tests, ``bench/enrich_bench.py``, trying ``enrich --base-url`` out).

A search (Crossref ``/works?…``, OpenAlex ``/works?…``, NVA ``/resources?…``) gets the recorded
answer byte for byte, whatever it asks, as the cassettes recorded one answer per query. A DOI lookup
(Crossref ``/works/{doi}``, OpenAlex ``/works/doi:{doi}``, NVA ``/resources?doi=``) is DERIVED: the
record with that DOI taken from the recorded list, in the single-record envelope the API documents
(Crossref ``{"status": "ok", "message-type": "work", "message": …}``, OpenAlex the bare Work, NVA
the list with only that hit), or 404 when the recording has no such DOI. Crossref answers carry the
rate-limit headers its cassettes recorded (``x-rate-limit-limit: 10``, ``-interval: 1s``).
Faults by request number (0-based): ``truncate`` (half the body), ``html`` (a 200 HTML page),
``shape`` (JSON of another shape), ``too_many`` (429 without Retry-After), ``block`` (403).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from harvest.localserver import LocalServer

HTML_PAGE = b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>Back</body></html>"


@dataclass
class EnrichReplayConfig:
    source: str  # crossref | openalex | nva
    recording: Path
    faults: dict[int, str] = field(default_factory=dict)
    rate_headers: bool = True
    requests: list[str] = field(default_factory=list)
    robots: str | None = None  # the robots.txt served (None: 404); not counted in ``requests``


def _doi(value: Any) -> str:
    text = str(value or "").lower()
    return text.removeprefix("https://doi.org/").removeprefix("http://dx.doi.org/")


class EnrichReplayServer(LocalServer):
    def __init__(self, config: EnrichReplayConfig, port: int = 0):
        self.config = config
        super().__init__(config.recording, _Handler, port)

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, bytes]:
        source = self.config.source
        if source == "crossref":
            if path == "/works":
                return 200, self.body
            if path.startswith("/works/"):
                doi = _doi(unquote(path.removeprefix("/works/")))
                for item in self.data["message"]["items"]:
                    if _doi(item.get("DOI")) == doi:
                        envelope = {"status": "ok", "message-type": "work",
                                    "message-version": "1.0.0", "message": item}  # fmt: skip
                        return 200, json.dumps(envelope, ensure_ascii=False).encode()
                return 404, b"Resource not found."
        elif source == "openalex":
            if path == "/works":
                return 200, self.body
            if path.startswith("/works/doi:"):
                doi = _doi(unquote(path.removeprefix("/works/doi:")))
                for work in self.data["results"]:
                    if _doi(work.get("doi")) == doi:
                        return 200, json.dumps(work, ensure_ascii=False).encode()
                return 404, b'{"error": "not found"}'
        elif source == "nva" and path == "/resources":
            if "doi" not in query:
                return 200, self.body
            doi = _doi(query["doi"][0])
            hits = [h for h in self.data["hits"] if _doi(_nva_doi(h)) == doi]
            return 200, json.dumps({**self.data, "hits": hits, "totalHits": len(hits)}).encode()
        return 404, b'{"error": "not found"}'


def _nva_doi(record: dict[str, Any]) -> Any:
    reference = (record.get("entityDescription") or {}).get("reference") or {}
    return reference.get("doi") or record.get("doi")


class _Handler(BaseHTTPRequestHandler):
    replay: EnrichReplayServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.replay.config.source == "crossref" and self.replay.config.rate_headers:
            self.send_header("x-rate-limit-limit", "10")
            self.send_header("x-rate-limit-interval", "1s")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        config = self.replay.config
        if self.path == "/robots.txt":
            if config.robots is None:
                self._send(404, b"", "text/plain")
            else:
                self._send(200, config.robots.encode(), "text/plain")
            return
        number = len(config.requests)
        config.requests.append(self.path)
        url = urlparse(self.path)
        fault = config.faults.get(number)
        if fault == "html":
            self._send(200, HTML_PAGE, "text/html; charset=utf-8")
        elif fault == "shape":
            self._send(200, b'{"message": "unexpected", "items": {}}')
        elif fault == "too_many":
            self._send(429, b'{"error": "too many requests"}')
        elif fault == "block":
            self._send(403, b'{"error": "forbidden"}')
        else:
            status, body = self.replay.answer(url.path, parse_qs(url.query))
            if fault == "truncate":
                body = body[: len(body) // 2]
            self._send(status, body)
