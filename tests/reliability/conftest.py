"""The fault trials, run once per session and shared by the tests that examine them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.reliability.trials import Trial, run_all_trials


@pytest.fixture(scope="session")
def trials(corpus_template: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Trial]:
    db = tmp_path_factory.mktemp("faults") / "evidensbase.db"
    shutil.copyfile(corpus_template, db)
    return run_all_trials(db)
