"""Fixtures for the export tests: one built database per session and the golden-file option."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.build import build_database

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "exports" / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite tests/data/exports/golden/ from the current output (check the diff by eye).",
    )


@pytest.fixture(scope="session")
def export_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real database built from the embedded corpus; export tests only read it."""
    path = tmp_path_factory.mktemp("exports") / "evidensbase.db"
    build_database(path)
    return path


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True only when the run was started with --update-golden."""
    return bool(request.config.getoption("--update-golden", default=False))
