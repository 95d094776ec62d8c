"""Decisions to and from CSV, for teams that screen in a spreadsheet.

Export writes one row per decision (or, with ``queue_for``, one empty row per work a reviewer
still has to decide). Import appends the rows that carry a decision, all or nothing: any bad row
aborts the import with its line number and nothing is written. Each row's import key is a digest
of its content, so importing the same file twice adds nothing.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import TextIO

import sqlite_utils

from db.decisions import DecisionError, record_decision
from screening.queue import queue_work_ids

COLUMNS = [
    "work_key", "title", "stage", "decision", "criterion", "reviewer", "note", "decided_at", "role",
]  # fmt: skip


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
            key, title = db.execute(
                "SELECT key, title FROM works WHERE id = ?", [work_id]
            ).fetchone()
            writer.writerow(
                {"work_key": key, "title": title, "stage": stage, "reviewer": queue_for}
            )
            rows += 1
        return rows
    sql = (
        "SELECT w.key, w.title, d.stage, d.decision, d.criterion, d.reviewer, d.note, d.decided_at,"
        " d.role FROM decisions d JOIN works w ON w.id = d.work_id"
    )
    params: list[int] = []
    if stage is not None:
        sql += " WHERE d.stage = ?"
        params.append(stage)
    rows = 0
    for row in db.execute(sql + " ORDER BY d.id", params).fetchall():
        writer.writerow(dict(zip(COLUMNS, row, strict=True)))
        rows += 1
    return rows


def import_decisions(db: sqlite_utils.Database, path: Path) -> int:
    """Append the decisions in a CSV file; return how many were new."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"work_key", "stage", "decision", "reviewer"} - set(reader.fieldnames or [])
        if missing:
            raise DecisionsCsvError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        added = 0
        with db.atomic():  # one transaction: a bad row leaves the database as it was
            for line, row in enumerate(reader, start=2):
                decision = (row.get("decision") or "").strip().lower()
                if not decision:
                    continue  # a queue row nobody has filled in yet
                found = db.execute(
                    "SELECT id FROM works WHERE key = ?", [(row["work_key"] or "").strip()]
                ).fetchone()
                if found is None:
                    raise DecisionsCsvError(f"{path}:{line}: no work with key {row['work_key']!r}")
                try:
                    stage = int(row["stage"])
                except (TypeError, ValueError):
                    raise DecisionsCsvError(
                        f"{path}:{line}: stage must be 1, 2 or 3, not {row['stage']!r}"
                    ) from None
                digest = hashlib.sha256(
                    "\x1f".join(str(row.get(c) or "") for c in COLUMNS if c != "title").encode()
                ).hexdigest()[:20]
                try:
                    new = record_decision(
                        db,
                        int(found[0]),
                        stage,
                        decision,
                        reviewer=(row.get("reviewer") or "").strip(),
                        criterion=(row.get("criterion") or "").strip() or None,
                        note=(row.get("note") or "").strip() or None,
                        role=(row.get("role") or "screen").strip() or "screen",
                        decided_at=(row.get("decided_at") or "").strip() or None,
                        import_key=f"csv:{digest}",
                    )
                except DecisionError as exc:
                    raise DecisionsCsvError(f"{path}:{line}: {exc}") from exc
                added += new is not None
    return added
