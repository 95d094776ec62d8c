"""Fixtures for the export tests: one built database per session and the golden-file option."""

from __future__ import annotations

from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "exports" / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite tests/data/exports/golden/ from the current output (check the diff by eye).",
    )


@pytest.fixture(scope="session")
def export_db(corpus_template: Path) -> Path:
    """The session's built corpus database; export tests only read it."""
    return corpus_template


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True only when the run was started with --update-golden."""
    return bool(request.config.getoption("--update-golden", default=False))
