"""Enrichment: complete works from Crossref, OpenAlex and NVA (see ``db.enrich.store``)."""

from db.enrich.client import Blocked, EnrichError
from db.enrich.sources import ENRICH_FIELDS, SOURCES
from db.enrich.store import (
    Candidate,
    EnrichReport,
    decide_candidate,
    enrich_works,
    review_queue,
    undo_field,
)

__all__ = [
    "ENRICH_FIELDS", "SOURCES", "Blocked", "Candidate", "EnrichError", "EnrichReport",
    "decide_candidate", "enrich_works", "review_queue", "undo_field",
]  # fmt: skip
