"""BibTeX (bibtexparser 2): the right entry type per work, UTF-8 or LaTeX-safe ASCII.

Each entry carries the fields of biblatex's data model for its type (what ``biber
--validate-datamodel`` checks), under the BibTeX names biber maps (``journal`` → ``journaltitle``,
``address`` → ``location``, ``school`` → ``institution``), so classic BibTeX styles, JabRef and
biblatex all read it:

- a report is ``@techreport`` (biblatex's ``@report`` of type ``techreport``), the publisher as
  ``institution``, the series as ``type`` and its number as ``number`` ("Fafo-rapport 2023:08",
  as BibTeX and biblatex both print them); with no publisher known it stays a report, and the
  missing institution is a warning the exporter gives too;
- a chapter is ``@incollection`` with ``editor``, ``booktitle``, ``publisher``, ``series``;
- an article is ``@article`` with ``journal``, ``volume``, ``number`` (the issue), ``pages``.

A known fact the type has no field for (an ISBN of a report, an ISSN of a book) goes into
``addendum`` as text rather than into a field biber would reject. Corporate authors and capitals
that must survive a style's sentence-casing are protected in braces in both encodings.
"""

from __future__ import annotations

import re

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field
from pylatexenc.latexencode import UnicodeToLatexEncoder

from exports.records import (
    ExportOptions,
    ExportWork,
    LoadedWorks,
    screening_keywords,
    screening_note,
)

