"""Round trips: what the exports write, rispy, bibtexparser and json read back to the same works.

Parsed back the way an importer reads a file (BibTeX braces and LaTeX letters decoded, RIS
'Family, Given' split at the first comma, a name without a comma an organisation), then compared
with the database's own rows, and, as a hypothesis property, with generated works.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import bibtexparser
import rispy
from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pylatexenc.latex2text import LatexNodes2Text

from db.database import open_db
from exports.records import ExportOptions, ExportWork, LoadedWorks
from exports.registry import export_works

_LATEX = LatexNodes2Text()


def _decode(value: str) -> str:
    return _LATEX.latex_to_text(value)


def _one_brace_group(value: str) -> bool:
    """'{Kompetanse Norge}' (an organisation) but not '{\\"A}' (a letter) nor '{\\O}st'."""
    if not (value.startswith("{") and value.endswith("}")) or value.startswith("{\\"):
        return False
    depth = 0
    for i, char in enumerate(value):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            return i == len(value) - 1
    return False


def parse_bibtex(text: str) -> list[dict[str, Any]]:
    """BibTeX entries as work fields (authors as CSL names, title, year, type, publisher)."""
    library = bibtexparser.parse_string(
        text, append_middleware=[SeparateCoAuthors(), SplitNameParts()]
    )
    assert library.failed_blocks == []
    works = []
    for entry in library.entries:
        fields = {f.key: f.value for f in entry.fields}
        authors = []
        for name in fields.get("author", []):
            whole = " ".join(name.last)
            if not name.first and not name.von and _one_brace_group(whole):
                authors.append({"literal": _decode(whole)})
                continue
            person = {"family": _decode(" ".join(name.von + name.last))}
            if name.first:
                person["given"] = _decode(" ".join(name.first))
            authors.append(person)
        works.append(
            {
                "key": entry.key,
                "type": entry.entry_type,
                "authors": authors,
                "title": _decode(fields["title"]) if "title" in fields else None,
                "year": int(fields["year"]) if "year" in fields else None,
                "publisher": _decode(fields.get("institution") or fields.get("publisher") or "")
                or None,
            }
        )
    return works


def _ris_name(value: str) -> dict[str, str]:
    if "," not in value:
        return {"literal": value}
    family, given_name = (part.strip() for part in value.split(",", 1))
    return {"family": family, "given": given_name} if given_name else {"family": family}


def parse_ris(text: str) -> list[dict[str, Any]]:
    """RIS records as work fields."""
    return [
        {
            "key": entry.get("id"),
            "type": entry["type_of_reference"],
            "authors": [_ris_name(a) for a in entry.get("authors", [])],
            "title": entry.get("title"),
            "year": int(entry["year"]) if entry.get("year") else None,
            "publisher": entry.get("publisher"),
        }
        for entry in rispy.loads(text)
    ]


def parse_csljson(text: str) -> list[dict[str, Any]]:
    """CSL-JSON items as work fields."""
    return [
        {
            "key": item["id"],
            "type": item["type"],
            "authors": item.get("author", []),
            "title": item.get("title"),
            "year": item["issued"]["date-parts"][0][0] if "issued" in item else None,
            "publisher": item.get("publisher"),
        }
        for item in json.loads(text)
    ]


def _database_works(path: Path) -> dict[str, tuple[list[dict[str, str]], str, int]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT key, authors, title, year FROM works").fetchall()
    return {key: (json.loads(authors), title, year) for key, authors, title, year in rows}


def _export(path: Path, format_name: str, options: ExportOptions) -> str:
    db = open_db(path)
    try:
        return export_works(db, format_name, options=options).text
    finally:
        db.close()


def _assert_same_as_database(parsed: list[dict[str, Any]], path: Path) -> None:
    """Each parsed entry's citation key is a work's own key, and carries that work's fields."""
    stored = _database_works(path)
    assert len(parsed) == 24
    assert sorted(w["key"] for w in parsed) == sorted(stored)
    for work in parsed:
        authors, title, year = stored[work["key"]]
        assert (work["authors"], work["title"], work["year"]) == (authors, title, year), work["key"]


def test_corpus_bibtex_parses_back_to_the_database_works(export_db: Path) -> None:
    text = _export(export_db, "bib", ExportOptions())
    parsed = parse_bibtex(text)
    _assert_same_as_database(parsed, export_db)
    kjaergard = next(w for w in parsed if w["key"] == "kjaergard2019")
    assert kjaergard["authors"][0] == {"family": "Kjærgård", "given": "R."}
    assert kjaergard["authors"][-1] == {"family": "Flatland", "given": "Ø."}


