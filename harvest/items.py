"""The item every harvest spider yields: one fetched page of hits (a dataclass, as Scrapy's
project template declares items; the pipeline stores it whole)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class HarvestedPage:
    """One page of an engine's answer: where it came from and its hits.

    Each hit is a mapping with the fields of ``db.provenance.HIT_FIELDS`` (the one declaration of
    a hit's fields), as the parsers in ``harvest.parse`` give them.
    """

    page_key: str  # unique within the run: a resumed run skips the keys it already stored
    url: str
    hits: list[dict[str, Any]] = field(default_factory=list)
    reported_total: int | None = None  # the engine's total, on the page that states it
