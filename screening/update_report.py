"""The report of one update of the review: what each search found now against before, and the
PRISMA 2020 flow for an updated review (studies of the previous version + new studies).

An update is the protocol version it ran under (``evidensbase update`` makes one): its search runs
are the runs under that version, its new works the works those runs found first.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import sqlite_utils

from db.status import inclusion_versions, works_in_state
from db.versions import current_version_number, get_version
from db.works import works_new_in_version
from screening.flow import FlowCounts, database_flow


@dataclass(frozen=True)
class SearchYield:
    """One search string: hits before the update and in it, and what the update's hits found."""

    search_id: str
    query: str
    hits_before: int
    hits_now: int
    new_works: int
    works_found_again: int


@dataclass(frozen=True)
class UpdateReport:
    """An update's figures: per search string, and its PRISMA 2020 flow."""

    version: int
    reason: str
    searches: list[SearchYield]
    flow: FlowCounts


def update_report(db: sqlite_utils.Database, version: int | None = None) -> UpdateReport:
    """The report of the update that ran under ``version`` (default: the version in force)."""
    version = version or current_version_number(db)
    if version is None:
        raise LookupError("the database has no protocol version yet: run `evidensbase build`")
    info = get_version(db, version)
    new = works_new_in_version(db, version)
    rows = db.execute(
        "SELECT s.id, s.query,"
        " sum(CASE WHEN coalesce(r.protocol_version, 1) < :v THEN 1 ELSE 0 END),"
        " sum(CASE WHEN coalesce(r.protocol_version, 1) = :v THEN 1 ELSE 0 END)"
        " FROM searches s LEFT JOIN search_runs r ON r.search_id = s.id"
        " LEFT JOIN hits h ON h.run_id = r.id GROUP BY s.id ORDER BY s.id",
        {"v": version},
    ).fetchall()
    found: dict[str, tuple[set[int], set[int]]] = {}
    for search_id, work_id in db.execute(
        "SELECT r.search_id, h.work_id FROM hits h JOIN search_runs r ON r.id = h.run_id"
        " WHERE coalesce(r.protocol_version, 1) = ? AND h.work_id IS NOT NULL",
        [version],
    ).fetchall():
        fresh, again = found.setdefault(str(search_id), (set(), set()))
        (fresh if work_id in new else again).add(int(work_id))
    searches = []
    for sid, query, before, now in rows:
        fresh, again = found.get(str(sid), (set(), set()))
        searches.append(
            SearchYield(
                str(sid), str(query), int(before or 0), int(now or 0), len(fresh), len(again)
            )
        )
    flow = database_flow(db, version)
    included_under = inclusion_versions(db)
    flow.previous_studies = sum(1 for v in included_under.values() if v < version)
    flow.total_studies = len(works_in_state(db, "included"))
    return UpdateReport(version, info.reason, searches, flow)


def format_update_report(report: UpdateReport) -> str:
    """The report as text: one line per search string with hits, then the flow's totals."""
    lines = [f"Update under protocol version {report.version}: {report.reason}"]
    lines.append(
        "search                                    hits before  hits now  new  found again"
    )
    for s in report.searches:
        if s.hits_before or s.hits_now:
            lines.append(
                f"{s.search_id[:40]:40}  {s.hits_before:11}  {s.hits_now:8}  {s.new_works:3}"
                f"  {s.works_found_again:11}"
            )
    flow = report.flow
    lines.append(
        f"Records identified {flow.identified_total}; duplicates {flow.duplicates_removed}; "
        f"works of earlier versions found again {flow.earlier_review}; new works screened "
        f"{flow.screened}; new studies included {flow.included}; studies of the previous "
        f"version {flow.previous_studies}; total studies {flow.total_studies}."
    )
    return "\n".join(lines)


# (data id, node, box, description) of the PRISMA2020 R package's template that evidensbase fills.
_PRISMA_ROWS = (
    ("previous_studies", "node5", "box1", "Studies included in previous version of review"),
    ("database_results", "node7", "box2", "Records identified from databases"),
    ("duplicates", "node8", "box3", "Duplicate records removed"),
    ("excluded_automatic", "NA", "box3", "Records marked as ineligible by automation tools"),
    ("excluded_other", "NA", "box3", "Records removed for other reasons"),
    ("records_screened", "node9", "box4", "Records screened"),
    ("records_excluded", "node10", "box5", "Records excluded"),
    ("dbr_sought_reports", "node11", "box6", "Reports sought for retrieval"),
    ("dbr_notretrieved_reports", "node12", "box7", "Reports not retrieved"),
    ("dbr_assessed", "node13", "box8", "Reports assessed for eligibility"),
    ("dbr_excluded", "node14", "box9", "Reports excluded"),
    ("new_studies", "node15", "box10", "New studies included in review"),
    ("total_studies", "node22", "box16", "Total studies included in review"),
)


def prisma_csv(report: UpdateReport) -> str:
    """The flow's counts as CSV in the layout of the PRISMA2020 R package's template.

    ``dbr_excluded`` lists reasons as 'reason, n; reason, n', as the template asks; the boxes
    evidensbase has no figures for (registers, other methods) are left out.
    """
    flow = report.flow
    excluded = {**flow.excluded_full_text, **flow.excluded_thorough}
    values: dict[str, str] = {
        "previous_studies": str(flow.previous_studies or 0),
        "database_results": str(flow.identified_total),
        "duplicates": str(flow.duplicates_removed or 0),
        "excluded_automatic": str(sum(flow.removed_by_rules.values())),
        "excluded_other": str(flow.earlier_review),
        "records_screened": str(flow.screened),
        "records_excluded": str(sum(flow.excluded_screening.values())),
        "dbr_sought_reports": str(flow.sought),
        "dbr_notretrieved_reports": str(flow.not_retrieved or 0),
        "dbr_assessed": str(flow.assessed),
        "dbr_excluded": "; ".join(f"{reason}, {n}" for reason, n in excluded.items()) or "0",
        "new_studies": str(flow.included),
        "total_studies": str(flow.total_studies or 0),
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["data", "node", "box", "description", "boxtext", "tooltips", "url", "n"])
    for data, node, box, description in _PRISMA_ROWS:
        writer.writerow(
            [data, node, box, description, description, description, "NA", values[data]]
        )
    return out.getvalue()
