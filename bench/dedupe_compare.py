"""Dedupe quality and cost, evidensbase beside bib-dedupe, on the same records in one run.

    .venv/bin/python bench/dedupe_compare.py [--sizes 1000,10000,100000] [--repeats 3]

Datasets: the labelled duplicates of Nagtegaal 2019 and Kitchenham 2010 (../shared/data/screening)
and generated variants of real records at each size (bench/dedupe_data.py, whose docstring says
exactly how truth is made). Each tool runs in its own process (bench/dedupe_run.py) so its peak
memory is its own; seconds and peak MB are medians over the repeats (quality is the same in each
repeat, which is checked). A run that exceeds --timeout is reported as skipped.

Metrics count pairs of records: a false merge is a pair put in one work that the truth says are
different publications. 'after check' re-counts them with the evidence printed below the table:
- labelled sets: a pair whose abstracts are one text (folded, 95/100 alike or more: they differ
  only in heading case, an encoded symbol or an appended citation) is an unlabelled true
  duplicate, not a false merge;
- generated sets: a pair is indistinguishable when both are copies of parts of one series (same
  authors, same year) and neither copy's title shows a word past what the two parts' titles
  share, i.e. the garbling removed the part number from both.
Everything else stays a false merge.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dedupe_data
from rapidfuzz import fuzz

from db.dedupe.normalise import clean_title, fold, surnames

HERE = Path(__file__).resolve().parent
_SAME_ABSTRACT = 95.0  # folded abstracts this alike are one text (heading case, a symbol, a cite)
Pair = tuple[int, int]


def _pairs(labels: list[Any]) -> set[Pair]:
    groups: dict[Any, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        groups[label].append(index)
    return {pair for members in groups.values() for pair in combinations(members, 2)}


def score(truth: list[Any], predicted: list[Any]) -> dict[str, Any]:
    true_pairs, found = _pairs(truth), _pairs(predicted)
    tp = len(true_pairs & found)
    false_merges = sorted(found - true_pairs)
    fp, fn = len(false_merges), len(true_pairs - found)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pairs": len(true_pairs), "tp": tp, "fp": fp, "fn": fn, "false_merges": false_merges,
            "precision": precision, "recall": recall, "f1": f1}  # fmt: skip


def _words(title: str) -> list[str]:
    return fold(clean_title(title)).split()


def excused(a: dict[str, Any], b: dict[str, Any]) -> tuple[bool, str]:
    """Whether a false merge is not the tool's error, and the evidence for a reader."""
    if "work" not in a:  # labelled set: an unlabelled duplicate has the same abstract
        abstracts = [r.get("abstract") or "" for r in (a, b)]
        identical = bool(abstracts[0]) and abstracts[0] == abstracts[1]
        similar = fuzz.ratio(*(fold(x) for x in abstracts)) if all(abstracts) else 0.0
        evidence = f"abstracts identical: {'yes' if identical else 'no'}; "
        evidence += f"similarity of the folded abstracts: {similar:.1f}/100"
        return similar >= _SAME_ABSTRACT, evidence
    wa, wb = a["work"], b["work"]
    series = wa["year"] == wb["year"] and surnames(wa["authors"]) == surnames(wb["authors"])
    shared = 0
    for x, y in zip(_words(wa["title"]), _words(wb["title"]), strict=False):
        if x != y:
            break
        shared += 1
    hidden = all(len(_words(r["title"])) <= shared for r in (a, b))
    evidence = f"same authors and year: {'yes' if series else 'no'}; "
    evidence += f"both titles within the parts' shared first {shared} words: "
    evidence += "yes" if hidden else "no"
    return series and hidden, evidence


def run(tool: str, data: Path, timeout: float) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / "dedupe_run.py"), tool, str(data)],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"skipped: over {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _describe(record: dict[str, Any]) -> str:
    names = [a.get("family") or a.get("literal") or "" for a in record.get("authors") or []]
    text = f"{record['engine']} {record.get('year')} {record['title']!r}"
    if names:
        text += f" [{', '.join(names)}]"
    if "work" in record:
        text += f"\n        copy of: {record['work']['title']!r} ({record['work']['year']})"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--tools", default="evidensbase,bib-dedupe")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--evidence", type=int, default=60, help="false merges shown per row")
    args = parser.parse_args()
    datasets: list[tuple[str, list[dict[str, Any]]]] = [
        (name.removesuffix(".csv"), dedupe_data.labelled(name)) for name in dedupe_data.LABELLED
    ]
    for size in (int(s) for s in args.sizes.split(",") if s):
        datasets.append((f"generated {size // 1000}k", dedupe_data.generate(size)))
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)", flush=True)
    print(
        "| dataset | records | true pairs | tool | precision | recall | F1 | false merges "
        "| false merges after check | missed pairs | seconds | CPU s | peak MB | runs |"
    )
    print("|---" * 14 + "|", flush=True)
    evidence: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, records in datasets:
            data = Path(tmp) / "records.json"
            data.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
            truth = [r["truth"] for r in records]
            for tool in args.tools.split(","):
                results = []
                for _ in range(args.repeats):
                    results.append(run(tool, data, args.timeout))
                    if "error" in results[-1]:
                        break
                if "error" in results[-1]:
                    print(f"| {name} | {len(records)} | | {tool} | {results[-1]['error']} "
                          "| | | | | | | | | |", flush=True)  # fmt: skip
                    continue
                stable = all(r["labels"] == results[0]["labels"] for r in results)
                s = score(truth, results[0]["labels"])
                checks = [(p, *excused(records[p[0]], records[p[1]])) for p in s["false_merges"]]
                real = sum(1 for _, ok, _ in checks if not ok)
                seconds = statistics.median(r["seconds"] for r in results)
                cpu = statistics.median(r["cpu_seconds"] for r in results)
                peak = f"{statistics.median(r['peak_mb'] for r in results):.0f}"
                child = statistics.median(r.get("child_peak_mb", 0) for r in results)
                if child:
                    peak += f" (+ children, largest {child:.0f})"
                runs = f"{len(results)}" + ("" if stable else " (labels differ!)")
                print(
                    f"| {name} | {len(records)} | {s['pairs']} | {tool} | {s['precision']:.4f} "
                    f"| {s['recall']:.4f} | {s['f1']:.4f} | {s['fp']} | {real} | {s['fn']} "
                    f"| {seconds:.1f} | {cpu:.1f} | {peak} | {runs} |",
                    flush=True,
                )
                if checks:
                    evidence.append(f"\n{name}, {tool}: {s['fp']} false merge(s), {real} after "
                                    f"check (showing up to {args.evidence})")  # fmt: skip
                for (i, j), ok, why in checks[: args.evidence]:
                    verdict = "not an error" if ok else "FALSE MERGE"
                    evidence.append(f"  {verdict}: {why}")
                    evidence.append(f"    {_describe(records[i])}\n    {_describe(records[j])}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print("\nEvidence for each false merge:" if evidence else "\nNo false merges.")
    print("\n".join(evidence))


if __name__ == "__main__":
    main()
