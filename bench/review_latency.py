"""Benchmark: from a decision's post on the review site to the next record shown, with the model
retraining, beside the terminal session's retrain time (rank_queue alone).

Usage: .venv/bin/python bench/review_latency.py [--works 10000] [--decisions 30]

A temporary copy of the built database gets ``--works`` unscreened synthetic works (Nordic and
English words, a third about career guidance for refugees); one reviewer signs in through
Datasette's own test client and decides ``--decisions`` records in a row. Each measurement is the
post, the redirect to the next record (the queue ranked again) and that record's page. The
target of issue 11: p95 under 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db.build import build_database  # noqa: E402
from db.database import open_db  # noqa: E402
from db.portal import make_datasette  # noqa: E402
from db.portal.review.accounts import add_reviewer  # noqa: E402
from screening.queue import queue_work_ids, rank_queue  # noqa: E402

ON_TOPIC = ["karriereveiledning", "flyktninger", "nyankomne", "vägledning", "refugees", "career"]
OFF_TOPIC = ["fotball", "bibliotek", "bruer", "hage", "skole", "history", "energy", "kommune"]
TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')


def make_db(folder: Path, works: int) -> Path:
    path = folder / "evidensbase.db"
    build_database(path)
    db = open_db(path)
    rng = random.Random(7)
    rows = []
    for n in range(works):
        words = ON_TOPIC if n % 3 == 0 else OFF_TOPIC
        title = " ".join(rng.choice(words + OFF_TOPIC) for _ in range(6))
        abstract = " ".join(rng.choice(words + OFF_TOPIC) for _ in range(40))
        rows.append({"key": f"synthetic_{n:06d}", "title": title, "abstract": abstract,
                     "year": 2019, "type": "report", "language": "nb", "peer_reviewed": 0,
                     "origin": "harvest"})  # fmt: skip
    with db.atomic():
        db.table("works").insert_all(rows, batch_size=1000)
    db.close()
    add_reviewer(folder / "evidensbase-reviewers.json", "Bench", "bench password")
    return path


async def run(path: Path, decisions: int) -> list[float]:
    datasette = make_datasette(path, review=True)
    await datasette.invoke_startup()
    client = datasette.client
    cookies: dict[str, str] = {}

    async def call(method: str, url: str, **kwargs: object) -> object:
        response = await getattr(client, method)(url, cookies=dict(cookies), **kwargs)
        for name, value in response.cookies.items():
            cookies[name] = value
        return response

    login = await call("get", "/-/review/login")
    token = TOKEN.search(login.text).group(1)  # type: ignore[attr-defined]
    credentials = {"name": "Bench", "password": "bench password", "csrftoken": token}
    await call("post", "/-/review/login", data=credentials)
    page = await call("get", "/-/review/stage/1/next")
    location = page.headers["location"]  # type: ignore[attr-defined]
    page = await call("get", location)
    timings = []
    for n in range(decisions):
        token = TOKEN.search(page.text).group(1)  # type: ignore[attr-defined]
        decision = "include" if n % 3 == 0 else "exclude"
        data = {"decision": decision, "criterion": "not_relevant", "csrftoken": token}
        start = time.perf_counter()
        posted = await call("post", location, data=data)
        following = await call("get", posted.headers["location"])  # type: ignore[attr-defined]
        location = following.headers["location"]  # type: ignore[attr-defined]
        page = await call("get", location)
        timings.append(time.perf_counter() - start)
    return timings


def terminal_retrain(path: Path, repeats: int = 5) -> list[float]:
    db = open_db(path)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        rank_queue(db, queue_work_ids(db, 1, "Bench", double=True), only_reviewer="Bench")
        timings.append(time.perf_counter() - start)
    return timings


def describe(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"{name:40} median {statistics.median(ordered) * 1000:7.0f} ms   p95 {p95 * 1000:7.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = make_db(Path(folder), args.works)
        web = asyncio.run(run(path, args.decisions))
        terminal = terminal_retrain(path)
    print(f"{args.works} unscreened works, {args.decisions} decisions")
    print(describe("review site: post → next record shown", web))
    print(describe("terminal session: rank_queue (retrain)", terminal))


if __name__ == "__main__":
    main()
