"""Fixtures for enrichment: the built corpus plus synthetic works derived from recorded answers
(tests/enrich/data/synthetic_works.yaml), and a local server replaying those answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from db.database import open_db
from db.dedupe.works import authors_display
from db.enrich.replay import EnrichReplayConfig, EnrichReplayServer
from tests.conftest import FIXTURES

OPEN = FIXTURES / "open"
RECORDINGS = {
    "crossref": OPEN / "crossref" / "sckott_habanero__test_cursor.body.json",
    "openalex": OPEN / "openalex" / "anapaulagomes_peneira__works.json",
    "nva": OPEN / "nva" / "BIBSYSDEV_nva-search-api__bibtex_academic_article.json",
}
DATA = Path(__file__).resolve().parent / "data"


def synthetic_works() -> dict[str, dict[str, Any]]:
    with open(DATA / "synthetic_works.yaml", encoding="utf-8") as handle:
        works: dict[str, dict[str, Any]] = yaml.safe_load(handle)
    return works


def add_works(path: Path) -> dict[str, int]:
    """Insert the synthetic works as harvested works; return their ids by key."""
    import json

    db = open_db(path)
    ids = {}
    with db.conn:
        for key, work in synthetic_works().items():
            row = {k: v for k, v in work.items() if k not in ("derived_from", "expect")}
            row["authors_display"] = authors_display(row["authors"])
            row["authors"] = json.dumps(row["authors"], ensure_ascii=False)
            ids[key] = db["works"].insert({"key": key, "origin": "harvest", **row}).last_pk
    db.close()
    return ids


@pytest.fixture
def enrich_db(built_db: Path) -> tuple[Path, dict[str, int]]:
    return built_db, add_works(built_db)


@pytest.fixture
def replay(request: pytest.FixtureRequest) -> Iterator[EnrichReplayServer]:
    source = getattr(request, "param", "crossref")
    with EnrichReplayServer(EnrichReplayConfig(source, RECORDINGS[source])) as server:
        yield server


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests set the contact and key they need; none comes from the environment."""
    for name in ("EVIDENSBASE_CONTACT", "CROSSREF_MAILTO", "OPENALEX_MAILTO", "OPENALEX_API_KEY"):
        monkeypatch.delenv(name, raising=False)
