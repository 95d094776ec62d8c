"""The export's fast paths give what the slow, obvious ones give.

- the RIS text written directly equals rispy's writer for the same records, and rispy reads it back;
- the CSV lines written directly equal csv.writer's.

The works and decisions here are synthetic (made up in the tests): a work is a key and title;
a decision is (stage, decision, decided_at) for one work, inserted in the order listed.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import rispy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.database import open_db
from exports import ris
from exports.csv_table import csv_lines
from exports.records import (
    ExportOptions,
    ExportWork,
    LoadedWorks,
    load_works,
)
from exports.registry import export_works

_settings = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- RIS: our text against rispy's writer ----------------------------------------------------


def _rispy_text(loaded: LoadedWorks, options: ExportOptions) -> str:
    refs = [ris.work_reference(work, loaded, options) for work in loaded.works]
    return rispy.dumps(refs, implementation=ris._RisWriter, skip_unknown_tags=True)


def test_corpus_ris_equals_rispy_output_and_parses_back(export_db: Path) -> None:
    db = open_db(export_db)
    try:
        for options in (ExportOptions(), ExportOptions(screening=True, labels="nb")):
            loaded = load_works(db, with_codes=True)
            text = export_works(db, "ris", options=options).text
            assert text == _rispy_text(loaded, options)
            refs = [ris.work_reference(work, loaded, options) for work in loaded.works]
            assert rispy.loads(text) == refs
            assert len(refs) == 24
    finally:
        db.close()


_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"]) | st.sampled_from(" \t\n-–,;"),
    max_size=30,
)
_name = st.one_of(
    st.fixed_dictionaries({"family": _text}, optional={"given": _text}),
    st.fixed_dictionaries({"literal": _text}),
    st.fixed_dictionaries({}, optional={"given": _text}),
)
_optional = st.one_of(st.none(), _text)
_OTHER_FIELDS = ("container", "publisher", "place", "pages", "volume", "issue", "language",
                 "doi", "isbn", "issn", "url", "abstract")  # fmt: skip
_ris_work = st.builds(
    lambda authors, title, year, kind, fields: ExportWork(
        id=1, key="w", title=title, authors=authors, year=year, type=kind, **fields
    ),
    st.lists(_name, max_size=4),
    _optional,
    st.one_of(st.none(), st.integers(1900, 2100)),
    st.sampled_from(["report", "journal_article", "book_chapter", "book", "thesis", "other"]),
    st.fixed_dictionaries({name: _optional for name in _OTHER_FIELDS}),
)


@_settings
@given(_ris_work, st.booleans())
def test_ris_text_equals_rispy_output_for_generated_works(
    work: ExportWork, screening: bool
) -> None:
    work.codes = {"theme": ["method_process"], "country": ["no"]}
    loaded = LoadedWorks([work], [], {("theme", "method_process"): {"nb": "Prosess", "en": "P"}})
    options = ExportOptions(screening=screening)
    text = ris.write_ris(loaded, options)
    assert text == _rispy_text(loaded, options)
    (parsed,) = rispy.loads(text)
    assert parsed["id"] == work.cite_key
    assert parsed["type_of_reference"] == ris.RIS_TYPES.get(work.type or "", "GEN")


# --- CSV: our lines against csv.writer -------------------------------------------------------


@_settings
@given(st.lists(st.lists(_text, min_size=2, max_size=6), max_size=5), st.sampled_from([",", ";"]))
def test_csv_lines_equal_csv_writer(rows: list[list[str]], delimiter: str) -> None:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    assert "".join(csv_lines(rows, delimiter)) == out.getvalue()


def test_csv_lines_quote_only_what_csv_writer_quotes() -> None:
    rows = [["a", "Søholt, Å.", 'say "hi"', "two\nlines", "x;y", ""]]
    assert csv_lines(rows, ",") == ['a,"Søholt, Å.","say ""hi""","two\nlines",x;y,\r\n']
    assert csv_lines(rows, ";") == ['a;Søholt, Å.;"say ""hi""";"two\nlines";"x;y";\r\n']
