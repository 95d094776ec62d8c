"""Subcommands of the database package: build, serve and (from db.dedupe) dedupe."""

from __future__ import annotations

from pathlib import Path

import click

from db.build import build_database
from db.embedded import CORPUS_DIR, CorpusError
from evidensbase.clikit import db_option

corpus_option = click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=CORPUS_DIR,
    show_default="the embedded 2016–2022 corpus",
    help="Directory with protocol.yaml, yield.yaml and works/*.yaml.",
)


def _build(db_path: str, corpus_dir: Path) -> None:
    try:
        report = build_database(db_path, corpus_dir)
    except CorpusError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        raise click.ClickException(
            f"build stopped: {len(exc.problems)} problem(s) in the corpus files; "
            f"{db_path} was left as it was"
        ) from exc
    changes = ", ".join(f"{n} {t}" for t, n in sorted(report.changed.items())) or "nothing changed"
    click.echo(
        f"Built {report.path}: {report.works} corpus works, {report.searches} searches, "
        f"{report.yield_rows} rows of Table 3.1 ({changes})."
    )


@click.command()
@db_option(create=True)
@corpus_option
def build(db_path: str, corpus_dir: Path) -> None:
    """Load the protocol and the report's coded 2016–2022 corpus into the database."""
    _build(db_path, corpus_dir)


@click.command()
@db_option(create=True)
@corpus_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--private", is_flag=True, help="The reviewers' site: every table and the SQL box (not public)."
)
@click.option("--review", is_flag=True, help="Also the review team's login and screening pages.")
@click.option("--reviewers", type=click.Path(dir_okay=False), help="Reviewers file (--review).")
def serve(
    db_path: str,
    corpus_dir: Path,
    host: str,
    port: int,
    private: bool,
    review: bool,
    reviewers: str | None,
) -> None:
    """Build the database (a no-op when it is up to date), then publish it with Datasette."""
    from db.portal import serve_portal

    _build(db_path, corpus_dir)
    serve_portal(
        db_path, host=host, port=port, public=not private, review=review, reviewers=reviewers
    )


@click.command()
@db_option
@corpus_option
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write (created; its database, metadata and plugins are replaced).",
)
def publish(db_path: str, corpus_dir: Path, out: Path) -> None:
    """Write a self-contained folder that plain Datasette serves, and print how to deploy it."""
    from db.portal.publish import publish_portal

    _build(db_path, corpus_dir)
    folder = publish_portal(db_path, out)
    click.echo(f"Wrote {folder.out}: {folder.works} included works in {folder.database.name}.")
    for name, command in folder.commands.items():
        click.echo(f"{name}: {command}")


@click.command()
@db_option
@click.option(
    "--diff",
    nargs=2,
    type=int,
    metavar="A B",
    help="What changed between versions A and B.",
)
def protocol(db_path: str, diff: tuple[int, int] | None) -> None:
    """List the protocol's versions (date, what changed, why), or the diff between two."""
    from db.database import open_db
    from db.versions import diff_protocols, get_version, list_versions

    db = open_db(db_path)
    if diff:
        try:
            first, second = (get_version(db, n) for n in diff)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from exc
        lines = diff_protocols(first.content, second.content)
        click.echo(f"Protocol version {first.version} → {second.version}:")
        for line in lines or ["no differences"]:
            click.echo(f"  {line}")
        return
    versions = list_versions(db)
    for version in versions:
        click.echo(
            f"Version {version.version}  {version.created_at[:10]}  by {version.made_by}: "
            f"{version.reason}"
        )
        for line in version.changes[:12]:
            click.echo(f"    {line}")
        if len(version.changes) > 12:
            click.echo(f"    … and {len(version.changes) - 12} more (see --diff)")
    if not versions:
        click.echo("No protocol versions yet: run `evidensbase build`.")


def register(group: click.Group) -> None:
    from db.dedupe import commands as dedupe_commands
    from db.enrich import commands as enrich_commands
    from db.portal.review.commands import reviewer

    group.add_command(build)
    group.add_command(protocol)
    group.add_command(serve)
    group.add_command(publish)
    dedupe_commands.register(group)
    enrich_commands.register(group)
    group.add_command(reviewer)
