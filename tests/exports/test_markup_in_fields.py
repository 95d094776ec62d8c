"""Titles, names and every other text field are data, never markup, in every export format.

Each synthetic work has '<script>', a quote, '&' and a literal '&amp;' in every text field; the
exports are read back the way a browser, a Markdown renderer, Zotero (rispy), BibTeX
(bibtexparser) and a spreadsheet would, and must give the field's text back, escaped exactly once.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from html.parser import HTMLParser

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import SeparateCoAuthors
from pylatexenc.latex2text import LatexNodes2Text

from exports.records import ExportOptions, ExportWork, LoadedWorks
from exports.registry import FORMATS

PAYLOAD = '<script>alert("x")</script> R&D & R&amp;D'
TYPES = ["report", "journal_article", "book_chapter", "book", "thesis"]
TEXT_FIELDS = ("title", "container", "publisher", "place", "volume", "issue", "series", "number",
               "pages", "doi", "isbn", "issn", "url", "abstract")  # fmt: skip


def synthetic_marked_up_work(kind: str) -> ExportWork:
    """A work whose every text field carries markup-like text: 'Title <script>…'."""
    fields = {name: f"{name.capitalize()} {PAYLOAD}" for name in TEXT_FIELDS}
    return ExportWork(
        id=1,
        key="synthetic_markup",
        authors=[
            {"family": f"Family {PAYLOAD}", "given": f"Given {PAYLOAD}"},
            {"literal": f"Organisation {PAYLOAD}"},
        ],
        year=2020,
        type=kind,
        language="nb",
        editors=[{"family": f"Editor {PAYLOAD}", "given": f"Given {PAYLOAD}"}],
        **fields,
    )


def _write(format_name: str, work: ExportWork) -> str:
    return FORMATS[format_name].write(LoadedWorks([work], [], {}), ExportOptions())


class _Page(HTMLParser):
    """The elements of a page and the text of each reference-list entry, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.entries: list[str] = []
        self._in_entry = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "p" and ("class", "csl-entry") in attrs:
            self._in_entry = True
            self.entries.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in_entry = False

    def handle_data(self, data: str) -> None:
        if self._in_entry:
            self.entries[-1] += data


def _plain_entry(work: ExportWork) -> str:
    (line,) = _write("apa-txt", work).splitlines()
    return line


@pytest.mark.parametrize("kind", TYPES)
def test_apa_html_shows_every_field_as_text_escaped_once(kind: str) -> None:
    work = synthetic_marked_up_work(kind)
    page = _write("apa-html", work)
    parser = _Page()
    parser.feed(page)
    # No element comes from the data: only the page's own and the style's italics.
    assert set(parser.tags) <= {"html", "head", "meta", "title", "style", "body", "h1", "div",
                                "p", "i"}  # fmt: skip
    assert "script" not in parser.tags
    # What a browser shows is the plain-text reference, character for character: each field's
    # '&' and '<' came back (escaped once, not zero times) and '&amp;' stays '&amp;' (not twice).
    plain = _plain_entry(work)
    assert parser.entries == [plain]
    for shown in (f"Family {PAYLOAD}", f"Organisation {PAYLOAD}", f"Title {PAYLOAD}"):
        assert shown in plain
    assert plain.count(PAYLOAD) >= 4  # family, organisation, title and what the type prints
    assert "&amp;amp;" in page and "&amp;lt;" not in page
    assert "<script>" not in page


def test_apa_html_escapes_what_each_type_prints_and_keeps_the_styles_ampersand() -> None:
    printed = {kind: _plain_entry(synthetic_marked_up_work(kind)) for kind in TYPES}
    for kind, field_name in (("journal_article", "container"), ("journal_article", "volume"),
                             ("journal_article", "issue"), ("book_chapter", "container"),
                             ("book", "publisher"), ("report", "publisher"),
                             ("journal_article", "doi")):  # fmt: skip
        shown = f"{field_name.capitalize()} {PAYLOAD}"
        assert shown in printed[kind], (kind, field_name)
        page = _write("apa-html", synthetic_marked_up_work(kind))
        assert html.escape(shown, quote=False) in page, (kind, field_name)
    # The style's own '&' before the last author is escaped by citeproc-py, once.
    page = _write("apa-html", synthetic_marked_up_work("book"))
    assert ", & Organisation" in printed["book"]
    assert ", &amp; Organisation" in page and "&amp;amp; Organisation" not in page


def _markdown_text(markdown: str) -> str:
    """The text a CommonMark renderer shows: backslash escapes undone, '*' emphasis dropped."""
    assert not re.search(r"(?<!\\)[<>]", markdown), "an unescaped < or > would be raw HTML"
    assert not re.search(r"(?<!\\)&amp;", markdown), "an unescaped &amp; would show as &"
    unstarred = re.sub(r"(?<!\\)\*", "", markdown)
    return re.sub(r"\\([\\`*_\[\]<>#|&])", r"\1", unstarred)


