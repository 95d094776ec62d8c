"""A load run of the public portal (issue 15, part 7): a real ``evidensbase serve`` process on
loopback, N client threads for a bounded time, each asking the reader's pages in turn.

Every request has a 30 s timeout; an *error* is a 5xx, a refused or dropped connection or a
timeout (for the ordinary clients any answer but 200 too). With ``abuser=True`` one client sends
the pathological requests of tests/db/test_portal_abuse.py instead (4xx answers are what it should
get), and the figures are the other clients' only.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

READER_PAGES = (
    "/", "/works", "/works/thomsen2016", "/gap-map", "/works?q=veiledning",
    "/works?theme=power_relations", "/evidensbase/corpus", "/evidensbase/corpus.json?_facet=year",
    "/evidensbase/corpus?_search=narrativ", "/gap-map?axis=country", "/evidensbase/flow",
    "/works?lang=en",
)  # fmt: skip
LONG_IDS = ",".join(str(i) for i in range(1, 2600))  # about 10 KB
PATHOLOGICAL = (
    f"/evidensbase/corpus.json?id__in={LONG_IDS}",
    f"/evidensbase/corpus.json?_search={'a' * 10_000}",
    f"/works?q={quote('veiledning ' * 1000)}",
    "/evidensbase/corpus.json?_size=max" + "&_facet=year&_facet=type&_facet=language" * 20,
    "/evidensbase/corpus.json?_next=99999999",
    "/works?page=99999999",
    "/evidensbase.json?sql=select+length(randomblob(100000000))",
    "/evidensbase/corpus.json?_search=" + quote('"' * 500 + "*" * 500),
    "/evidensbase/corpus.json?title__glob=" + quote("*" * 5000),
)


@dataclass
class LoadResult:
    clients: int
    seconds: float
    abuser: bool
    latencies: list[float] = field(default_factory=list)  # ordinary clients' answers
    errors: int = 0
    abuser_requests: int = 0
    abuser_errors: int = 0  # 5xx or failures for the pathological requests
    abuser_slowest: float = 0.0  # seconds, the slowest pathological answer

    @property
    def served(self) -> int:
        return len(self.latencies)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(db: Path) -> Iterator[str]:
    """``evidensbase serve --db DB`` on a free loopback port, until the block ends."""
    port = free_port()
    script = Path(sys.executable).parent / "evidensbase"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "evidensbase"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENSBASE_")}
    process = subprocess.Popen(
        [*cmd, "serve", "--db", str(db), "--port", str(port)], cwd=db.parent, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("evidensbase serve did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _ask(connection: http.client.HTTPConnection, path: str) -> int:
    connection.request("GET", path, headers={"Accept-Encoding": "identity"})
    response = connection.getresponse()
    response.read()
    return response.status


def _client(base: str, paths: tuple[str, ...], until: float, start: int, record) -> None:  # type: ignore[no-untyped-def]
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    n = start
    while time.monotonic() < until:
        path = paths[n % len(paths)]
        n += 1
        began = time.monotonic()
        try:
            status = _ask(connection, path)
        except (OSError, http.client.HTTPException):
            status = 0
            connection.close()
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
        record(path, status, time.monotonic() - began)
    connection.close()


def load_run(base: str, clients: int, seconds: float, abuser: bool = False) -> LoadResult:
    result = LoadResult(clients, seconds, abuser)
    lock = threading.Lock()

    def ordinary(path: str, status: int, took: float) -> None:
        with lock:
            result.latencies.append(took)
            result.errors += status != 200

    def abusive(path: str, status: int, took: float) -> None:
        with lock:
            result.abuser_requests += 1
            result.abuser_errors += status == 0 or status >= 500
            result.abuser_slowest = max(result.abuser_slowest, took)

    until = time.monotonic() + seconds
    threads = []
    for number in range(clients):
        if abuser and number == 0:
            args = (base, PATHOLOGICAL, until, 0, abusive)
        else:
            args = (base, READER_PAGES, until, number, ordinary)
        threads.append(threading.Thread(target=_client, args=args, daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    return result


def portal_load(work: Path, built: Path, seconds: float = 20.0) -> list[LoadResult]:
    """8, 16 and 32 clients, then 16 with one sending the pathological requests."""
    db = work / "portal" / "evidensbase.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built, db)
    with served(db) as base:
        _client(base, READER_PAGES, time.monotonic() + 2, 0, lambda *a: None)  # warm up
        runs = [load_run(base, n, seconds) for n in (8, 16, 32)]
        runs.append(load_run(base, 16, seconds, abuser=True))
    return runs
