"""The protocol's hard criteria, applied to stage 1 automatically as decisions by a rule.

Each rule is one function: a work row in, a reason (text) out when the criterion applies, else None.
A rule decision names its criterion and is recorded once (its import key), so re-running the rules
adds nothing. Duplicates are not a rule's business: ``dedupe`` makes one work per publication and a
person's "different" verdict keeps two apart, so rules judge works, never pairs. A rule never
touches a work already decided at stage 1, and a person overturns it simply by deciding (see
db.status): the trail keeps both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from db.decisions import (
    RULE_REVIEWER,
    latest_rule_decisions,
    record_decision,
    works_judged_by_people,
)
from db.protocol import LANGUAGE_ALIASES, Protocol, load_protocol
from db.versions import current_version_number
from db.works import harvested_works

Work = dict[str, Any]
Rule = Callable[[Work, Protocol], "str | None"]

# Student work in the four languages (bachelor, master); doctoral theses are not student work.
_STUDENT_WORDS = re.compile(
    r"master|bachelor|mastergrad|masteroppgave|bacheloroppgave|hovedoppgave|examensarbete|"
    r"kandidatuppsats|magisteruppsats|uppsats|speciale|kandidatspeciale|studentoppgave|"
    r"student thesis|msc|m\.sc|ba thesis|ma thesis",
    re.IGNORECASE,
)
_DOCTORAL_WORDS = re.compile(
    r"ph\.?\s?d|doktor|doctoral|dissertation|doktorsavhandling|ph\.d", re.IGNORECASE
)


def outside_period(work: Work, protocol: Protocol) -> str | None:
    low, high = protocol.years
    year = work.get("year")
    if year is not None and not low <= int(year) <= high:
        return f"published {year}, outside {low}–{high}"
    return None


def student_thesis(work: Work, protocol: Protocol) -> str | None:
    text = " ".join(str(work.get(k) or "") for k in ("title", "container", "publisher", "notes"))
    if work.get("type") == "thesis" and not _DOCTORAL_WORDS.search(text):
        return "a thesis that is not doctoral"
    match = _STUDENT_WORDS.search(text)
    if match and not _DOCTORAL_WORDS.search(text):
        return f"student work ({match.group(0)!r})"
    return None


def english_not_peer_reviewed(work: Work, protocol: Protocol) -> str | None:
    language = LANGUAGE_ALIASES.get(str(work.get("language") or "").lower())
    if language == "en" and work.get("peer_reviewed") == 0:
        return "in English and not peer-reviewed"
    return None


def language_outside_protocol(work: Work, protocol: Protocol) -> str | None:
    raw = str(work.get("language") or "").strip().lower()
    if not raw:
        return None
    language = LANGUAGE_ALIASES.get(raw, raw)
    allowed = set(protocol.languages) | ({"nn"} if "nb" in protocol.languages else set())
    if language not in allowed:
        return f"language {raw!r} not among {', '.join(protocol.languages)}"
    return None


# In the protocol's order; the first rule that applies is recorded, the others go into its note.
RULES: dict[str, Rule] = {
    "outside_period": outside_period,
    "student_thesis": student_thesis,
    "english_not_peer_reviewed": english_not_peer_reviewed,
    "language_outside_protocol": language_outside_protocol,
}


@dataclass
class RuleReport:
    """What one run of the rules decided: {criterion: number of works}, and how many it cleared."""

    excluded: dict[str, int]
    checked: int
    cleared: int = 0
    version: int = 1

    @property
    def total(self) -> int:
        return sum(self.excluded.values())


def apply_rules(db: sqlite_utils.Database, protocol: Protocol | None = None) -> RuleReport:
    """Judge every harvested work that no person has decided at stage 1 by the hard criteria.

    A work is judged once per protocol version: an exclusion under an older version is judged
    again under the version in force, as a new decision — an exclusion when a criterion still
    applies, a clearing (a rule's ``include``, which leaves the work for people to screen) when
    none does. Works already judged under this version are left alone, so a re-run adds nothing.
    """
    protocol = protocol or load_protocol(db)
    version = current_version_number(db) or 1
    rule_ids = {c["id"] for c in protocol.criteria(1) if c.get("rule")}
    judged_by_people = works_judged_by_people(db, 1)
    ruled = latest_rule_decisions(db, 1)
    report = RuleReport({}, 0, version=version)
    with db.atomic():
        for work in harvested_works(db):
            work_id = work["id"]
            if work_id in judged_by_people:
                continue
            before = ruled.get(work_id)
            if before is not None and before[1] >= version:
                continue  # judged under the protocol in force
            report.checked += 1
            reasons = [
                (cid, reason)
                for cid, rule in RULES.items()
                if cid in rule_ids and (reason := rule(work, protocol))
            ]
            note = "; ".join(f"{c}: {r}" for c, r in reasons)
            if reasons:
                criterion = reasons[0][0]
                # version 1 keeps the key rules had before versions were kept
                tag = "" if version == 1 else f"v{version}:"
                record_decision(
                    db, work_id, 1, "exclude", reviewer=RULE_REVIEWER, actor="rule",
                    criterion=criterion, note=note,
                    import_key=f"rule:{tag}{criterion}:{work['key']}",
                )  # fmt: skip
                report.excluded[criterion] = report.excluded.get(criterion, 0) + 1
            elif before is not None and before[0] == "exclude":
                record_decision(
                    db, work_id, 1, "include", reviewer=RULE_REVIEWER, actor="rule",
                    note=f"no hard criterion applies under protocol version {version}",
                    import_key=f"rule:v{version}:clear:{work['key']}",
                )  # fmt: skip
                report.cleared += 1
    return report
