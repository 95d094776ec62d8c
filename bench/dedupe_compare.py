"""Dedupe quality and cost, evidensbase beside bib-dedupe, on the same records in one run.

    .venv/bin/python bench/dedupe_compare.py [--sizes 1000,10000,100000]

Datasets: the labelled duplicates of Nagtegaal 2019 and Kitchenham 2010 (../shared/data/screening)
and generated variants of real records at each size (bench/dedupe_data.py). Each tool runs in its
own process (bench/dedupe_run.py) so its peak memory is its own. Metrics count pairs of records: a
false merge is a pair put in one work that is not the same publication.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dedupe_data

HERE = Path(__file__).resolve().parent


def _pairs(labels: list[Any]) -> set[tuple[int, int]]:
    groups: dict[Any, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        groups[label].append(index)
    return {pair for members in groups.values() for pair in combinations(members, 2)}


def score(truth: list[Any], predicted: list[Any]) -> dict[str, float]:
    true_pairs, found = _pairs(truth), _pairs(predicted)
    tp = len(true_pairs & found)
    fp = len(found - true_pairs)
    fn = len(true_pairs - found)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pairs": len(true_pairs), "tp": tp, "fp": fp, "fn": fn,
            "precision": precision, "recall": recall, "f1": f1}  # fmt: skip


def run(tool: str, data: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HERE / "dedupe_run.py"), tool, str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--tools", default="evidensbase,bib-dedupe")
    args = parser.parse_args()
    datasets: list[tuple[str, list[dict[str, Any]]]] = [
        (name.removesuffix(".csv"), dedupe_data.labelled(name)) for name in dedupe_data.LABELLED
    ]
    for size in (int(s) for s in args.sizes.split(",") if s):
        datasets.append((f"generated {size // 1000}k", dedupe_data.generate(size)))
    header = (
        "| dataset | records | true pairs | tool | precision | recall | F1 | false merges "
        "| missed pairs | seconds | peak MB |"
    )
    print(header)
    print("|---" * 11 + "|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, records in datasets:
            data = Path(tmp) / "records.json"
            data.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
            truth = [r["truth"] for r in records]
            for tool in args.tools.split(","):
                result = run(tool, data)
                if "error" in result:
                    print(f"| {name} | {len(records)} | | {tool} | error: {result['error']} "
                          "| | | | | | |", flush=True)  # fmt: skip
                    continue
                s = score(truth, result["labels"])
                print(
                    f"| {name} | {len(records)} | {s['pairs']} | {tool} | {s['precision']:.4f} "
                    f"| {s['recall']:.4f} | {s['f1']:.4f} | {s['fp']} | {s['fn']} "
                    f"| {result['seconds']:.1f} | {result['peak_mb']:.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
