"""Opening the one SQLite file: path resolution, checks, migrations, views.

Every way in goes through ``open_db``. It refuses, with a ``DatabaseError`` naming the file and what
is wrong, whatever it cannot use: a missing file (unless asked to create one), a file that is not
SQLite or is truncated, an SQLite file of another application, a newer schema version, or a
read-only file when the caller means to write.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from db import schema

DEFAULT_DB_PATH = "evidensbase.db"
DB_ENV_VAR = "EVIDENSBASE_DB"

_SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 100
# Tables every evidensbase schema has had since version 1: their absence means a foreign file.
_CORE_TABLES = {"searches", "search_runs", "hits", "works", "decisions"}
_READ_ONLY = "is read-only, and this command changes the database (make the file writable)"


class DatabaseError(Exception):
    """A database file that cannot be used as asked; ``str()`` is one line naming the file."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


def resolve_db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The database path: the argument, else ``$EVIDENSBASE_DB``, else ``./evidensbase.db``."""
    if path:
        return Path(path)
    return Path(os.environ.get(DB_ENV_VAR) or DEFAULT_DB_PATH)


def open_db(
    path: str | os.PathLike[str] | None = None,
    *,
    create: bool = True,
    readonly: bool | None = None,
) -> sqlite_utils.Database:
    """Open the database and upgrade it in place to the current schema.

    :param create: make a new database when there is no file; when False a missing or empty file
        is a ``DatabaseError`` and nothing is created.
    :param readonly: ``None`` opens a file nobody may write read-only (see ``is_writable``) and
        any other file for writing; ``True`` never writes (no migrations); ``False`` requires a
        writable file.
    """
    resolved = resolve_db_path(path)
    exists = _check_path(resolved, create)
    writable = exists and is_writable(resolved)
    if exists and readonly is False and not writable:
        if _may_write(resolved):
            parent = resolved.absolute().parent
            raise DatabaseError(
                resolved,
                f"its directory {parent} is read-only (SQLite writes its journal there), "
                "and this command changes the database",
            )
        raise DatabaseError(resolved, _READ_ONLY)
    if not exists and readonly:
        raise DatabaseError(resolved, "no such file")
    if readonly or (exists and not writable):
        return _open_readonly(resolved)
    return _open_writable(resolved, create)


def check_db(
    path: str | os.PathLike[str] | None = None,
    *,
    create: bool = False,
    readonly: bool | None = None,
) -> None:
    """Raise the ``DatabaseError`` that ``open_db`` would, without creating a file.

    An existing file is opened (and so upgraded, when writable) and closed; a missing one that may
    be created only has its directory checked, so a command that stops early leaves nothing behind.
    """
    resolved = resolve_db_path(path)
    if create and not resolved.exists():
        _check_path(resolved, create=True)
        return
    open_db(resolved, create=create, readonly=readonly).close()


def is_writable(path: Path) -> bool:
    """Whether we may write the database: the file and its directory (for the journal).

    ``os.access`` answers yes to root for any file on a writable file system, so a file or
    directory whose owner has no write permission (``chmod 444``) counts as read-only too: that is
    what the user asked for, and it makes the read-only case the same for root and everyone else.
    """
    return _may_write(path) and _may_write(path.absolute().parent)


def _may_write(target: Path) -> bool:
    return os.access(target, os.W_OK) and bool(target.stat().st_mode & stat.S_IWUSR)


def schema_version(db: sqlite_utils.Database) -> int:
    """The schema version stored in the file (``PRAGMA user_version``)."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _check_path(path: Path, create: bool) -> bool:
    """Refuse what is plainly not a usable database file; return whether the file exists."""
    if not path.exists():
        if not create:
            raise DatabaseError(
                path, f"no such database (run `evidensbase build --db {path}` to make one)"
            )
        parent = path.absolute().parent
        if not parent.is_dir():
            raise DatabaseError(path, f"cannot create the database: no directory {parent}")
        if not _may_write(parent):
            raise DatabaseError(path, f"cannot create the database: {parent} is read-only")
        return False
    if path.is_dir():
        raise DatabaseError(path, "is a directory, not a database file")
    size = path.stat().st_size
    if size == 0:
        if not create:
            raise DatabaseError(path, "is an empty file, not an evidensbase database")
        return True  # an empty file is an empty SQLite database: initialise it
    try:
        with path.open("rb") as handle:
            header = handle.read(_HEADER_SIZE)
    except OSError as exc:
        raise DatabaseError(path, f"cannot be read ({exc.strerror})") from exc
    if len(header) < _HEADER_SIZE or not header.startswith(_SQLITE_MAGIC):
        raise DatabaseError(path, "is not an SQLite database (damaged, or another kind of file)")
    expected = _size_in_header(header)
    # In WAL mode the main file may lag behind its header until a checkpoint.
    wal = path.with_name(path.name + "-wal")
    if expected is not None and size < expected and not wal.exists():
        raise DatabaseError(
            path, f"is truncated: {size} bytes, but its header says {expected} (restore a copy)"
        )
    return True


