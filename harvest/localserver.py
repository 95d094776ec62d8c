"""A recorded answer served on loopback in a thread, for tests, benchmarks and trying things out
without the network: the base of the Primo, open-API, enrichment and fault-injecting servers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self


class LocalServer:
    """``with Server(config) as server: server.url``. The handler class reaches the server as
    ``self.replay``; ``body`` is the recording's bytes and ``data`` its JSON."""

    def __init__(self, recording: Path, handler: type[BaseHTTPRequestHandler], port: int = 0):
        self.body = recording.read_bytes()
        self.data: Any = json.loads(self.body)
        bound = type("Handler", (handler,), {"replay": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), bound)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