def test_corpus_latex_bibtex_parses_back_with_nordic_letters_intact(export_db: Path) -> None:
    text = _export(export_db, "bib", ExportOptions(latex=True))
    assert text.isascii()
    parsed = parse_bibtex(text)
    _assert_same_as_database(parsed, export_db)
    titles = {w["title"] for w in parsed}
    assert "Åtte kommuner – åtte tiltak for integrering. Delrapport 1" in titles


def test_corpus_ris_parses_back_to_the_database_works(export_db: Path) -> None:
    text = _export(export_db, "ris", ExportOptions(screening=True))
    parsed = parse_ris(text)
    _assert_same_as_database(parsed, export_db)
    opinion = next(w for w in parsed if w["key"] == "opinion2017")
    assert opinion["authors"] == [{"literal": "Opinion"}]
    assert opinion["type"] == "RPRT"


def test_corpus_csljson_parses_back_to_the_database_works(export_db: Path) -> None:
    text = _export(export_db, "csljson", ExportOptions())
    parsed = parse_csljson(text)
    _assert_same_as_database(parsed, export_db)
    assert {w["type"] for w in parsed} == {"report", "article-journal", "chapter"}


# --- property: work -> format -> parse -> work, with Nordic letters in names and titles ---------

_LETTERS = "abcdefghijklmnopqrstuvwxyzæøåäöüéABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅÄÖÜÉ"
_word = st.text(alphabet=_LETTERS, min_size=1, max_size=10).filter(lambda w: w.lower() != "and")
# Title punctuation includes LaTeX's specials; '^' is left out because pylatexenc reads
# \textasciicircum back as U+02C6, not '^' (LaTeX itself prints '^').
_title_word = st.text(alphabet=_LETTERS + "0123456789-:,.?&%$#_()'’–", min_size=1, max_size=12)


def _words(strategy: st.SearchStrategy[str], n: int) -> st.SearchStrategy[str]:
    return st.lists(strategy, min_size=1, max_size=n).map(" ".join)


_person = st.builds(
    lambda family, given_name: (
        {"family": family, "given": given_name} if given_name else {"family": family}
    ),
    _words(_word, 2),
    st.one_of(st.none(), _words(_word.map(lambda w: w[0].upper() + "."), 3), _words(_word, 2)),
)
_organisation = _words(_word, 3).map(lambda name: {"literal": name})

_work = st.builds(
    lambda authors, title, year, kind, publisher: ExportWork(
        id=1, key="w", title=title, authors=authors, year=year, type=kind, publisher=publisher
    ),
    st.lists(st.one_of(_person, _organisation), min_size=0, max_size=4),
    _words(_title_word, 8),
    st.one_of(st.none(), st.integers(1900, 2100)),
    st.sampled_from(["report", "journal_article", "book_chapter", "book"]),
    st.one_of(st.none(), _words(_word, 3)),
)


def _roundtrip(work: ExportWork, format_name: str, options: ExportOptions) -> dict[str, Any]:
    loaded = LoadedWorks([work], [], {})
    from exports.registry import FORMATS

    text = FORMATS[format_name].write(loaded, options)
    parser = {"bib": parse_bibtex, "ris": parse_ris, "csljson": parse_csljson}[format_name]
    (parsed,) = parser(text)
    return parsed


def _expected(work: ExportWork, bibtex: bool = False) -> dict[str, Any]:
    authors = work.authors
    if bibtex:
        # BibTeX has one form for an organisation and a lone family name of several words
        # ({Kompetanse Norge}, {de Vries}); both come back as a literal name.
        authors = [
            {"literal": a["family"]} if "given" not in a and " " in a.get("family", "") else a
            for a in authors
        ]
    return {"authors": authors, "title": work.title, "year": work.year}


_settings = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(_work)
def test_ris_round_trip_keeps_authors_title_year_and_publisher(work: ExportWork) -> None:
    parsed = _roundtrip(work, "ris", ExportOptions())
    assert {k: parsed[k] for k in ("authors", "title", "year")} == _expected(work)
    assert parsed["publisher"] == work.publisher


@_settings
@given(_work, st.booleans())
def test_bibtex_round_trip_keeps_authors_title_and_year(work: ExportWork, latex: bool) -> None:
    parsed = _roundtrip(work, "bib", ExportOptions(latex=latex))
    assert {k: parsed[k] for k in ("authors", "title", "year")} == _expected(work, bibtex=True)


@_settings
@given(_work)
def test_csljson_round_trip_keeps_authors_title_year_and_publisher(work: ExportWork) -> None:
    parsed = _roundtrip(work, "csljson", ExportOptions())
    assert {k: parsed[k] for k in ("authors", "title", "year")} == _expected(work)
    assert parsed["publisher"] == work.publisher
