"""Real processes for tests, as a user runs them: a server (`evidensbase serve …` or plain
`datasette …`) on a free loopback port, waited for until a page answers, and Debian's headless
Chromium (driven by Playwright; never `playwright install`)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def evidensbase_command(*args: str) -> list[str]:
    """The command line of ``evidensbase ARGS`` in this interpreter."""
    return [sys.executable, "-m", "evidensbase", *args]


@contextmanager
def running_server(
    command: Sequence[str],
    port: int,
    *,
    cwd: Path,
    ready_path: str = "/-/versions.json",
    timeout: float = 60,
    env: Mapping[str, str] | None = None,
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run ``command`` (which must listen on ``port``) until the block ends; yields the base URL
    and the process. Fails with the server's own output when it does not come up in time."""
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
        env={**(env if env is not None else os.environ), "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{base}{ready_path}", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    output = process.communicate()[0]
                    raise AssertionError(f"the server did not start: {output}") from None
                time.sleep(0.3)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """Debian's Chromium, headless, as a Playwright browser."""
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def processes_holding(path: Path, within: float = 0) -> list[int]:
    """The ids of processes with ``path`` open (Linux /proc), waiting up to ``within`` seconds
    for there to be none."""
    target = str(path.resolve())
    deadline = time.monotonic() + within
    while True:
        holders = []
        for fd_dir in Path("/proc").glob("[0-9]*/fd"):
            try:
                links = [os.readlink(fd) for fd in fd_dir.iterdir()]
            except OSError:  # gone, or not ours to read
                continue
            if any(link == target or link == f"{target} (deleted)" for link in links):
                holders.append(int(fd_dir.parent.name))
        if not holders or time.monotonic() >= deadline:
            return holders
        time.sleep(0.2)
