"""One dedupe run in its own process: ``dedupe_run.py TOOL RECORDS.json`` prints JSON results.

Run by dedupe_compare.py, so that each tool's peak memory is its own. The clock covers the
deduplication only (for evidensbase: ``dedupe_hits`` on a real SQLite file whose hits were stored
beforehand; for bib-dedupe: prep, block, match and cluster), not reading the input, as wall-clock
seconds and as CPU seconds of this process and its children (bib-dedupe forks workers in prep and
block). Peak memory is this process's VmHWM; the largest child's peak is reported beside it.
"""

from __future__ import annotations

import json
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def run_evidensbase(records: list[dict[str, Any]]) -> tuple[float, float, list[int]]:
    from db.database import open_db
    from db.dedupe import dedupe_hits

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        open_db(path).close()
        conn = sqlite3.connect(path)
        with conn:
            conn.execute(
                "INSERT INTO search_runs (id, engine, status, started_at) "
                "VALUES (1, 'bench', 'complete', '2026-01-01')"
            )
            conn.executemany(
                "INSERT INTO hits (id, run_id, engine, hit_key, title, authors, year, type, "
                "container, publisher, doi, abstract, raw, fetched_at) "
                "VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', '2026-01-01')",
                [
                    (
                        i + 1,
                        r["engine"],
                        f"{r['engine']}:{r['hit_key']}",
                        r["title"],
                        json.dumps(r.get("authors") or [], ensure_ascii=False),
                        r.get("year"),
                        r.get("type"),
                        r.get("container"),
                        r.get("publisher"),
                        r.get("doi"),
                        r.get("abstract"),
                    )
                    for i, r in enumerate(records)
                ],
            )
        conn.close()
        start, cpu = time.perf_counter(), _cpu()
        dedupe_hits(path)
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
        conn = sqlite3.connect(path)
        work_of = dict(conn.execute("SELECT id, work_id FROM hits"))
        conn.close()
    return seconds, cpu, [work_of[i + 1] for i in range(len(records))]


_ENTRYTYPES = {
    "journal_article": "article",
    "report": "techreport",
    "book": "book",
    "book_chapter": "inbook",
    "thesis": "phdthesis",
}


def _bib_author(names: list[dict[str, str]]) -> str:
    """BibTeX authors: 'Family, Given and ...', Scholar's 'R Lillevik' as 'Lillevik, R', and
    'm.fl.' / 'et al.' / '…' as BibTeX's 'and others', as a fair export would write them."""
    from db.dedupe.normalise import split_literal_name

    parts = []
    cut = False
    for name in names:
        split = split_literal_name(name["literal"]) if name.get("literal") else dict(name)
        family = (split or {}).get("family", "").strip()
        if not split or family.lower() in ("et al.", "m.fl.") or not family:
            cut = True
            continue
        cut = cut or "…" in name.get("literal", "")
        parts.append(f"{family}, {split.get('given') or ''}".strip(", "))
    return " and ".join(parts + (["others"] if cut and parts else []))


def run_bib_dedupe(records: list[dict[str, Any]]) -> tuple[float, float, list[int]]:
    import pandas as pd
    from bib_dedupe.bib_dedupe import block, cluster, match, prep

    frame = pd.DataFrame(
        [
            {
                "ID": str(i),
                "ENTRYTYPE": _ENTRYTYPES.get(r.get("type") or "", "misc"),
                "title": r["title"] or "",
                "author": _bib_author(r.get("authors") or []),
                "year": str(r["year"]) if r.get("year") else "",
                "journal": r.get("container") or "",
                "booktitle": "",
                "volume": "",
                "number": "",
                "pages": "",
                "doi": r.get("doi") or "",
                "abstract": r.get("abstract") or "",
            }
            for i, r in enumerate(records)
        ]
    )
    start, cpu = time.perf_counter(), _cpu()
    prepared = prep(frame, verbosity_level=0)
    pairs = block(prepared, verbosity_level=0)
    matched = match(pairs, verbosity_level=0)
    groups = cluster(matched, verbosity_level=0)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    label = list(range(len(records)))
    for group in groups:
        members = sorted(int(x) for x in group)
        for m in members:
            label[m] = members[0]
    return seconds, cpu, label


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_mb() -> float:
    """Peak resident memory of this process since exec (VmHWM; ru_maxrss would count the parent)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    tool, data = sys.argv[1], Path(sys.argv[2])
    records = json.loads(data.read_text(encoding="utf-8"))
    runner = run_evidensbase if tool == "evidensbase" else run_bib_dedupe
    seconds, cpu, labels = runner(records)
    peak_mb = _peak_mb()
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_mb, "child_peak_mb": child_mb}
    json.dump({**result, "labels": labels}, sys.stdout)


if __name__ == "__main__":
    main()
