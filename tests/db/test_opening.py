"""One way to open a database from the CLI: a missing or unusable file is one line, exit 2.

Tests run as root here, and root may write any file; evidensbase treats a file or directory whose
owner has no write permission (``chmod 444`` / ``555``) as read-only for everyone, so these
tests chmod real files and see what a user with a read-only copy would see.
"""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from db.schema import SCHEMA_VERSION, apply_migrations
from evidensbase.cli import main


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def listing(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


# Commands that read or change an existing review: none of them may create a database.
EXISTING_ONLY = [
    ["runs"],
    ["rules"],
    ["rank"],
    ["screen", "--stage", "1", "--reviewer", "Kari"],
    ["conflicts", "--stage", "1"],
    ["resolve", "--stage", "1", "thomsen2016", "include", "--reviewer", "Ola"],
    ["agreement"],
    ["export-decisions"],
    ["flow"],
    ["export", "--format", "ris"],
    ["dedupe"],
]


@pytest.mark.parametrize("command", EXISTING_ONLY, ids=lambda c: c[0])
def test_a_mistyped_db_exits_2_naming_it_and_creates_nothing(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "evidenbase.db"  # a typo of evidensbase.db
    result = run(*command, "--db", str(missing))
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"Error: {missing}: no such database (run `evidensbase build --db {missing}` to make one)"
    ]
    assert listing(tmp_path) == set()  # no file, no journal, no -harvest directory


def test_import_decisions_with_a_mistyped_db_creates_nothing(tmp_path: Path) -> None:
    csv = tmp_path / "synthetic_decisions.csv"
    csv.write_text("key,stage,decision,reviewer\n", encoding="utf-8")
    result = run("import-decisions", "--db", str(tmp_path / "typo.db"), str(csv))
    assert result.exit_code == 2
    assert "typo.db: no such database" in result.output
    assert listing(tmp_path) == {"synthetic_decisions.csv"}


def test_the_default_path_is_not_created_by_a_reading_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVIDENSBASE_DB", raising=False)
    result = run("flow")
    assert result.exit_code == 2
    assert "evidensbase.db: no such database" in result.output
    assert listing(tmp_path) == set()


def synthetic_garbage(path: Path, built: Path) -> None:
    path.write_bytes(bytes(range(256)) * 64)


def synthetic_truncated(path: Path, built: Path) -> None:
    data = built.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def synthetic_damaged_pages(path: Path, built: Path) -> None:
    data = bytearray(built.read_bytes())
    for offset in range(8192, len(data) - 4096, 4096):
        data[offset : offset + 200] = b"\xff" * 200
    path.write_bytes(bytes(data))


def synthetic_foreign(path: Path, built: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE items (itemID INTEGER PRIMARY KEY, title TEXT)")
    conn.execute("INSERT INTO items (title) VALUES ('not ours')")
    conn.commit()
    conn.close()


def synthetic_newer(path: Path, built: Path) -> None:
    path.write_bytes(built.read_bytes())
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()


def synthetic_empty(path: Path, built: Path) -> None:
    path.write_bytes(b"")


UNUSABLE = {
    synthetic_garbage: "is not an SQLite database",
    synthetic_truncated: "is truncated",
    synthetic_damaged_pages: "is damaged",
    synthetic_foreign: "is an SQLite database of another application, not evidensbase "
    "(tables: items)",
    synthetic_newer: f"has schema version {SCHEMA_VERSION + 1}, newer than this evidensbase",
    synthetic_empty: "is an empty file, not an evidensbase database",
}


@pytest.mark.parametrize("make", list(UNUSABLE), ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "command", [["runs"], ["flow"], ["export", "--format", "csv"], ["rules"]], ids=lambda c: c[0]
)
def test_an_unusable_file_is_one_line_naming_it_and_is_left_as_it_was(
    make, command: list[str], built_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "review.db"
    make(path, built_db)
    before = path.read_bytes()
    result = run(*command, "--db", str(path))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Error: {path}: ")
    assert UNUSABLE[make] in line
    assert path.read_bytes() == before


@pytest.fixture
def read_only(built_db: Path) -> Iterator[Path]:
    built_db.chmod(0o444)
    yield built_db
    built_db.chmod(0o644)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["runs"], "no search runs yet"),
        (["flow"], "Studies included in review: 24"),
        (["export", "--format", "ris"], "Wrote 24 works as ris"),
        (["conflicts", "--stage", "1"], "0 unresolved conflict(s) at stage 1."),
        (["export-decisions", "--stage", "3"], "thomsen2016"),
        (["rank", "--top", "3"], "works in the queue"),
        (["agreement", "--stage", "1"], ""),
    ],
    ids=lambda c: c[0] if isinstance(c, list) else "",
)
def test_a_read_only_database_can_be_read(
    command: list[str], expected: str, read_only: Path
) -> None:
    before = read_only.read_bytes()
    result = run(*command, "--db", str(read_only))
    assert result.exit_code == 0, result.output
    assert expected in result.output
    assert read_only.read_bytes() == before
    assert listing(read_only.parent) == {read_only.name}  # no journal left behind


