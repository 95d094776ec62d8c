"""The writers of stage 2's quality ratings and stage 3's coding, each atomic with its decision.

Like :func:`db.decisions.record_decision` for decisions, these are the only code that writes the
``quality``, ``codes`` and ``summaries`` tables (a test checks it). A front end — the terminal
session, the browser pages, an import — asks a person and calls them; the protocol's rules
(acceptable quality, the codebook) are applied here, so every front end applies the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from db.decisions import DecisionError, now_iso, record_decision
from db.protocol import (
    QUALITY_RATINGS,
    Protocol,
    load_protocol,
    quality_acceptable,
    quality_applies,
    quality_points,
    validate_codes,
)
from db.search_index import refresh_search_index

SUMMARY_PARTS = ("topic", "method", "findings")
SUMMARY_LANGUAGES = ("nb", "en")


@dataclass(frozen=True)
class FullTextOutcome:
    """What a stage-2 include became under the quality rule."""

    decision_id: int
    decision: str
    criterion: str | None
    points: float | None  # None: the work's quality is not appraised (peer-reviewed)


def record_full_text_decision(
    db: sqlite_utils.Database,
    work_id: int,
    decision: str,
    *,
    reviewer: str,
    ratings: dict[str, str] | None = None,
    criterion: str | None = None,
    note: str | None = None,
    protocol: Protocol | None = None,
) -> FullTextOutcome:
    """A stage-2 decision; an include of a work the protocol appraises needs the six ratings.

    The ratings are stored with the decision in one transaction, and an include whose ratings fall
    short of the acceptable-quality rule is recorded as an exclusion (quality_not_acceptable).
    """
    protocol = protocol or load_protocol(db)
    row = db.execute("SELECT peer_reviewed FROM works WHERE id = ?", [work_id]).fetchone()
    if row is None:
        raise DecisionError(f"no work with id {work_id}")
    appraised = quality_applies(protocol, row[0])
    points = None
    notes = [note] if note else []
    if decision == "include" and appraised:
        if not ratings:
            raise DecisionError(
                f"work {work_id} is not peer-reviewed: a stage 2 include needs the quality "
                f"ratings ({', '.join(c['id'] for c in protocol.quality['criteria'])})"
            )
        try:
            acceptable = quality_acceptable(protocol, ratings)
        except ValueError as exc:
            raise DecisionError(str(exc)) from None
        points = quality_points(protocol, ratings)
        notes.insert(0, f"quality {points:g} points")
        if not acceptable:
            decision, criterion = "exclude", "quality_not_acceptable"
    with db.atomic():
        decision_id = record_decision(
            db,
            work_id,
            2,
            decision,
            reviewer=reviewer,
            criterion=criterion,
            note="; ".join(notes) or None,
        )
        if ratings:
            record_quality(db, work_id, ratings, reviewer=reviewer)
    return FullTextOutcome(int(decision_id or 0), decision, criterion, points)


def record_quality(
    db: sqlite_utils.Database,
    work_id: int,
    ratings: dict[str, str],
    *,
    reviewer: str,
    note: str | None = None,
) -> None:
    """Store one reviewer's ratings of a work (criterion id → yes / partly / no / unclear)."""
    unknown = {r for r in ratings.values() if r not in QUALITY_RATINGS}
    if unknown:
        raise DecisionError(
            f"unknown quality rating(s) {', '.join(sorted(unknown))}; "
            f"use {', '.join(QUALITY_RATINGS)}"
        )
    rated_at = now_iso()
    with db.atomic():
        for criterion, rating in ratings.items():
            db.execute(
                "INSERT INTO quality (work_id, reviewer, criterion, rating, note, rated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [work_id, reviewer, criterion, rating, note, rated_at],
            )


def record_coding(
    db: sqlite_utils.Database,
    work_id: int,
    *,
    reviewer: str,
    codes: dict[str, object],
    summary: dict[str, str],
    language: str,
    note: str | None = None,
    protocol: Protocol | None = None,
) -> int:
    """A stage-3 include with its codes and three-part summary, in one transaction.

    The codes are checked against the codebook (CodingError lists every problem), the summary
    needs all three parts, and the full-text index is refreshed, so the portal's search finds the
    summary as soon as it is written. Returns the decision's id.
    """
    protocol = protocol or load_protocol(db)
    clean = validate_codes(protocol, codes)
    if language not in SUMMARY_LANGUAGES:
        raise DecisionError(f"summary language must be nb or en, not {language!r}")
    missing = [part for part in SUMMARY_PARTS if not (summary.get(part) or "").strip()]
    if missing:
        raise DecisionError(f"the summary needs every part: {', '.join(missing)} missing")
    coded_at = now_iso()
    rows: list[tuple[str, object]] = [
        ("method", clean["method"]),
        ("refugees_interviewed", clean["refugees_interviewed"]),
    ]
    rows += [("theme", t) for t in clean["theme"]] + [("country", c) for c in clean["country"]]
    rows += [(f, clean[f]) for f in ("participants_nb", "participants_en") if f in clean]
    with db.atomic():
        decision_id = record_decision(db, work_id, 3, "include", reviewer=reviewer, note=note)
        for field_name, value in rows:
            db.execute(
                "INSERT OR IGNORE INTO codes (work_id, reviewer, field, value, coded_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [work_id, reviewer, field_name, value, coded_at],
            )
        db.execute(
            "INSERT INTO summaries (work_id, language, topic, method, findings, written_by)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (work_id, language) DO UPDATE SET"
            " topic = excluded.topic, method = excluded.method, findings = excluded.findings,"
            " written_by = excluded.written_by",
            [work_id, language, *(summary[p].strip() for p in SUMMARY_PARTS), reviewer],
        )
        refresh_search_index(db, [work_id])
    return int(decision_id or 0)
