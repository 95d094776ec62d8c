"""``evidensbase reviewer add NAME``: an account for the review site (``serve --review``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from db.portal.review.accounts import AccountError, add_reviewer, reviewers_path
from evidensbase.clikit import db_option

reviewers_option = click.option(
    "--reviewers",
    "reviewers",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The reviewers file (default: <db name>-reviewers.json beside the database).",
)


@click.group()
def reviewer() -> None:
    """Accounts of the review team (kept outside the database)."""


@reviewer.command("add")
@click.argument("name")
@db_option
@reviewers_option
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (one line).")
def add(name: str, db_path: str, reviewers: Path | None, password_stdin: bool) -> None:
    """Add a reviewer, or set a new password for one, in the reviewers file."""
    path = reviewers_path(db_path, reviewers)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        new = add_reviewer(path, name, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{'Added' if new else 'New password for'} reviewer {name.strip()} in {path}.")
