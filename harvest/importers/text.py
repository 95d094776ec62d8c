"""Reading exported files: text decoding, and the hash that keys a record without an id."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


class ImportFileError(ValueError):
    """A file that cannot be imported at all (nothing is stored)."""


def read_text(path: Path) -> str:
    """The file as text: UTF-8 (with or without BOM), else Windows-1252 as older exports write."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def record_key(prefix: str, record: Any) -> str:
    """A stable key for a record without an engine id: a hash of its content."""
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
    return f"{prefix}:sha1:{hashlib.sha1(text.encode()).hexdigest()[:20]}"