@pytest.mark.parametrize("kind", TYPES)
def test_apa_markdown_shows_every_field_as_text(kind: str) -> None:
    work = synthetic_marked_up_work(kind)
    (entry,) = [part for part in _write("apa-md", work).split("\n\n") if part]
    assert _markdown_text(entry) == _plain_entry(work)


_LATEX = LatexNodes2Text()


@pytest.mark.parametrize("kind", TYPES)
def test_bibtex_keeps_every_field_as_literal_text(kind: str) -> None:
    work = synthetic_marked_up_work(kind)
    library = bibtexparser.parse_string(
        _write("bib", work), append_middleware=[SeparateCoAuthors()]
    )
    assert library.failed_blocks == []
    (entry,) = library.entries
    fields = {f.key: f.value for f in entry.fields}
    verbatim = {"doi", "url"}  # as BibTeX styles print them: no LaTeX decoding
    decoded = {
        key: value if key in verbatim else [_LATEX.latex_to_text(v) for v in value]
        if isinstance(value, list) else _LATEX.latex_to_text(value)
        for key, value in fields.items()
    }  # fmt: skip
    assert decoded["title"] == work.title
    assert decoded["author"] == [f"Family {PAYLOAD}, Given {PAYLOAD}", f"Organisation {PAYLOAD}"]
    addendum = decoded.pop("addendum", "")
    for name, value in decoded.items():
        if isinstance(value, str) and PAYLOAD in value:
            assert value.endswith(PAYLOAD) and value[: -len(PAYLOAD) - 1].isalpha(), (name, value)
    # addendum holds, as text, the facts the type has no field for: 'ISBN Isbn <script>…. ISSN …'
    for name in ("series", "number", "isbn", "issn"):
        addendum = addendum.replace(getattr(work, name), "")
    assert set(addendum.replace("ISBN", "").replace("ISSN", "")) <= set(" ."), addendum
    decoded["addendum"] = addendum
    written = {name for name, value in decoded.items() if PAYLOAD in str(value)}
    assert {"title", "author", "doi", "url", "abstract"} <= written
    isbn_field = "isbn" in written
    assert isbn_field or "ISBN" in decoded["addendum"], "the ISBN is in a field or in addendum"


@pytest.mark.parametrize("kind", TYPES)
def test_ris_csv_and_csljson_keep_every_field_as_literal_text(kind: str) -> None:
    work = synthetic_marked_up_work(kind)
    (record,) = rispy.loads(_write("ris", work))
    assert record["title"] == work.title
    assert record["authors"] == [f"Family {PAYLOAD}, Given {PAYLOAD}", f"Organisation {PAYLOAD}"]
    for tag in ("publisher", "place_published", "doi", "abstract"):
        assert record[tag].endswith(PAYLOAD), tag
    assert ";".join(record["urls"]) == work.url  # rispy reads UR as a list split at ';'

    (row,) = csv.DictReader(io.StringIO(_write("csv", work)))
    for name in TEXT_FIELDS:
        assert row[name] == getattr(work, name), name
    assert row["authors"] == f"Family {PAYLOAD}, Given {PAYLOAD}; Organisation {PAYLOAD}"

    (item,) = json.loads(_write("csljson", work))
    assert item["title"] == work.title
    assert item["author"] == work.authors
    for csl_name, name in (("container-title", "container"), ("publisher", "publisher"),
                           ("publisher-place", "place"), ("DOI", "doi"), ("URL", "url"),
                           ("abstract", "abstract"), ("volume", "volume")):  # fmt: skip
        assert item[csl_name] == getattr(work, name), csl_name


def test_apa_lists_works_in_one_order_whatever_the_markup_characters() -> None:
    """Escaping does not move a work: '&', '<', '_', '[' sort as themselves in every flavour."""
    titles = ["R&D i kommunene", "Rapport om R<D", "R_D og [R]D", "R#D", "Ra|d", "R>D", "R*D"]
    works = [
        ExportWork(
            id=i,
            key=f"synthetic_{i}",
            title=title,
            authors=[{"family": "Aas"}],
            year=2020,
            type="report",
            publisher="Fafo",
        )
        for i, title in enumerate(titles, start=1)
    ]
    loaded = LoadedWorks(works, [], {})
    plain = FORMATS["apa-txt"].write(loaded, ExportOptions()).splitlines()
    assert len(plain) == len(titles)
    parser = _Page()
    parser.feed(FORMATS["apa-html"].write(loaded, ExportOptions()))
    assert parser.entries == plain
    markdown = [p for p in FORMATS["apa-md"].write(loaded, ExportOptions()).split("\n\n") if p]
    assert [_markdown_text(entry) for entry in markdown] == plain
