"""The protocol's hard criteria, applied to stage 1 automatically as decisions by a rule.

Each rule is one function: a work row in, a reason (text) out when the criterion applies, else None.
A rule decision names its criterion and is recorded once (its import key), so re-running the rules
adds nothing; it never touches a work a person has already decided at stage 1, and a person
overturns it simply by deciding (see db.decisions): the trail keeps both.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from db.decisions import RULE_REVIEWER, record_decision
from db.protocol import LANGUAGE_ALIASES, Protocol, load_protocol

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


def duplicate(work: Work, protocol: Protocol) -> str | None:
    original = work.get("_duplicate_of")
    if original:
        return f"duplicate of work {original}"
    return None


# In the protocol's order; the first rule that applies is recorded, the others go into its note.
RULES: dict[str, Rule] = {
    "outside_period": outside_period,
    "student_thesis": student_thesis,
    "english_not_peer_reviewed": english_not_peer_reviewed,
    "language_outside_protocol": language_outside_protocol,
    "duplicate": duplicate,
}


@dataclass
class RuleReport:
    """What one run of the rules decided: {criterion: number of works}."""

    excluded: dict[str, int]
    checked: int

    @property
    def total(self) -> int:
        return sum(self.excluded.values())


def _normal_title(title: str) -> str:
    text = unicodedata.normalize("NFKD", title.lower())
    return re.sub(r"[^a-z0-9æøåäö]+", "", text)


def find_duplicates(db: sqlite_utils.Database) -> dict[int, int]:
    """{work id: earlier work id} for works sharing a DOI, or the same title and year.

    A column ``duplicate_of`` on works (if the dedupe step adds one) is honoured first.
    """
    columns = {c.name for c in db["works"].columns}
    found: dict[int, int] = {}
    if "duplicate_of" in columns:
        for wid, other in db.execute(
            "SELECT id, duplicate_of FROM works WHERE duplicate_of IS NOT NULL"
        ).fetchall():
            found[int(wid)] = int(other)
    seen: dict[tuple[str, Any], int] = {}
    for wid, doi, title, year in db.execute(
        "SELECT id, lower(trim(doi)), title, year FROM works ORDER BY id"
    ).fetchall():
        keys = [("doi", doi)] if doi else []
        keys.append(("title", (_normal_title(title or ""), year)))
        for key in keys:
            if key in seen and wid not in found:
                found[int(wid)] = seen[key]
            seen.setdefault(key, int(wid))
    return found


def apply_rules(db: sqlite_utils.Database, protocol: Protocol | None = None) -> RuleReport:
    """Record a stage-1 rule exclusion for each undecided harvested work a hard criterion fits."""
    protocol = protocol or load_protocol(db)
    rule_ids = {c["id"] for c in protocol.criteria(1) if c.get("rule")}
    duplicates = find_duplicates(db)
    decided = {
        int(r[0])
        for r in db.execute("SELECT DISTINCT work_id FROM decisions WHERE stage = 1").fetchall()
    }
    excluded: dict[str, int] = {}
    checked = 0
    with db.atomic():
        for work in db.query("SELECT * FROM works WHERE origin != 'corpus' ORDER BY id"):
            if work["id"] in decided:
                continue
            checked += 1
            work["_duplicate_of"] = duplicates.get(work["id"])
            reasons = [
                (cid, reason)
                for cid, rule in RULES.items()
                if cid in rule_ids and (reason := rule(work, protocol))
            ]
            if not reasons:
                continue
            criterion, reason = reasons[0]
            note = "; ".join(f"{c}: {r}" for c, r in reasons)
            record_decision(
                db,
                work["id"],
                1,
                "exclude",
                reviewer=RULE_REVIEWER,
                actor="rule",
                criterion=criterion,
                note=note,
                import_key=f"rule:{criterion}:{work['key']}",
            )
            excluded[criterion] = excluded.get(criterion, 0) + 1
    return RuleReport(excluded, checked)
