"""Shared fixtures: paths to the shared recordings and a freshly built database."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from db.build import build_database

# Property tests run on a shared 2-core machine: wall-clock deadlines would make them flaky
# without testing anything a user sees.
settings.register_profile("evidensbase", deadline=None)
settings.load_profile("evidensbase")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
SCREENING_DATA = SHARED / "data" / "screening"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def corpus_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build of the embedded protocol and corpus per session: copy it, never write to it."""
    path = tmp_path_factory.mktemp("corpus-template") / "evidensbase.db"
    build_database(path)
    return path


@pytest.fixture
def built_db(corpus_template: Path, tmp_path: Path) -> Path:
    """A real SQLite file built from the embedded protocol and corpus, this test's own copy."""
    path = tmp_path / "evidensbase.db"
    path.write_bytes(corpus_template.read_bytes())
    return path