@pytest.mark.parametrize(
    "command",
    [["rules"], ["dedupe"], ["build"], ["import", "--format", "ris"]],
    ids=lambda c: c[0],
)
def test_a_command_that_writes_refuses_a_read_only_database(
    command: list[str], read_only: Path, tmp_path: Path
) -> None:
    if command[0] == "import":
        ris = tmp_path / "synthetic_one.ris"
        ris.write_text("TY  - RPRT\nTI  - Karriereveiledning\nER  - \n", encoding="utf-8")
        command = [*command, str(ris)]
    before = read_only.read_bytes()
    result = run(*command, "--db", str(read_only))
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"Error: {read_only}: is read-only, and this command changes the database "
        "(make the file writable)"
    ]
    assert read_only.read_bytes() == before


def test_a_read_only_directory_can_be_read_but_not_written(built_db: Path) -> None:
    directory = built_db.parent
    mode = stat.S_IMODE(directory.stat().st_mode)
    directory.chmod(0o555)
    try:
        assert run("runs", "--db", str(built_db)).exit_code == 0
        result = run("rules", "--db", str(built_db))
        assert result.exit_code == 2
        assert f"{built_db}: its directory {directory} is read-only" in result.output
        created = run("build", "--db", str(directory / "new.db"))
        assert created.exit_code == 2
        assert f"cannot create the database: {directory} is read-only" in created.output
    finally:
        directory.chmod(mode)
    assert not (directory / "new.db").exists()


def test_a_read_only_old_version_says_it_cannot_be_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    apply_migrations(conn, target=SCHEMA_VERSION - 1)
    conn.close()
    path.chmod(0o444)
    try:
        result = run("runs", "--db", str(path))
    finally:
        path.chmod(0o644)
    assert result.exit_code == 2
    assert (
        f"{path}: is read-only and at schema version {SCHEMA_VERSION - 1}, older than this "
        f"evidensbase's {SCHEMA_VERSION}: make it writable once so it can be upgraded"
    ) in result.output


def test_a_writable_old_version_is_upgraded_by_a_reading_command(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    apply_migrations(conn, target=1)
    conn.close()
    result = run("runs", "--db", str(path))
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    conn.close()


@pytest.mark.parametrize("command", [["build"], ["import", "--format", "ris"]], ids=str)
def test_commands_that_may_create_make_a_new_database(command: list[str], tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    if command[0] == "import":
        ris = tmp_path / "synthetic_one.ris"
        ris.write_text("TY  - RPRT\nTI  - Karriereveiledning\nER  - \n", encoding="utf-8")
        command = [*command, str(ris)]
    result = run(*command, "--db", str(path))
    assert result.exit_code == 0, result.output
    assert path.exists()


def test_a_missing_directory_is_named_and_nothing_is_made(tmp_path: Path) -> None:
    path = tmp_path / "no-such-dir" / "e.db"
    result = run("build", "--db", str(path))
    assert result.exit_code == 2
    assert f"{path}: cannot create the database: no directory {path.parent}" in result.output
    assert listing(tmp_path) == set()


def test_harvest_on_an_unusable_file_stops_before_making_its_state_directory(
    tmp_path: Path,
) -> None:
    path = tmp_path / "review.db"
    path.write_bytes(b"this is a text file, not a database\n" * 10)
    result = run("harvest", "--engine", "oria", "--offline", "--db", str(path))
    assert result.exit_code == 2
    assert f"Error: {path}: is not an SQLite database" in result.output
    assert listing(tmp_path) == {"review.db"}  # no review-harvest/ beside it


def test_bare_db_option_means_an_existing_database_to_read(tmp_path: Path) -> None:
    import click

    from db import open_db
    from evidensbase.clikit import db_option

    @click.command()
    @db_option
    def count(db_path: str) -> None:
        click.echo(open_db(db_path).execute("SELECT count(*) FROM works").fetchone()[0])

    missing = CliRunner().invoke(count, ["--db", str(tmp_path / "typo.db")])
    assert missing.exit_code == 2
    assert "typo.db: no such database" in missing.output
    assert listing(tmp_path) == set()
