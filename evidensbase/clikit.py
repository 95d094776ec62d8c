"""Shared pieces of the command line: the one way to name and check a database, and the one
mapping from the project's database errors to a message and exit status 2."""

from __future__ import annotations

import functools
import glob
import os
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, overload

import click

from db.database import (
    DB_ENV_VAR,
    DEFAULT_DB_PATH,
    DatabaseError,
    check_db,
    resolve_db_path,
    sqlite_problem,
)

F = TypeVar("F", bound=Callable[..., Any])


class DatabaseProblem(click.ClickException):
    """One line naming the database file and what is wrong with it; exit status 2."""

    exit_code = 2


@overload
def db_option(func: F, /) -> F: ...
@overload
def db_option(*, create: bool = False, writes: bool = False) -> Callable[[F], F]: ...
def db_option(
    func: F | None = None, /, *, create: bool = False, writes: bool = False
) -> F | Callable[[F], F]:
    """``--db PATH`` (or $EVIDENSBASE_DB, default ./evidensbase.db), checked before the command.

    ``@db_option`` alone is ``@db_option()``: an existing database that the command may read.

    The command gets ``db_path`` (a string) and opens it with ``open_db`` as before; by then the
    file is known to be usable, so a problem is reported here, once, naming the file.

    :param create: the command may make a new database (build, serve, harvest, import); every
        other command needs an existing evidensbase database and creates nothing when it is missing.
    :param writes: the command changes the database, so a read-only file is refused up front;
        a command that only reads opens a read-only file read-only.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def command(*args: Any, db_path: str, **kwargs: Any) -> Any:
            try:
                check_db(db_path, create=create, readonly=False if writes or create else None)
                return func(*args, db_path=db_path, **kwargs)
            except DatabaseError as exc:
                raise DatabaseProblem(str(exc)) from exc
            except sqlite3.DatabaseError as exc:
                # Damage deep in the file shows only when a command reads that page, and a
                # read-only file may meet a command that writes after all: same message as open_db.
                problem = sqlite_problem(resolve_db_path(db_path), exc)
                if problem is None:
                    raise
                raise DatabaseProblem(str(problem)) from exc

        return click.option(
            "--db",
            "db_path",
            envvar=DB_ENV_VAR,
            default=DEFAULT_DB_PATH,
            show_default=True,
            type=click.Path(dir_okay=False),
            help=f"SQLite database file (or ${DB_ENV_VAR}).",
        )(command)  # type: ignore[return-value]

    return decorate if func is None else decorate(func)


def write_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file beside it, then rename.

    A kill or a full disk mid-write leaves the old file (or none), never a truncated one that a
    later import would take for complete. The temporary file's name carries the writer's process
    id, so the next write removes what a killed writer left behind (and nothing a live one owns).
    """
    target = Path(path)
    prefix = f".{target.name}."
    _remove_orphans(target.parent, prefix)
    descriptor, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f"{prefix}{os.getpid()}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _remove_orphans(folder: Path, prefix: str) -> None:
    """Remove ``prefix<pid>.*.tmp`` files in ``folder`` whose writing process no longer runs."""
    for stale in folder.glob(f"{glob.escape(prefix)}*.tmp"):
        pid = stale.name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            stale.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process, or not a pid: leave its file alone
    return True
