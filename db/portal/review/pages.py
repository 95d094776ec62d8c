"""What the review pages show, read from the database in the review thread (no HTML here).

Every function takes the opened database first (:meth:`ReviewSite.run` passes it). Writing goes
through db/'s writers only; this module decides nothing itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from markupsafe import Markup, escape

from db.decisions import (
    Decision,
    decision_trail,
    reviewer_counts,
    reviewer_decisions,
    works_decided_by,
    works_resolved_or_carried_over,
)
from db.portal import http_url
from db.protocol import Concept, Protocol, load_protocol, quality_applies
from db.status import stage_outcome, work_state, works_at_stage
from db.works import UnknownWorkError, work_row
from screening.queue import QueueItem, queue_work_ids, stopping_aid

# Blind mode: at stage 1 every record is screened by two people who never see each other's
# decision (the protocol's own number applies at stages 2 and 3).
BLIND_STAGES = {1}


def is_double(protocol: Protocol, stage: int) -> bool:
    """Whether ``stage`` is screened independently by two reviewers on the review site."""
    return stage in BLIND_STAGES or protocol.independent_reviewers(stage) > 1


def queue_ids(db: sqlite_utils.Database, stage: int, reviewer: str) -> tuple[list[int], bool]:
    """The works ``reviewer`` still has to decide at ``stage`` (unranked), and whether blind."""
    protocol = load_protocol(db)
    double = is_double(protocol, stage)
    return queue_work_ids(db, stage, reviewer, double=double, protocol=protocol), double


def highlight(text: str | None, concepts: tuple[Concept, ...]) -> Markup:
    """``text`` escaped, with the protocol's concept terms (stems, inside compounds) marked."""
    if not text:
        return Markup("")
    terms = sorted({t for c in concepts for t in c.terms}, key=len, reverse=True)
    if not terms:
        return Markup(escape(text))
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    pieces: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        pieces.append(str(escape(text[position : match.start()])))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        position = match.end()
    pieces.append(str(escape(text[position:])))
    return Markup("".join(pieces))


def queue_page(
    db: sqlite_utils.Database, stage: int, reviewer: str, queue: list[QueueItem]
) -> dict[str, Any]:
    """The queue page: ranked records with reasons, progress, and the stopping aid (stage 1)."""
    titles = _titles(db, [i.work_id for i in queue[:200]])
    mine = works_decided_by(db, stage, reviewer)
    by_reviewer = reviewer_decisions(db, stage)
    all_people = sum(len(d) for d in by_reviewer.values())
    at_stage = len(works_at_stage(db, stage))
    items = [
        {
            "work_id": i.work_id,
            "key": titles.get(i.work_id, ("", "", None))[0],
            "title": titles.get(i.work_id, ("", "", None))[1],
            "year": titles.get(i.work_id, ("", "", None))[2],
            "reason": i.explain() if stage == 1 else "",
            "score": i.score,
        }
        for i in queue[:200]
    ]
    aid = stopping_aid(db, stage) if stage == 1 else None
    return {
        "items": items,
        "remaining": len(queue),
        "screened_by_me": len(mine),
        "at_stage": at_stage,
        "my_share": (len(by_reviewer.get(reviewer, {})) / all_people) if all_people else None,
        "stopping": aid.describe() if aid else None,
        "stopping_figures": aid,
    }


def _titles(db: sqlite_utils.Database, ids: list[int]) -> dict[int, tuple[str, str, int | None]]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = db.execute(f"SELECT id, key, title, year FROM works WHERE id IN ({marks})", ids)
    return {int(i): (str(k), str(t or ""), y) for i, k, t, y in rows.fetchall()}


@dataclass(frozen=True)
class Refusal:
    """Why a form cannot be saved (shown to the reviewer; nothing was written)."""

    status: int
    message: str


