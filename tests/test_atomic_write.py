"""Files the CLI writes appear whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evidensbase.clikit import write_atomically


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "queue.csv"
    target.write_text("work_key,stage\nold,1\n", encoding="utf-8")
    # a lone surrogate cannot be encoded: the write fails halfway through the text
    with pytest.raises(UnicodeEncodeError):
        write_atomically(target, "work_key,stage\n" + "new,1\n" * 10_000 + "\udcff")
    assert target.read_text(encoding="utf-8") == "work_key,stage\nold,1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["queue.csv"]
    write_atomically(target, "work_key,stage\nnew,1\n")
    assert target.read_text(encoding="utf-8") == "work_key,stage\nnew,1\n"


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    import subprocess
    import sys

    target = tmp_path / "works.ris"
    # A process that has ended (as a kill -9 ends a writer) and one that is still running.
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    orphan = tmp_path / f".works.ris.{ended.stdout.strip()}.k1x2.tmp"
    orphan.write_text("TY  - RPRT\n", encoding="utf-8")
    live = tmp_path / f".works.ris.{os.getpid()}.a9b8.tmp"
    live.write_text("TY  - JOUR\n", encoding="utf-8")
    other = tmp_path / ".other.csv.1.zz.tmp"  # another file's: not ours to touch
    other.write_text("x\n", encoding="utf-8")

    write_atomically(target, "TY  - BOOK\nER  - \n")

    assert target.read_text(encoding="utf-8") == "TY  - BOOK\nER  - \n"
    assert not orphan.exists()
    assert live.exists() and other.exists()
