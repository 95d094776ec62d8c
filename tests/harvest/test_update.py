"""`evidensbase update` on top of the embedded corpus, against a local Primo replay server.

The replayed answer is a real recorded Primo answer (Temple University's, see
../shared/fixtures/SOURCE.md) standing in for 2023–2026 hits: it is not what Oria would answer for
these searches; it gives the update real records to place. The RIS file is synthetic (see
tests/data/harvest/README.md): one record of a work the report included, one invented 2024 report.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

UPDATE_RIS = (
    Path(__file__).resolve().parents[1] / "data" / "harvest" / "synthetic_update_export.ris"
)


def counts(sql, db: Path) -> dict[str, int]:
    return {
        table: sql(db, f"SELECT count(*) AS n FROM {table}")[0]["n"]
        for table in ("hits", "works", "decisions", "search_runs", "protocol_versions")
    }


def test_an_update_searches_the_new_window_and_queues_only_what_is_new(
    built_db: Path, tmp_path: Path, replay, cli, sql
) -> None:
    server = replay()
    svg, table = tmp_path / "prisma-update.svg", tmp_path / "prisma-update.csv"
    args = ["update", "--db", str(built_db), "--years", "2023-2026", "--engine", "oria",
            "--base-url", server.url, "--delay", "0", "--max-pages", "1",
            "--import", str(UPDATE_RIS), "--svg", str(svg), "--csv", str(table)]  # fmt: skip
    done = cli(*args, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Update under protocol version 2 (new)." in done.stdout

    # the protocol now covers 2016–2026 and the searches ask for 2023–2026 only
    assert sql(built_db, "SELECT DISTINCT year_from, year_to FROM searches") == [
        {"year_from": 2023, "year_to": 2026}
    ]
    sent = [p for p in server.config.requests if p.startswith("/primaws")]
    assert sent and all("2023" in p and "2026" in p for p in sent)
    # the 24 included works keep their decisions and stay included
    assert sql(built_db, "SELECT count(*) AS n FROM corpus")[0]["n"] == 24
    assert sql(built_db, "SELECT count(*) AS n FROM decisions WHERE actor = 'source'")[0]["n"] == 72
    # a hit for an old work is attached to it: Lillevik et al. 2020 from the RIS file
    lillevik = sql(
        built_db,
        "SELECT w.key, w.origin FROM hits h JOIN works w ON w.id = h.work_id"
        " WHERE h.title LIKE 'Kompetansekartlegging og karriereveiledning%'",
    )
    assert lillevik == [{"key": "lillevik2020", "origin": "corpus"}]
    # new works enter stage 1: every new work is unscreened or judged by a rule of version 2
    new = sql(
        built_db,
        "SELECT w.key, s.state, (SELECT max(protocol_version) FROM decisions d"
        " WHERE d.work_id = w.id) AS version FROM works w JOIN work_status s ON s.work_id = w.id"
        " WHERE w.origin != 'corpus'",
    )
    assert len(new) == 11  # the replayed answer's 10 records and the invented 2024 report
    assert {row["state"] for row in new} <= {"unscreened", "excluded"}
    assert all(row["version"] in (None, 2) for row in new)
    invented = next(row for row in new if row["key"].startswith("nordmann2024"))
    assert invented["state"] == "unscreened"  # 2024 is inside the widened period

    # the report's numbers add up, and the files are written
    rows = {r["data"]: r["n"] for r in csv.DictReader(io.StringIO(table.read_text()))}
    identified = int(rows["database_results"])
    assert (
        identified
        == sql(
            built_db,
            "SELECT count(*) AS n FROM hits h JOIN search_runs r ON r.id = h.run_id"
            " WHERE r.protocol_version = 2",
        )[0]["n"]
    )
    assert identified == (
        int(rows["duplicates"]) + int(rows["excluded_other"]) + int(rows["excluded_automatic"])
        + int(rows["records_screened"])
    )  # fmt: skip
    assert int(rows["excluded_other"]) == 1  # Lillevik et al. 2020, found again
    assert int(rows["records_screened"]) + int(rows["excluded_automatic"]) == 11
    assert (rows["previous_studies"], rows["new_studies"], rows["total_studies"]) == (
        "24",
        "0",
        "24",
    )
    assert "Studies included in previous version of review (n = 24)" in svg.read_text()
    assert "Total studies included in review (n = 24)" in svg.read_text()

    # the same update again changes nothing
    before = counts(sql, built_db)
    again = cli(*args, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Update under protocol version 2 (resumed)." in again.stdout
    assert counts(sql, built_db) == before
