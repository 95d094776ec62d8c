"""The record model and the only writer of the database; everything else goes through here."""

from db.database import (
    DB_ENV_VAR,
    DEFAULT_DB_PATH,
    DatabaseError,
    open_db,
    resolve_db_path,
    schema_version,
)

__all__ = [
    "DB_ENV_VAR",
    "DEFAULT_DB_PATH",
    "DatabaseError",
    "open_db",
    "resolve_db_path",
    "schema_version",
]
