"""Works with complete references, for the reference tests: where each fact comes from.

Three are real publications, their facts copied from recorded sources (nothing looked up):

- ``flato2023``: the report this project's review comes from (``../shared/seed/``): authors from
  the foreword (seed lines 16-17: "Hedda Flatø, Hanne Cecilie Kavli og Rebekka Ravn Lysvik"),
  the series and number from its running footer (line 1894, "Fafo-rapport 2023:08"), published
  by Fafo in January 2023 (the seed's README), the title from its back cover (lines 5226-5227).
- ``onarmanumu2026``: the first hit of the recorded NVA answer
  ``../shared/fixtures/open/nva/BIBSYSDEV_nva-search-api__bibtex_report_research.json``: series
  "NIBIO Rapport", series number "12/77", ISBN 9788217040064, the series' print ISSN 2464-1162,
  publisher NIBIO, 2026. NVA gives each name as one string, so no author is recorded here (which
  name part is the family name is not known).
- ``qi2019``: DOI 10.1117/1.jei.28.6.063006 in the recorded Crossref answer
  ``../shared/fixtures/open/crossref/sckott_habanero__test_cursor.body.json`` (authors, title,
  journal, volume 28, issue "06", page "1", ISSN 1017-9909, as Crossref gives them).

No recorded source has a chapter with editors, so the two chapters are synthetic (made up here,
keys ``synthetic_…``): every name, title and publisher in them is invented and says so.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

REFERENCE_WORKS: list[dict[str, Any]] = [
    {
        "key": "flato2023",
        "title": "Karriereveiledning for nyankomne flyktninger og innvandrere",
        "authors": [
            {"family": "Flatø", "given": "H."},
            {"family": "Kavli", "given": "H. C."},
            {"family": "Lysvik", "given": "R. R."},
        ],
        "year": 2023,
        "type": "report",
        "publisher": "Fafo",
        "series": "Fafo-rapport",
        "number": "2023:08",
        "language": "nb",
    },
    {
        "key": "onarmanumu2026",
        "title": "Overvåkings- og kartleggingsprogram for Xylella fastidiosa 2025",
        "authors": [],
        "year": 2026,
        "type": "report",
        "publisher": "NIBIO",
        "series": "NIBIO Rapport",
        "number": "12/77",
        "isbn": "9788217040064",
        "issn": "2464-1162",
        "language": "nb",
    },
    {
        "key": "qi2019",
        "title": "Widget Detection Network: widget detection in mobile screenshot with "
        "region-based attention networks",
        "authors": [{"family": "Qi", "given": "Lin"}, {"family": "Wang", "given": "Tiezhu"}],
        "year": 2019,
        "type": "journal_article",
        "container": "Journal of Electronic Imaging",
        "publisher": "SPIE-Intl Soc Optical Eng",
        "volume": "28",
        "issue": "06",
        "pages": "1",
        "doi": "10.1117/1.jei.28.6.063006",
        "issn": "1017-9909",
        "language": "en",
    },
    {
        "key": "synthetic_chapter",
        "title": "Synthetic chapter on guidance",
        "authors": [{"family": "Syntheticauthor", "given": "A. B."}],
        "year": 2021,
        "type": "book_chapter",
        "container": "Synthetic book of guidance",
        "editors": [
            {"family": "Syntheticeditor", "given": "O."},
            {"family": "Secondeditor", "given": "S."},
        ],
        "pages": "87–90",
        "publisher": "Synthetic Press",
        "series": "Synthetic Series",
        "number": "4",
        "isbn": "9780000000002",
        "language": "en",
    },
    {
        "key": "synthetic_chapter_one_editor",
        "title": "Synthetic chapter with one editor",
        "authors": [{"family": "Syntheticauthor", "given": "A. B."}],
        "year": 2020,
        "type": "book_chapter",
        "container": "Synthetic handbook",
        "editors": [{"family": "Syntheticeditor", "given": "O."}],
        "pages": "1–20",
        "publisher": "Synthetic Press",
        "language": "en",
    },
]

REFERENCE_KEYS = [work["key"] for work in REFERENCE_WORKS]
REFERENCE_SQL = "SELECT id FROM works WHERE key IN ({})".format(
    ", ".join(f"'{key}'" for key in REFERENCE_KEYS)
)


def add_reference_works(built: Path, target: Path) -> Path:
    """A copy of the built corpus database with the reference works added as works."""
    shutil.copy(built, target)
    with sqlite3.connect(target) as conn:
        for work in REFERENCE_WORKS:
            row = dict(work)
            row["authors_display"] = "; ".join(
                f"{n['family']}, {n['given']}" for n in row["authors"]
            )
            row["authors"] = json.dumps(row["authors"], ensure_ascii=False)
            row["editors"] = json.dumps(row.get("editors", []), ensure_ascii=False)
            columns = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            conn.execute(f"INSERT INTO works ({columns}) VALUES ({marks})", list(row.values()))
    return target
