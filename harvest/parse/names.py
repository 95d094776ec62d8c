"""Author names as CSL name dicts, and the small normalisations every source shares."""

from __future__ import annotations

import re

_ENDS_WITH_INITIAL = re.compile(r"(?:^|[\s.\-])\w\.$")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d|2100)\b")

# Work types the review uses (db/schema.py works.type), from the names engines and files give.
_TYPES = {
    "article": "journal_article",
    "journal_article": "journal_article",
    "jour": "journal_article",
    "ejour": "journal_article",
    "review": "journal_article",
    "book": "book",
    "books": "book",
    "ebook": "book",
    "book_chapter": "book_chapter",
    "book_chapters": "book_chapter",
    "chap": "book_chapter",
    "incollection": "book_chapter",
    "inbook": "book_chapter",
    "report": "report",
    "reports": "report",
    "rprt": "report",
    "techreport": "report",
    "dissertation": "thesis",
    "dissertations": "thesis",
    "thes": "thesis",
    "thesis": "thesis",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
}


def csl_name(text: str) -> dict[str, str] | None:
    """'Family, Given' or 'Given Family' as a CSL name; a name without a clear split is literal."""
    # Scholar cuts long author lists with an ellipsis: 'B Leitner…'
    name = " ".join(text.replace("…", " ").split()).strip(" ;,")
    # A final '.' is punctuation after a name ('Smith.'), but part of an initial ('Abkhezr, P.').
    if name.endswith(".") and not _ENDS_WITH_INITIAL.search(name):
        name = name.rstrip(".")
    if not name:
        return None
    if "," in name:
        family, _, given = name.partition(",")
        family, given = family.strip(), given.strip()
        return {"family": family, "given": given} if given else {"family": family}
    parts = name.split(" ")
    if len(parts) == 1:
        return {"literal": name}
    return {"family": parts[-1], "given": " ".join(parts[:-1])}


def csl_names(values: list[str] | None, separator: str = ";") -> list[dict[str, str]]:
    """Names from a list of strings, each of which may hold several separated by ``separator``."""
    names = []
    for value in values or []:
        for part in value.split(separator):
            name = csl_name(part)
            if name:
                names.append(name)
    return names


def year_of(*values: str | int | None) -> int | None:
    """The first four-digit year found in the values."""
    for value in values:
        if value is None:
            continue
        match = _YEAR.search(str(value))
        if match:
            return int(match.group(1))
    return None


def work_type(value: str | None) -> str | None:
    """The review's work type for an engine's or file's type name ('other' when unknown)."""
    if not value:
        return None
    return _TYPES.get(value.strip().lower().replace(" ", "_"), "other")


def first(values: list[str] | None) -> str | None:
    """The first non-empty string of a list, stripped."""
    for value in values or []:
        if value and value.strip():
            return value.strip()
    return None


def clean_doi(value: str | None) -> str | None:
    """A bare DOI ('10.…') from a DOI, a doi: prefix or a doi.org URL."""
    if not value:
        return None
    match = re.search(r"10\.\d{4,9}/\S+", value)
    return match.group(0).rstrip(".,;") if match else None
