"""The review protocol as every package reads it: searches, stages, criteria, quality rule, codebook
and the ranking's concepts.

The one reader of the ``protocol`` table (what ``build`` loaded from ``db/corpus/protocol.yaml``),
so screening and harvest judge and search by the protocol stored beside the works; the embedded
file is the fallback for a database not yet built.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlite_utils

from db.embedded import load_protocol_file

QUALITY_RATINGS = ("yes", "partly", "no", "unclear")
# Language codes and names engines and files use, to the review's language ids (ISO 639-1,
# 639-2/B and /T, English names). The one map: harvest stores hits by it, rules judge by it.
LANGUAGE_ALIASES = {
    "no": "nb", "nor": "nb", "nob": "nb", "nno": "nn", "nn": "nn", "nb": "nb",
    "sv": "sv", "swe": "sv", "da": "da", "dan": "da", "en": "en", "eng": "en",
    "norwegian": "nb", "swedish": "sv", "danish": "da", "english": "en",
}  # fmt: skip
# Without these a stored protocol is incomplete (a build that did not finish) and is not used.
REQUIRED_SECTIONS = frozenset({"review", "stages", "quality", "codebook"})


def language_id(value: str | None) -> str | None:
    """The review's language id for a language code or name; unknown ones pass through lowered."""
    if not value or not value.strip():
        return None
    key = value.strip().lower()
    return LANGUAGE_ALIASES.get(key, key)


class CodingError(ValueError):
    """Stage-3 codes that the codebook does not allow; ``problems`` has one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Concept:
    """One concept of the review question, as word stems matched inside words (compounds)."""

    id: str
    terms: tuple[str, ...]


@dataclass
class Protocol:
    """The parsed protocol; ``data`` holds its sections as protocol.yaml gives them."""

    data: dict[str, Any]

    @property
    def years(self) -> tuple[int, int]:
        low, high = self.data["review"]["years"]
        return int(low), int(high)

    @property
    def languages(self) -> list[str]:
        return list(self.data["languages"])

    def stage(self, number: int) -> dict[str, Any]:
        for entry in self.data["stages"]:
            if entry["stage"] == number:
                return dict(entry)
        raise KeyError(f"the protocol has no stage {number}")

    def criteria(self, stage: int) -> list[dict[str, Any]]:
        return list(self.stage(stage)["criteria"])

    def criterion_ids(self, stage: int) -> set[str]:
        """The ids of the criteria a decision at ``stage`` may rest on (none without the stage)."""
        return {c["id"] for e in self.data["stages"] if e["stage"] == stage for c in e["criteria"]}

    def independent_reviewers(self, stage: int) -> int:
        return int(self.stage(stage).get("independent_reviewers", 1))

    @property
    def quality(self) -> dict[str, Any]:
        return dict(self.data["quality"])

    def vocabulary(self, name: str) -> list[str]:
        return [entry["id"] for entry in self.data["codebook"][name]]

    def language_codes(self, engine: str) -> dict[str, list[str]]:
        """{protocol language: the codes ``engine`` indexes it under}; empty when none are given."""
        codes = (self.data.get("engine_language_codes") or {}).get(engine) or {}
        return {language: list(values) for language, values in codes.items()}

    @property
    def concepts(self) -> tuple[Concept, ...]:
        """The concepts the screening queue ranks by (none in a database built before they were
        part of the protocol: run ``build`` again)."""
        return tuple(
            Concept(entry["id"], tuple(entry["terms"])) for entry in self.data.get("concepts") or []
        )


@dataclass(frozen=True)
class Search:
    """One search of the protocol as ``build`` expanded it (a row of ``searches``)."""

    id: str
    engine: str
    language: str
    terms: tuple[str, ...]
    query: str
    year_from: int | None
    year_to: int | None
    filters: dict[str, Any]


_SEARCH_SQL = "SELECT id, engine, language, terms, query, year_from, year_to, filters FROM searches"


def load_searches(db: sqlite_utils.Database, engine: str) -> list[Search]:
    """The searches of one engine stored in ``db``, by id."""
    rows = db.execute(f"{_SEARCH_SQL} WHERE engine = ? ORDER BY id", [engine]).fetchall()
    return [_search(row) for row in rows]


def find_search(db: sqlite_utils.Database, search_id: str) -> Search | None:
    """One stored search by its id, or None when there is no such search."""
    row = db.execute(f"{_SEARCH_SQL} WHERE id = ?", [search_id]).fetchone()
    return None if row is None else _search(row)


def _search(row: tuple[Any, ...]) -> Search:
    sid, engine, language, terms, query, low, high, filters = row
    return Search(
        sid,
        engine,
        language,
        tuple(json.loads(terms)),
        query,
        low,
        high,
        json.loads(filters or "{}"),
    )


def load_protocol(db: sqlite_utils.Database | None = None) -> Protocol:
    """The protocol stored in ``db``, or the embedded file when the database has none."""
    return (stored_protocol(db) if db is not None else None) or embedded_protocol()


def stored_protocol(db: sqlite_utils.Database) -> Protocol | None:
    """The protocol ``build`` stored in ``db``, or None when it has not been built."""
    try:
        rows = dict(db.execute("SELECT key, value FROM protocol").fetchall())
    except sqlite3.OperationalError:  # no protocol table: a database nothing has built
        return None
    if not rows.keys() >= REQUIRED_SECTIONS:
        return None
    return Protocol({key: json.loads(value) for key, value in rows.items()})


def embedded_protocol() -> Protocol:
    """The protocol file shipped in ``db/corpus/`` (read once per process)."""
    return Protocol(copy.deepcopy(_embedded_protocol_data()))


@cache
def _embedded_protocol_data() -> dict[str, Any]:
    return load_protocol_file()


def quality_applies(protocol: Protocol, peer_reviewed: int | None) -> bool:
    """Whether stage 2 appraises this work's quality (the protocol: not peer-reviewed ones)."""
    applies_to = protocol.quality.get("applies_to", "not_peer_reviewed")
    if applies_to == "all":
        return True
    return peer_reviewed != 1


