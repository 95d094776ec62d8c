"""Parse cost per page: Primo JSON and Scholar HTML, over the recordings in ../shared/fixtures.

Peers, run beside ours in the same process: ``json.loads`` alone for Primo (the floor any JSON
parser pays) and ``parsel.Selector`` alone (lxml building the tree) for Scholar. Reports the median
pages per second over the recordings and our cost as a multiple of the peer's.

    .venv/bin/python bench/harvest_parse.py [--repeat 50]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from parsel import Selector

from harvest.parse.primo import parse_primo_page
from harvest.parse.scholar import parse_scholar_page

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


def per_page_seconds(func: Callable[[], object], repeat: int) -> float:
    """Median seconds of one call over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    primo = sorted((FIXTURES / "primo").glob("*.json"))
    scholar = [p for p in sorted((FIXTURES / "scholar").glob("*.html")) if "citation" not in p.name]
    rows = []
    for path in primo:
        body = path.read_bytes()
        ours = per_page_seconds(lambda b=body: parse_primo_page(b), args.repeat)
        peer = per_page_seconds(lambda b=body: json.loads(b), args.repeat)
        rows.append(("primo", path.name, ours, peer))
    for path in scholar:
        text = path.read_text("utf-8")
        ours = per_page_seconds(lambda t=text: parse_scholar_page(t), args.repeat)
        peer = per_page_seconds(lambda t=text: Selector(text=t).css("div.gs_r"), args.repeat)
        rows.append(("scholar", path.name, ours, peer))
    print(f"{'kind':<8} {'recording':<58} {'ours ms':>8} {'peer ms':>8} {'ratio':>6}")
    for kind, name, ours, peer in rows:
        print(f"{kind:<8} {name:<58} {ours * 1e3:>8.2f} {peer * 1e3:>8.2f} {ours / peer:>6.1f}")
    for kind, peer_name in (("primo", "json.loads"), ("scholar", "parsel.Selector")):
        ours = statistics.median(1 / r[2] for r in rows if r[0] == kind)
        peer = statistics.median(1 / r[3] for r in rows if r[0] == kind)
        print(
            f"{kind}: median {ours:,.0f} pages/s (peer {peer_name}: {peer:,.0f} pages/s, "
            f"ours costs {peer / ours:.1f}x the peer)"
        )


if __name__ == "__main__":
    main()
