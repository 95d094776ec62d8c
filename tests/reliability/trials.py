"""The fault server's trials: every fault at the first page and mid-search, two harvests each
(with the fault, then a plain rerun after it is gone). Run once per test session (the ``trials``
fixture in conftest.py) and by bench/reliability.py."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.reliability.faultserver import FAULTS, FaultConfig, FaultServer

ROOT = Path(__file__).resolve().parents[2]
OTTER = (
    ROOT.parent
    / "shared"
    / "fixtures"
    / "primo"
    / "tulibraries_tul_cob__articles_search_response.json"
)
EN_SEARCH = "oria-en-career-guidance-refugee"  # one request stream (eng)
PAGE = 5  # small pages: the trials test paging and faults, not parsing speed
TOTAL = 3 * PAGE  # three pages
OFFSETS = {0, PAGE, 2 * PAGE}
POSITIONS = {"first-page": 0, "mid-search": PAGE}
# A timeout short enough that a hang costs the suite seconds; Scrapy's one retry stays on.
SETTINGS = {"DOWNLOAD_TIMEOUT": 1.5, "ORIA_PAGE_SIZE": PAGE}
ONCE = {"http-429-retry-after"}  # a fault that clears after one answer (the wait then succeeds)


@dataclass
class Trial:
    fault: str
    position: str
    server: FaultServer
    first: dict[str, Any] = field(default_factory=dict)
    rerun: dict[str, Any] = field(default_factory=dict)
    first_keys: set[str] = field(default_factory=set)
    first_pages: set[int] = field(default_factory=set)
    rerun_offsets: list[int] = field(default_factory=list)


def run_trials(db: Path, urls: list[str]) -> dict[str, dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "reliability" / "run_trials.py"), str(db),
         json.dumps(SETTINGS), EN_SEARCH, *urls],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    runs = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return {run["url"]: run for run in runs}


def hit_keys(db: Path, run_id: int) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [k for (k,) in conn.execute("SELECT hit_key FROM hits WHERE run_id = ?", (run_id,))]
    finally:
        conn.close()


def stored_offsets(db: Path, run_id: int) -> set[int]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT page_key FROM run_pages WHERE run_id = ?", (run_id,))
        return {int(key.split(":")[1]) for (key,) in rows}
    finally:
        conn.close()


def offset_of(path: str) -> int:
    return int(path.split("offset=")[1].split("&")[0])


def run_all_trials(db: Path, faults: tuple[str, ...] = FAULTS) -> list[Trial]:
    """Every fault at every position against a copy of a built database at ``db``: the first
    harvest with the fault, then a plain rerun after it is gone (servers closed at the end)."""
    made = []
    for fault in faults:
        for position, offset in POSITIONS.items():
            config = FaultConfig(
                OTTER, total=TOTAL, faults={offset: fault}, times=1 if fault in ONCE else None
            )
            made.append(Trial(fault, position, FaultServer(config).__enter__()))
    try:
        urls = [t.server.url for t in made]
        first = run_trials(db, urls)
        for trial in made:
            trial.first = first[trial.server.url]
            trial.first_keys = set(hit_keys(db, trial.first["id"]))
            trial.first_pages = stored_offsets(db, trial.first["id"])
            trial.server.clear()
            trial.server.config.requests.clear()
        rerun = run_trials(db, urls)
        for trial in made:
            trial.rerun = rerun[trial.server.url]
            trial.rerun_offsets = [offset_of(p) for p in trial.server.config.requests]
            trial.rerun["keys"] = hit_keys(db, trial.rerun["id"])
    finally:
        for trial in made:
            trial.server.__exit__(None, None, None)
    return made
