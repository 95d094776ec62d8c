"""Primo JSON answers saved to a file (the ``pnxs`` endpoint's answer, or a Search API answer).

Each doc is checked against the parser's schema (``harvest.parse.primo.PrimoDoc``) before a field
is read; a doc of another shape is rejected with the file, the line it starts on and the place
(``docs[3].pnx.display.title[0]: expected a string, got int``), the others are imported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harvest.importers.text import ImportFileError, read_text
from harvest.parse.primo import check_doc, load_answer, primo_hit

_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "true/false"}


def _kind(value: Any) -> str:
    return "null" if value is None else _KINDS.get(type(value), "a number")


def read_primo_json(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Hits and problems from one saved Primo answer; a doc without a record id is rejected."""
    text = read_text(path)
    try:
        data, texts = load_answer(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"{path}:{exc.lineno}: not valid JSON (column {exc.colno}): {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise ImportFileError(
            f"{path}: JSON nested too deeply to read: not a Primo answer"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("docs"), list):
        found = f"'docs' is {_kind(data.get('docs'))}" if isinstance(data, dict) else _kind(data)
        raise ImportFileError(
            f"{path}: not a Primo search answer: expected an object with a 'docs' list, "
            f"found {found}"
        )
    records, problems = [], []
    lines = _doc_lines(text, texts)
    for index, doc in enumerate(data["docs"]):
        where = f"{path}:{lines[index]}" if lines else f"{path}:"
        if not isinstance(doc, dict):
            problems.append(f"{where}: docs[{index}] is {_kind(doc)}, expected an object")
            continue
        problem = check_doc(doc, f"docs[{index}]")
        if problem:
            problems.append(f"{where}: {problem}")
            continue
        hit = primo_hit(doc)
        if hit is None:
            problems.append(f"{where}: docs[{index}] has no pnx.control.recordid")
            continue
        hit["rank"] = index + 1
        if texts is not None:
            hit["raw_json"] = texts[index]  # the doc as the file has it: never serialized again
        else:
            try:
                json.dumps(doc)
            except (RecursionError, ValueError):
                problems.append(f"{where}: docs[{index}] is nested too deeply to store")
                continue
        records.append(hit)
    return records, problems


def _doc_lines(text: str, texts: list[str] | None) -> list[int] | None:
    """The line each doc starts on (the docs' texts are substrings of the file, in order)."""
    if texts is None:
        return None
    lines, pos, line = [], 0, 1
    for doc_text in texts:
        found = text.find(doc_text, pos)
        line += text.count("\n", pos, found)
        lines.append(line)
        pos = found
    return lines
