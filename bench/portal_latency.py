"""Benchmark: the portal's latency under load, beside plain Datasette serving the same file.

For each size (synthetic works, labelled so: keys ``synthetic<N>``, every one coded, summarised in
nb and en and included at stage 3 with its three decisions, on top of the real 24-work build) the
database is built with the portal's precomputed tables, then served on loopback twice at once:

- ``evidensbase``: the app ``evidensbase serve`` runs (immutable, inspect counts, our plugins);
- ``datasette``: plain ``datasette serve --immutable DB --inspect-file …`` (default settings).

Each page is hit by CLIENTS concurrent clients for SECONDS, one server at a time; the table has
the median and p95 latency in ms, requests and errors (a non-200 answer or a failed request).
Plain Datasette has no .ris renderer, gap map or work page: its column measures the nearest thing
it has (its CSV of the same list, a GROUP BY query, the row filtered by key).

    python bench/portal_latency.py --sizes 1000,10000,100000 --seconds 10

Results go to bench/results/portal_latency-<size>.json and .md (git-ignored). Only loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.exports_bench import FAMILIES, GIVEN, PUBLISHERS, TYPES, WORDS  # noqa: E402

RESULTS = ROOT / "bench" / "results"
THEMES = ["method_process", "counsellor_competence", "collaboration_organisation",
          "individual_group", "power_relations", "other"]  # fmt: skip
METHODS = [
    "qualitative",
    "qualitative",
    "mixed",
    "literature_review",
    "theoretical",
    "quantitative",
]
COUNTRIES = ["NO", "SE", "DK", "FI", "IS"]
GROUPS = ["norwegian_report", "swedish_danish_report", "peer_reviewed_article"]
SUMMARY_WORDS = ["vägledning", "veiledning", "gruppeveiledning", "Søholt", "nyankomne",
                 "flyktninger", "karriere", "integrering", "språk", "arbeid", "kommune",
                 "deltakere", "intervjuer", "counsellors", "guidance", "refugees"]  # fmt: skip


def make_database(path: Path, n: int) -> None:
    """The real build plus n synthetic included works, then the portal's precomputed tables."""
    import sqlite_utils

    from db.build import build_database
    from db.portal.precompute import refresh_portal
    from db.search_index import refresh_search_index

    path.unlink(missing_ok=True)
    build_database(path)
    rng = random.Random(2023)
    db = sqlite_utils.Database(path)
    # A benchmark file, rebuilt at will: no fsync per statement (the index refresh writes per row).
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA journal_mode = MEMORY")
    first = (db.execute("SELECT max(id) FROM works").fetchone()[0] or 0) + 1
    works, decisions, codes, summaries = [], [], [], []
    for i in range(n):
        work_id = first + i
        authors = [
            {"family": rng.choice(FAMILIES), "given": rng.choice(GIVEN)}
            for _ in range(rng.randint(1, 4))
        ]
        works.append({
            "id": work_id, "key": f"synthetic{i}",
            "title": "Synthetic: " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12))),
            "authors": json.dumps(authors, ensure_ascii=False),
            "authors_display": "; ".join(f"{a['family']}, {a['given']}" for a in authors),
            "year": rng.randint(2016, 2024), "type": rng.choice(TYPES),
            "container": "Nordic Journal of Guidance" if rng.random() < 0.4 else None,
            "publisher": rng.choice(PUBLISHERS), "language": rng.choice(["nb", "sv", "da", "en"]),
            "doi": f"10.1000/synthetic{i}" if rng.random() < 0.3 else None,
            "peer_reviewed": rng.choice([0, 1]), "origin": "harvest",
            "notes": "synthetic benchmark work",
        })  # fmt: skip
        for stage in (1, 2, 3):
            decisions.append({
                "work_id": work_id, "stage": stage, "decision": "include",
                "reviewer": "synthetic-reviewer", "actor": "person",
                "decided_at": f"2024-0{stage}-{rng.randint(10, 28)}",
            })  # fmt: skip
        coded = [("group", rng.choice(GROUPS)), ("method", rng.choice(METHODS)),
                 ("refugees_interviewed", rng.choice(["true", "false"]))]  # fmt: skip
        coded += [("theme", t) for t in rng.sample(THEMES, rng.randint(1, 3))]
        coded += [("country", c) for c in rng.sample(COUNTRIES, rng.randint(1, 2))]
        for field_name, value in coded:
            codes.append({"work_id": work_id, "reviewer": "synthetic-reviewer", "field": field_name,
                          "value": value, "coded_at": "2024-03-01"})  # fmt: skip
        for language in ("nb", "en"):
            text = [" ".join(rng.choice(SUMMARY_WORDS) for _ in range(rng.randint(8, 20)))
                    for _ in range(3)]  # fmt: skip
            summaries.append({"work_id": work_id, "language": language, "topic": text[0],
                              "method": text[1], "findings": text[2],
                              "written_by": "synthetic"})  # fmt: skip
    with db.conn:
        db.table("works").insert_all(works, batch_size=5000)
        db.table("decisions").insert_all(decisions, batch_size=5000)
        db.table("codes").insert_all(codes, batch_size=5000)
        db.table("summaries").insert_all(summaries, batch_size=5000)
    db.execute("BEGIN")
    refresh_search_index(db, range(first, first + n))
    refresh_portal(db)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(base: str, process: subprocess.Popen[bytes], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server at {base} did not start") from None
            time.sleep(0.5)


def start_servers(db_path: Path) -> tuple[dict[str, str], list[subprocess.Popen[bytes]]]:
    inspect = db_path.with_suffix(".inspect.json")
    datasette = str(Path(sys.executable).parent / "datasette")
    subprocess.run([datasette, "inspect", str(db_path), "--inspect-file", str(inspect)], check=True)
    ours, plain = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c",
             "import sys; from db.portal import serve_portal; "
             "serve_portal(sys.argv[1], port=int(sys.argv[2]))", str(db_path), str(ours)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [datasette, "serve", "--immutable", str(db_path), "--inspect-file", str(inspect),
             "-p", str(plain), "-h", "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
    ]  # fmt: skip
    bases = {"evidensbase": f"http://127.0.0.1:{ours}", "datasette": f"http://127.0.0.1:{plain}"}
    for base, process in zip(bases.values(), processes, strict=True):
        wait_for(base, process)
    return bases, processes


def pages(db: str, n: int) -> dict[str, dict[str, str]]:
    """Page name → {server: path}. The portal's pages are the pages plugin's routes."""
    key = f"synthetic{n // 2}"
    facets4 = "_facet=year&_facet=language&_facet=type&_facet_array=themes"
    gap = (
        f"/{db}?sql=select+c1.value+as+theme,+c2.value+as+method,+count(*)+from+codes+c1+"
        "join+codes+c2+on+c2.work_id=c1.work_id+and+c2.field='method'+where+c1.field='theme'+"
        "and+c1.work_id+in+(select+id+from+corpus)+group+by+1,2"
    )
    return {
        "landing page": {"evidensbase": "/", "datasette": "/"},
        "reader's list with facets": {
            "evidensbase": "/works",
            "datasette": f"/{db}/corpus?{facets4}",
        },
        "full-text search": {
            "evidensbase": "/works?q=vagledning",
            "datasette": f"/{db}/corpus?_search=v%C3%A4gledning",
        },
        "faceted filter": {
            "evidensbase": "/works?theme=individual_group&method=qualitative",
            "datasette": f"/{db}/corpus?_facet_array=themes&_facet=method"
            "&method=Kvalitativ+%2F+Qualitative",
        },
        "work page": {"evidensbase": f"/works/{key}", "datasette": f"/{db}/corpus?key={key}"},
        "gap map": {"evidensbase": "/gap-map", "datasette": gap},
        ".ris download (one year × method)": {
            "evidensbase": f"/{db}/portal_works.ris?year=2019&method=qualitative",
            "datasette": f"/{db}/corpus.csv?year=2019&method=Kvalitativ+%2F+Qualitative",
        },
    }


async def load(base: str, path: str, clients: int, seconds: float) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    stop = time.monotonic() + seconds

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.monotonic() < stop:
            start = time.perf_counter()
            try:
                response = await http.get(base + path)
                await response.aread()
                ok = response.status_code == 200
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            except httpx.HTTPError:
                ok = False
            latencies.append((time.perf_counter() - start) * 1000)
            errors += not ok

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        await http.get(base + path)  # warm: the first request opens connections and caches
        await asyncio.gather(*(client(http) for _ in range(clients)))
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] if latencies else 0.0
    return {
        "requests": len(latencies),
        "errors": errors,
        "median_ms": statistics.median(latencies) if latencies else 0.0,
        "p95_ms": p95,
        "statuses": statuses,
    }


