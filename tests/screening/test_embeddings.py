"""Embeddings: the bundled model loads with the network off, and vectors are computed once.

The vectors come from the real WordLlama model in the `wordllama` wheel (the `embed` extra, which
`.[test]` installs); the works are the real embedded corpus plus synthetic works.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap

import numpy as np
import sqlite_utils

from db.embeddings import nearest, work_vectors
from db.works import work_texts
from screening import embeddings


def test_model_loads_and_embeds_with_every_network_call_refused():
    """In a fresh interpreter whose every socket connect and DNS lookup raises, the model still
    loads from the package and embeds (WordLlama's own load() would try Hugging Face)."""
    script = textwrap.dedent(
        """
        import sys

        def refuse(event, args):
            if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
                raise OSError(f"network is off in this test ({event} {args[:2]})")

        sys.addaudithook(refuse)
        from screening.embeddings import embed
        vectors = embed(["karriereveiledning for nyankomne flyktninger", "career guidance"])
        print(vectors.shape[0], vectors.shape[1], round(float((vectors ** 2).sum()), 3))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["2", "256", "2.0"]  # two unit vectors of 256 dimensions


def test_empty_text_gives_a_zero_vector_and_others_unit_vectors():
    vectors = embeddings.embed(["", "karriereveiledning", "   "])
    assert np.linalg.norm(vectors, axis=1).round(3).tolist() == [0.0, 1.0, 0.0]


def test_vectors_are_stored_once_and_reused(db: sqlite_utils.Database):
    ids = sorted(int(r[0]) for r in db.execute("SELECT id FROM works"))
    with db.conn:  # the build embedded the included works already (the portal's related works)
        db.execute("DELETE FROM work_embeddings")
    first = work_vectors(db, ids)
    assert first.computed == len(ids) == 24
    assert db.execute("SELECT count(*) FROM work_embeddings").fetchone()[0] == 24
    second = work_vectors(db, ids)
    assert second.computed == 0
    assert np.array_equal(first.matrix, second.matrix)
    # the stored vector is the model's vector of the work's text, not something else
    texts = work_texts(db)
    assert np.allclose(second.row(ids[3]), embeddings.embed([texts[ids[3]]])[0], atol=1e-6)


def test_an_edited_work_is_embedded_again_and_only_it(db: sqlite_utils.Database):
    ids = sorted(int(r[0]) for r in db.execute("SELECT id FROM works"))
    before = work_vectors(db, ids)
    with db.conn:
        db.execute(
            "UPDATE works SET title = 'Karriereveiledning i Finnmark' WHERE id = ?", [ids[0]]
        )
    after = work_vectors(db, ids)
    assert after.computed == 1
    assert not np.allclose(after.row(ids[0]), before.row(ids[0]))
    assert np.array_equal(after.matrix[1:], before.matrix[1:])


def test_nearest_finds_the_same_topic_in_another_nordic_language(db: sqlite_utils.Database):
    from tests.screening.conftest import insert_work

    guidance_nb = insert_work(
        db, "synthetic_emb_nb", title="Karriereveiledning for nyankomne flyktninger i kommunen"
    )
    guidance_da = insert_work(
        db, "synthetic_emb_da", title="Karrierevejledning for nyankomne flygtninge i kommunen"
    )
    other = [
        insert_work(db, "synthetic_emb_x1", title="Insulindosering ved diabetes type 2"),
        insert_work(db, "synthetic_emb_x2", title="Fotballtrening for barn i barneskolen"),
        insert_work(db, "synthetic_emb_x3", title="Kostnadsestimering i programvareprosjekter"),
    ]
    vectors = work_vectors(db, [guidance_nb, guidance_da, *other])
    assert nearest(vectors, guidance_nb, [guidance_da, *other], n=1) == [guidance_da]
    assert guidance_nb not in nearest(vectors, guidance_nb, vectors.work_ids)


def test_a_second_rank_computes_no_embedding(db: sqlite_utils.Database, built_db):
    """`evidensbase rank` embeds the works once; the second run reuses every stored vector."""
    from click.testing import CliRunner

    from db.decisions import record_decision
    from evidensbase.cli import main
    from tests.screening.conftest import insert_work
    from tests.screening.test_multilingual import synthetic_records

    records = synthetic_records()
    ids = {
        r["id"]: insert_work(
            db, f"synthetic_nordic_{r['id']}", title=r["title"], abstract=r["abstract"]
        )
        for r in records
    }
    for key in ("nb-r1", "nb-r2"):
        record_decision(db, ids[key], 1, "include", reviewer="Anna")
    for key in ("nb-i1", "nb-i2"):
        record_decision(db, ids[key], 1, "exclude", reviewer="Anna", criterion="not_relevant")
    works = db.execute("SELECT count(*) FROM works").fetchone()[0]
    # build embedded the 24 published corpus works (for the portal's related works)
    assert db.execute("SELECT count(*) FROM work_embeddings").fetchone()[0] == 24
    db.close()

    runner = CliRunner()
    first = runner.invoke(main, ["rank", "--db", str(built_db), "--top", "3"])
    assert first.exit_code == 0, first.output
    # the model reads the queue (the synthetic records) and every labelled work: the four
    # decided here and the 24 corpus works, which the source (the report) decided at stage 1
    assert works == len(records) + 24
    assert f"{len(records)} computed now, 24 stored ones reused" in first.output
    stamps = (
        sqlite_utils.Database(built_db)
        .execute("SELECT work_id, computed_at FROM work_embeddings ORDER BY work_id")
        .fetchall()
    )
    assert len(stamps) == works
    second = runner.invoke(main, ["rank", "--db", str(built_db), "--top", "3"])
    assert second.exit_code == 0, second.output
    assert f"0 computed now, {works} stored ones reused" in second.output
    again = (
        sqlite_utils.Database(built_db)
        .execute("SELECT work_id, computed_at FROM work_embeddings ORDER BY work_id")
        .fetchall()
    )
    assert again == stamps  # nothing rewritten
    # the ranking itself is the same both times
    assert (
        first.output.split("works in the queue")[0] == second.output.split("works in the queue")[0]
    )


def test_simulate_fusion_stores_the_review_vectors_once(built_db, tmp_path):
    """`simulate --model fusion` embeds a labelled review's records once, in the database."""
    from click.testing import CliRunner

    from evidensbase.cli import main
    from tests.screening.test_multilingual import SYNTHETIC

    with SYNTHETIC.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    data = tmp_path / "synthetic_labelled.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "abstract", "label_included"])
        for r in records:
            writer.writerow([r["title"], r["abstract"], r["relevant"]])
    runner = CliRunner()
    args = ["simulate", str(data), "--seeds", "1", "--no-stopping", "--model", "fusion"]
    first = runner.invoke(main, [*args, "--db", str(built_db)])
    assert first.exit_code == 0, first.output
    assert "WSS@95" in first.output
    count = "SELECT count(*), max(computed_at) FROM text_embeddings"
    stored = sqlite_utils.Database(built_db).execute(count).fetchone()
    assert stored[0] == len({(r["title"], r["abstract"]) for r in records}) == len(records)
    second = runner.invoke(main, [*args, "--db", str(built_db)])
    assert second.exit_code == 0, second.output
    assert sqlite_utils.Database(built_db).execute(count).fetchone() == stored

    def figures(output: str) -> list[str]:  # the run time in brackets differs
        return [line.split("(")[0] for line in output.splitlines()]

    assert figures(second.output) == figures(first.output)  # same order, same figures
    missing = runner.invoke(main, [*args, "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 1
    assert "none.db" in missing.output and "evidensbase build" in missing.output
