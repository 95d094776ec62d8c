"""Running harvests: which run each search fills (new, resumed or replayed), then the crawl.

A search run is keyed on (engine, search, query, source). The next harvest of the same key
continues the latest run: an interrupted run (killed, Ctrl-C, fault) resumes where it stopped, a
complete one is replayed from the HTTP cache (adding nothing new). ``HarvestOptions.refresh``
starts a new run that asks the engine again.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import scrapy
import sqlite_utils
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from twisted.internet import defer

from db import open_db, provenance, resolve_db_path
from evidensbase import __version__
from harvest.options import HarvestError, HarvestOptions, RunSpec
from harvest.spiders import ENGINES, HarvestSpider

__all__ = ["EXIT_STATUS", "HarvestError", "HarvestOptions", "PlannedRun", "exit_status", "harvest",
           "plan_runs"]  # fmt: skip

# The harvest command's exit status, from the worst of its runs: a scheduled job can tell a run to
# resume (partial, blocked: run the same command again, later) from one that gave nothing.
EXIT_STATUS = {
    provenance.COMPLETE: 0,
    provenance.PARTIAL: 3,
    provenance.BLOCKED: 4,
    provenance.FAILED: 5,
    provenance.RUNNING: 5,  # the crawl died before it could record how it ended
}


def exit_status(runs: list[dict[str, Any]]) -> int:
    """0 when every run is complete, else the code of the worst one (see ``EXIT_STATUS``)."""
    return max((EXIT_STATUS.get(run["status"], 5) for run in runs), default=0)


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


def state_dir_of(db_path: str | Path, options: HarvestOptions) -> Path:
    """Where the HTTP cache and job state live: the options' ``state_dir``, by default beside the
    database, ``<name>-harvest/``."""
    if options.state_dir is not None:
        return options.state_dir
    path = resolve_db_path(db_path)
    return path.parent / f"{path.stem}-harvest"


def tool_name() -> str:
    return f"evidensbase {__version__} (scrapy {scrapy.__version__})"


def engine_spider(engine: str) -> type[HarvestSpider]:
    """The spider class registered for ``engine`` (HarvestError for an unknown one)."""
    if engine not in ENGINES:
        raise HarvestError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    return ENGINES[engine]


def plan_runs(db_path: str | Path, options: HarvestOptions) -> list[PlannedRun]:
    """Decide, for each search, which run it fills, and record new or reopened runs."""
    spider = engine_spider(options.engine)
    state_dir = state_dir_of(db_path, options)
    db = open_db(db_path)
    try:
        return [
            _plan(db, options.engine, spec, refresh=options.refresh, state_dir=state_dir)
            for spec in spider.plan(db, options)
        ]
    finally:
        db.close()


def _plan(
    db: sqlite_utils.Database, engine: str, spec: RunSpec, *, refresh: bool, state_dir: Path
) -> PlannedRun:
    search_id, query, source = spec.search_id, spec.query, spec.source
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
        spider_kwargs={**spec.spider_kwargs, "run_id": run_id, "done_pages": done},
    )


def crawl_settings(db_path: str | Path, options: HarvestOptions) -> Settings:
    """The project's settings with this harvest's database, cache, delays and contact."""
    state_dir = state_dir_of(db_path, options)
    settings = Settings()
    settings.setmodule("harvest.settings", priority="project")
    settings.set("EVIDENSBASE_DB", str(resolve_db_path(db_path)), priority="cmdline")
    settings.set("HTTPCACHE_DIR", str((state_dir / "httpcache").resolve()), priority="cmdline")
    if options.offline:
        settings.set("HTTPCACHE_IGNORE_MISSING", True, priority="cmdline")
    if options.refresh:
        settings.set("HTTPCACHE_EXPIRATION_SECS", 1, priority="cmdline")
    delay, contact = options.delay, options.contact
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
    for key, value in options.overrides.items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawls(plans: list[PlannedRun], settings: Settings, state_dir: Path) -> None:
    """Crawl the planned runs one after another (politeness: one engine, one stream at a time)."""
    process = CrawlerProcess(settings)

    @defer.inlineCallbacks
    def crawl_all() -> Any:
        for plan in plans:
            # Each run keeps its own Scrapy job state, so Ctrl-C and a rerun resume that run.
            jobdir = str(state_dir / "jobs" / str(plan.run_id))
            base = ENGINES[plan.engine]
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
    db_path: str | Path, options: HarvestOptions
) -> list[tuple[PlannedRun, dict[str, Any]]]:
    """Run the searches of one engine and return each plan with its run as stored at the end."""
    state_dir = state_dir_of(db_path, options)
    state_dir.mkdir(parents=True, exist_ok=True)
    plans = plan_runs(db_path, options)
    run_crawls(plans, crawl_settings(db_path, options), state_dir)
    db = open_db(db_path)
    try:
        return [(plan, provenance.get_run(db, plan.run_id)) for plan in plans]
    finally:
        db.close()
