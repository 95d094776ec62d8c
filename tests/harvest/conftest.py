"""Helpers for the harvest tests: the real ``evidensbase`` command in a subprocess, a local Primo
replay server, and queries on the database it writes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harvest.replay import ReplayConfig, ReplayServer

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"
PRIMO = FIXTURES / "primo"
SCHOLAR = FIXTURES / "scholar"
OTTER = PRIMO / "tulibraries_tul_cob__articles_search_response.json"
DATA = ROOT / "tests" / "data" / "harvest"


def _evidensbase(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a fresh process (Scrapy's reactor runs once per process)."""
    return subprocess.run(
        [sys.executable, "-m", "evidensbase", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def _rows(db: Path, sql: str, *params: Any) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def _hit(db: Path, hit_key: str) -> dict[str, Any]:
    (found,) = _rows(db, "SELECT * FROM hits WHERE hit_key = ?", hit_key)
    found["authors"] = json.loads(found["authors"])
    return found


@pytest.fixture
def replay() -> Iterator[Any]:
    """``replay(config_kwargs)`` starts a local Primo replay server for the test's duration."""
    servers: list[ReplayServer] = []

    def start(recording: Path = OTTER, **kwargs: Any) -> ReplayServer:
        server = ReplayServer(ReplayConfig(recording, **kwargs)).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def cli() -> Any:
    """``cli(*args)``: the real ``evidensbase`` command in a subprocess."""
    return _evidensbase


@pytest.fixture
def sql() -> Any:
    """``sql(db, query, *params)``: rows of a query as dicts."""
    return _rows


@pytest.fixture
def get_hit() -> Any:
    """``get_hit(db, hit_key)``: the one stored hit with this key, authors decoded."""
    return _hit


OPEN = FIXTURES / "open"


@pytest.fixture
def open_replay() -> Iterator[Any]:
    """``open_replay(engine, recording, **config)``: a local NVA / OpenAlex / SwePub replay
    server (harvest.replay_open) for the test's duration."""
    from harvest.replay_open import OpenReplayConfig, OpenReplayServer

    servers: list[OpenReplayServer] = []

    def start(engine: str, recording: Path, **kwargs: Any) -> OpenReplayServer:
        server = OpenReplayServer(OpenReplayConfig(engine, recording, **kwargs)).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)
