"""Reading exported files: text decoding, format sniffing, and the hash that keys a record
without an id."""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from pathlib import Path
from typing import Any


class ImportFileError(ValueError):
    """A file that cannot be imported at all (nothing is stored)."""


# Longest BOM first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def read_text(path: Path) -> str:
    """The file as text: by its byte-order mark (UTF-8, UTF-16, UTF-32), else UTF-8, else
    Windows-1252 as older exports write. An empty file, or one that is not text, is refused."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror}") from exc
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise ImportFileError(
                    f"{path}: starts with a {name} byte-order mark but is not valid {name} "
                    f"(at byte {exc.start})"
                ) from exc
            break
    else:
        if b"\x00" in data:
            # Windows "Unicode" text without its mark, or a binary file: guessing would store
            # garbage as records, so ask for a re-save instead.
            raise ImportFileError(
                f"{path}: contains NUL bytes: UTF-16 text without a byte-order mark, or not a "
                "text file (save it as UTF-8)"
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if not text.strip():
        raise ImportFileError(f"{path}: the file is empty: no records to import")
    return text


# What each format's files look like at a glance, to name the likely format in an error.
_LOOKS_LIKE = (
    ("ris", "RIS", re.compile(r"^TY  - ", re.MULTILINE)),
    ("bibtex", "BibTeX", re.compile(r"^\s*@[A-Za-z]+\s*[{(]", re.MULTILINE)),
    ("primo-json", "JSON", re.compile(r"\A\s*[{\[]")),
    ("pop-csv", "a Publish or Perish CSV", re.compile(r"\A\W*Cites,Authors,Title")),
)


def looks_like(text: str) -> str | None:
    """A hint naming the format the text seems to be in, for an error message, or None."""
    for option, name, pattern in _LOOKS_LIKE:
        if pattern.search(text):
            return f"it looks like {name} (--format {option})"
    return None


def wrong_format(path: Path, text: str, expected: str) -> ImportFileError:
    """The error for a file with none of the records its declared format needs."""
    hint = looks_like(text)
    return ImportFileError(
        f"{path}: no {expected} found; nothing was imported" + (f": {hint}" if hint else "")
    )


def record_key(prefix: str, record: Any) -> str:
    """A stable key for a record without an engine id: a hash of its content."""
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
    return f"{prefix}:sha1:{hashlib.sha1(text.encode()).hexdigest()[:20]}"
