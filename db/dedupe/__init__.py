"""Dedupe: turn hits into works, one per publication, with every merge recorded and reversible."""

from db.dedupe.store import (
    DedupeError,
    DedupeReport,
    MaybePair,
    decide_pair,
    dedupe_hits,
    maybe_queue,
    split_work,
)

__all__ = [
    "DedupeError",
    "DedupeReport",
    "MaybePair",
    "decide_pair",
    "dedupe_hits",
    "maybe_queue",
    "split_work",
]
