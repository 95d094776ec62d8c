"""``evidensbase build``: load the protocol and the embedded corpus into the database.

Idempotent: every write is keyed on a stable id (search id, work key, import key, code tuple), and a
row is only written when its content differs, so a second build changes nothing.
All of it happens in one transaction: a bad file leaves the existing database as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from db.database import open_db, resolve_db_path
from db.decisions import record_decision
from db.embedded import CORPUS_DIR, Corpus, load_corpus, strip_lines
from db.portal.precompute import refresh_portal
from db.search_index import refresh_search_index
from db.versions import adopt_protocol_file, current_version_number

# Who stands behind the embedded data, as recorded in decisions and codes.
REPORT_REVIEWER = "Fafo 2023 (report)"
REPORT_DECIDED_AT = "2023-01-01"  # the report was published in January 2023
CORPUS_CODER = "evidensbase corpus (coded from the report)"
CORPUS_CODED_AT = "2026-11-29"  # when the coding in db/corpus/works was written
BUILD_ACTOR = "evidensbase build"
SUMMARY_AUTHOR = "evidensbase maintainers, paraphrasing Fafo-rapport 2023:08, Vedlegg 1"


@dataclass
class BuildReport:
    """What a build found and changed."""

    path: Path
    works: int = 0
    searches: int = 0
    yield_rows: int = 0
    changed: dict[str, int] = field(default_factory=dict)

    def count(self, table: str, n: int = 1) -> None:
        self.changed[table] = self.changed.get(table, 0) + n

    @property
    def total_changes(self) -> int:
        return sum(self.changed.values())


def build_database(path: str | Path | None = None, corpus_dir: Path = CORPUS_DIR) -> BuildReport:
    """Validate the corpus files, then load them into the database in one transaction."""
    corpus = load_corpus(corpus_dir)  # raises CorpusError before the database is touched
    db = open_db(path)
    report = BuildReport(path=resolve_db_path(path))
    try:
        with db.atomic():
            _load_labels(db, corpus, report)
            protocol = _load_protocol(db, corpus, report)
            report.searches = len(expand_searches(protocol))
            report.yield_rows = _load_yield(db, corpus, report)
            work_ids = [_load_work(db, strip_lines(record), report) for record in corpus.works]
            report.works = len(work_ids)
            indexed = refresh_search_index(db, work_ids)
            if indexed:
                report.count("works_fts", indexed)
            for table, n in refresh_portal(db).items():
                report.count(table, n)
    finally:
        db.close()
    return report


def _write(
    db: sqlite_utils.Database,
    table: str,
    row: dict[str, Any],
    pk: str | tuple[str, ...],
    report: BuildReport,
) -> None:
    """Insert or update one row, only if it is new or differs from what is stored."""
    keys = (pk,) if isinstance(pk, str) else pk
    where = " AND ".join(f"[{k}] = ?" for k in keys)
    existing = db.execute(
        f"SELECT * FROM [{table}] WHERE {where}", [row[k] for k in keys]
    ).fetchone()
    if existing is not None:
        columns = [d[0] for d in db.execute(f"SELECT * FROM [{table}] LIMIT 0").description]
        stored = dict(zip(columns, existing, strict=True))
        if all(stored.get(k) == v for k, v in row.items()):
            return
    db.table(table).upsert(row, pk=pk)
    report.count(table)


def _load_labels(db: sqlite_utils.Database, corpus: Corpus, report: BuildReport) -> None:
    codebook = corpus.protocol["codebook"]
    for vocabulary, entries in codebook.items():
        if vocabulary == "fields":
            continue
        for sort, entry in enumerate(entries):
            _write(
                db,
                "labels",
                {
                    "vocabulary": vocabulary,
                    "value": entry["id"],
                    "nb": entry["nb"],
                    "en": entry["en"],
                    "sort": sort,
                },
                ("vocabulary", "value"),
                report,
            )
    for stage in corpus.protocol["stages"]:
        for sort, criterion in enumerate(stage["criteria"]):
            _write(
                db,
                "labels",
                {
                    "vocabulary": "criterion",
                    "value": criterion["id"],
                    "nb": criterion["nb"],
                    "en": criterion["en"],
                    "sort": stage["stage"] * 100 + sort,
                },
                ("vocabulary", "value"),
                report,
            )
    for sort, criterion in enumerate(corpus.protocol["quality"]["criteria"]):
        _write(
            db,
            "labels",
            {
                "vocabulary": "quality_criterion",
                "value": criterion["id"],
                "nb": criterion["nb"],
                "en": criterion["en"],
                "sort": sort,
            },
            ("vocabulary", "value"),
            report,
        )


def _load_protocol(
    db: sqlite_utils.Database, corpus: Corpus, report: BuildReport
) -> dict[str, Any]:
    """Adopt the protocol file as a new version when it changed; return the protocol in force."""
    before = current_version_number(db)
    protocol = adopt_protocol_file(db, strip_lines(corpus.protocol), made_by=BUILD_ACTOR)
    if current_version_number(db) != before:
        report.count("protocol_versions")
    install_protocol(db, protocol, report)
    return protocol


def install_protocol(
    db: sqlite_utils.Database, protocol: dict[str, Any], report: BuildReport
) -> int:
    """Write the protocol in force into the ``protocol`` table and its searches; return how many
    searches it has. (Called by build and by an update that amends the protocol.)"""
    for key, value in protocol.items():
        _write(
            db,
            "protocol",
            {"key": key, "value": json.dumps(value, ensure_ascii=False, sort_keys=True)},
            "key",
            report,
        )
    searches = expand_searches(protocol)
    for search in searches:
        _write(db, "searches", search, "id", report)
    return len(searches)


def expand_searches(protocol: dict[str, Any]) -> list[dict[str, Any]]:
    """The protocol's search groups as one search per engine and term combination.

    The searches cover the review's period, or ``review.search_years`` when an update searches
    only its new window (``evidensbase update --years``).
    """
    years = protocol["review"].get("search_years") or protocol["review"]["years"]
    searches = []
    for group in protocol["search_groups"]:
        for engine in group["engines"]:
            for base in group["base_terms"]:
                for term in group["combined_terms"]:
                    slug = "-".join(part.replace(" ", "-") for part in (base, term))
                    if len(group["base_terms"]) == 1:
                        slug = term.replace(" ", "-")
                    quoted = [f'"{t}"' if " " in t else t for t in (base, term)]
                    searches.append(
                        {
                            "id": f"{engine}-{group['id']}-{slug}",
                            "engine": engine,
                            "language": group["language"],
                            "terms": json.dumps([base, term], ensure_ascii=False),
                            "query": " AND ".join(quoted),
                            # None: a search beyond the report, in no row of Table 3.1
                            "yield_row": group.get("yield_row"),
                            "year_from": years[0],
                            "year_to": years[1],
                            "filters": json.dumps(group.get("filters") or {}, sort_keys=True),
                            "origin": "protocol",
                        }
                    )
    return searches


def _load_yield(db: sqlite_utils.Database, corpus: Corpus, report: BuildReport) -> int:
    table = strip_lines(corpus.yield_table)
    for row in table["rows"]:
        _write(
            db,
            "reported_yield",
            {
                "row_id": row["id"],
                "review": table["review"],
                "position": row["position"],
                "engines": row["engines"],
                "search_terms": row["search_terms"],
                "language": row["language"],
                "hits": row["hits"],
                "after_stage1": row["after_stage1"],
                "after_stage2": row["after_stage2"],
                "included": row["included"],
                "source": table["source"],
            },
            "row_id",
            report,
        )
    for note in table.get("notes") or []:
        _write(
            db,
            "report_notes",
            {"id": note["id"], "nb": note["nb"], "en": note["en"], "source": note["source"]},
            "id",
            report,
        )
    return len(table["rows"])


def format_authors(authors: list[dict[str, str]]) -> str:
    """'Thomsen, M.; Hatlem, C.' from CSL names (an organisation stays as written)."""
    parts = []
    for name in authors:
        if name.get("literal"):
            parts.append(name["literal"])
        elif name.get("given"):
            parts.append(f"{name['family']}, {name['given']}")
        else:
            parts.append(name["family"])
    return "; ".join(parts)


def _load_work(db: sqlite_utils.Database, work: dict[str, Any], report: BuildReport) -> int:
    authors = [{k: v for k, v in name.items() if v} for name in work["authors"]]
    lines = work.get("report_lines")
    row = {
        "key": work["id"],
        "title": work["title"],
        "authors": json.dumps(authors, ensure_ascii=False),
        "authors_display": format_authors(authors),
        "year": work["year"],
        "type": work["type"],
        "container": work.get("container"),
        "publisher": work.get("publisher"),
        "place": work.get("place"),
        "pages": work.get("pages"),
        "series": work.get("series"),
        "number": work.get("number"),
        "editors": json.dumps(
            [{k: v for k, v in name.items() if v} for name in work.get("editors") or []],
            ensure_ascii=False,
        ),
        "language": work["language"],
        "peer_reviewed": int(work["peer_reviewed"]),
        "origin": "corpus",
        "report_lines": f"{lines[0]}–{lines[1]}" if lines else None,
        "notes": work.get("notes"),
    }
    found = db.execute("SELECT id FROM works WHERE key = ?", [work["id"]]).fetchone()
    if found:
        row["id"] = found[0]
    else:
        row["id"] = db.table("works").insert(row).last_pk
        report.count("works")
    _write(db, "works", row, "id", report)
    work_id = int(row["id"])
    _load_codes(db, work_id, work, report)
    for language in ("nb", "en"):
        parts = work["summary"][language]
        _write(
            db,
            "summaries",
            {
                "work_id": work_id,
                "language": language,
                "topic": parts["topic"].strip(),
                "method": parts["method"].strip(),
                "findings": parts["findings"].strip(),
                "written_by": SUMMARY_AUTHOR,
            },
            ("work_id", "language"),
            report,
        )
    for stage in (1, 2, 3):
        added = record_decision(
            db,
            work_id,
            stage,
            "include",
            reviewer=REPORT_REVIEWER,
            actor="source",
            note="Included in the report's knowledge review (Vedlegg 1)",
            decided_at=REPORT_DECIDED_AT,
            import_key=f"corpus:{work['id']}:stage{stage}",
        )
        if added is not None:
            report.count("decisions")
    return work_id


def corpus_codes(work: dict[str, Any]) -> set[tuple[str, str]]:
    """The (field, value) codes of one corpus work."""
    codes = {("group", work["group"]), ("method", work["method"])}
    codes |= {("theme", t) for t in work.get("themes") or []}
    codes |= {("theme_cited", t) for t in work.get("themes_cited") or []}
    codes |= {("country", c) for c in work.get("countries") or []}
    participants = work.get("participants") or {}
    for language in ("nb", "en"):
        if participants.get(language):
            codes.add((f"participants_{language}", participants[language].strip()))
    interviewed = work.get("refugees_interviewed")
    codes.add(
        ("refugees_interviewed", "unknown" if interviewed is None else str(interviewed).lower())
    )
    return codes


def _load_codes(
    db: sqlite_utils.Database, work_id: int, work: dict[str, Any], report: BuildReport
) -> None:
    wanted = corpus_codes(work)
    stored = {
        (f, v)
        for f, v in db.execute(
            "SELECT field, value FROM codes WHERE work_id = ? AND reviewer = ?",
            [work_id, CORPUS_CODER],
        ).fetchall()
    }
    for field_name, value in sorted(stored - wanted):
        db.execute(
            "DELETE FROM codes WHERE work_id = ? AND reviewer = ? AND field = ? AND value = ?",
            [work_id, CORPUS_CODER, field_name, value],
        )
        report.count("codes")
    for field_name, value in sorted(wanted - stored):
        db.table("codes").insert(
            {
                "work_id": work_id,
                "reviewer": CORPUS_CODER,
                "field": field_name,
                "value": value,
                "coded_at": CORPUS_CODED_AT,
            }
        )
        report.count("codes")