# LaTeX's special characters, escaped in every text field (UTF-8 output goes through LaTeX too).
_SPECIALS = str.maketrans(
    {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
     "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
)  # fmt: skip

_LIGATURE = re.compile(r"([-'`!?])(?=(?<=-)-|(?<=')'|(?<=[`!?])`)")

# The Nordic letters (and their neighbours) as the LaTeX commands BibTeX styles know.
_LATEX_LETTERS = str.maketrans(
    {"æ": r"{\ae}", "Æ": r"{\AE}", "ø": r"{\o}", "Ø": r"{\O}", "å": r"{\aa}", "Å": r"{\AA}",
     "ä": r'{\"a}', "Ä": r'{\"A}', "ö": r'{\"o}', "Ö": r'{\"O}', "ü": r'{\"u}', "Ü": r'{\"U}',
     "é": r"{\'e}", "É": r"{\'E}", "ð": r"{\dh}", "Ð": r"{\DH}", "þ": r"{\th}", "Þ": r"{\TH}",
     "ß": r"{\ss}",
     "\u00a0": "~"}
)  # fmt: skip

_ENCODER = UnicodeToLatexEncoder(
    non_ascii_only=True, replacement_latex_protection="braces-all", unknown_char_policy="keep"
)

ENTRY_TYPES = {
    "journal_article": "article",
    "book_chapter": "incollection",
    "book": "book",
    "thesis": "phdthesis",
}

# Babel/polyglossia names, so biblatex hyphenates and case-changes by the work's language.
LANGIDS = {"nb": "norsk", "nn": "nynorsk", "sv": "swedish", "da": "danish", "en": "english"}

# A capital that does not start the word or one of its hyphenated parts: NAV, McMahon, NAV-brukere.
_INNER_UPPER = re.compile(r"[^\W\d_][A-ZÀ-ÖØ-Þ]")


def encode(text: str, latex: bool) -> str:
    """Escape LaTeX specials; in LaTeX mode also turn non-ASCII letters into commands."""
    text = " ".join(text.split()).translate(_SPECIALS)
    # TeX reads "--" and "---" as dashes, '' and `` as quotes and !` ?` as inverted marks: an
    # empty group between the two characters keeps them as the literal characters they were.
    text = _LIGATURE.sub(lambda m: m.group(1) + "{}", text)
    if latex and not text.isascii():
        text = _ENCODER.unicode_to_latex(text.translate(_LATEX_LETTERS))
    return text


def protect_title(title: str, latex: bool, language: str | None = None) -> str:
    """Brace what a style must not lower-case: acronyms and mixed case ({NAV}, {McMahon}) and,
    in sentence-case titles, every capitalised word after the first ({Drammen}, {Nordic}).

    Nordic titles are always sentence case, so a capital there is a name; an English title with
    most words capitalised is taken as Title Case, where capitals say nothing.
    """
    words = title.split()
    if language in (None, "en"):
        capitalised = sum(1 for w in words[1:] if w[:1].isupper())
        sentence_case = capitalised <= max(1, len(words[1:]) // 3)
    else:
        sentence_case = True
    out = []
    for i, word in enumerate(words):
        inner_capital = _INNER_UPPER.search(word) is not None
        single_letter = len(word.strip(".,:;!?()")) == 1 and word[:1].isupper() and i > 0
        proper = i > 0 and sentence_case and word[:1].isupper()
        encoded = encode(word, latex)
        out.append(f"{{{encoded}}}" if inner_capital or single_letter or proper else encoded)
    return " ".join(out)


def bib_name(name: dict[str, str], latex: bool) -> str:
    """'Kjærgård, R.' for a person; '{Kompetanse Norge}' for an organisation."""
    if name.get("literal") or not name.get("family"):
        return "{" + encode(name.get("literal") or name.get("given") or "", latex) + "}"
    family = encode(name["family"], latex)
    if name.get("given"):
        if " and " in f" {family} " or "," in family:
            family = "{" + family + "}"
        return f"{family}, {encode(name['given'], latex)}"
    # A lone family name of several words would be read as given + family: brace it, which
    # BibTeX cannot tell from an organisation.
    return "{" + family + "}" if " " in family or "," in family else family


def entry_type(work: ExportWork) -> str:
    """techreport for a report, article, incollection, book, phdthesis; misc for the rest."""
    if work.type == "report":
        return "techreport"
    return ENTRY_TYPES.get(work.type or "", "misc")


# The identifiers and series fields biblatex's model allows in each entry type (biber's
# biber-tool.conf); the others are written into addendum.
_ALLOWED = {
    "article": {"issn", "series"},
    "incollection": {"isbn", "series", "number"},
    "book": {"isbn", "series", "number"},
    "techreport": {"number"},
    "phdthesis": set(),
    "misc": set(),
}


def work_entry(work: ExportWork, loaded: LoadedWorks, options: ExportOptions) -> Entry:
    """One bibtexparser entry, its values already enclosed in braces."""
    latex = options.latex
    kind = entry_type(work)
    fields: list[tuple[str, str | None]] = [
        ("author", " and ".join(bib_name(n, latex) for n in work.authors) or None),
        ("title", protect_title(work.title, latex, work.language) if work.title else None),
        ("year", str(work.year) if work.year else None),
    ]
    text = lambda value: encode(value, latex) if value else None  # noqa: E731
    editors = " and ".join(bib_name(n, latex) for n in work.editors) or None
    allowed = _ALLOWED[kind]
    series, number = work.series, work.series_number
    if kind == "article":
        fields += [("journal", text(work.container)), ("volume", text(work.volume)),
                   ("number", text(work.issue)), ("pages", _pages(work.pages, latex))]  # fmt: skip
    elif kind == "incollection":
        fields += [("editor", editors), ("booktitle", text(work.container)),
                   ("publisher", text(work.publisher)), ("address", text(work.place)),
                   ("pages", _pages(work.pages, latex))]  # fmt: skip
    elif kind == "techreport":
        # biblatex prints type and number together: 'Fafo-rapport 2023:08'.
        fields += [("institution", text(work.publisher)), ("type", text(series)),
                   ("number", text(number)), ("address", text(work.place))]  # fmt: skip
    elif kind == "book":
        fields += [("editor", editors), ("publisher", text(work.publisher)),
                   ("address", text(work.place))]  # fmt: skip
    elif kind == "phdthesis":
        fields += [("school", text(work.publisher)), ("address", text(work.place))]
    else:
        fields += [("editor", editors), ("howpublished", text(work.container)),
                   ("organization", text(work.publisher)),
                   ("address", text(work.place))]  # fmt: skip
    addendum = []
    if kind != "techreport" and (series or number):
        if series and "series" in allowed and (not number or "number" in allowed):
            fields += [("series", text(series)), ("number", text(number))]
        else:  # e.g. a thesis in a series: no field for it in biblatex's model
            addendum.append(" ".join(part for part in (series, number) if part))
    for name, value in (("isbn", work.isbn), ("issn", work.issn)):
        if value and name in allowed:
            fields.append((name, text(value)))
        elif value:
            addendum.append(f"{name.upper()} {value}")
    fields += [
        ("addendum", text(". ".join(addendum))),
        ("langid", LANGIDS.get(work.language or "")),
        ("doi", _verbatim(work.doi)),
        ("url", _verbatim(work.url)),
        ("abstract", text(work.abstract)),
    ]
    if options.screening:
        keywords = screening_keywords(work, loaded, options.labels)
        fields.append(("keywords", text(", ".join(keywords))))
        fields.append(("note", text(screening_note(work, loaded, options.labels))))
    return Entry(kind, work.cite_key, [Field(k, "{" + v + "}") for k, v in fields if v])


def _pages(pages: str | None, latex: bool) -> str | None:
    """'87–90' → '87--90': a range's dash is BibTeX's en dash."""
    if not pages:
        return None
    return "--".join(encode(part, latex) for part in re.split(r"\s*[–—]\s*", pages))


def _verbatim(value: str | None) -> str | None:
    """URLs and DOIs are verbatim in biblatex: only unbalanced braces would break the file."""
    return value.replace("{", "%7B").replace("}", "%7D") if value else None


def write_bibtex(loaded: LoadedWorks, options: ExportOptions) -> str:
    """The selected works as a BibTeX file."""
    library = Library()
    library.add([work_entry(work, loaded, options) for work in loaded.works])
    fmt = bibtexparser.BibtexFormat()
    fmt.indent = "  "
    fmt.block_separator = "\n"
    # The values are enclosed already; an empty unparse stack also avoids a deep copy per entry.
    return bibtexparser.write_string(library, unparse_stack=[], bibtex_format=fmt)
