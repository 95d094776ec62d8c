"""Every export cites a work by its own key (works.key), the key the portal shows.

The corpus works are checked through the written files parsed back with bibtexparser, rispy, json
and csv; dedupe's keys and awkward synthetic keys through the BibTeX and RIS writers.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from pathlib import Path

import bibtexparser
import rispy
from hypothesis import given, settings
from hypothesis import strategies as st

from db.database import open_db
from db.dedupe.works import work_key
from exports.records import ExportOptions, ExportWork, LoadedWorks, citation_key
from exports.registry import FORMATS, export_works


def _corpus_keys(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {key for (key,) in conn.execute("SELECT key FROM works")}


def _exported_keys(path: Path, format_name: str) -> list[str]:
    db = open_db(path)
    try:
        text = export_works(db, format_name, options=ExportOptions()).text
    finally:
        db.close()
    if format_name == "bib":
        library = bibtexparser.parse_string(text)
        assert library.failed_blocks == []
        return [entry.key for entry in library.entries]
    if format_name == "ris":
        return [entry["id"] for entry in rispy.loads(text)]
    if format_name == "csljson":
        return [item["id"] for item in json.loads(text)]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert all(row["citation_key"] == row["key"] for row in rows)
    return [row["citation_key"] for row in rows]


def test_every_format_cites_the_corpus_works_by_the_key_the_portal_shows(export_db: Path) -> None:
    keys = _corpus_keys(export_db)
    assert "thomsen2016" in keys and len(keys) == 24
    for format_name in ("bib", "ris", "csljson", "csv"):
        exported = _exported_keys(export_db, format_name)
        assert sorted(exported) == sorted(keys), format_name
        assert "thomsen2016karriereveiledning" not in exported


def _written_keys(key: str) -> tuple[str, str, str]:
    """The key as BibTeX, RIS and CSL-JSON readers see it in a one-work export."""
    work = ExportWork(id=1, key=key, title="Synthetic title", authors=[], year=2020, type="report")
    loaded = LoadedWorks([work], [], {})
    library = bibtexparser.parse_string(FORMATS["bib"].write(loaded, ExportOptions()))
    assert library.failed_blocks == []
    (entry,) = library.entries
    (record,) = rispy.loads(FORMATS["ris"].write(loaded, ExportOptions()))
    (item,) = json.loads(FORMATS["csljson"].write(loaded, ExportOptions()))
    return entry.key, record["id"], item["id"]


_hit_text = st.text(max_size=30)
_hit = st.fixed_dictionaries(
    {
        "id": st.integers(1, 10**9),
        "authors": st.lists(
            st.one_of(
                st.fixed_dictionaries({"family": _hit_text, "given": _hit_text}),
                st.fixed_dictionaries({"literal": _hit_text}),
            ),
            max_size=3,
        ),
        "title": st.one_of(st.none(), _hit_text),
        "year": st.one_of(st.none(), st.integers(1900, 2100)),
    }
)


@settings(max_examples=100, deadline=None)
@given(_hit)
def test_dedupe_keys_are_citation_keys_as_they_are(hit: dict[str, object]) -> None:
    key = work_key([hit], int(str(hit["id"])))
    assert re.fullmatch(r"[a-z0-9]*(?:\d{4}|nd)-h\d+", key), key
    assert citation_key(key) == key
    assert _written_keys(key) == (key, key, key)


def test_corpus_ids_are_citation_keys_as_they_are(export_db: Path) -> None:
    assert all(citation_key(key) == key for key in _corpus_keys(export_db))


def _decode(cited: str) -> str:
    """citation_key backwards: '.xx' runs are UTF-8 bytes, everything else is itself."""
    if cited == ".":
        return ""
    return re.sub(
        r"(?:\.[0-9a-f]{2})+",
        lambda m: bytes.fromhex(m.group().replace(".", "")).decode("utf-8"),
        cited,
    )


def test_keys_with_characters_bibtex_forbids_are_spelled_with_hex_escapes() -> None:
    key = "synthetic key, {x} #1 % ~ \"q\" 'q' Ø.A"
    cited = citation_key(key)
    assert cited == (
        "synthetic.20key.2c.20.7bx.7d.20.231.20.25.20.7e.20.22q.22.20.27q.27.20.c3.98.2e.41"
    )
    assert _written_keys(key) == (cited, cited, cited)
    assert citation_key("synthetic_2024-h7") == "synthetic_2024-h7"
    assert citation_key("") == "."


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=20))
def test_citation_keys_are_safe_and_two_keys_never_share_one(key: str) -> None:
    cited = citation_key(key)
    assert re.fullmatch(r"[a-z0-9_.-]+", cited)
    assert _decode(cited) == key  # reversible, so distinct keys give distinct citation keys
