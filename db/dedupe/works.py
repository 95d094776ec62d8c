"""A harvested work's fields, chosen from its hits, each naming the hit it came from."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from db.dedupe import normalise as n
from db.provenance import RECORD_FIELDS

# Lower is trusted more: a library catalogue's structured record beats an imported file, which
# beats a search-engine snippet. Unknown engines sit in the middle.
ENGINE_RANK = {
    "oria": 0,
    "primo": 0,
    "bibsys": 0,
    "cristin": 0,
    "nva": 0,
    "crossref": 1,
    "ris": 1,
    "bibtex": 1,
    "endnote": 1,
    "oria-export": 1,
    "scholar": 3,
    "google-scholar": 3,
    "pop-csv": 3,
}
WORK_TYPES = frozenset({"report", "journal_article", "book_chapter", "book", "thesis", "other"})
UNTITLED = "[uten tittel / untitled]"


def engine_rank(engine: str | None) -> int:
    return ENGINE_RANK.get((engine or "").lower(), 2)


def clean_authors(authors: Any) -> tuple[list[dict[str, str]], bool]:
    """CSL names without 'm.fl.'/'et al.', and whether the list was cut short by one of them."""
    if isinstance(authors, str):
        authors = json.loads(authors or "[]")
    names: list[dict[str, str]] = []
    cut = False
    for author in authors or []:
        if author.get("family"):
            family = str(author["family"]).strip()
            if re.fullmatch(r"(?:m\.?\s?fl\.?|et\.?\s?al\.?|…|\.\.\.)", family, re.I):
                cut = True
                continue
            names.append({"family": family, "given": str(author.get("given") or "").strip()})
        elif author.get("literal"):
            literal = str(author["literal"])
            if "…" in literal or "..." in literal:
                cut = True
            split = n.split_literal_name(literal)
            if split is None:
                cut = True
            elif split["family"]:
                names.append(split)
    return names, cut


def authors_display(authors: Sequence[Mapping[str, str]]) -> str:
    """'Lillevik, R.; Weiss, N.' for reading and full-text search."""
    parts = []
    for name in authors:
        given = " ".join(w[0] + "." for w in str(name.get("given") or "").replace(".", " ").split())
        parts.append(f"{name['family']}, {given}".strip(", ") if given else name["family"])
    return "; ".join(parts)


def choose_fields(hits: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], dict[str, int]]:
    """The work's fields and, per field, the id of the hit it was taken from.

    Per field the most trusted engine wins; within an engine, a complete value (a title without
    Scholar's ellipsis, an author list without 'm.fl.') beats a cut one, then the oldest hit.
    """
    ordered = sorted(hits, key=lambda h: (engine_rank(h.get("engine")), h["id"]))
    values: dict[str, Any] = {}
    sources: dict[str, int] = {}
    for name in RECORD_FIELDS:
        best: tuple[int, int, int] | None = None
        for position, hit in enumerate(ordered):
            value, cut = _field_value(name, hit)
            if value is None:
                continue
            rank = (1 if cut else 0, position, 0)
            if best is None or rank < best:
                best = rank
                values[name], sources[name] = value, hit["id"]
    values.setdefault("title", UNTITLED)
    authors = values.get("authors") or []
    values["authors"] = json.dumps(authors, ensure_ascii=False)
    values["authors_display"] = authors_display(authors)
    return values, sources


def _field_value(name: str, hit: Mapping[str, Any]) -> tuple[Any, bool]:
    raw = hit.get(name)
    if name == "title":
        title = n.clean_title(raw)
        truncated = n.is_truncated(raw)
        title = re.sub(r"\s*(?:…|\.\.\.)$", "", title).strip()
        return (title or None), truncated
    if name == "authors":
        names, cut = clean_authors(raw)
        return (names or None), cut
    if name == "year":
        try:
            year = int(str(raw)[:4]) if raw not in (None, "") else None
        except ValueError:
            return None, False
        return (year if year and 1900 <= year <= 2100 else None), False
    if name == "type":
        return (raw if raw in WORK_TYPES else ("other" if raw else None)), False
    if name == "doi":
        return n.normalise_doi(raw), False
    if name == "peer_reviewed":
        return (None if raw is None else int(bool(raw))), False
    if isinstance(raw, str):
        raw = " ".join(raw.split()) or None
    return raw, False


def work_key(hits: Sequence[Mapping[str, Any]], anchor_id: int) -> str:
    """A stable key from the anchor hit: first author's surname, year and the hit id.

    The hit id makes it unique and never reused: a key names the work that grew from that hit.
    """
    anchor = next(h for h in hits if h["id"] == anchor_id)
    names, _ = clean_authors(anchor.get("authors"))
    surname = n.fold(names[0]["family"]).replace(" ", "") if names else ""
    if not surname:
        words = [w for w in n.title_key(anchor.get("title")).split() if w not in n.STOPWORDS]
        surname = words[0] if words else "work"
    year = anchor.get("year") or "nd"
    return f"{surname[:20]}{year}-h{anchor_id}"
