"""Synthetic works for screening tests.

Dedupe is written elsewhere, so these tests insert works directly: origin 'harvest', a unique key
and the fields the rules and the session read. Shape of a synthetic work: key 'synthetic_…',
title, year (default 2019), type (default report), language (default nb), peer_reviewed
(default 0), optionally abstract, doi, container.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from db.database import open_db

AddWork = Callable[..., int]


def insert_work(db: sqlite_utils.Database, key: str, **fields: Any) -> int:
    """Insert one synthetic harvested work and return its id."""
    row = {
        "key": key,
        "title": fields.pop("title", f"Synthetic work {key}"),
        "year": fields.pop("year", 2019),
        "type": fields.pop("type", "report"),
        "language": fields.pop("language", "nb"),
        "peer_reviewed": fields.pop("peer_reviewed", 0),
        "origin": "harvest",
        **fields,
    }
    with db.atomic():
        return int(db.table("works").insert(row).last_pk)


@pytest.fixture
def db(built_db: Path) -> sqlite_utils.Database:
    """The built database (protocol + corpus), opened."""
    database = open_db(built_db)
    yield database
    database.close()


@pytest.fixture
def add_work(db: sqlite_utils.Database) -> AddWork:
    def add(key: str, **fields: Any) -> int:
        return insert_work(db, key, **fields)

    return add
