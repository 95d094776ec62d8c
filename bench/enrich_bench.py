"""Enrichment of the 24 corpus works end to end, from recorded answers served locally, and the
parse cost of a Crossref answer beside ``json.loads``.

For each source (Crossref: the habanero ``widget`` cursor answer, 20 items; OpenAlex: peneira's
works answer, 49 works; NVA: BIBSYSDEV's academic-article answer, 9 records), a fresh copy of the
built database (protocol + 24 included corpus works) is enriched with ``--stage included`` against
``db.enrich.replay`` on 127.0.0.1: one HTTP request per work (DOI lookup or title search), parse,
scoring with dedupe's rules, storing. The recordings are about other topics, so the 24 works find
NO candidate in them: this measures the lookup, parse and scoring path, not filling. The source's
own minimum delay is set to 0, but the Crossref replay sends the rate-limit headers its cassettes
recorded (10 requests per 1 s) and the client honours them, as it would against the real API; the
row "crossref, unpaced" drops those headers to show the cost of the work itself. NVA's gentle 1 s
(no published limit) would bound a real run to 1 work/s. Reports the median of ``--runs`` runs.

The parse figure is the median milliseconds per page of ``db.enrich.sources.parse_crossref``
(candidates for scoring) and of ``json.loads`` on the same bytes (bench/open_parse.py has the
OpenAlex and NVA parsers of the harvest, which enrichment reuses).

    nice -n 15 .venv/bin/python bench/enrich_bench.py [--runs 5] [--repeat 50]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from db.build import build_database
from db.enrich import enrich_works
from db.enrich.replay import EnrichReplayConfig, EnrichReplayServer
from db.enrich.sources import parse_crossref

ROOT = Path(__file__).resolve().parents[1]
OPEN = ROOT.parent / "shared" / "fixtures" / "open"
RECORDINGS = {
    "crossref": OPEN / "crossref" / "sckott_habanero__test_cursor.body.json",
    "openalex": OPEN / "openalex" / "anapaulagomes_peneira__works.json",
    "nva": OPEN / "nva" / "BIBSYSDEV_nva-search-api__bibtex_academic_article.json",
}


def enrich_rate(
    template: Path, source: str, runs: int, paced: bool = True
) -> tuple[float, int, int]:
    """Median works/s over ``runs`` runs, the works looked up and the candidates found."""
    rates = []
    works = candidates = 0
    config = EnrichReplayConfig(source, RECORDINGS[source], rate_headers=paced)
    with EnrichReplayServer(config) as server:
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "evidensbase.db"
                shutil.copyfile(template, path)
                start = time.perf_counter()
                report = enrich_works(path, source, base_url=server.url, min_delay=0)
                rates.append(report.works / (time.perf_counter() - start))
                works, candidates = report.works, report.candidates
    return statistics.median(rates), works, candidates


def per_page_ms(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "template.db"
        build_database(template)
        print(f"enrichment of the included corpus works, median of {args.runs} runs:")
        for label, source, paced in (
            ("crossref", "crossref", True),
            ("crossref, unpaced", "crossref", False),
            ("openalex", "openalex", True),
            ("nva", "nva", True),
        ):
            rate, works, found = enrich_rate(template, source, args.runs, paced)
            print(f"  {label:17} {works} works, {found} candidates: {rate:7.1f} works/s")
    body = RECORDINGS["crossref"].read_bytes()
    ours = per_page_ms(lambda: parse_crossref(body, False), args.repeat)
    peer = per_page_ms(lambda: json.loads(body), args.repeat)
    print(
        f"crossref page ({len(body):,} bytes, 20 items): parse_crossref {ours:.3f} ms "
        f"({1000 / ours:.0f} pages/s), json.loads {peer:.3f} ms ({1000 / peer:.0f} pages/s), "
        f"{ours / peer:.2f}x"
    )


if __name__ == "__main__":
    main()
