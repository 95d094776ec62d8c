"""Subcommands of the harvest package: ``harvest``, ``import`` and ``runs``."""

from __future__ import annotations

from pathlib import Path

import click

from evidensbase.clikit import db_option


class EngineChoice(click.Choice):
    """The engines of ``harvest.spiders.ENGINES``, read when ``harvest`` is used or helped: the
    spiders import Scrapy, which every other command can do without."""

    def __init__(self) -> None:
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        from harvest.spiders import ENGINES

        return tuple(ENGINES)

    @choices.setter
    def choices(self, value: object) -> None:
        pass  # click.Choice.__init__ sets it; the registry is the only source


@click.command()
@db_option(create=True)
@click.option("--engine", type=EngineChoice(), required=True)
@click.option("--search", "search_ids", multiple=True, help="Search id (repeatable); default: all.")
@click.option("--base-url", help="Primo VE server to ask instead of Oria (e.g. a local replay).")
@click.option(
    "--pages",
    "pages_dir",
    type=click.Path(file_okay=False, exists=True),
    help="Directory of Google Scholar result pages saved from a browser.",
)
@click.option("--query", help="What the saved Scholar pages were a search for (provenance).")
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop each search after N pages.")
@click.option("--offline", is_flag=True, help="Use the HTTP cache only; list what it lacks.")
@click.option("--refresh", is_flag=True, help="Start a new run and ask the engine again.")
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between requests (0: off).")
@click.option("--contact", envvar="EVIDENSBASE_CONTACT", help="E-mail sent in the User-Agent.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False),
    help="HTTP cache and job state (default: <db name>-harvest/ beside the database).",
)
def harvest(
    db_path: str,
    engine: str,
    search_ids: tuple[str, ...],
    base_url: str | None,
    pages_dir: str | None,
    query: str | None,
    max_pages: int | None,
    offline: bool,
    refresh: bool,
    delay: float | None,
    contact: str | None,
    state_dir: str | None,
) -> None:
    """Run the protocol's searches in an engine and store every hit with its search run.

    Exit status: 0 every run complete, 3 partial (run it again to resume), 4 blocked (the engine
    refused us: try later), 5 failed (nothing usable came back).
    """
    from harvest.crawl import HarvestError, HarvestOptions, exit_status
    from harvest.crawl import harvest as run_harvest

    try:
        options = HarvestOptions(
            engine=engine,
            search_ids=search_ids,
            base_url=base_url,
            pages_dir=Path(pages_dir) if pages_dir else None,
            query=query,
            max_pages=max_pages,
            offline=offline,
            refresh=refresh,
            delay=delay,
            contact=contact,
            state_dir=Path(state_dir) if state_dir else None,
        )
        results = run_harvest(db_path, options)
    except HarvestError as exc:
        raise click.ClickException(str(exc)) from exc
    for plan, run in results:
        click.echo(
            f"run {run['id']} ({plan.mode}) {plan.search_id or plan.source}: {run['status']}, "
            f"{run['pages_fetched']} pages, {run['hits_fetched']} hits, "
            f"engine total {run['reported_total'] if run['reported_total'] is not None else '?'}"
        )
        if run["error"]:
            click.echo(f"  {run['error']}", err=run["status"] != "complete")
    status = exit_status([run for _, run in results])
    if status:
        raise SystemExit(status)


@click.command(name="import")
@db_option(create=True)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["ris", "bibtex", "pop-csv", "primo-json"]),
    required=True,
)
@click.option("--search", "search_id", help="The protocol search these results came from.")
@click.option("--query", help="The search string the export was made with (provenance).")
def import_files(
    db_path: str, files: tuple[str, ...], file_format: str, search_id: str | None, query: str | None
) -> None:
    """Import exported results (RIS, BibTeX, Publish or Perish CSV, Primo JSON) as hits.

    Each file is one transaction. Exit status: 0 all imported, 1 a file was not imported (the
    others were; the summary names which), 2 every file imported but some records rejected.
    """
    from harvest.importers import import_files as run_import

    summary = run_import(
        db_path, [Path(p) for p in files], file_format=file_format, search_id=search_id, query=query
    )
    for report in summary.reports:
        for problem in report.problems:
            click.echo(f"rejected: {problem}", err=True)
        click.echo(
            f"{report.path}: run {report.run_id}: {report.read} read, {report.imported} imported "
            f"({report.new} new), {len(report.problems)} rejected"
        )
    for _path, reason in summary.refused:
        click.echo(f"Error: {reason}", err=True)
    if len(files) > 1:
        click.echo(summary.describe(), err=bool(summary.refused))
    if summary.refused:
        raise SystemExit(1)
    if summary.rejected_records:
        raise SystemExit(2)


@click.command()
@db_option()
@click.option("--limit", type=int, default=50, show_default=True)
def runs(db_path: str, limit: int) -> None:
    """List search runs: status, pages, hits and the engine's total."""
    from db import open_db
    from db.provenance import list_runs

    db = open_db(db_path)
    try:
        rows = list_runs(db, limit)
    finally:
        db.close()
    if not rows:
        click.echo("no search runs yet")
        return
    click.echo(
        f"{'id':>4}  {'status':<8}  {'engine':<10}  {'pages':>5}  {'hits':>6}  {'total':>7}  "
        "started               search / source"
    )
    for run in rows:
        total = run["reported_total"] if run["reported_total"] is not None else "?"
        click.echo(
            f"{run['id']:>4}  {run['status']:<8}  {run['engine']:<10}  {run['pages_fetched']:>5}  "
            f"{run['hits_fetched']:>6}  {total!s:>7}  {run['started_at']:<20}  "
            f"{run['search_id'] or run['source']}"
        )
        if run["error"]:
            click.echo(f"{'':>6}{run['error']}")


def register(group: click.Group) -> None:
    """Add this package's subcommands to the ``evidensbase`` group."""
    group.add_command(harvest)
    group.add_command(import_files)
    group.add_command(runs)
