"""The stage-1 ranking of the review site, retrained in the background.

Ranking retrains the relevance model over every work's text (``screening.queue.rank_queue``):
seconds at 10k works. The terminal session waits for it; the review site shows the next record
from the latest ranking at once and retrains in a thread of its own, as ASReview LAB does, so a
reviewer's next record follows their decisions a few records late, never blocks on them. A
record already decided never appears: the cached order is always filtered by the live queue.
The retraining runs in a process of its own, so that it does not hold the pages' interpreter
lock: on two cores the next record is shown while the model trains.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from screening.queue import QueueItem, rank_queue


@dataclass
class Ranking:
    items: list[QueueItem]
    trained_on: int  # how many records were left in the queue when it was computed


_connections: dict[Path, sqlite_utils.Database] = {}  # in the ranking process, one per file


def rank_in_process(db_path: Path, reviewer: str, ids: list[int], blind: bool) -> Ranking:
    """Rank ``ids`` for ``reviewer`` over a read-only connection of this process."""
    if db_path not in _connections:
        from db.database import open_db

        _connections[db_path] = open_db(db_path, create=False, readonly=True)
    items = rank_queue(_connections[db_path], ids, only_reviewer=reviewer if blind else None)
    return Ranking(items, len(ids))


def _follow_the_server(server_pid: int) -> None:
    """Set up the ranking process: it ends with the server, however the server ends.

    Ctrl-C reaches both; the server stops, and its pool stops this process. A SIGTERM or a kill
    of the server (a service manager stopping it) runs no exit handler, and the process would be
    left behind holding the database open: it checks each second that its parent still lives."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == server_pid:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="evidensbase-follow-server", daemon=True).start()


def _ranking_process() -> Executor:
    # spawn, not fork: the server has threads (Datasette's, the review thread)
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        1, mp_context=context, initializer=_follow_the_server, initargs=(os.getpid(),)
    )


@dataclass
class Ranker:
    """Per reviewer: the latest ranking of their stage-1 queue, and at most one retrain running."""

    db_path: Path
    executor: Executor = field(default_factory=_ranking_process)
    rankings: dict[str, Ranking] = field(default_factory=dict)
    running: dict[str, Future[Ranking]] = field(default_factory=dict)

    async def ranked(self, reviewer: str, ids: list[int], blind: bool) -> list[QueueItem]:
        """``ids`` (the reviewer's live queue) in the latest ranking's order; retrain if stale."""
        cached = self.rankings.get(reviewer)
        loop = asyncio.get_running_loop()
        if cached is None:  # the first time: wait for it
            cached = await loop.run_in_executor(
                self.executor, rank_in_process, self.db_path, reviewer, ids, blind
            )
            self.rankings[reviewer] = cached
        elif cached.trained_on != len(ids) and reviewer not in self.running:
            future = self.executor.submit(rank_in_process, self.db_path, reviewer, list(ids), blind)
            self.running[reviewer] = future
            future.add_done_callback(lambda done: self._store(reviewer, done))
        live = set(ids)
        order = [item for item in cached.items if item.work_id in live]
        known = {item.work_id for item in order}
        return order + [QueueItem(w, 0.0) for w in ids if w not in known]  # new since: last

    def _store(self, reviewer: str, done: Future[Ranking]) -> None:
        self.running.pop(reviewer, None)
        if done.exception() is None:
            self.rankings[reviewer] = done.result()

    def wait(self) -> None:
        """Until every retrain running has finished (for tests and benchmarks)."""
        for future in list(self.running.values()):
            future.result()
