"""What a posted review form becomes: a call to one of db/'s writers, or a refusal.

Each function runs in the review thread (so a check and the write it guards are not interleaved
with another reviewer's post) and takes the posted form as ``{name: [values]}``. The reviewer is
always the signed-in one, passed by the plugin; no form field can name another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from db.appraisal import SUMMARY_PARTS, record_coding, record_full_text_decision
from db.decisions import DECISIONS, DecisionError, record_decision, reviewer_decisions
from db.protocol import CodingError, load_protocol
from db.status import stage_outcome
from db.works import work_row
from screening.queue import queue_work_ids

from .pages import Refusal, is_double, refuse_stale

Form = dict[str, list[str]]


@dataclass(frozen=True)
class Result:
    """``refusal``: nothing written, the form was stale; ``error``: fix the form and post again."""

    message: str = ""
    error: str | None = None
    refusal: Refusal | None = None


def _one(form: Form, name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def _many(form: Form, name: str) -> list[str]:
    return [v.strip() for v in form.get(name) or [] if v.strip()]


def overview_counts(db: sqlite_utils.Database, reviewer: str) -> dict[str, Any]:
    """Per stage: how many records wait in the reviewer's queue, conflicts, and dedupe pairs."""
    from db.dedupe.store import maybe_queue
    from db.status import works_in_state

    protocol = load_protocol(db)
    stages = []
    for stage in (1, 2, 3):
        info = protocol.stage(stage)
        ids = queue_work_ids(db, stage, reviewer, double=is_double(protocol, stage))
        stages.append(
            {
                "stage": stage,
                "nb": info["nb"],
                "en": info["en"],
                "queue": len(ids),
                "conflicts": len(works_in_state(db, "conflict", stage)),
                "double": is_double(protocol, stage),
            }
        )
    return {"stages": stages, "maybe_pairs": len(maybe_queue(db))}


def decide(
    db: sqlite_utils.Database, stage: int, work_id: int, reviewer: str, form: Form
) -> Result:
    """A record page's post: include / exclude (with criterion) / maybe, and the stage's extras."""
    refusal = refuse_stale(db, stage, work_id, reviewer)
    if refusal is not None:
        return Result(refusal=refusal)
    decision = _one(form, "decision")
    if decision not in DECISIONS:
        return Result(error=f"Choose include, exclude or maybe (not {decision!r}).")
    criterion = _one(form, "criterion") if decision == "exclude" else None
    if decision == "exclude" and not criterion:
        return Result(error="An exclusion needs the criterion it rests on.")
    note = _one(form, "note") or None
    protocol = load_protocol(db)
    try:
        if stage == 2:
            ratings = {
                c["id"]: _one(form, f"q_{c['id']}")
                for c in protocol.quality["criteria"]
                if _one(form, f"q_{c['id']}")
            }
            outcome = record_full_text_decision(
                db,
                work_id,
                decision,
                reviewer=reviewer,
                ratings=ratings if decision == "include" and ratings else None,
                criterion=criterion,
                note=note,
                protocol=protocol,
            )
            if outcome.decision != decision:
                return Result(
                    f"Quality not acceptable by the protocol's rule ({outcome.points:g} points): "
                    "recorded as an exclusion (quality_not_acceptable)."
                )
            points = "" if outcome.points is None else f", quality {outcome.points:g} points"
            return Result(f"Recorded {outcome.decision} at stage 2{points}.")
        if stage == 3 and decision == "include":
            codes: dict[str, object] = {
                "theme": _many(form, "theme"),
                "method": _one(form, "method"),
                "country": _many(form, "country"),
                "participants_nb": _one(form, "participants_nb"),
                "participants_en": _one(form, "participants_en"),
                "refugees_interviewed": _one(form, "refugees_interviewed") or "unknown",
            }
            summary = {part: _one(form, f"summary_{part}") for part in SUMMARY_PARTS}
            record_coding(
                db,
                work_id,
                reviewer=reviewer,
                codes=codes,
                summary=summary,
                language=_one(form, "summary_language") or "en",
                note=note,
                protocol=protocol,
            )
            return Result("Coded and included at stage 3.")
        record_decision(
            db, work_id, stage, decision, reviewer=reviewer, criterion=criterion, note=note
        )
    except CodingError as exc:
        return Result(error="; ".join(exc.problems))
    except DecisionError as exc:
        return Result(error=str(exc))
    title = str(work_row(db, work_id).get("title") or "")[:60]
    return Result(f"Recorded {decision} at stage {stage}: {title}")


def resolve(
    db: sqlite_utils.Database, stage: int, work_id: int, reviewer: str, form: Form
) -> Result:
    """A third reviewer settles a conflict (never one of the reviewers in it)."""
    from screening.agreement import resolve_conflict

    if stage_outcome(db, work_id, stage) != "conflict":
        return Result(
            refusal=Refusal(
                409, f"This record has no open conflict at stage {stage} (resolved meanwhile?): "
                "nothing was recorded."
            )
        )  # fmt: skip
    screened = {r for r, decided in reviewer_decisions(db, stage).items() if work_id in decided}
    if reviewer in screened:
        return Result(
            refusal=Refusal(
                403, "You screened this record yourself: a third reviewer resolves the conflict."
            )
        )
    decision = _one(form, "decision")
    criterion = _one(form, "criterion") if decision == "exclude" else None
    try:
        resolve_conflict(
            db,
            work_id,
            stage,
            decision,
            reviewer=reviewer,
            criterion=criterion or None,
            note=_one(form, "note") or None,
        )
    except (DecisionError, ValueError) as exc:
        return Result(error=str(exc))
    return Result(f"Conflict resolved: {decision} at stage {stage}.")


def maybe_pairs(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Dedupe's maybe-pairs, each hit's fields side by side."""
    from db.dedupe.store import maybe_queue

    fields = ("engine", "title", "authors", "year", "type", "container", "publisher", "doi")
    result = []
    for pair in maybe_queue(db)[:100]:
        rows = []
        for name in fields:
            rows.append((name, _hit_value(pair.hit_a, name), _hit_value(pair.hit_b, name)))
        result.append(
            {
                "a": pair.hit_a["id"],
                "b": pair.hit_b["id"],
                "rows": rows,
                "method": pair.method,
                "score": pair.score,
            }
        )
    return result


def _hit_value(hit: dict[str, Any], name: str) -> str:
    value = hit.get(name)
    if name == "authors":
        try:
            names = json.loads(value or "[]")
        except ValueError:
            return str(value or "")
        value = "; ".join(n.get("family") or n.get("literal") or "" for n in names)
    return "" if value is None else str(value)


def judge_pair(db: sqlite_utils.Database, reviewer: str, form: Form) -> Result:
    """Same work / different works for one maybe-pair, as ``dedupe --review`` records it."""
    from db.dedupe.store import DedupeError, decide_pair, maybe_queue

    try:
        a, b = int(_one(form, "hit_a")), int(_one(form, "hit_b"))
    except ValueError:
        return Result(error="No pair given.")
    outcome = _one(form, "outcome")
    if outcome not in ("same", "different"):
        return Result(error="Choose same or different.")
    if not any({p.hit_a["id"], p.hit_b["id"]} == {a, b} for p in maybe_queue(db)):
        return Result(
            refusal=Refusal(409, "This pair has been judged meanwhile: nothing was recorded.")
        )
    try:
        kept = decide_pair(db, a, b, outcome, reviewer)
    except DedupeError as exc:
        return Result(error=str(exc))
    if outcome == "same":
        return Result(f"Same work: merged into work {kept}.")
    return Result("Recorded: different works.")
