"""A local Primo VE server that replays a recorded ``pnxs`` answer, for tests, benchmarks and demos.

By default every search request gets the recorded answer byte for byte. With ``total=N`` it pages:
each offset gets ``limit`` docs cycled from the recording, each record id suffixed ``~<position>``
so every page holds distinct records, and ``info.total`` = N. Faults can be injected per offset.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from harvest.localserver import LocalServer

GUEST_TOKEN = "replay-guest-token"


@dataclass
class ReplayConfig:
    recording: Path
    total: int | None = None  # None: replay the recording as it is
    delay: float = 0.0  # seconds before each search answer
    require_token: bool = False
    fail_offsets: set[int] = field(default_factory=set)  # answer HTTP 500
    truncate_offsets: set[int] = field(default_factory=set)  # answer with half the JSON
    too_many_offsets: set[int] = field(default_factory=set)  # answer HTTP 429
    requests: list[str] = field(default_factory=list)


class ReplayServer(LocalServer):
    """``with ReplayServer(config) as server: server.url``: serves on 127.0.0.1 in a thread."""

    def __init__(self, config: ReplayConfig, port: int = 0):
        self.config = config
        self._pages: dict[tuple[int, int], bytes] = {}
        super().__init__(config.recording, _Handler, port)

    def page(self, offset: int, limit: int) -> bytes:
        """The answer for one offset (synthetic paging when ``total`` is set)."""
        if self.config.total is None:
            return self.body
        key = (offset, limit)
        if key not in self._pages:
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
            self._pages[key] = json.dumps(answer).encode()
        return self._pages[key]


class _Handler(BaseHTTPRequestHandler):
    replay: ReplayServer
    # Keep-alive, as real engines serve: a client (Scrapy) reuses one connection for a stream of
    # pages instead of a TCP connect, a server thread and a teardown per page.
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once, no delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        config = self.replay.config
        config.requests.append(self.path)
        url = urlparse(self.path)
        if url.path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif url.path.endswith("/guestJwt"):
            self._send(200, json.dumps(GUEST_TOKEN).encode())
        elif url.path == "/primaws/rest/pub/pnxs":
            if config.require_token and (
                self.headers.get("Authorization") != f"Bearer {GUEST_TOKEN}"
            ):
                self._send(401, b'{"error": "guest token required"}')
                return
            query = parse_qs(url.query)
            offset = int(query.get("offset", ["0"])[0])
            limit = int(query.get("limit", ["10"])[0])
            if config.delay:
                time.sleep(config.delay)
            if offset in config.too_many_offsets:
                self._send(429, b'{"error": "too many requests"}')
            elif offset in config.fail_offsets:
                self._send(500, b'{"error": "internal error"}')
            elif offset in config.truncate_offsets:
                body = self.replay.page(offset, limit)
                self._send(200, body[: len(body) // 2])
            else:
                self._send(200, self.replay.page(offset, limit))
        else:
            self._send(404, b"{}")


def main() -> None:  # pragma: no cover - a manual demo entry point
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("recording", type=Path)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--total", type=int)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    config = ReplayConfig(args.recording, total=args.total, delay=args.delay)
    with ReplayServer(config, port=args.port) as server:
        print(f"replaying {args.recording} at {server.url}", flush=True)
        server.thread.join()


if __name__ == "__main__":  # pragma: no cover
    main()
