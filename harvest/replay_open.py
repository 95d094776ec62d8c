"""A local server that replays recorded answers of the open sources (NVA, OpenAlex, SwePub), for
tests, benchmarks and trying a harvest out (``harvest.replay`` does the same for Primo).

By default every search request gets the recording byte for byte. With ``total=N`` it pages the
way the engine does (NVA ``from``/``size``, SwePub ``start``/``n``, OpenAlex ``cursor``): each
page holds records cycled from the recording, each id suffixed ``~<position>`` so every page holds
distinct records, and the engine's total is N. Faults can be injected per page number (0-based):
``fail`` (HTTP 500), ``too_many`` (429), ``truncate`` (half the body), ``html`` (an HTML page) and
``shape`` (valid JSON of another shape).
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

FAULTS = ("fail", "too_many", "truncate", "html", "shape")
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>Back</body></html>"


@dataclass(frozen=True)
class EngineShape:
    """Where an engine's answer keeps its records, their ids and its total, and how it pages."""

    path: str  # the search endpoint
    records: tuple[str, ...]  # keys down to the list of records
    total: tuple[str, ...]  # keys down to the total
    record_id: str


SHAPES = {
    "nva": EngineShape("/resources", ("hits",), ("totalHits",), "identifier"),
    "swepub": EngineShape("/xsearch", ("xsearch", "list"), ("xsearch", "records"), "identifier"),
    "openalex": EngineShape("/works", ("results",), ("meta", "count"), "id"),
}


@dataclass
class OpenReplayConfig:
    engine: str  # nva | openalex | swepub
    recording: Path
    total: int | None = None  # None: replay the recording as it is
    delay: float = 0.0  # seconds before each search answer
    faults: dict[int, str] = field(default_factory=dict)  # page number -> one of FAULTS
    requests: list[str] = field(default_factory=list)


class OpenReplayServer(LocalServer):
    """``with OpenReplayServer(config) as server: server.url``: serves on 127.0.0.1 in a thread."""

    def __init__(self, config: OpenReplayConfig, port: int = 0):
        self.config = config
        self.shape = SHAPES[config.engine]
        super().__init__(config.recording, _Handler, port)

    def position(self, query: dict[str, list[str]]) -> tuple[int, int, int]:
        """(page number, first position, page size) of a request, as the engine pages."""

        def arg(name: str, default: str) -> str:
            return query.get(name, [default])[0]

        if self.config.engine == "nva":
            size = int(arg("size", "15"))
            start = int(arg("from", "0"))
        elif self.config.engine == "swepub":
            size = int(arg("n", "10"))
            start = int(arg("start", "1")) - 1
        else:
            size = int(arg("per-page", "25"))
            cursor = arg("cursor", "*")
            start = 0 if cursor == "*" else int(cursor.removeprefix("page-")) * size
        return (start // size if size else 0), start, size

    def page(self, number: int, start: int, size: int) -> bytes:
        """The answer for one page (synthetic paging when ``total`` is set)."""
        total = self.config.total
        if total is None:
            return self.body
        answer = copy.deepcopy(self.data)
        records = _get(self.data, self.shape.records)
        page = []
        for position in range(start, min(start + size, total)):
            record = copy.deepcopy(records[position % len(records)])
            record[self.shape.record_id] = f"{record[self.shape.record_id]}~{position}"
            page.append(record)
        _set(answer, self.shape.records, page)
        _set(answer, self.shape.total, total)
        if self.config.engine == "openalex":
            more = start + size < total
            answer["meta"]["next_cursor"] = f"page-{number + 1}" if more else None
        return json.dumps(answer, ensure_ascii=False).encode()


def _get(data: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        data = data[key]
    return data


def _set(data: Any, keys: tuple[str, ...], value: Any) -> None:
    for key in keys[:-1]:
        data = data[key]
    data[keys[-1]] = value


class _Handler(BaseHTTPRequestHandler):
    replay: OpenReplayServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        replay = self.replay
        replay.config.requests.append(self.path)
        url = urlparse(self.path)
        if url.path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            return
        if url.path != replay.shape.path:
            self._send(404, b'{"error": "not found"}')
            return
        number, start, size = replay.position(parse_qs(url.query))
        if replay.config.delay:
            time.sleep(replay.config.delay)
        fault = replay.config.faults.get(number)
        if fault == "too_many":
            self._send(429, b'{"error": "too many requests"}')
        elif fault == "fail":
            self._send(500, b'{"error": "internal error"}')
        elif fault == "html":
            self._send(200, HTML_PAGE, "text/html; charset=utf-8")
        elif fault == "shape":
            self._send(200, b'{"message": "unexpected", "items": {}}')
        elif fault == "truncate":
            body = replay.page(number, start, size)
            self._send(200, body[: len(body) // 2])
        else:
            self._send(200, replay.page(number, start, size))


def main() -> None:  # pragma: no cover - a manual demo entry point
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("engine", choices=sorted(SHAPES))
    parser.add_argument("recording", type=Path)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--total", type=int)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    config = OpenReplayConfig(args.engine, args.recording, total=args.total, delay=args.delay)
    with OpenReplayServer(config, port=args.port) as server:
        print(f"replaying {args.recording} as {args.engine} at {server.url}", flush=True)
        server.thread.join()


if __name__ == "__main__":  # pragma: no cover
    main()