def _size_in_header(header: bytes) -> int | None:
    """The database size the SQLite header records, when the header vouches for it."""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # SQLite trusts the page count only when the change counter matches version-valid-for.
    if pages == 0 or header[24:28] != header[92:96]:
        return None
    return page_size * pages


def _open_writable(path: Path, create: bool) -> sqlite_utils.Database:
    try:
        conn = sqlite3.connect(str(path))
    except sqlite3.Error as exc:
        raise DatabaseError(path, f"cannot be opened ({exc})") from exc

    def prepare() -> None:
        _check_schema(path, conn, create)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 5000")
        schema.apply_migrations(conn)
        schema.ensure_triggers(conn)
        schema.recreate_views(conn)

    return _prepared(path, conn, prepare)


def _open_readonly(path: Path) -> sqlite_utils.Database:
    """Open without writing a byte: SQLite's ``mode=ro``; views are made as TEMP views."""
    uri = f"file:{quote(str(path.absolute()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise DatabaseError(path, f"cannot be opened read-only ({exc})") from exc

    def prepare() -> None:
        version = _check_schema(path, conn, create=False)
        if version < schema.SCHEMA_VERSION:
            raise DatabaseError(
                path,
                f"is read-only and at schema version {version}, older than this evidensbase's "
                f"{schema.SCHEMA_VERSION}: make it writable once so it can be upgraded",
            )
        missing = schema.missing_triggers(conn)
        if missing:
            raise DatabaseError(
                path,
                f"is read-only and lacks the trigger(s) {', '.join(missing)} that keep its "
                "decisions append-only and its review state current: make it writable once so "
                "evidensbase can restore them",
            )
        conn.execute("PRAGMA busy_timeout = 5000")
        # The stored views were made by whichever evidensbase last wrote the file; TEMP views of
        # the same names shadow them, so reading follows this version's definitions.
        schema.recreate_views(conn, temporary=True)

    return _prepared(path, conn, prepare)


def _prepared(
    path: Path, conn: sqlite3.Connection, prepare: Callable[[], None]
) -> sqlite_utils.Database:
    """Run ``prepare`` on a fresh connection; on any failure close it and say what is wrong."""
    try:
        prepare()
    except DatabaseError:
        conn.close()
        raise
    except sqlite3.Error as exc:
        conn.close()
        raise _sqlite_problem(path, exc) from exc
    except BaseException:
        conn.close()
        raise
    return sqlite_utils.Database(conn)


def _check_schema(path: Path, conn: sqlite3.Connection, create: bool) -> int:
    """The file's schema version, after refusing newer versions and other applications' files."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    tables = {
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    if version > schema.SCHEMA_VERSION:
        raise DatabaseError(
            path,
            f"has schema version {version}, newer than this evidensbase "
            f"(which knows up to {schema.SCHEMA_VERSION}): upgrade evidensbase to use it",
        )
    if version == 0 and tables:
        raise DatabaseError(
            path,
            "is an SQLite database of another application, not evidensbase "
            f"(tables: {', '.join(sorted(tables)[:5])}{', …' if len(tables) > 5 else ''})",
        )
    if version > 0 and _CORE_TABLES - tables:
        raise DatabaseError(
            path,
            f"is not an evidensbase database (schema version {version} but no "
            f"{', '.join(sorted(_CORE_TABLES - tables))} table)",
        )
    if version == 0 and not create:
        raise DatabaseError(path, "is an empty SQLite database, not an evidensbase database")
    return version


def sqlite_problem(path: Path, exc: sqlite3.Error) -> DatabaseError | None:
    """The ``DatabaseError`` an SQLite error means for the file, or None when it is not about the
    file (a constraint, a bad query): those are the caller's to report."""
    message = str(exc)
    if "readonly" in message:
        return DatabaseError(path, _READ_ONLY)
    if "locked" in message or "busy" in message:
        return DatabaseError(path, "is locked by another program; try again when it has finished")
    if "malformed" in message or "not a database" in message or "disk I/O" in message:
        return DatabaseError(path, f"is damaged ({message}): restore a copy")
    return None


def _sqlite_problem(path: Path, exc: sqlite3.Error) -> DatabaseError:
    """While opening, every SQLite error is about the file."""
    found = sqlite_problem(path, exc)
    if found is not None:
        return found
    return DatabaseError(path, f"is damaged or not an evidensbase database ({exc})")