def quality_points(protocol: Protocol, ratings: dict[str, str]) -> float:
    """The sum of the ratings' points (yes 1, partly 0.5, no and unclear 0 by default)."""
    points = {r["id"]: float(r["points"]) for r in protocol.quality["ratings"]}
    return sum(points[rating] for rating in ratings.values())


def quality_acceptable(protocol: Protocol, ratings: dict[str, str]) -> bool:
    """The protocol's rule for acceptable quality, applied to one reviewer's six ratings."""
    criteria = [c["id"] for c in protocol.quality["criteria"]]
    missing = [c for c in criteria if c not in ratings]
    if missing:
        raise ValueError(f"quality ratings missing for: {', '.join(missing)}")
    unknown = {r for r in ratings.values() if r not in QUALITY_RATINGS}
    if unknown:
        raise ValueError(f"unknown quality rating(s): {', '.join(sorted(unknown))}")
    rule = protocol.quality["acceptable"]
    if any(ratings.get(c) == "no" for c in rule.get("must_not_be_no") or []):
        return False
    return quality_points(protocol, ratings) >= float(rule["min_points"])


def validate_codes(protocol: Protocol, codes: dict[str, Any]) -> dict[str, Any]:
    """Check stage-3 codes against the codebook; return them normalised or raise CodingError.

    Expected keys: theme (list, at least one), method (one), country (list), participants_nb /
    participants_en (text, optional), refugees_interviewed (true / false / unknown).
    """
    problems: list[str] = []
    clean: dict[str, Any] = {}
    themes = _as_list(codes.get("theme"))
    if not themes:
        problems.append("theme: at least one theme is needed (use 'other' if none fits)")
    for name, values in (("theme", themes), ("country", _as_list(codes.get("country")))):
        allowed = protocol.vocabulary(name)
        wrong = [v for v in values if v not in allowed]
        if wrong:
            problems.append(
                f"{name}: {', '.join(wrong)} not in the codebook ({', '.join(allowed)})"
            )
        clean[name] = values
    method = codes.get("method")
    if method not in protocol.vocabulary("method"):
        problems.append(
            f"method: {method!r} not in the codebook ({', '.join(protocol.vocabulary('method'))})"
        )
    clean["method"] = method
    interviewed = str(codes.get("refugees_interviewed", "unknown")).lower()
    if interviewed not in ("true", "false", "unknown"):
        problems.append(f"refugees_interviewed: {interviewed!r} must be true, false or unknown")
    clean["refugees_interviewed"] = interviewed
    for language in ("nb", "en"):
        text = (codes.get(f"participants_{language}") or "").strip()
        if text:
            clean[f"participants_{language}"] = text
    if problems:
        raise CodingError(problems)
    return clean


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]
