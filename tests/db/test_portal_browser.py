"""`evidensbase serve` as a user runs it, looked at in the real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chromium(*args: str) -> str:
    assert CHROMIUM, "Debian's chromium is needed for the browser tests: apt-get install chromium"
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=True,
        )
    return result.stdout


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evidensbase",
            "serve",
            "--db",
            str(tmp_path / "evidensbase.db"),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"serve did not start: {process.communicate()[0]}") from None
            time.sleep(0.3)
    yield base, process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_the_corpus_page_shows_the_groups_and_their_counts(
    served: tuple[str, subprocess.Popen[str]], tmp_path: Path
) -> None:
    base, _ = served
    dom = chromium("--dump-dom", f"{base}/evidensbase/corpus")
    text = re.sub(r"<[^>]+>", "", dom)
    assert "24 rows sorted by year" in text
    assert re.search(r"Norske rapporter / Norwegian reports\s*9", text)
    assert re.search(r"Svenske og danske rapporter / Swedish and Danish reports\s*6", text)
    assert re.search(r"Fagfellevurderte artikler / Peer-reviewed articles\s*9", text)
    screenshot = tmp_path / "corpus.png"
    chromium("--window-size=1400,1800", f"--screenshot={screenshot}", f"{base}/evidensbase/corpus")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 50_000  # a rendered page, not a blank one


def test_serve_prints_where_to_open_it_and_stops_cleanly_on_ctrl_c(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    base, process = served
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert f"open {base}/evidensbase/corpus" in output
    assert "Built" in output and "24 corpus works" in output
    assert "portal stopped" in output
