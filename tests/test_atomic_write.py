"""Files the CLI writes appear whole or not at all."""

from __future__ import annotations

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
