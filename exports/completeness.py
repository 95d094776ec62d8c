"""Which facts a reference style needs from each type of work, and which works lack them.

One table (:data:`NEEDED`) says, per work type, the fields APA 7 and biblatex cannot do without:
every exporter warns about each missing one (``opinion2017: report has no publisher (APA,
biblatex)``) and ``evidensbase export --check`` counts them. The table follows the two styles'
own rules, so a warning here is what a warning from biber, or a gap in an APA entry, is about:

- biblatex's data model (``biber --validate-datamodel``): ``@article`` needs ``journaltitle``,
  ``@incollection`` ``editor`` and ``booktitle``, ``@report`` and ``@thesis`` ``institution``,
  every type but ``@misc`` an ``author``; all need a title and a date.
- APA 7 (Publication Manual, ch. 10): a journal article gives journal, volume and pages; a
  chapter in an edited book the editors, book title, pages and publisher; a report, a book and a
  thesis their publisher (the university, for a thesis). Author, year and title always.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from exports.records import ExportWork

APA = "APA"
BIBLATEX = "biblatex"

# (ExportWork attribute, the field's name in warnings, the styles that need it)
Need = tuple[str, str, tuple[str, ...]]

_COMMON: tuple[Need, ...] = (
    ("authors", "author", (APA, BIBLATEX)),
    ("title", "title", (APA, BIBLATEX)),
    ("year", "year", (APA, BIBLATEX)),
)
NEEDED: dict[str, tuple[Need, ...]] = {
    "report": (("publisher", "publisher", (APA, BIBLATEX)),),
    "journal_article": (
        ("container", "journal", (APA, BIBLATEX)),
        ("volume", "volume", (APA,)),
        ("pages", "pages", (APA,)),
    ),
    "book_chapter": (
        ("editors", "editors", (APA, BIBLATEX)),
        ("container", "book title", (APA, BIBLATEX)),
        ("pages", "pages", (APA,)),
        ("publisher", "publisher", (APA,)),
    ),
    "book": (("publisher", "publisher", (APA,)),),
    "thesis": (("publisher", "publisher", (APA, BIBLATEX)),),
}
# biblatex's @misc (a work of no known type) needs no author; APA still starts with one.
_OTHER: tuple[Need, ...] = (("authors", "author", (APA,)), *_COMMON[1:])

TYPE_NAMES = {
    "report": "report",
    "journal_article": "journal article",
    "book_chapter": "book chapter",
    "book": "book",
    "thesis": "thesis",
}


@dataclass(frozen=True)
class Gap:
    """One fact a work lacks: which work, which field, and the styles that need it."""

    key: str
    type_name: str
    field: str
    styles: tuple[str, ...]

    def warning(self) -> str:
        """'opinion2017: report has no publisher (APA, biblatex)'."""
        return f"{self.key}: {self.type_name} has no {self.field} ({', '.join(self.styles)})"


def needs(work_type: str | None) -> tuple[Need, ...]:
    """The fields the styles need for a work of this type."""
    if work_type in NEEDED:
        return _COMMON + NEEDED[work_type]
    return _OTHER


def work_gaps(work: ExportWork) -> list[Gap]:
    """What the work lacks, in the order of :func:`needs`."""
    type_name = TYPE_NAMES.get(work.type or "", "work")
    return [
        Gap(work.key, type_name, field, styles)
        for attribute, field, styles in needs(work.type)
        if not getattr(work, attribute)
    ]


def completeness_warnings(works: list[ExportWork]) -> list[str]:
    """One warning per work and missing field, in the works' order."""
    return [gap.warning() for work in works for gap in work_gaps(work)]


@dataclass
class Completeness:
    """The gaps of a selection of works, for ``export --check``."""

    works: int
    gaps: list[Gap]

    @property
    def incomplete(self) -> list[str]:
        """The keys of the works that lack something, in export order."""
        return list(dict.fromkeys(gap.key for gap in self.gaps))

    def by_field(self) -> list[tuple[str, int, str]]:
        """(field, works lacking it, per type) sorted by count: ('publisher', 9, 'report 9')."""
        counts = Counter(gap.field for gap in self.gaps)
        per_type: dict[str, Counter[str]] = {}
        for gap in self.gaps:
            per_type.setdefault(gap.field, Counter())[gap.type_name] += 1
        return [
            (field, count, ", ".join(f"{name} {n}" for name, n in per_type[field].most_common()))
            for field, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]

    def report(self) -> str:
        """The summary ``export --check`` prints."""
        incomplete = self.incomplete
        lines = [
            f"{self.works} works checked against APA 7 and biblatex: "
            f"{self.works - len(incomplete)} complete, {len(incomplete)} lack a field a style "
            f"needs ({len(self.gaps)} missing fields)."
        ]
        if self.gaps:
            lines.append("")
            lines.append("Missing, by field (works lacking it):")
            for field, count, per_type in self.by_field():
                lines.append(f"  {field:<11} {count:>3}  ({per_type})")
            lines.append("")
            lines.append("Works lacking a field (and the styles that need it):")
            for key in incomplete:
                own = [gap for gap in self.gaps if gap.key == key]
                fields = "; ".join(f"{gap.field} ({', '.join(gap.styles)})" for gap in own)
                lines.append(f"  {key} ({own[0].type_name}): {fields}")
        return "\n".join(lines) + "\n"


def check_works(works: list[ExportWork]) -> Completeness:
    """The completeness of the selected works."""
    return Completeness(len(works), [gap for work in works for gap in work_gaps(work)])
