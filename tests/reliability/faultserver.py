"""A Primo VE server of our own that answers with faults: loopback only, bounded in time.

Clean pages are the recorded Primo answer (../shared/fixtures/primo/, see its SOURCE.md) paged as
``harvest.replay`` pages it: each offset gets ``limit`` docs cycled from the recording, each record
id suffixed ``~<position>``, ``info.total`` = ``total``. A fault is set per offset and fires for
every request of that offset until :meth:`FaultServer.clear` (or ``times`` requests).

Faults (``FAULTS``): HTTP answers (429 with or without Retry-After, 500, 503), transport faults
(a hang longer than the client's timeout, a slow body, a reset mid-body) and 200 answers that
cannot be used (truncated JSON, ``docs`` an object, a top-level list, an HTML CAPTCHA page, an
empty body, a non-numeric ``info.total``, a ``pnx`` list, invalid UTF-8, deep nesting).
"""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from harvest.localserver import LocalServer

HANG_SECONDS = 4.0  # longer than the tests' DOWNLOAD_TIMEOUT, short enough to bound a test
SLOW_CHUNKS = 5
SLOW_PAUSE = 0.2

CAPTCHA_PAGE = (
    b"<!DOCTYPE html><html><head><title>Verify</title></head><body>"
    b"<form id='captcha-form'><p>Please show you're not a robot</p></form></body></html>"
)

FAULTS = (
    "http-429",
    "http-429-retry-after",
    "http-429-retry-after-too-long",
    "http-500",
    "http-503",
    "hang",
    "slow-body",
    "reset-mid-body",
    "truncated-json",
    "docs-object",
    "top-level-list",
    "captcha-html",
    "empty-body",
    "total-not-a-number",
    "pnx-list",
    "invalid-utf8",
    "deep-nesting",
)


@dataclass
class FaultConfig:
    recording: Path
    total: int
    faults: dict[int, str] = field(default_factory=dict)  # offset -> fault
    times: int | None = None  # None: until cleared
    retry_after: int = 1
    requests: list[str] = field(default_factory=list)  # every search request's path
    fired: list[tuple[int, str]] = field(default_factory=list)


class FaultServer(LocalServer):
    """``with FaultServer(config) as server: server.url``: serves on 127.0.0.1 in a thread."""

    def __init__(self, config: FaultConfig):
        self.config = config
        self.lock = threading.Lock()
        super().__init__(config.recording, _Handler)

    def clear(self) -> None:
        """The fault is gone: every page answers cleanly from now on."""
        with self.lock:
            self.config.faults.clear()

    def answer(self, offset: int, limit: int) -> dict[str, Any]:
        docs = self.data["docs"]
        answer = copy.deepcopy({k: v for k, v in self.data.items() if k != "docs"})
        answer["info"] = {**answer.get("info", {}), "total": self.config.total}
        page = []
        for position in range(offset, min(offset + limit, self.config.total)):
            doc = copy.deepcopy(docs[position % len(docs)])
            control = doc["pnx"]["control"]
            control["recordid"] = [f"{control['recordid'][0]}~{position}"]
            page.append(doc)
        answer["docs"] = page
        return answer

    def keys(self, offsets: range | None = None) -> set[str]:
        """The hit keys of a clean run (every page), for comparing hit sets."""
        docs = self.data["docs"]
        return {
            f"{docs[p % len(docs)]['pnx']['control']['recordid'][0]}~{p}"
            for p in range(self.config.total)
        }

    def fault_for(self, offset: int) -> str | None:
        with self.lock:
            fault = self.config.faults.get(offset)
            if fault is None:
                return None
            self.config.fired.append((offset, fault))
            fired = sum(1 for o, _ in self.config.fired if o == offset)
            if self.config.times is not None and fired >= self.config.times:
                del self.config.faults[offset]
            return fault


class _Handler(BaseHTTPRequestHandler):
    replay: FaultServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        # the client may give up (a hang it timed out): then there is nothing to answer
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._get()

    def _get(self) -> None:
        url = urlparse(self.path)
        if url.path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            return
        if url.path != "/primaws/rest/pub/pnxs":
            self._send(404, b"{}")
            return
        server = self.replay
        with server.lock:
            server.config.requests.append(self.path)
        query = parse_qs(url.query)
        offset = int(query.get("offset", ["0"])[0])
        limit = int(query.get("limit", ["10"])[0])
        answer = server.answer(offset, limit)
        body = json.dumps(answer).encode()
        fault = server.fault_for(offset)
        if fault is None:
            self._send(200, body)
        elif fault == "http-429":
            self._send(429, b'{"error": "too many requests"}')
        elif fault == "http-429-retry-after":
            retry = {"Retry-After": str(server.config.retry_after)}
            self._send(429, b'{"error": "too many requests"}', headers=retry)
        elif fault == "http-429-retry-after-too-long":
            self._send(429, b'{"error": "slow down"}', headers={"Retry-After": "3600"})
        elif fault == "http-500":
            self._send(500, b'{"error": "internal error"}')
        elif fault == "http-503":
            self._send(503, b'{"error": "unavailable"}')
        elif fault == "hang":
            time.sleep(HANG_SECONDS)
            self._send(200, body)
        elif fault == "slow-body":
            self._slow(body)
        elif fault == "reset-mid-body":
            self._reset(body)
        else:
            self._send(200, *BAD_ANSWERS[fault](answer, body))

    def _slow(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        step = len(body) // SLOW_CHUNKS + 1
        for start in range(0, len(body), step):
            self.wfile.write(body[start : start + step])
            self.wfile.flush()
            time.sleep(SLOW_PAUSE)

    def _reset(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        # SO_LINGER 0: close with a TCP reset, not a clean end of the stream
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


BAD_ANSWERS: dict[str, Any] = {
    "truncated-json": lambda answer, body: (body[: len(body) // 2],),
    "docs-object": lambda answer, body: (
        json.dumps({**answer, "docs": answer["docs"][0]}).encode(),
    ),
    "top-level-list": lambda answer, body: (json.dumps(answer["docs"]).encode(),),
    "captcha-html": lambda answer, body: (CAPTCHA_PAGE, "text/html; charset=utf-8"),
    "empty-body": lambda answer, body: (b"",),
    "total-not-a-number": lambda answer, body: (
        json.dumps({**answer, "info": {**answer["info"], "total": "many"}}).encode(),
    ),
    "pnx-list": lambda answer, body: (
        json.dumps({**answer, "docs": [{**d, "pnx": [d["pnx"]]} for d in answer["docs"]]}).encode(),
    ),
    "invalid-utf8": lambda answer, body: (body.replace(b'"info"', b'"\xff\xfeinfo"', 1),),
    "deep-nesting": lambda answer, body: (
        body[:-1] + b', "extra": ' + _deep(100_000).encode() + b"}",
    ),
}
