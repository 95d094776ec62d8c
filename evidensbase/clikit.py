"""Shared pieces of the command line: the --db option and error reporting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from db.database import DB_ENV_VAR, DEFAULT_DB_PATH

F = TypeVar("F", bound=Callable[..., Any])


def db_option(func: F) -> F:
    """``--db PATH`` (or $EVIDENSBASE_DB), defaulting to ./evidensbase.db."""
    return click.option(
        "--db",
        "db_path",
        envvar=DB_ENV_VAR,
        default=DEFAULT_DB_PATH,
        show_default=True,
        type=click.Path(dir_okay=False),
        help=f"SQLite database file (or ${DB_ENV_VAR}).",
    )(func)
