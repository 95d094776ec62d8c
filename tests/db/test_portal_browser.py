"""`evidensbase serve` as a user runs it, looked at in the real headless Chromium."""

from __future__ import annotations

import re
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import CHROMIUM, CHROMIUM_ARGS, evidensbase_command, free_port, running_server

pytestmark = pytest.mark.browser


def chromium(*args: str) -> str:
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium"
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                CHROMIUM,
                *CHROMIUM_ARGS,
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
    command = evidensbase_command(
        "serve", "--db", str(tmp_path / "evidensbase.db"), "--port", str(port)
    )
    with running_server(command, port, cwd=tmp_path) as (base, process):
        yield base, process


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
