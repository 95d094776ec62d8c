"""The stage-1 ranking of the review site, retrained in the background.

Ranking retrains the relevance model over every work's text (``screening.queue.rank_queue``):
seconds at 10k works. The terminal session waits for it; the review site shows the next record
from the latest ranking at once and retrains in a thread of its own, as ASReview LAB does, so a
reviewer's next record follows their decisions a few records late, never blocks on them. A
record already decided never appears: the cached order is always filtered by the live queue.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from screening.queue import QueueItem, rank_queue


@dataclass
class Ranking:
    items: list[QueueItem]
    trained_on: int  # how many records were left in the queue when it was computed


@dataclass
class Ranker:
    """Per reviewer: the latest ranking of their stage-1 queue, and at most one retrain running."""

    db_path: Path
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="evidensbase-ranking")
    )
    rankings: dict[str, Ranking] = field(default_factory=dict)
    running: dict[str, Future[Ranking]] = field(default_factory=dict)
    _local: threading.local = field(default_factory=threading.local)

    def _db(self) -> sqlite_utils.Database:
        if getattr(self._local, "db", None) is None:
            from db.database import open_db

            self._local.db = open_db(self.db_path, create=False, readonly=True)
        return self._local.db  # type: ignore[no-any-return]

    def _rank(self, reviewer: str, ids: list[int], blind: bool) -> Ranking:
        items = rank_queue(self._db(), ids, only_reviewer=reviewer if blind else None)
        return Ranking(items, len(ids))

    async def ranked(self, reviewer: str, ids: list[int], blind: bool) -> list[QueueItem]:
        """``ids`` (the reviewer's live queue) in the latest ranking's order; retrain if stale."""
        cached = self.rankings.get(reviewer)
        loop = asyncio.get_running_loop()
        if cached is None:  # the first time: wait for it
            cached = await loop.run_in_executor(self.executor, self._rank, reviewer, ids, blind)
            self.rankings[reviewer] = cached
        elif cached.trained_on != len(ids) and reviewer not in self.running:
            future = self.executor.submit(self._rank, reviewer, list(ids), blind)
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
