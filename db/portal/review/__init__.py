"""The review site (``evidensbase serve --review``): login, screening, conflicts, agreement.

Enabled on a Datasette instance by :func:`enable_review`; without it the plugin
``db/portal/plugins/review.py`` registers no routes at all, so the public portal has none of
these pages and no way to write. Every page is a front end of db/'s writers.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlite_utils

from db.portal.review.accounts import cookie_secret, is_reviewer, reviewers_path

if TYPE_CHECKING:  # the ranking loads scikit-learn (1.5 s): only when the review site starts,
    # never for every command (`evidensbase reviewer` imports this package)
    from db.portal.review.ranking import Ranker
    from screening.queue import QueueItem

SESSION_SECONDS = 8 * 3600
COOKIE = "evb_review"
T = TypeVar("T")


@dataclass
class ReviewSite:
    """What the review pages need: the database file, the reviewers file, one worker thread."""

    db_path: Path
    reviewers: Path
    session_seconds: int = SESSION_SECONDS
    # One thread does every read and write of the review pages, in turn: SQLite has one writer,
    # and the model's retraining stays off Datasette's event loop.
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="evidensbase-review")
    )
    _db: sqlite_utils.Database | None = None
    ranker: Ranker | None = None

    def __post_init__(self) -> None:
        from db.portal.review.ranking import Ranker

        self.ranker = self.ranker or Ranker(self.db_path)

    async def queue(self, stage: int, reviewer: str) -> list[QueueItem]:
        """``reviewer``'s queue at ``stage``; at stage 1 in the latest ranking's order."""
        from db.portal.review import pages
        from screening.queue import QueueItem

        ids, blind = await self.run(pages.queue_ids, stage, reviewer)
        if stage != 1 or self.ranker is None:
            return [QueueItem(w, 0.0) for w in ids]
        return await self.ranker.ranked(reviewer, ids, blind)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn(db, *args, **kwargs)`` in the review thread, with its own connection."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: fn(self.db(), *args, **kwargs))

    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            from db.database import open_db

            self._db = open_db(self.db_path, create=False, readonly=False)
        return self._db

    def sign_in(self, datasette: Any, name: str) -> str:
        """The signed cookie value for ``name``, valid for ``session_seconds``."""
        expires = int(time.time()) + self.session_seconds
        return str(datasette.sign({"a": name, "e": expires}, COOKIE))

    def actor_from_cookie(self, datasette: Any, value: str | None) -> dict[str, Any] | None:
        """The reviewer a cookie signs in, or None (missing, forged, expired, or removed)."""
        if not value:
            return None
        try:
            data = datasette.unsign(value, COOKIE)
        except Exception:  # itsdangerous.BadSignature and malformed values alike
            return None
        if not isinstance(data, dict) or not isinstance(data.get("a"), str):
            return None
        if not isinstance(data.get("e"), int) or data["e"] < time.time():
            return None
        if not is_reviewer(self.reviewers, data["a"]):
            return None
        return {"id": data["a"], "evidensbase_reviewer": True}


SITE_ATTRIBUTE = "evidensbase_review_site"


def enable_review(
    datasette: Any, db_path: str | os.PathLike[str], reviewers: str | os.PathLike[str] | None
) -> ReviewSite:
    """Turn the review pages on for this Datasette instance (before its app is made)."""
    path = reviewers_path(db_path, reviewers)
    site = ReviewSite(Path(db_path), path)
    secret = cookie_secret(path)
    if secret:  # sessions (and CSRF tokens) then survive a restart
        datasette._secret = secret
    setattr(datasette, SITE_ATTRIBUTE, site)
    # Datasette's internal client (its test client too) made its app, with the routes and the
    # CSRF secret, in the constructor: make it again now that the review routes exist.
    from datasette.app import DatasetteClient

    datasette.client = DatasetteClient(datasette)
    return site


def review_site(datasette: Any) -> ReviewSite | None:
    """The review site of this instance, or None on the public portal."""
    return getattr(datasette, SITE_ATTRIBUTE, None)
