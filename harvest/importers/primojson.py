"""Primo JSON answers saved to a file (the ``pnxs`` endpoint's answer, or a Search API answer)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harvest.importers.text import ImportFileError, read_text
from harvest.parse.primo import primo_hit


def read_primo_json(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Hits and problems from one saved Primo answer; a doc without a record id is rejected."""
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"{path}:{exc.lineno}: not valid JSON (column {exc.colno}): {exc.msg}"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("docs"), list):
        raise ImportFileError(f"{path}: not a Primo search answer (no 'docs' list)")
    records, problems = [], []
    for index, doc in enumerate(data["docs"]):
        hit = primo_hit(doc) if isinstance(doc, dict) else None
        if hit is None:
            problems.append(f"{path}: docs[{index}] has no pnx.control.recordid")
            continue
        hit["rank"] = index + 1
        records.append(hit)
    return records, problems
