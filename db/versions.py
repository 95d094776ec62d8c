"""Versions of the review protocol: each amendment stored with its date, what changed and why.

The protocol in force is the latest version; the ``protocol`` table holds its content for the
readers. Every decision and search run records the version it was made under (``protocol_version``;
NULL in rows older than versioning, which belong to version 1).

Two things make a version: ``build`` when the protocol *file* differs from the one the database
last adopted, and an amendment made in the database (``update --years``, ``update --protocol``).
Each version remembers the file it grew from (``file_digest``), so rebuilding from an unchanged
file keeps an amendment in force instead of reverting it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from db.timestamps import now_iso


@dataclass(frozen=True)
class ProtocolVersion:
    """One stored version of the protocol."""

    version: int
    created_at: str
    changes: list[str]
    reason: str
    made_by: str
    content: dict[str, Any]
    digest: str
    file_digest: str


def protocol_digest(content: dict[str, Any]) -> str:
    """A digest of a protocol's content, independent of key order."""
    text = json.dumps(content, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Dotted paths to leaves; lists of records with an ``id`` are keyed by it, so a diff names
    the criterion or search group that changed rather than a list position."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key in sorted(value):
            out.update(_flatten(value[key], f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) and "id" in v for v in value):
        out = {}
        for item in value:
            rest = {k: v for k, v in item.items() if k != "id"}  # the id is in the path already
            key = f"{path}[{item['id']}]"
            out.update(_flatten(rest, key) if rest else {key: True})
        return out
    return {path: value}


def diff_protocols(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One line per changed, added or removed setting: 'review.years: [2016, 2022] → [2016, 2026]'.

    (Lists are compared whole unless their items have ids.)
    """
    before, after = _flatten(old), _flatten(new)

    def show(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = []
    for path in sorted(before.keys() | after.keys()):
        if path not in after:
            lines.append(f"{path}: removed (was {show(before[path])})")
        elif path not in before:
            lines.append(f"{path}: added {show(after[path])}")
        elif before[path] != after[path]:
            lines.append(f"{path}: {show(before[path])} → {show(after[path])}")
    return lines


def _version(row: tuple[Any, ...]) -> ProtocolVersion:
    number, created, changes, reason, made_by, content, digest, file_digest = row
    return ProtocolVersion(
        int(number),
        str(created),
        json.loads(changes),
        str(reason),
        str(made_by),
        json.loads(content),
        str(digest),
        str(file_digest),
    )


_COLUMNS = "version, created_at, changes, reason, made_by, content, digest, file_digest"


def current_version(db: sqlite_utils.Database) -> ProtocolVersion | None:
    """The protocol in force, or None in a database that has none yet."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM protocol_versions ORDER BY version DESC LIMIT 1"
    ).fetchone()
    return None if row is None else _version(row)


def current_version_number(db: sqlite_utils.Database) -> int | None:
    """The number of the protocol version in force (None before the first build)."""
    row = db.execute("SELECT max(version) FROM protocol_versions").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def list_versions(db: sqlite_utils.Database) -> list[ProtocolVersion]:
    """Every version, oldest first."""
    rows = db.execute(f"SELECT {_COLUMNS} FROM protocol_versions ORDER BY version").fetchall()
    return [_version(r) for r in rows]


def get_version(db: sqlite_utils.Database, number: int) -> ProtocolVersion:
    """One version by its number (LookupError naming the versions there are)."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM protocol_versions WHERE version = ?", [number]
    ).fetchone()
    if row is None:
        known = ", ".join(str(v.version) for v in list_versions(db)) or "none"
        raise LookupError(f"no protocol version {number} (versions: {known})")
    return _version(row)


def record_version(
    db: sqlite_utils.Database,
    content: dict[str, Any],
    *,
    reason: str,
    made_by: str,
    file_digest: str | None = None,
) -> ProtocolVersion | None:
    """Store ``content`` as the next version, unless it equals the one in force (then None)."""
    if not reason.strip():
        raise ValueError("a protocol version needs a reason")
    previous = current_version(db)
    digest = protocol_digest(content)
    if previous is not None and previous.digest == digest:
        return None
    changes = (
        diff_protocols(previous.content, content) if previous else ["first version of the protocol"]
    )
    number = (previous.version if previous else 0) + 1
    base = file_digest or (previous.file_digest if previous else digest)
    db.execute(
        f"INSERT INTO protocol_versions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            number,
            now_iso(),
            json.dumps(changes, ensure_ascii=False),
            reason.strip(),
            made_by,
            json.dumps(content, ensure_ascii=False, sort_keys=True),
            digest,
            base,
        ],
    )
    return get_version(db, number)


def adopt_protocol_file(
    db: sqlite_utils.Database, content: dict[str, Any], made_by: str
) -> dict[str, Any]:
    """The protocol in force after a build from a protocol file with ``content``.

    An unchanged file keeps the version in force (with any amendment made since); a changed file
    becomes a new version, with the reason it gives under ``amendment.reason``, if any.
    """
    file_digest = protocol_digest(content)
    previous = current_version(db)
    if previous is not None and previous.file_digest == file_digest:
        return previous.content
    reason = str((content.get("amendment") or {}).get("reason") or "")
    if previous is None:
        reason = reason or "the protocol as built from the protocol file"
    record_version(
        db,
        content,
        reason=reason or "the protocol file was changed",
        made_by=made_by,
        file_digest=file_digest,
    )
    return content
