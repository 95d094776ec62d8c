"""Embeddings: the bundled model loads with the network off, and vectors are computed once.

The vectors come from the real WordLlama model in the `wordllama` wheel (the `embed` extra, which
`.[test]` installs); the works are the real embedded corpus plus synthetic works.
"""

from __future__ import annotations

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
