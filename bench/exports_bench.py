"""Benchmark: export 100k synthetic works to every format; median seconds, works/s, peak memory.

Usage: .venv/bin/python bench/exports_bench.py [--works 100000] [--repeat 3] [--apa-works 10000]

Synthetic works (Nordic names and titles, the five work types; 70% with screening decisions at
one to three stages, by one or two reviewers; 25% coded) go into a temporary database built with
the real schema. Each measurement runs in a fresh process, so peak RSS is that export's alone
(minus the baseline of a process that only imports and opens the database); "cpu s" is the
process's CPU time, which on a shared machine says more than the wall-clock median.
The peer, timed in the same run: the library's own writer (rispy, bibtexparser, csv, json) fed
records already in memory — what our export adds on top is reading, mapping and keys.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FAMILIES = ["Søholt", "Kjærgård", "Håkansson", "Bøckman", "Thomsen", "Ødegård", "Åberg",
            "Lindqvist", "McMahon", "Sundelin", "Haugnæss", "Østby", "Nielsen",
            "Jönsson"]  # fmt: skip
GIVEN = ["Å. Ø.", "R.", "K.", "Ø.", "M. S.", "Æ.", "J."]
WORDS = ["karriereveiledning", "flyktninger", "nyankomne", "integrering", "vägledning", "NAV",
         "beskæftigelse", "career", "guidance", "refugees", "Åtte", "kommuner", "i", "og",
         "for"]  # fmt: skip
TYPES = ["report", "report", "journal_article", "book_chapter", "book"]
THEMES = ["method_process", "counsellor_competence", "collaboration_organisation"]
PUBLISHERS = ["Fafo", "OsloMet", "Kompetanse Norge", None, "Skolverket"]


def make_database(path: Path, n: int) -> None:
    """n synthetic works in a database with the real schema (seeded, so runs are comparable)."""
    from db.database import open_db

    rng = random.Random(2023)
    db = open_db(path)
    rows = []
    for i in range(n):
        authors = [
            {"family": rng.choice(FAMILIES), "given": rng.choice(GIVEN)}
            for _ in range(rng.randint(1, 4))
        ]
        if rng.random() < 0.1:
            authors = [{"literal": "Kompetanse Norge"}]
        rows.append(
            {
                "key": f"synthetic{i}",
                "title": " ".join(
                    rng.choice(WORDS) for _ in range(rng.randint(4, 12))
                ).capitalize(),
                "authors": json.dumps(authors, ensure_ascii=False),
                "authors_display": "; ".join(
                    a.get("family", a.get("literal", "")) for a in authors
                ),
                "year": rng.randint(2016, 2024),
                "type": rng.choice(TYPES),
                "container": "Nordic Journal of Guidance" if rng.random() < 0.4 else None,
                "publisher": rng.choice(PUBLISHERS),
                "language": rng.choice(["nb", "sv", "da", "en"]),
                "pages": "87–90" if rng.random() < 0.3 else None,
                "doi": f"10.1000/x{i}" if rng.random() < 0.3 else None,
                "origin": "harvest",
            }
        )
    db.table("works").insert_all(rows, batch_size=5000)
    # Screening as a review has it: most works decided at one to three stages, some of them
    # twice at a stage (two reviewers), and a quarter of them coded.
    decisions, codes = [], []
    for work_id in range(1, n + 1):
        if rng.random() < 0.7:
            for stage in range(1, rng.randint(1, 3) + 1):
                for reviewer in ("A", "B")[: rng.randint(1, 2)]:
                    decisions.append(
                        {"work_id": work_id, "stage": stage, "reviewer": reviewer,
                         "decision": rng.choice(("include", "include", "exclude", "maybe")),
                         "actor": "person", "decided_at": f"2024-0{stage}-0{rng.randint(1, 9)}"}
                    )  # fmt: skip
        if rng.random() < 0.25:
            for field_name, value in (("theme", rng.choice(THEMES)), ("country", "no")):
                codes.append(
                    {"work_id": work_id, "reviewer": "A", "field": field_name, "value": value,
                     "coded_at": "2024-03-01"}
                )  # fmt: skip
    db.table("decisions").insert_all(decisions, batch_size=5000)
    db.table("codes").insert_all(codes, batch_size=5000)
    db.close()


def run_one(fmt: str, db_path: str, limit: int | None) -> dict[str, float]:
    """One export in this process: seconds and peak RSS over the import-and-open baseline."""
    from db.database import open_db
    from exports.records import ExportOptions
    from exports.registry import export_works
    from exports.selection import Selection

    db = open_db(db_path)
    selection = Selection(sql=f"select id from works where id <= {limit}") if limit else None
    prepared = _prepare_peer(fmt[5:], db) if fmt.startswith("peer-") else None
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    cpu_start = time.process_time()
    if prepared is not None:
        count = prepared()
    else:
        result = export_works(db, fmt, selection, ExportOptions())
        count = result.count
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "cpu": cpu, "works": count, "peak_mb": (peak - baseline) / 1024}


def _prepare_peer(fmt: str, db: Any) -> Callable[[], int]:
    """The library's writer alone, on records built before the clock starts."""
    import bibtexparser
    import rispy
    from bibtexparser.library import Library

    from exports import bibtex, ris
    from exports.records import ExportOptions, load_works

    loaded = load_works(db)
    options = ExportOptions()
    if fmt == "ris":
        refs = [ris.work_reference(w, loaded, options) for w in loaded.works]
        return lambda: (rispy.dumps(refs, skip_unknown_tags=True), len(refs))[1]
    entries = [bibtex.work_entry(w, loaded, options) for w in loaded.works]

    def write_bib() -> int:
        library = Library()
        library.add(entries)
        bibtexparser.write_string(library, unparse_stack=[])
        return len(entries)

    return write_bib


def measure(fmt: str, db_path: Path, repeat: int, limit: int | None) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--one", fmt, "--db", str(db_path),
             "--limit", str(limit or 0)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        runs.append(json.loads(out.stdout))
    seconds = statistics.median(r["seconds"] for r in runs)
    return {
        "seconds": seconds,
        "cpu": statistics.median(r["cpu"] for r in runs),
        "works": runs[0]["works"],
        "works_per_s": runs[0]["works"] / seconds,
        "peak_mb": max(r["peak_mb"] for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--apa-works", type=int, default=1_000, help="APA is measured on fewer")
    parser.add_argument("--one")
    parser.add_argument("--db")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.db, args.limit or None)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        start = time.perf_counter()
        make_database(db_path, args.works)
        print(f"{args.works} synthetic works in {time.perf_counter() - start:.1f} s")
        print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        print(
            f"{'format':10} {'works':>7} {'median s':>9} {'works/s':>9} {'cpu s':>6} {'peak MB':>8}"
        )
        for fmt in ("csv", "ris", "peer-ris", "bib", "peer-bib", "csljson", "apa-txt", "apa-html"):
            limit = args.apa_works if fmt.startswith("apa") else None
            repeat = 1 if fmt.startswith("apa") else args.repeat
            r = measure(fmt, db_path, repeat, limit)
            print(
                f"{fmt:10} {r['works']:>7} {r['seconds']:>9.2f} {r['works_per_s']:>9.0f} "
                f"{r['cpu']:>6.2f} {r['peak_mb']:>8.0f}"
            )


if __name__ == "__main__":
    main()
