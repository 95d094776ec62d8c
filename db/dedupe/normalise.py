"""Normalisation of bibliographic fields for matching: titles, names, identifiers.

Everything here is pure and cheap, because it runs once per hit before any comparison. Folding is
deliberately lossy (æ→ae, ø→o, å→a, ä→a, ö→o, ü→u, and the digraphs 'aa'→'a', 'oe'→'o', 'ae'→'a'
after that) so that "Kompetansekartlegging for nyankomne flyktninger" from Oria and an ASCII-only
Scholar copy end up as the same string.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

# Letters NFKD does not decompose, and Nordic ones folded the same way as their digraphs.
_LETTERS = str.maketrans(
    {
        "æ": "ae",
        "Æ": "ae",
        # Written as their digraphs first, so that 'Bøe' and its ASCII form 'Boee' fold alike.
        "ø": "oe",
        "Ø": "oe",
        "å": "aa",
        "Å": "aa",
        "ä": "ae",
        "Ä": "ae",
        "ö": "oe",
        "Ö": "oe",
        "œ": "oe",
        "ß": "ss",
        "þ": "th",
        "ð": "d",
        "đ": "d",
        "ł": "l",
        "ı": "i",
    }
)
# After folding to ASCII, Nordic digraphs collapse too: 'aa' (å), 'oe' (ø), 'ae' (æ/ä).
_DIGRAPHS = re.compile(r"aa|oe|ae")
_DIGRAPH_TO = {"aa": "a", "oe": "o", "ae": "a"}

_TAGS = re.compile(r"<[^>]{0,200}>")
# Google Scholar puts these before a title: [PDF], [HTML], [CITATION][C], [BOOK][B], [DOC], …
_SCHOLAR_MARKERS = re.compile(
    r"^\s*(?:\[(?:pdf|html|citation|citering|c|book|bok|b|doc|ps|xml|sitering)\]\s*)+", re.I
)
_NON_WORD = re.compile(r"[^a-z0-9]+")
_SUBTITLE = re.compile(r"\s*(?::|\s(?:--?|[–—])\s|\.\s|\?\s|!\s)\s*")
_TRUNCATED = re.compile(r"(?:…|\.\.\.)\s*$")
# "m.fl." (Norwegian/Swedish), "mfl", "et al.", "o.a.", "mm." and the ellipsis Scholar uses.
_MORE_AUTHORS = re.compile(
    r"^(?:m\.?\s?fl\.?|et\.?\s?al\.?|o\.?\s?a\.?|m\.?\s?m\.?|…|\.\.\.)$", re.I
)
_INITIALS = re.compile(r"^(?:[A-ZÆØÅÄÖÜ]\.?-?){1,3}$")

_STOPWORDS_EN = "a an and the of in on for to with by at from as or is are its"
_STOPWORDS_NB = "og i pa for til med av om en et ei som den det de fra"  # folded: på → pa
_STOPWORDS_SV = "och att pa som av med till fran"
STOPWORDS = frozenset(f"{_STOPWORDS_EN} {_STOPWORDS_NB} {_STOPWORDS_SV}".split())


@functools.lru_cache(maxsize=1 << 16)  # surnames and venues repeat across thousands of hits
def fold(text: str) -> str:
    """Lower-case ASCII, Nordic letters and digraphs collapsed, HTML removed, words by spaces."""
    if "<" in text or "&" in text:
        text = html.unescape(_TAGS.sub(" ", text))
    text = text.translate(_LETTERS)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower()
    text = _NON_WORD.sub(" ", text)
    # Until nothing changes: 'Bøe' is 'Boee' in ASCII and 'Boe' when ø is written o.
    folded = _DIGRAPHS.sub(_digraph, text)
    while folded != text:
        text, folded = folded, _DIGRAPHS.sub(_digraph, folded)
    return folded.strip()


def _digraph(match: re.Match[str]) -> str:
    return _DIGRAPH_TO[match.group(0)]


def clean_title(title: str | None) -> str:
    """The title as a person would write it: no Scholar markers, HTML or trailing ellipsis."""
    if not title:
        return ""
    text = html.unescape(_TAGS.sub("", title))
    text = _SCHOLAR_MARKERS.sub("", text)
    return " ".join(text.split()).strip(" .")


def is_truncated(title: str | None) -> bool:
    """Scholar cuts long titles and ends them with an ellipsis."""
    return bool(title and _TRUNCATED.search(title.strip()))


def title_key(title: str | None) -> str:
    """The full title folded for comparison."""
    return fold(clean_title(title))


def main_title_key(title: str | None) -> str:
    """The folded title without its subtitle (the part before ':', ' - ', '. ' or '? ')."""
    cleaned = clean_title(title)
    parts = _SUBTITLE.split(cleaned, maxsplit=1)
    return fold(parts[0]) if parts else ""


_PART_WORDS = (
    r"part|del|delrapport|volume|vol|bind|band|nr|no|number|phase|fase|study|studie|wave|runde|"
    r"chapter|kapittel|kap|book|bok|series|serie|report|rapport|paper|article|trial|step|trinn"
)
_PART = re.compile(rf"\b(?:{_PART_WORDS})\s+(\d+|[ivx]+|[a-h])\b")
_ROMAN = {
    "i": 1,
    "ii": 2,
    "iii": 3,
    "iv": 4,
    "v": 5,
    "vi": 6,
    "vii": 7,
    "viii": 8,
    "ix": 9,
    "x": 10,
}
_NUMBER = re.compile(r"\b\d+\b")
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "forste": 1, "andre": 2, "tredje": 3, "fjerde": 4, "femte": 5,
}  # fmt: skip
_ORDINAL = re.compile(r"\b(" + "|".join(_ORDINALS) + r")\s+(?:part|del|report|rapport|delrapport)")
# 'Thirteenth' vs 'Sixteenth Rheumatism Review': spelled-out ordinals from 6th on are numbers.
_SPELLED = "sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth"
_SPELLED_MORE = "sixteenth seventeenth eighteenth nineteenth twentieth"
_ORDINAL_WORDS = {w: i for i, w in enumerate(f"{_SPELLED} {_SPELLED_MORE}".split(), 6)}


def title_parts(title: str | None) -> tuple[str, str, bool]:
    """title_key, main_title_key and has_subtitle at once (they share the costly cleaning)."""
    cleaned = clean_title(title)
    parts = _SUBTITLE.split(cleaned, maxsplit=1)
    main = fold(parts[0]) if parts else ""
    return fold(cleaned), main, len(parts) > 1 and bool(parts[1].strip())


def has_subtitle(title: str | None) -> bool:
    """Whether the title goes on after its main title (even if only into Scholar's ellipsis)."""
    parts = _SUBTITLE.split(clean_title(title), maxsplit=1)
    return len(parts) > 1 and bool(parts[1].strip())


def title_numbers(folded_title: str) -> tuple[str, ...]:
    """What tells parts of a series apart: 'Part II', 'Delrapport 2', '2019', 'first report'.

    Two titles whose numbers differ are different works, however similar the words are. Numbers
    are counted, not just collected: 'Phase II trial. Volume 3' is not 'Phase II trial. Volume 2'
    just because a 2 and a 3 occur in both.
    """
    found: list[str] = []
    for match in _PART.finditer(folded_title):
        value = match.group(1)
        found.append(str(_ROMAN.get(value, value)))
    for match in _ORDINAL.finditer(folded_title):
        found.append(str(_ORDINALS[match.group(1)]))
    found.extend(str(_ORDINAL_WORDS[w]) for w in folded_title.split() if w in _ORDINAL_WORDS)
    parts = {m.start(1) for m in _PART.finditer(folded_title)}
    found.extend(m.group(0) for m in _NUMBER.finditer(folded_title) if m.start() not in parts)
    return tuple(sorted(found))


def split_literal_name(literal: str) -> dict[str, str] | None:
    """'R Lillevik', 'Lillevik, R.' or 'Rune Lillevik' as a CSL name; None for 'm.fl.'/'et al.'."""
    text = literal.strip().strip(",;")
    if not text or _MORE_AUTHORS.match(text):
        return None
    text = re.sub(r"(?:…|\.\.\.)$", "", text).strip()
    if "," in text:
        family, _, given = text.partition(",")
        return {"family": family.strip(), "given": given.strip()}
    words = text.split()
    if len(words) == 1:
        return {"family": words[0], "given": ""}
    if _INITIALS.match(words[-1]) and not _INITIALS.match(words[0]):
        # 'Lillevik R' (Vancouver style): family first, initials last
        return {"family": " ".join(words[:-1]), "given": words[-1]}
    return {"family": words[-1], "given": " ".join(words[:-1])}


def _names(authors: Iterable[Mapping[str, Any]] | None) -> Iterable[Mapping[str, Any]]:
    """The real names of an author list, dropping 'm.fl.', 'et al.' and Scholar's ellipsis."""
    for author in authors or ():
        name: Mapping[str, Any] | None = author
        if not author.get("family") and author.get("literal"):
            name = split_literal_name(str(author["literal"]))
        if not name or _MORE_AUTHORS.match(str(name.get("family", "")).strip()):
            continue
        if fold(str(name.get("family", ""))):
            yield name


def surnames(authors: Iterable[Mapping[str, Any]] | None) -> tuple[str, ...]:
    """Folded family names in order, dropping 'm.fl.', 'et al.' and Scholar's ellipsis."""
    return tuple(fold(str(name.get("family", ""))) for name in _names(authors))


def first_initial(authors: Iterable[Mapping[str, Any]] | None) -> str:
    """The first author's first initial ('' when unknown): 'Rune' and 'R.' both give 'r'."""
    for name in _names(authors):
        return initials(str(name.get("given") or ""))[:1]
    return ""


def initials(given: str | None) -> str:
    """'Rune Andreas' and 'R. A.' both become 'ra': full first names match their initials."""
    return "".join(word[0] for word in fold(given or "").split())


def normalise_doi(doi: str | None) -> str | None:
    """'https://doi.org/10.1/ABC.' → '10.1/abc'; None when it is not a DOI."""
    if not doi:
        return None
    text = doi.strip().lower()
    text = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", text)
    match = re.search(r"10\.\d{4,9}/\S+", text)
    return match.group(0).rstrip(".,;)") if match else None


def normalise_isbn(isbn: str | None) -> tuple[str, ...]:
    """Every ISBN in the field as ISBN-13 digits (a record may list print and PDF ISBNs)."""
    if not isbn:
        return ()
    found: list[str] = []
    for candidate in re.findall(r"[0-9][0-9\-\s]{8,16}[0-9Xx]", isbn):
        digits = re.sub(r"[^0-9Xx]", "", candidate).upper()
        if len(digits) == 10:
            core = "978" + digits[:9]
            check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(core))) % 10
            found.append(core + str(check))
        elif len(digits) == 13:
            found.append(digits)
    return tuple(dict.fromkeys(found))
