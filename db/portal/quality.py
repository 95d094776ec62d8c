"""A work's quality ratings and whether they meet the protocol's acceptable-quality rule.

The rule itself lives with the protocol; this is the one import to change if it moves.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from db.protocol import load_protocol, quality_acceptable


def quality_rule_text(conn: Any, lang: str) -> str:
    """The protocol's acceptable-quality rule in words."""
    protocol = load_protocol(sqlite_utils.Database(conn))
    return str(protocol.quality.get("acceptable", {}).get(lang, ""))


def acceptable_quality(conn: Any, work_id: int, lang: str) -> dict[str, Any]:
    """Peer review, each rater's ratings (raters numbered, never named) and the rule's verdict."""
    db = sqlite_utils.Database(conn)
    protocol = load_protocol(db)
    peer = db.execute("SELECT peer_reviewed FROM works WHERE id = ?", [work_id]).fetchone()
    criteria = {c["id"]: c.get(lang, c["id"]) for c in protocol.quality["criteria"]}
    rating_words = {r["id"]: r.get(lang, r["id"]) for r in protocol.quality["ratings"]}
    by_rater: dict[str, dict[str, str]] = {}
    for reviewer, criterion, rating in db.execute(
        "SELECT reviewer, criterion, rating FROM quality WHERE work_id = ? ORDER BY rated_at, id",
        [work_id],
    ):
        by_rater.setdefault(reviewer, {})[criterion] = rating
    raters = []
    for number, ratings in enumerate(by_rater.values(), start=1):
        try:
            met: bool | None = quality_acceptable(protocol, ratings)
        except ValueError:
            met = None  # incomplete ratings: no verdict
        raters.append(
            {
                "number": number,
                "met": met,
                "ratings": [
                    {"criterion": criteria.get(c, c), "rating": rating_words.get(r, r)}
                    for c, r in ratings.items()
                ],
            }
        )
    verdicts = [r["met"] for r in raters if r["met"] is not None]
    return {
        "peer_reviewed": peer[0] if peer else None,
        "raters": raters,
        "met": (all(verdicts) if verdicts else None),
    }
