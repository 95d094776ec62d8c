"""The terminal screening session: one work at a time, a key per decision.

Line-based (a key, then Enter), so a session can be driven from a script or a test by feeding
lines on stdin. Keys: i include, e exclude (then the criterion's number), m maybe, s skip,
b back (re-decide the previous work; the earlier decision stays in the trail), c criteria, q quit.
A session resumes where the reviewer stopped: their queue holds only what they have not decided.
The session only asks: what it hears it hands to db/'s writers (record_decision, and for stage 2
and 3 record_full_text_decision and record_coding), which apply the protocol's rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import click
import sqlite_utils

from db.appraisal import record_coding, record_full_text_decision
from db.decisions import DecisionError, record_decision
from db.protocol import (
    QUALITY_RATINGS,
    CodingError,
    Protocol,
    load_protocol,
    quality_applies,
    validate_codes,
)
from db.works import work_row
from screening.queue import QueueItem, queue_work_ids, rank_queue

KEYS = "[i]nclude [e]xclude [m]aybe [s]kip [b]ack [c]riteria [q]uit"
RATING_KEYS = {"y": "yes", "p": "partly", "n": "no", "u": "unclear"}


@dataclass
class SessionReport:
    decided: int = 0
    skipped: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def _show_criteria(protocol: Protocol, stage: int, echo: Callable[[str], None]) -> None:
    info = protocol.stage(stage)
    echo(f"Stage {stage}: {info['en']} / {info['nb']}")
    echo(f"  {info['question']['en']}")
    for number, criterion in enumerate(protocol.criteria(stage), start=1):
        rule = " (also applied by rule)" if criterion.get("rule") else ""
        echo(f"  {number}. {criterion['id']}: {criterion['en']} / {criterion['nb']}{rule}")


def _show_work(db: sqlite_utils.Database, item: QueueItem, left: int, echo: Callable) -> dict:
    work = work_row(db, item.work_id)
    echo("")
    echo(f"── {work['key']}  ({left} left in your queue)")
    echo(f"Title:    {work['title']}")
    echo(f"Authors:  {work['authors_display']}")
    peer = {1: "yes", 0: "no"}.get(work["peer_reviewed"], "unknown")
    echo(
        f"Year: {work['year']}  Type: {work['type']}  Language: {work['language']}  "
        f"Peer-reviewed: {peer}"
    )
    if work["container"] or work["publisher"]:
        echo(f"In:       {work['container'] or work['publisher']}")
    abstract = (work["abstract"] or "(no abstract)").strip()
    echo(f"Abstract: {abstract[:1200]}{'…' if len(abstract) > 1200 else ''}")
    echo(f"Why here: {item.explain()}")
    return work


def run_session(
    db: sqlite_utils.Database,
    stage: int,
    reviewer: str,
    *,
    double: bool | None = None,
    limit: int | None = None,
    prompt: Callable[..., str] = click.prompt,
    echo: Callable[[str], None] = click.echo,
) -> SessionReport:
    """Screen ``reviewer``'s queue at ``stage`` until it is empty, ``limit`` is reached or q."""
    protocol = load_protocol(db)
    criteria = protocol.criteria(stage)
    if double is None:
        double = protocol.independent_reviewers(stage) > 1
    ids = queue_work_ids(db, stage, reviewer, double=double, protocol=protocol)
    if stage == 1:
        queue = rank_queue(db, ids, only_reviewer=reviewer if double else None)
    else:
        queue = [QueueItem(w, 0.0) for w in ids]
    report = SessionReport()
    _show_criteria(protocol, stage, echo)
    if not queue:
        echo(f"Nothing left for {reviewer} at stage {stage}.")
        return report
    history: list[int] = []
    position = 0
    while position < len(queue):
        if limit is not None and report.decided >= limit:
            break
        item = queue[position]
        work = _show_work(db, item, len(queue) - position, echo)
        try:
            key = prompt(KEYS, default="s", show_default=False).strip().lower()[:1]
        except click.Abort:  # end of input or Ctrl-C: stop cleanly, all decisions are saved
            echo("")
            break
        if key == "q":
            break
        if key == "c":
            _show_criteria(protocol, stage, echo)
            continue
        if key == "b":
            if not history:
                echo("Nothing to go back to in this session.")
                continue
            position = history.pop()
            continue
        if key == "s":
            report.skipped += 1
            position += 1
            continue
        if key not in ("i", "e", "m"):
            echo(f"Unknown key {key!r}. {KEYS}")
            continue
        decision = {"i": "include", "e": "exclude", "m": "maybe"}[key]
        criterion = None
        ratings = None
        coding = None
        if decision == "exclude":
            criterion = _ask_criterion(criteria, prompt, echo)
        elif (
            decision == "include"
            and stage == 2
            and quality_applies(protocol, work["peer_reviewed"])
        ):
            ratings = _ask_quality(protocol, prompt)
        elif decision == "include" and stage == 3:
            coding = _ask_coding(protocol, prompt, echo)
        note = prompt("Note (Enter for none)", default="", show_default=False).strip() or None
        try:
            if stage == 2:
                outcome = record_full_text_decision(
                    db, work["id"], decision, reviewer=reviewer, ratings=ratings,
                    criterion=criterion, note=note, protocol=protocol,
                )  # fmt: skip
                if outcome.decision != decision:
                    echo(
                        f"Quality not acceptable by the protocol's rule ({outcome.points:g} "
                        "points): recorded as an exclusion (quality_not_acceptable)."
                    )
                decision, criterion = outcome.decision, outcome.criterion
            elif coding is not None:
                codes, language, summary = coding
                record_coding(
                    db, work["id"], reviewer=reviewer, codes=codes, summary=summary,
                    language=language, note=note, protocol=protocol,
                )  # fmt: skip
            else:
                record_decision(
                    db, work["id"], stage, decision, reviewer=reviewer, criterion=criterion,
                    note=note,
                )  # fmt: skip
        except DecisionError as exc:
            echo(f"Not recorded: {exc}")
            continue
        echo(f"Recorded: {decision}{f' ({criterion})' if criterion else ''}.")
        report.decided += 1
        report.counts[decision] = report.counts.get(decision, 0) + 1
        history.append(position)
        position += 1
    echo(
        f"Session ended: {report.decided} decided, {report.skipped} skipped "
        f"({', '.join(f'{k} {v}' for k, v in sorted(report.counts.items())) or 'none'})."
    )
    return report


