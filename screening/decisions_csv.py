"""Decisions to and from CSV, for teams that screen in a spreadsheet.

Export writes one row per decision (or, with ``queue_for``, one empty row per work a reviewer
still has to decide), with who decided (``actor``: person, rule, model or source) and a stable
``decision_id``: a digest of the decision's content, the same in every database that holds it.
Import appends the rows that carry a decision, all or nothing: any bad row aborts the import with
its line number and nothing is written. A row whose content — decision and reviewer trimmed and
in lower case, the time normalised — is already in the trail adds nothing, so exporting all
decisions and importing them back adds 0 rows, and so does importing the same file twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import TextIO

import sqlite_utils

from db.decisions import ACTORS, DecisionError, normalise_timestamp, record_decision
from db.works import UnknownWorkError, key_and_title, work_id_for_key
from screening.queue import queue_work_ids

COLUMNS = [
    "decision_id", "work_key", "title", "stage", "decision", "criterion", "reviewer", "actor",
    "role", "note", "decided_at",
]  # fmt: skip
# The fields that make a decision what it is (its content): the digest is taken over these.
_CONTENT = ("work_key", "stage", "decision", "criterion", "reviewer", "actor", "role", "note")


class DecisionsCsvError(ValueError):
    """A CSV row that cannot be imported."""


def export_decisions(
    db: sqlite_utils.Database, out: TextIO, stage: int | None = None, queue_for: str | None = None
) -> int:
    """Write decisions (or a reviewer's empty queue at ``stage``) as CSV; return the row count."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    if queue_for is not None:
        if stage is None:
            raise ValueError("a queue export needs a stage")
        rows = 0
        for work_id in queue_work_ids(db, stage, queue_for):
            key, title = key_and_title(db, work_id)
            writer.writerow(
                {"work_key": key, "title": title, "stage": stage, "reviewer": queue_for}
            )
            rows += 1
        return rows
    sql = (
        "SELECT w.key, w.title, d.stage, d.decision, d.criterion, d.reviewer, d.actor, d.role,"
        " d.note, d.decided_at FROM decisions d JOIN works w ON w.id = d.work_id"
    )
    params: list[int] = []
    if stage is not None:
        sql += " WHERE d.stage = ?"
        params.append(stage)
    rows = 0
    names = [c for c in COLUMNS if c != "decision_id"]
    for row in db.execute(sql + " ORDER BY d.id", params).fetchall():
        record = dict(zip(names, row, strict=True))
        record["decision_id"] = decision_digest(record)
        writer.writerow(record)
        rows += 1
    return rows


def _clean(record: dict) -> dict[str, str]:
    """A decision's content as the digest sees it: trimmed, decision and actor in lower case."""
    clean = {name: str(record.get(name) or "").strip() for name in _CONTENT}
    for name in ("decision", "actor", "role"):
        clean[name] = clean[name].lower()
    clean["actor"] = clean["actor"] or "person"
    clean["role"] = clean["role"] or "screen"
    raw_time = str(record.get("decided_at") or "").strip()
    try:
        clean["decided_at"] = normalise_timestamp(raw_time) if raw_time else ""
    except DecisionError:
        clean["decided_at"] = raw_time
    return clean


def decision_digest(record: dict) -> str:
    """The stable id of a decision: a digest of its cleaned content and time."""
    clean = _clean(record)
    text = "\x1f".join(clean[name] for name in (*_CONTENT, "decided_at"))
    return "d-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _stored_digests(db: sqlite_utils.Database, work_id: int, key: str) -> set[str]:
    rows = db.execute(
        "SELECT stage, decision, criterion, reviewer, actor, role, note, decided_at"
        " FROM decisions WHERE work_id = ?",
        [work_id],
    ).fetchall()
    names = ("stage", "decision", "criterion", "reviewer", "actor", "role", "note", "decided_at")
    return {decision_digest({"work_key": key, **dict(zip(names, r, strict=True))}) for r in rows}


def _read_text(path: Path) -> str:
    """The file as text: UTF-8 (with or without a BOM), or an error saying what it is instead."""
    data = path.read_bytes()
    if not data.strip():
        raise DecisionsCsvError(f"{path}: the file is empty; expected a CSV with a header row")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DecisionsCsvError(
            f"{path}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x}); save the sheet as "
            "'CSV UTF-8' (Excel) or UTF-8 text"
        ) from None


def _csv_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and each row with the line it starts on (a quoted note may span lines)."""
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    rows = []
    start = 2
    try:
        fieldnames = list(reader.fieldnames or [])
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DecisionsCsvError(
            f"{path}:{start}: not a readable CSV row ({exc}; a field may hold at most "
            f"{csv.field_size_limit() // 1024} KiB)"
        ) from None
    return fieldnames, rows


def import_decisions(db: sqlite_utils.Database, path: Path) -> int:
    """Append the decisions in a CSV file; return how many were new."""
    fieldnames, rows = _csv_rows(path)
    missing = {"work_key", "stage", "decision", "reviewer"} - set(fieldnames)
    if missing:
        raise DecisionsCsvError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    added = 0
    with db.atomic():  # one transaction: a bad row leaves the database as it was
        for line, row in rows:
            if not (row.get("decision") or "").strip():
                continue  # a queue row nobody has filled in yet
            try:
                work_id = work_id_for_key(db, row["work_key"] or "")
            except UnknownWorkError as exc:
                raise DecisionsCsvError(f"{path}:{line}: {exc}") from None
            try:
                stage = int(row["stage"])
            except (TypeError, ValueError):
                raise DecisionsCsvError(
                    f"{path}:{line}: stage must be 1, 2 or 3, not {row['stage']!r}"
                ) from None
            clean = _clean(row)
            if clean["actor"] not in ACTORS:
                raise DecisionsCsvError(
                    f"{path}:{line}: actor must be one of {', '.join(ACTORS)}, "
                    f"not {row.get('actor')!r}"
                )
            digest = decision_digest(row)
            given = (row.get("decision_id") or "").strip()
            if given and given != digest:
                raise DecisionsCsvError(
                    f"{path}:{line}: decision {given} was changed; the trail cannot be "
                    "edited: add a new row with an empty decision_id instead"
                )
            if digest in _stored_digests(db, work_id, clean["work_key"]):
                continue  # already in the trail (exported from here, or imported before)
            try:
                new = record_decision(
                    db,
                    work_id,
                    stage,
                    clean["decision"],
                    reviewer=clean["reviewer"],
                    actor=clean["actor"],
                    criterion=clean["criterion"] or None,
                    note=clean["note"] or None,
                    role=clean["role"],
                    decided_at=clean["decided_at"] or None,
                    import_key=f"csv:{digest}",
                )
            except DecisionError as exc:
                raise DecisionsCsvError(f"{path}:{line}: {exc}") from exc
            added += new is not None
    return added
