"""The database path: --db, then $EVIDENSBASE_DB, then ./evidensbase.db."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from evidensbase.cli import main


def works_in(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM works").fetchone()[0]


def test_build_uses_the_default_path_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVIDENSBASE_DB", raising=False)
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert "24 corpus works, 28 searches, 4 rows of Table 3.1" in result.output
    assert works_in(tmp_path / "evidensbase.db") == 24


def test_environment_variable_and_option_override_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVIDENSBASE_DB", str(tmp_path / "from-env.db"))
    assert CliRunner().invoke(main, ["build"]).exit_code == 0
    assert works_in(tmp_path / "from-env.db") == 24
    result = CliRunner().invoke(main, ["build", "--db", str(tmp_path / "from-option.db")])
    assert result.exit_code == 0
    assert works_in(tmp_path / "from-option.db") == 24
    assert not (tmp_path / "evidensbase.db").exists()


def test_second_build_reports_nothing_changed(tmp_path: Path) -> None:
    path = str(tmp_path / "e.db")
    CliRunner().invoke(main, ["build", "--db", path])
    result = CliRunner().invoke(main, ["build", "--db", path])
    assert result.exit_code == 0
    assert "(nothing changed)" in result.output
