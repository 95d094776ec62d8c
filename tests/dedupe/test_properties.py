"""Properties: dedupe is idempotent, and new hits never undo what is already placed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.dedupe import dedupe_hits

# Variants of a few publications, including the hard cases: parts, a shared opening, Nordic letters.
_TITLES = [
    "Kompetansekartlegging og karriereveiledning for nyankomne flyktninger",
    "Karriereveiledning for nyankomne innvandrere i Sverige",
    "Evaluering av Jobbsjansen. Delrapport 1",
    "Evaluering av Jobbsjansen. Delrapport 2",
    "Career guidance for adult refugees. Part I",
    "Career guidance for adult refugees. Part II",
    "Arbeidsmarkedstiltak for flyktninger i Ålesund",
]
_AUTHORS = [
    [{"family": "Lillevik", "given": "Rune"}, {"family": "Weiss", "given": "Nerina"}],
    [{"literal": "R Lillevik"}, {"literal": "m.fl."}],
    [{"family": "Sørensen", "given": "Ø."}],
    [{"family": "Soerensen", "given": "Øystein"}],
    [],
]


@st.composite
def _hit(draw: Any) -> dict[str, Any]:
    title = draw(st.sampled_from(_TITLES))
    engine = draw(st.sampled_from(["oria", "scholar", "ris"]))
    if engine == "scholar" and draw(st.booleans()):
        title = "[PDF] " + title.upper()
    if draw(st.booleans()):
        title = title.replace("å", "aa").replace("Å", "Aa").replace("ø", "o")
    return {
        "engine": engine,
        "hit_key": draw(st.sampled_from(["r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8"])),
        "title": title,
        "authors": draw(st.sampled_from(_AUTHORS)),
        "year": draw(st.sampled_from([None, 2019, 2020, 2021])),
        "type": draw(st.sampled_from([None, "report", "journal_article"])),
        "doi": draw(st.sampled_from([None, None, "10.1000/a", "10.1000/b"])),
    }


def _unique_keys(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # hit_key is unique per run and the helper makes one run per engine per call.
    seen: set[tuple[str, str]] = set()
    kept = []
    for hit in hits:
        if (hit["engine"], hit["hit_key"]) not in seen:
            seen.add((hit["engine"], hit["hit_key"]))
            kept.append(hit)
    return kept


_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@_SETTINGS
@given(first=st.lists(_hit(), min_size=1, max_size=10))
def test_dedupe_twice_equals_dedupe_once(store, tmp_path: Path, first) -> None:
    path = tmp_path / "property.db"
    shutil.copy(store.path, path)
    store_copy = type(store)(path)
    store_copy.add(*_unique_keys(first))
    dedupe_hits(path)
    once = store_copy.snapshot()
    dedupe_hits(path)
    assert store_copy.snapshot() == once
    path.unlink()


@_SETTINGS
@given(
    first=st.lists(_hit(), min_size=1, max_size=8),
    later=st.lists(_hit(), min_size=1, max_size=8),
)
def test_new_hits_only_attach_or_create(store, tmp_path: Path, first, later) -> None:
    path = tmp_path / "property.db"
    shutil.copy(store.path, path)
    store_copy = type(store)(path)
    store_copy.add(*_unique_keys(first))
    dedupe_hits(path)
    placed = store_copy.work_of()
    works_before = {r[0] for r in store_copy.query("SELECT id FROM works")}
    store_copy.add(*_unique_keys(later))
    dedupe_hits(path)
    after = store_copy.work_of()
    # Every earlier hit is where it was, every work still exists, no hit is lost or unplaced.
    assert {h: after[h] for h in placed} == placed
    assert works_before <= {r[0] for r in store_copy.query("SELECT id FROM works")}
    assert None not in after.values()
    path.unlink()