def run_size(n: int, clients: int, seconds: float, workdir: Path) -> list[dict[str, Any]]:
    db_path = workdir / f"portal-bench-{n}.db"
    start = time.perf_counter()
    make_database(db_path, n)
    print(f"{n} synthetic works (+24 real) built in {time.perf_counter() - start:.1f} s",
          flush=True)  # fmt: skip
    bases, processes = start_servers(db_path)
    rows = []
    try:
        for page, paths in pages(db_path.stem, n).items():
            for server in ("evidensbase", "datasette"):
                result = asyncio.run(load(bases[server], paths[server], clients, seconds))
                rows.append({"works": n, "page": page, "server": server,
                             "path": paths[server], **result})  # fmt: skip
                print(f"  {page:36} {server:11} median {result['median_ms']:8.1f} ms  "
                      f"p95 {result['p95_ms']:8.1f} ms  {result['requests']:6} req  "
                      f"{result['errors']} errors {result['statuses']}", flush=True)  # fmt: skip
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
    return rows


def markdown(rows: list[dict[str, Any]], clients: int, seconds: float) -> str:
    lines = [
        f"{clients} concurrent clients, {seconds:g} s per page and server, loopback, "
        f"{os.cpu_count()} cores.",
        "",
        "| works | page | evidensbase median / p95 ms | errors | plain Datasette median / p95 ms "
        "| errors |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    by_key = {(r["works"], r["page"], r["server"]): r for r in rows}
    for (works, page, server), ours in by_key.items():
        if server != "evidensbase":
            continue
        plain = by_key[(works, page, "datasette")]
        lines.append(
            f"| {works:,} | {page} | {ours['median_ms']:.1f} / {ours['p95_ms']:.1f} "
            f"| {ours['errors']}/{ours['requests']} | {plain['median_ms']:.1f} / "
            f"{plain['p95_ms']:.1f} | {plain['errors']}/{plain['requests']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workdir", type=Path, default=RESULTS)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    args.workdir.mkdir(parents=True, exist_ok=True)
    all_rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        rows = run_size(n, args.clients, args.seconds, args.workdir)
        all_rows += rows
        (RESULTS / f"portal_latency-{n}.json").write_text(json.dumps(rows, indent=2) + "\n")
        (RESULTS / f"portal_latency-{n}.md").write_text(markdown(rows, args.clients, args.seconds))
    print()
    print(markdown(all_rows, args.clients, args.seconds))


if __name__ == "__main__":
    main()
