"""Parse cost per page of the open sources (NVA, OpenAlex, SwePub) beside ``json.loads``.

The recordings: ../shared/fixtures/open/nva/*.json (three real NVA answers),
../shared/fixtures/open/openalex/*.json (one real OpenAlex answer, 49 works, 809 kB) and, for
SwePub, the synthetic Xsearch answer of tests/data/harvest/ (no real one was recorded) repeated to
200 records, a full page. The peer, run in the same process on the same bytes, is ``json.loads``:
the floor any parser of these answers pays. Reports per recording the median milliseconds per
page, and per source the median pages per second and our cost as a multiple of the peer's.

    .venv/bin/python bench/open_parse.py [--repeat 50]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from harvest.parse.nva import parse_nva_page
from harvest.parse.openalex import parse_openalex_page
from harvest.parse.swepub import parse_swepub_page

ROOT = Path(__file__).resolve().parents[1]
OPEN = ROOT.parent / "shared" / "fixtures" / "open"
SWEPUB = ROOT / "tests" / "data" / "harvest" / "synthetic_swepub_xsearch.json"


def per_page_seconds(func: Callable[[], object], repeat: int) -> float:
    """Median seconds of one call over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def swepub_page(records: int = 200) -> bytes:
    """The synthetic answer's records cycled to a full page (distinct identifiers)."""
    data: dict[str, Any] = json.loads(SWEPUB.read_bytes())
    base = data["xsearch"]["list"]
    page = []
    for position in range(records):
        record = copy.deepcopy(base[position % len(base)])
        record["identifier"] = f"{record['identifier']}~{position}"
        page.append(record)
    data["xsearch"].update({"list": page, "records": records, "to": records})
    return json.dumps(data, ensure_ascii=False).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    pages: list[tuple[str, str, bytes, Callable[[bytes], object]]] = []
    for path in sorted((OPEN / "nva").glob("*.json")):
        pages.append(("nva", path.name, path.read_bytes(), parse_nva_page))
    for path in sorted((OPEN / "openalex").glob("*.json")):
        pages.append(("openalex", path.name, path.read_bytes(), parse_openalex_page))
    pages.append(("swepub", "synthetic_swepub_xsearch.json x200", swepub_page(), parse_swepub_page))
    rows = []
    for kind, name, body, parse in pages:
        ours = per_page_seconds(partial(parse, body), args.repeat)
        peer = per_page_seconds(partial(json.loads, body), args.repeat)
        rows.append((kind, name, len(body), ours, peer))
    print(f"{'source':<9} {'recording':<56} {'kB':>6} {'ours ms':>8} {'json ms':>8} {'ratio':>6}")
    for kind, name, size, ours, peer in rows:
        print(
            f"{kind:<9} {name:<56} {size / 1e3:>6.0f} {ours * 1e3:>8.3f} {peer * 1e3:>8.3f}"
            f" {ours / peer:>6.2f}"
        )
    for kind in ("nva", "openalex", "swepub"):
        ours = statistics.median(1 / r[3] for r in rows if r[0] == kind)
        peer = statistics.median(1 / r[4] for r in rows if r[0] == kind)
        print(
            f"{kind}: median {ours:,.0f} pages/s (json.loads: {peer:,.0f} pages/s; "
            f"ours costs {peer / ours:.2f}x json.loads)"
        )


if __name__ == "__main__":
    main()
