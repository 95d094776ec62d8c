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
from screening.stopping import KNEE_MIN_SCREENED, RECOMMENDED, StoppingAid, Verdict

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
    """The queue page: ranked records with reasons, progress, and the stopping rules (stage 1)."""
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
        "stopping": stopping_view(aid) if aid else None,
        "stopping_figures": aid,
    }


def _nb_number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def _share(value: float, language: str) -> str:
    text = f"{value * 100:.0f} %"
    return text if language == "en" else text.replace(".", ",")


def verdict_texts(verdict: Verdict, recall_target: float, confidence: float) -> dict[str, Any]:
    """One stopping rule's advice and reasons in English and bokmål, built from its figures."""
    f = verdict.figures
    target_en, target_nb = _share(recall_target, "en"), _share(recall_target, "nb")
    conf_en, conf_nb = _share(confidence, "en"), _share(confidence, "nb")
    en = verdict.detail
    nb = "ingenting vurdert ennå" if "nothing screened" in en else "ikke tilgjengelig ennå"
    if verdict.rule == "buscar" and "p" in f:
        p, bound = f["p"], int(f["bound"])
        en = (
            f"p = {p:.3f} for “recall below {target_en}”; at most {bound} relevant works "
            f"unscreened at {conf_en} confidence"
        )
        nb = (
            f"p = {_nb_number(p, 3)} for «under {target_nb} av de relevante er funnet»; høyst "
            f"{bound} relevante bidrag er ikke vurdert, med {conf_nb} sikkerhet"
        )
    elif verdict.rule == "quantci" and "remaining" in f:
        en = (
            f"{f['remaining']:.1f} relevant works estimated unscreened (at most "
            f"{f['upper']:.1f} at {conf_en} confidence): recall at least "
            f"{f['recall_low'] * 100:.1f} %, target {target_en}"
        )
        nb = (
            f"anslagsvis {_nb_number(f['remaining'], 1)} relevante bidrag ikke vurdert (høyst "
            f"{_nb_number(f['upper'], 1)} med {conf_nb} sikkerhet): minst "
            f"{_nb_number(f['recall_low'] * 100, 1)} % av de relevante funnet, mål {target_nb}"
        )
    elif verdict.rule == "quantci":
        nb = "ikke tilgjengelig ennå: modellen trenger vurderinger av begge slag å kalibrere på"
    elif verdict.rule == "knee" and "knee" in f:
        needed, knee = f["needed"], int(f["knee"])
        en = (
            f"knee at {knee} screened, slope ratio {f['ratio']:.1f}" if knee else "no knee yet"
        ) + f" (needs at least {needed:g} and {KNEE_MIN_SCREENED} screened)"
        nb = (
            f"knekkpunkt ved {knee} vurdert, forholdstall mellom stigningene "
            f"{_nb_number(f['ratio'], 1)}"
            if knee
            else "intet knekkpunkt ennå"
        ) + f" (krever minst {needed:g} og {KNEE_MIN_SCREENED} vurdert)"
    elif verdict.rule == "heuristic" and "run" in f:
        en = f"{int(f['run'])} irrelevant in a row (advises stopping at {int(f['n'])})"
        nb = f"{int(f['run'])} ikke-relevante på rad (råder til å stoppe ved {int(f['n'])})"
    return {
        "rule": verdict.rule,
        "name_en": RULE_NAMES[verdict.rule][0],
        "name_nb": RULE_NAMES[verdict.rule][1],
        "recommended": verdict.rule == RECOMMENDED,
        "stop": verdict.stop,
        "advice_en": "advises stopping" if verdict.stop else "keep screening",
        "advice_nb": "råder til å stoppe" if verdict.stop else "fortsett å vurdere",
        "detail_en": en,
        "detail_nb": nb,
    }


# rule → (English, bokmål) names shown on the queue page
RULE_NAMES = {
    "buscar": ("buscar (hypergeometric test)", "buscar (hypergeometrisk test)"),
    "quantci": ("QuantCI (calibrated scores)", "QuantCI (kalibrerte skårer)"),
    "knee": ("Knee method", "Knekkpunktmetoden"),
    "heuristic": ("50 irrelevant in a row", "50 ikke-relevante på rad"),
}


def stopping_view(aid: StoppingAid) -> dict[str, Any]:
    """What the queue page shows of the stopping aid, in both languages."""
    estimate = aid.estimate
    rows = [verdict_texts(v, aid.recall_target, aid.confidence) for v in aid.verdicts]
    buscar = aid.recommended
    target_en, target_nb = _share(aid.recall_target, "en"), _share(aid.recall_target, "nb")
    conf_en, conf_nb = _share(aid.confidence, "en"), _share(aid.confidence, "nb")
    if aid.screened == 0:
        advice = ("Nothing screened yet.", "Ingenting vurdert ennå.")
    elif buscar.stop:
        advice = (
            f"buscar at {target_en} recall and {conf_en} confidence: stopping is defensible. "
            "The decision to stop is yours.",
            f"buscar med mål {target_nb} funnet og {conf_nb} sikkerhet: det er forsvarlig å "
            "stoppe. Det er du som bestemmer om du stopper.",
        )
    else:
        advice = (
            f"buscar at {target_en} recall and {conf_en} confidence: keep screening.",
            f"buscar med mål {target_nb} funnet og {conf_nb} sikkerhet: fortsett å vurdere.",
        )
    return {
        "screened": estimate.screened,
        "relevant": estimate.relevant_found,
        "unscreened": estimate.unscreened,
        "estimate": (
            {
                "en": f"{estimate.remaining_estimate:.1f} "
                f"({estimate.remaining_low:.1f}–{estimate.remaining_high:.1f})",
                "nb": f"{_nb_number(estimate.remaining_estimate, 1)} "
                f"({_nb_number(estimate.remaining_low, 1)}–"
                f"{_nb_number(estimate.remaining_high, 1)})",
                "interval_en": f"{conf_en} interval",
                "interval_nb": f"{conf_nb}-intervall",
                "window": estimate.window,
                "in_window": estimate.relevant_in_window,
            }
            if estimate.screened
            else None
        ),
        "rules": rows,
        "advice_en": advice[0],
        "advice_nb": advice[1],
        "p_value": buscar.p_value,
        "text": aid.describe(),
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
    refusal = refuse_stale(db, stage, work_id, reviewer)
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
        "refusal": refusal,
        "theme_suggestion": (
            theme_suggestion(db, work_id, codebook) if stage == 3 and refusal is None else None
        ),
    }


def theme_suggestion(
    db: sqlite_utils.Database, work_id: int, codebook: dict[str, Any]
) -> list[dict[str, Any]] | None:
    """The nearest theme and the runner-up by coded works' centroids, labelled, or None.

    Advice beside the coding form; no checkbox is ticked from it and nothing is saved.
    """
    from db.embeddings import suggest_theme

    labels = {t["id"]: t for t in codebook.get("theme", [])}
    suggestions = suggest_theme(db, work_id)
    if not suggestions:
        return None
    return [
        {
            "id": s.theme,
            "en": labels.get(s.theme, {}).get("en", s.theme),
            "nb": labels.get(s.theme, {}).get("nb", s.theme),
            "similarity_en": f"{s.similarity:.2f}",
            "similarity_nb": _nb_number(s.similarity, 2),
            "works": s.works,
        }
        for s in suggestions
    ]


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