def _ask_criterion(criteria: list[dict], prompt: Callable[..., str], echo: Callable) -> str:
    while True:
        for number, criterion in enumerate(criteria, start=1):
            echo(f"  {number}. {criterion['en']}")
        answer = prompt("Criterion number").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(criteria):
            return str(criteria[int(answer) - 1]["id"])
        if answer in {c["id"] for c in criteria}:
            return answer
        echo(f"Choose 1–{len(criteria)}.")


def _ask_quality(protocol: Protocol, prompt: Callable[..., str]) -> dict[str, str]:
    ratings = {}
    for criterion in protocol.quality["criteria"]:
        while True:
            answer = prompt(f"Quality – {criterion['en']} [y]es [p]artly [n]o [u]nclear").strip()
            rating = RATING_KEYS.get(answer.lower()[:1]) if answer else None
            if rating in QUALITY_RATINGS:
                ratings[criterion["id"]] = rating
                break
    return ratings


def _ask_coding(
    protocol: Protocol, prompt: Callable[..., str], echo: Callable
) -> tuple[dict, str, dict[str, str]]:
    """Codes (asked until the codebook accepts them), summary language and summary."""
    echo("Themes: " + ", ".join(protocol.vocabulary("theme")))
    echo("Methods: " + ", ".join(protocol.vocabulary("method")))
    echo("Countries: " + ", ".join(protocol.vocabulary("country")))
    while True:
        raw = {
            "theme": prompt("Themes (comma-separated ids)"),
            "method": prompt("Method (id)").strip(),
            "country": prompt("Countries (comma-separated codes)", default="", show_default=False),
            "participants_en": prompt("Participants", default="", show_default=False),
            "refugees_interviewed": prompt(
                "Refugees or immigrants interviewed [true/false/unknown]", default="unknown"
            ),
        }
        try:
            codes = validate_codes(protocol, raw)
            break
        except CodingError as exc:
            for problem in exc.problems:
                echo(f"  {problem}")
    language = prompt("Summary language [nb/en]", default="en").strip() or "en"
    summary = {
        part: prompt(f"Summary – {protocol.data['codebook']['fields'][f'summary_{part}']['en']}")
        for part in ("topic", "method", "findings")
    }
    return codes, language, summary
