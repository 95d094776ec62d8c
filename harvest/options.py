"""What one harvest was asked to do, and what each of its runs will crawl."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from db.protocol import Search, load_searches


class HarvestError(ValueError):
    """A harvest that cannot start (unknown engine or search, missing pages, live Scholar)."""


@dataclass(frozen=True)
class HarvestOptions:
    """One harvest's choices, as the command line gives them, passed whole from the command to
    the planner, the spiders and the crawl settings."""

    engine: str
    search_ids: tuple[str, ...] = ()  # none: every search of the engine
    base_url: str | None = None  # another server of the engine's kind (a Primo replay)
    pages_dir: Path | None = None  # saved result pages (Scholar)
    query: str | None = None  # what saved pages were a search for (provenance)
    max_pages: int | None = None
    offline: bool = False
    refresh: bool = False
    delay: float | None = None  # seconds between requests; None: the project's polite default
    contact: str | None = None
    state_dir: Path | None = None  # None: beside the database (see harvest.crawl)
    overrides: dict[str, Any] = field(default_factory=dict)  # Scrapy settings (tests, bench)

    def __post_init__(self) -> None:
        if self.offline and self.refresh:
            raise HarvestError("--offline and --refresh contradict each other: choose one")


@dataclass(frozen=True)
class RunSpec:
    """What one run will crawl, as a spider plans it; the planner adds the run it fills."""

    search_id: str | None
    query: str | None
    source: str
    spider_kwargs: dict[str, Any] = field(default_factory=dict)


def select_searches(db: sqlite_utils.Database, engine: str, ids: tuple[str, ...]) -> list[Search]:
    """The engine's searches named in ``ids`` (all of them when none are), or HarvestError."""
    searches = load_searches(db, engine)
    if not ids:
        if not searches:
            raise HarvestError(f"no {engine} searches in the database; run `evidensbase build`")
        return searches
    by_id = {search.id: search for search in searches}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise HarvestError(
            f"unknown {engine} search(es): {', '.join(unknown)} "
            f"(known: {', '.join(sorted(by_id)) or 'none; run `evidensbase build`'})"
        )
    return [by_id[i] for i in ids]