def refuse_stale(
    db: sqlite_utils.Database, stage: int, work_id: int, reviewer: str
) -> Refusal | None:
    """A refusal when ``reviewer`` may not decide ``work_id`` at ``stage`` now, else None.

    A form is stale or replayed when the reviewer has decided the record meanwhile (another tab,
    the back button, a second post), or when the record has left their queue (settled by others,
    or not at this stage).
    """
    try:
        work_row(db, work_id)
    except UnknownWorkError:
        return Refusal(404, f"There is no record {work_id}.")
    if work_id in works_decided_by(db, stage, reviewer):
        return Refusal(
            409,
            f"You have already decided this record at stage {stage}: this form was stale or "
            "sent twice, and nothing was recorded. Your earlier decision stands.",
        )
    protocol = load_protocol(db)
    ids = queue_work_ids(db, stage, reviewer, double=is_double(protocol, stage), protocol=protocol)
    if work_id not in ids:
        return Refusal(
            409,
            f"This record is no longer in your stage {stage} queue (it is "
            f"{work_state(db, work_id).label()}): nothing was recorded.",
        )
    return None


def record_page(
    db: sqlite_utils.Database, stage: int, work_id: int, reviewer: str
) -> dict[str, Any]:
    """A record to decide: its fields, highlighted abstract, the stage's criteria and forms.

    Blind: nothing here says what anyone else decided on the record.
    """
    protocol = load_protocol(db)
    work = work_row(db, work_id)
    stage_info = protocol.stage(stage)
    authors = work.get("authors_display") or ""
    appraised = stage == 2 and quality_applies(protocol, work.get("peer_reviewed"))
    codebook = protocol.data["codebook"]
    return {
        "work": work,
        "web_url": http_url(work.get("url")),
        "authors": authors,
        "title_marked": highlight(work.get("title"), protocol.concepts),
        "abstract_marked": highlight(work.get("abstract"), protocol.concepts),
        "stage_info": stage_info,
        "criteria": protocol.criteria(stage),
        "appraised": appraised,
        "quality": protocol.quality,
        "quality_json": json.dumps(
            {
                "points": {r["id"]: r["points"] for r in protocol.quality["ratings"]},
                "min_points": protocol.quality["acceptable"]["min_points"],
                "must_not_be_no": protocol.quality["acceptable"].get("must_not_be_no") or [],
            }
        ),
        "codebook": codebook,
        "refusal": refuse_stale(db, stage, work_id, reviewer),
    }


def conflicts_page(db: sqlite_utils.Database, stage: int) -> list[dict[str, Any]]:
    """Unresolved conflicts at ``stage`` with each reviewer's decision."""
    from screening.agreement import list_conflicts

    return [
        {"work_id": c.work_id, "key": c.key, "title": c.title, "decisions": c.decisions}
        for c in list_conflicts(db, stage)
    ]


def conflict_detail(db: sqlite_utils.Database, stage: int, work_id: int) -> dict[str, Any]:
    """One conflict for the resolution page: the record, both decisions with criteria and notes."""
    protocol = load_protocol(db)
    work = work_row(db, work_id)
    latest: dict[str, Decision] = {}
    for decision in decision_trail(db, work_id):  # oldest first: the latest per reviewer wins
        if decision.stage == stage and decision.actor == "person" and decision.role == "screen":
            latest[decision.reviewer] = decision
    return {
        "work": work,
        "abstract_marked": highlight(work.get("abstract"), protocol.concepts),
        "decisions": list(latest.values()),
        "criteria": protocol.criteria(stage),
        "open": stage_outcome(db, work_id, stage) == "conflict",
    }


def agreement_page(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Cohen's kappa and plain agreement per reviewer pair and stage."""
    from screening.agreement import agreement

    return [
        {
            "stage": p.stage,
            "first": p.first,
            "second": p.second,
            "works": p.works,
            "agreement": p.agreement,
            "kappa": p.kappa,
        }
        for stage in (1, 2, 3)
        for p in agreement(db, stage)
    ]


def waiting_page(db: sqlite_utils.Database, stage: int) -> list[dict[str, Any]]:
    """Records screened by one person only where two are asked for: who screened, not what."""
    protocol = load_protocol(db)
    if not is_double(protocol, stage):
        return []
    counts = reviewer_counts(db, stage)
    by_reviewer = reviewer_decisions(db, stage)
    ids = [w for w, n in counts.items() if n == 1 and stage_outcome(db, w, stage) != "conflict"]
    settled = works_resolved_or_carried_over(db, stage)
    ids = sorted(w for w in ids if w not in settled)
    titles = _titles(db, ids)
    return [
        {
            "work_id": w,
            "key": titles[w][0],
            "title": titles[w][1],
            "screened_by": [r for r, d in sorted(by_reviewer.items()) if w in d],
        }
        for w in ids
    ]
