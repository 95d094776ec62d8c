"""Running harvests: which run each search fills (new, resumed or replayed), then the crawl.

A search run is keyed on (engine, search, query, source). The next harvest of the same key
continues the latest run: an interrupted run (killed, Ctrl-C, fault) resumes where it stopped, a
complete one is replayed from the HTTP cache (adding nothing new). ``refresh=True`` starts a new run
that asks the engine again.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from twisted.internet import defer

from db import open_db, provenance, resolve_db_path
from db.protocol import load_protocol
from evidensbase import __version__
from harvest.spiders.base import HarvestSpider
from harvest.spiders.oria import OriaSpider
from harvest.spiders.scholar import ScholarSpider, saved_pages

ENGINES = ("oria", "scholar")
SCHOLAR_ROBOTS = (
    "Live Google Scholar is not harvested: https://scholar.google.com/robots.txt disallows "
    "/scholar for every user agent and its terms forbid automated queries. Save the result pages "
    "from your browser and run `evidensbase harvest --engine scholar --pages DIR`, or export the "
    "results with Publish or Perish and run `evidensbase import FILE --format pop-csv`."
)


class HarvestError(ValueError):
    """A harvest that cannot start (unknown search, missing pages, live Scholar)."""


@dataclass
class PlannedRun:
    """One search to crawl into one run."""

    run_id: int
    engine: str
    search_id: str | None
    query: str | None
    source: str
    mode: str  # new | resume | replay
    spider_kwargs: dict[str, Any] = field(default_factory=dict)


def default_state_dir(db_path: str | Path) -> Path:
    """Where the HTTP cache and job state live: beside the database, ``<name>-harvest/``."""
    path = resolve_db_path(db_path)
    return path.parent / f"{path.stem}-harvest"


def tool_name() -> str:
    return f"evidensbase {__version__} (scrapy {scrapy.__version__})"


def plan_runs(
    db_path: str | Path,
    *,
    engine: str,
    search_ids: list[str] | None = None,
    base_url: str | None = None,
    pages_dir: str | Path | None = None,
    query: str | None = None,
    max_pages: int | None = None,
    refresh: bool = False,
    state_dir: Path,
) -> list[PlannedRun]:
    """Decide, for each search, which run it fills, and record new or reopened runs."""
    if engine not in ENGINES:
        raise HarvestError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    db = open_db(db_path)
    try:
        if engine == "scholar":
            if pages_dir is None:
                raise HarvestError(SCHOLAR_ROBOTS)
            pages = Path(pages_dir)
            if not pages.is_dir() or not saved_pages(pages):
                raise HarvestError(f"{pages}: no saved result pages (*.html) in this directory")
            searches = _searches(db, "scholar", search_ids) if search_ids else [None]
            return [
                _plan(
                    db,
                    engine=engine,
                    search=search,
                    query=search["query"] if search else query,
                    source=str(pages.resolve()),
                    refresh=refresh,
                    state_dir=state_dir,
                    spider_kwargs={"pages": str(pages.resolve()), "max_pages": max_pages},
                )
                for search in searches
            ]
        codes = load_protocol(db).language_codes("oria")
        source = (base_url or str(Settings(_settings_module()).get("ORIA_BASE_URL"))).rstrip("/")
        plans = []
        for search in _searches(db, "oria", search_ids):
            spec = {
                "terms": json.loads(search["terms"]),
                "year_from": search["year_from"],
                "year_to": search["year_to"],
                "filters": json.loads(search["filters"] or "{}"),
                "language_codes": codes.get(search["language"], [None]),
            }
            plans.append(
                _plan(
                    db,
                    engine=engine,
                    search=search,
                    query=search["query"],
                    source=source,
                    refresh=refresh,
                    state_dir=state_dir,
                    spider_kwargs={
                        "search": spec,
                        "base_url": source,
                        "max_pages": max_pages,
                    },
                )
            )
        return plans
    finally:
        db.close()


def _settings_module() -> dict[str, Any]:
    from harvest import settings

    return {k: getattr(settings, k) for k in dir(settings) if k.isupper()}


def _searches(db: Any, engine: str, ids: list[str] | None) -> list[dict[str, Any]]:
    rows = [dict(r) for r in db["searches"].rows_where("engine = ?", [engine], order_by="id")]
    if not ids:
        if not rows:
            raise HarvestError(f"no {engine} searches in the database; run `evidensbase build`")
        return rows
    by_id = {r["id"]: r for r in rows}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise HarvestError(
            f"unknown {engine} search(es): {', '.join(unknown)} "
            f"(known: {', '.join(sorted(by_id)) or 'none; run `evidensbase build`'})"
        )
    return [by_id[i] for i in ids]


def _plan(
    db: Any,
    *,
    engine: str,
    search: dict[str, Any] | None,
    query: str | None,
    source: str,
    refresh: bool,
    state_dir: Path,
    spider_kwargs: dict[str, Any],
) -> PlannedRun:
    search_id = search["id"] if search else None
    last = provenance.latest_run(db, engine=engine, search_id=search_id, query=query, source=source)
    if last is None or refresh:
        with db.conn:
            run_id = provenance.start_run(
                db, engine=engine, query=query, source=source, tool=tool_name(), search_id=search_id
            )
        mode = "new"
    else:
        run_id = last["id"]
        mode = "replay" if last["status"] == provenance.COMPLETE else "resume"
        if last["status"] == provenance.RUNNING:
            # A kill left this run behind: Scrapy's job state may be half-written, so start it
            # afresh; the database knows which pages are stored and the cache holds them.
            shutil.rmtree(state_dir / "jobs" / str(run_id), ignore_errors=True)
        provenance.reopen_run(db, run_id)
    done = sorted(provenance.done_pages(db, run_id)) if mode == "resume" else []
    return PlannedRun(
        run_id=run_id,
        engine=engine,
        search_id=search_id,
        query=query,
        source=source,
        mode=mode,
        spider_kwargs={**spider_kwargs, "run_id": run_id, "done_pages": done},
    )


def crawl_settings(
    db_path: str | Path,
    *,
    state_dir: Path,
    offline: bool = False,
    refresh: bool = False,
    delay: float | None = None,
    contact: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """The project's settings with this harvest's database, cache, delays and contact."""
    settings = Settings()
    settings.setmodule("harvest.settings", priority="project")
    settings.set("EVIDENSBASE_DB", str(resolve_db_path(db_path)), priority="cmdline")
    settings.set("HTTPCACHE_DIR", str((state_dir / "httpcache").resolve()), priority="cmdline")
    if offline:
        settings.set("HTTPCACHE_IGNORE_MISSING", True, priority="cmdline")
    if refresh:
        settings.set("HTTPCACHE_EXPIRATION_SECS", 1, priority="cmdline")
    if delay is not None:
        settings.set("DOWNLOAD_DELAY", delay, priority="cmdline")
        settings.set("AUTOTHROTTLE_START_DELAY", max(delay, 0.01), priority="cmdline")
        if delay == 0:
            settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
            settings.set("DOWNLOAD_DELAY_JITTER", 0, priority="cmdline")
    if contact:
        settings.set(
            "USER_AGENT",
            f"evidensbase/{__version__} (living systematic review harvester; mailto:{contact})",
            priority="cmdline",
        )
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawls(plans: list[PlannedRun], settings: Settings, state_dir: Path) -> None:
    """Crawl the planned runs one after another (politeness: one engine, one stream at a time)."""
    process = CrawlerProcess(settings)
    spiders: dict[str, type[HarvestSpider]] = {"oria": OriaSpider, "scholar": ScholarSpider}

    @defer.inlineCallbacks
    def crawl_all() -> Any:
        for plan in plans:
            # Each run keeps its own Scrapy job state, so Ctrl-C and a rerun resume that run.
            jobdir = str(state_dir / "jobs" / str(plan.run_id))
            base = spiders[plan.engine]
            custom = {**(base.custom_settings or {}), "JOBDIR": jobdir}
            spider = type(base.__name__, (base,), {"custom_settings": custom})
            yield process.crawl(spider, **plan.spider_kwargs)

    def stop(result: Any) -> Any:
        from twisted.internet import reactor

        if reactor.running:  # type: ignore[attr-defined]
            reactor.stop()  # type: ignore[attr-defined,misc]
        return result

    deferred = crawl_all()
    deferred.addErrback(lambda failure: failure.printTraceback())
    deferred.addBoth(stop)
    # Not stop_after_crawl: that would stop the reactor after the first of the chained crawls.
    process.start(stop_after_crawl=False)


def harvest(
    db_path: str | Path,
    *,
    engine: str,
    search_ids: list[str] | None = None,
    base_url: str | None = None,
    pages_dir: str | Path | None = None,
    query: str | None = None,
    max_pages: int | None = None,
    offline: bool = False,
    refresh: bool = False,
    delay: float | None = None,
    contact: str | None = None,
    state_dir: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> list[tuple[PlannedRun, dict[str, Any]]]:
    """Run the searches of one engine and return each plan with its run as stored at the end."""
    if offline and refresh:
        raise HarvestError("--offline and --refresh contradict each other: choose one")
    state = state_dir or default_state_dir(db_path)
    state.mkdir(parents=True, exist_ok=True)
    plans = plan_runs(
        db_path,
        engine=engine,
        search_ids=search_ids,
        base_url=base_url,
        pages_dir=pages_dir,
        query=query,
        max_pages=max_pages,
        refresh=refresh,
        state_dir=state,
    )
    settings = crawl_settings(
        db_path,
        state_dir=state,
        offline=offline,
        refresh=refresh,
        delay=delay,
        contact=contact,
        overrides=overrides,
    )
    run_crawls(plans, settings, state)
    db = open_db(db_path)
    try:
        return [(plan, provenance.get_run(db, plan.run_id)) for plan in plans]
    finally:
        db.close()
