"""Opening the one SQLite file: path resolution, migrations, views."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

from db import schema

DEFAULT_DB_PATH = "evidensbase.db"
DB_ENV_VAR = "EVIDENSBASE_DB"


def resolve_db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The database path: the argument, else ``$EVIDENSBASE_DB``, else ``./evidensbase.db``."""
    if path:
        return Path(path)
    return Path(os.environ.get(DB_ENV_VAR) or DEFAULT_DB_PATH)


def open_db(path: str | os.PathLike[str] | None = None) -> sqlite_utils.Database:
    """Open (creating if needed) the database and upgrade it in place to the current schema."""
    resolved = resolve_db_path(path)
    conn = sqlite3.connect(str(resolved))
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 5000")
        schema.apply_migrations(conn)
        schema.ensure_triggers(conn)
        schema.recreate_views(conn)
    except BaseException:
        conn.close()
        raise
    return sqlite_utils.Database(conn)


def schema_version(db: sqlite_utils.Database) -> int:
    """The schema version stored in the file (``PRAGMA user_version``)."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])
