"""Hypothesis strategies for the fuzz tests: each outside format's seed files, mutated.

A mutation is what real files suffer: cut short, a line dropped or doubled, bytes or text spliced
in (control characters, superscript digits, invalid UTF-8, a huge field, deep brackets), or random
bytes. Seeds are the project's synthetic exports and the shared recordings.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
HARVEST_DATA = ROOT / "tests" / "data" / "harvest"
FIXTURES = ROOT.parent / "shared" / "fixtures"

SEEDS: dict[str, list[bytes]] = {
    "ris": [(HARVEST_DATA / "synthetic_oria_export.ris").read_bytes()],
    "bibtex": [(HARVEST_DATA / "synthetic_scholar_export.bib").read_bytes()],
    "pop-csv": [(HARVEST_DATA / "synthetic_pop_export.csv").read_bytes()],
    "primo-json": [
        (FIXTURES / "primo" / "davzavada_dawmain__search-cdi-article.json").read_bytes(),
        (FIXTURES / "primo" / "davzavada_dawmain__search-empty.json").read_bytes(),
    ],
    "scholar-html": [
        (FIXTURES / "scholar" / "selkind_GeoMap__scholar_search_results.html").read_bytes(),
        (FIXTURES / "scholar" / "sotetsuk_goscholar__parse_test_case1.html").read_bytes(),
    ],
}

# Text that has broken a parser somewhere: superscript and other non-ASCII digits, NUL and
# control characters, invalid UTF-8, quotes and brackets, JSON of another type.
_SPLICES = [
    "²⁰¹⁹",
    "٢٠١٩",
    "\x00",
    "\x1b[0m",
    "\ufeff",
    '"',
    "{",
    "}",
    "[",
    "]",
    ",",
    "\n",
    "\r\n",
    "null",
    "1e999",
    "-1",
    '{"a": 1}',
    "[1, 2]",
    "TY  - ",
    "ER  - ",
    "@article{",
    "\\",
    "Ø",
]
_BYTE_SPLICES = [b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\x80" * 3]


@st.composite
def mutated(draw: st.DrawFn, fmt: str) -> bytes:
    """A seed file of ``fmt`` with one to three mutations."""
    data = draw(st.sampled_from(SEEDS[fmt]))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["cut", "splice", "bytes", "line", "field", "deep", "noise"]))
        at = draw(st.integers(0, len(data)))
        if kind == "cut":
            data = data[:at]
        elif kind == "splice":
            text = draw(st.sampled_from(_SPLICES) | st.text(max_size=8))
            data = data[:at] + text.encode("utf-8") + data[at:]
        elif kind == "bytes":
            data = data[:at] + draw(st.sampled_from(_BYTE_SPLICES)) + data[at:]
        elif kind == "line":
            lines = data.split(b"\n")
            index = draw(st.integers(0, max(0, len(lines) - 1)))
            if draw(st.booleans()):
                del lines[index]
            else:
                lines.insert(index, lines[index] if lines else b"")
            data = b"\n".join(lines)
        elif kind == "field":
            data = data[:at] + b"x" * draw(st.sampled_from([10, 140_000])) + data[at:]
        elif kind == "deep":
            depth = draw(st.sampled_from([50, 5000]))
            data = data[:at] + b"[" * depth + b"]" * depth + data[at:]
        else:
            data = data[:at] + draw(st.binary(max_size=16)) + data[at:]
    return data


def inputs(fmt: str) -> st.SearchStrategy[bytes]:
    """Mutated seeds most of the time, sometimes bytes from nothing."""
    return st.one_of(mutated(fmt), mutated(fmt), mutated(fmt), st.binary(max_size=64))
