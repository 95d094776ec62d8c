"""The stage-3 theme suggestion on the review site: the theme whose coded works' mean vector is
nearest the record's stored vector, and the runner-up, in English and bokmål; advice only.

The expected themes and similarities are computed here by hand from the vectors stored in
work_embeddings and the codes table (the 24 coded works of the real corpus)."""

from __future__ import annotations

import html
import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from tests.review.test_screening_pages import decide, record_path

ROOT = Path(__file__).resolve().parents[2]
GOOD = {f"q_{c}": "yes" for c in ("validity", "reliability", "generalisation_evidence",
                                   "clear_question", "findings_answer_question")}  # fmt: skip
EN = re.compile(
    r'<span lang="en">Suggested theme: <strong>([^<]+)</strong> \(similarity ([\d.]+); '
    r"runner-up: ([^<]+), ([\d.]+)\)</span>"
)
NB = re.compile(
    r'<span class="nb" lang="nb">/ Forslag til tema: <strong>([^<]+)</strong> \(likhet ([\d,]+); '
    r"nest nærmest: ([^<]+), ([\d,]+)\)</span>"
)


def to_stage_3(signed_in: Any, work_id: int) -> Any:
    kari, ola = signed_in("Kari"), signed_in("Ola")
    decide(kari, 1, work_id, decision="include")
    decide(ola, 1, work_id, decision="include")
    response = decide(kari, 2, work_id, decision="include", q_specified_method="yes", **GOOD)
    assert response.status_code == 302, response.text[:300]
    return kari


def snapshot(db_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(db_path) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("decisions", "codes", "summaries")
        }


def themes_by_hand(db_path: Path, work_id: int) -> list[tuple[str, str, float]]:
    """(en label, nb label, cosine) per theme, nearest first: centroid of the stored vectors of
    the other works coded with the theme against this work's stored vector."""
    with sqlite3.connect(db_path) as conn:
        vectors = {
            w: np.frombuffer(v, dtype="<f4").astype(np.float64)
            for w, v in conn.execute("SELECT work_id, vector FROM work_embeddings")
        }
        coded: dict[str, set[int]] = {}
        for theme, other in conn.execute(
            "SELECT value, work_id FROM codes WHERE field = 'theme' AND work_id != ?", [work_id]
        ):
            coded.setdefault(theme, set()).add(other)
        labels = {
            v: (en, nb)
            for v, en, nb in conn.execute(
                "SELECT value, en, nb FROM labels WHERE vocabulary = 'theme'"
            )
        }
    target = vectors[work_id]
    scores = []
    for theme, works in coded.items():
        centroid = np.mean([vectors[w] for w in sorted(works)], axis=0)
        cosine = centroid @ target / (np.linalg.norm(centroid) * np.linalg.norm(target))
        scores.append((*labels[theme], float(cosine)))
    return sorted(scores, key=lambda s: -s[2])


def test_the_coding_form_suggests_the_nearest_theme_and_saves_nothing(
    signed_in: Any, review_db: Any
) -> None:
    db_path, ids = review_db
    work_id = ids["synthetic_09"]  # "Newcomer youth and vocational guidance"
    kari = to_stage_3(signed_in, work_id)
    before = snapshot(db_path)
    markup = kari.get(record_path(3, work_id)).text
    assert 'id="coding"' in markup
    expected = themes_by_hand(db_path, work_id)  # the page stored this record's vector
    assert len(expected) >= 2 and expected[0][2] > expected[1][2]
    (first_en, first_nb, best), (second_en, second_nb, runner_up) = expected[:2]
    en = EN.search(markup)
    assert en, markup[markup.find("coding") : markup.find("coding") + 1500]
    assert [html.unescape(g) for g in en.groups()] == [
        first_en, f"{best:.2f}", second_en, f"{runner_up:.2f}"
    ]  # fmt: skip
    nb = NB.search(markup)
    assert nb
    assert [html.unescape(g) for g in nb.groups()] == [
        first_nb, f"{best:.2f}".replace(".", ","), second_nb, f"{runner_up:.2f}".replace(".", ",")
    ]  # fmt: skip
    assert "Advice only: choose the themes yourself." in markup
    # advice only: no theme is ticked, and showing it wrote no decision, code or summary
    boxes = re.findall(r'<input type="checkbox" name="theme"[^>]*>', markup)
    assert len(boxes) == 6 and not any("checked" in b for b in boxes)
    assert snapshot(db_path) == before


def test_no_suggestion_before_any_work_is_coded_with_a_theme(
    signed_in: Any, review_db: Any
) -> None:
    db_path, ids = review_db
    work_id = ids["synthetic_09"]
    kari = to_stage_3(signed_in, work_id)
    assert 'id="theme-suggestion"' in kari.get(record_path(3, work_id)).text
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM codes WHERE field = 'theme'")
    markup = kari.get(record_path(3, work_id)).text
    assert 'id="coding"' in markup and 'id="theme-suggestion"' not in markup
    assert "Suggested theme" not in markup and "Forslag til tema" not in markup


def test_without_the_extra_a_record_with_no_stored_vector_gets_no_suggestion(
    built_db: Path,
) -> None:
    """In a fresh interpreter where `import wordllama` fails, the suggestion for a work whose
    vector was never stored is empty (and raises nothing); a stored one still gets its theme."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["wordllama"] = None  # as without the embed extra
        from db.database import open_db
        from db.embeddings import suggest_theme
        db = open_db({str(built_db)!r}, create=False)
        new = db.table("works").insert(
            {{"key": "synthetic_new", "title": "Vocational guidance for newcomers",
              "origin": "harvest"}}
        ).last_pk
        stored = db.execute("SELECT min(work_id) FROM work_embeddings").fetchone()[0]
        print(len(suggest_theme(db, new)), len(suggest_theme(db, stored)))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["0", "2"]
