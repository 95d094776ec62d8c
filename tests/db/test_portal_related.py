"""Related works on the public work page: the nearest included works by stored text embedding,
precomputed at build; shared themes when there are no vectors (the extra missing, or too many
works). Datasette's test client on a real built database; the expected lists are computed here
by hand from the stored vectors and codes."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlite_utils

from db.portal import make_datasette, precompute
from db.portal.precompute import refresh_portal
from tests.db.test_portal_pages import page

RELATED = re.compile(r'<ul class="related">(.*?)</ul>', re.S)
ROOT = Path(__file__).resolve().parents[2]


def related_keys(markup: str) -> list[str]:
    block = RELATED.search(markup)
    assert block, "no related works on the page"
    return re.findall(r'<a href="/works/([^"]+)"', block.group(1))


def heading(markup: str) -> str:
    found = re.search(r'<h2 id="related-h">([^<]+)</h2>', markup)
    assert found, "no related-works heading"
    return found.group(1)


def nearest_by_hand(db_path: Path, key: str, n: int = 6) -> list[str]:
    """Cosine similarity of the stored vectors of the included works, ties by lower id."""
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT w.id, w.key, e.vector FROM corpus c JOIN works w ON w.id = c.id "
            "JOIN work_embeddings e ON e.work_id = w.id ORDER BY w.id"
        ).fetchall()
    ids = [r[0] for r in rows]
    keys = {r[0]: r[1] for r in rows}
    vectors = {r[0]: np.frombuffer(r[2], dtype="<f4").astype(np.float64) for r in rows}
    target = next(i for i in ids if keys[i] == key)
    v = vectors[target]

    def cosine(other: int) -> float:
        u = vectors[other]
        return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))

    others = sorted((i for i in ids if i != target), key=lambda i: (-cosine(i), i))
    return [keys[i] for i in others[:n]]


def shared_themes_by_hand(db_path: Path, key: str, n: int = 6) -> list[str]:
    """The fallback rule: most themes in common, then the later work (higher id)."""
    with sqlite3.connect(db_path) as conn:
        themes: dict[int, set[str]] = {}
        for work_id, value in conn.execute(
            "SELECT c.work_id, c.value FROM codes c JOIN corpus k ON k.id = c.work_id "
            "WHERE c.field = 'theme'"
        ):
            themes.setdefault(work_id, set()).add(value)
        keys = dict(conn.execute("SELECT id, key FROM works").fetchall())
    target = next(i for i, k in keys.items() if k == key)
    shared = {w: len(t & themes[target]) for w, t in themes.items() if w != target}
    best = sorted((w for w in shared if shared[w]), key=lambda w: (-shared[w], -w))
    return [keys[w] for w in best[:n]]


def test_related_works_are_the_nearest_by_stored_vectors(built_db: Path) -> None:
    with sqlite3.connect(built_db) as conn:
        # the build embedded every included work once
        assert conn.execute("SELECT count(*) FROM work_embeddings").fetchone()[0] == 24
        assert conn.execute("SELECT count(*) FROM portal_related").fetchone()[0] == 24 * 6
    portal = make_datasette(built_db, immutable=True)
    for key in ("thomsen2016", "soholt2020a", "axelsson2022"):
        expected = nearest_by_hand(built_db, key)
        nb = page(portal, f"/works/{key}")
        assert related_keys(nb) == expected, key
        assert heading(nb) == "Beslektede bidrag (lignende innhold)"
        assert '<html lang="nb">' in nb
        en = page(portal, f"/works/{key}?lang=en")
        assert related_keys(en) == expected
        assert heading(en) == "Related works (similar content)" and '<html lang="en">' in en
    # the embedding's neighbours are not simply the shared-theme rule's
    assert any(
        nearest_by_hand(built_db, k) != shared_themes_by_hand(built_db, k)
        for k in ("thomsen2016", "soholt2020a", "axelsson2022")
    )
    # a second build changes nothing: no vector recomputed, no row rewritten
    db = sqlite_utils.Database(built_db)
    assert refresh_portal(db) == {}
    db.close()


def test_without_the_extra_and_no_vectors_the_page_uses_shared_themes(tmp_path: Path) -> None:
    """A real build in a fresh interpreter where `import wordllama` fails (as without the
    `embed` extra): no vectors, no precomputed neighbours, the shared-theme rule on the page."""
    path = tmp_path / "noextra.db"
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["wordllama"] = None  # import wordllama now raises ImportError
        from screening.embeddings import available
        assert not available()
        from db.build import build_database
        build_database({str(path)!r})
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM work_embeddings").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM portal_related").fetchone()[0] == 0
    portal = make_datasette(path, immutable=True)
    markup = page(portal, "/works/thomsen2016")
    expected = shared_themes_by_hand(path, "thomsen2016")
    assert len(expected) == 6
    assert related_keys(markup) == expected
    assert heading(markup) == "Beslektede bidrag (felles temaer)"
    assert heading(page(portal, "/works/thomsen2016?lang=en")) == "Related works (shared themes)"


def test_above_the_cap_the_precomputed_rows_go_and_shared_themes_come_back(
    built_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(precompute, "RELATED_MAX_WORKS", 23)  # the corpus has 24
    db = sqlite_utils.Database(built_db)
    with db.conn:
        assert refresh_portal(db) == {"portal_related": 24 * 6}
    db.close()
    portal: Any = make_datasette(built_db, immutable=True)
    markup = page(portal, "/works/thomsen2016")
    assert related_keys(markup) == shared_themes_by_hand(built_db, "thomsen2016")
    assert heading(markup) == "Beslektede bidrag (felles temaer)"


def test_embedding_inside_the_builds_transaction_neither_commits_nor_breaks_it(
    built_db: Path,
) -> None:
    """build runs refresh_portal inside one transaction: a vector recomputed there is written in
    a savepoint, so the build's own commit still works and a rollback takes the vector too."""
    db = sqlite_utils.Database(built_db)
    with db.conn:
        db.execute("DELETE FROM work_embeddings WHERE work_id = (SELECT min(id) FROM corpus)")
    with db.atomic():  # as db.build.build_database
        assert refresh_portal(db) == {}  # the same vector again: the same neighbours
        assert db.conn.in_transaction
    assert db.execute("SELECT count(*) FROM work_embeddings").fetchone()[0] == 24
    with db.conn:
        db.execute("DELETE FROM work_embeddings WHERE work_id = (SELECT min(id) FROM corpus)")
    with pytest.raises(RuntimeError, match="crash"), db.atomic():
        refresh_portal(db)
        raise RuntimeError("crash after the vector was written")
    assert db.execute("SELECT count(*) FROM work_embeddings").fetchone()[0] == 23
    db.close()
