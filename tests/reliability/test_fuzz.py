"""Fuzzing the importers and parsers with hypothesis: bad input gives the project's typed errors
(``ImportFileError``, ``PageError``, a rejected record, a Scholar page problem), never another
exception, a hang or a partial write. Every crash found is kept under tests/data/reliability/ as a
``synthetic_…`` regression file and replayed first."""

from __future__ import annotations

import contextlib
import shutil
import signal
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from harvest.importers import READERS, ImportFileError, import_file
from harvest.parse.primo import PageError, parse_primo_page
from harvest.parse.scholar import parse_scholar_page
from tests.reliability.fuzzing import inputs

REGRESSIONS = Path(__file__).resolve().parents[1] / "data" / "reliability"
SUFFIX = {"ris": ".ris", "bibtex": ".bib", "pop-csv": ".csv", "primo-json": ".json"}
HANG_SECONDS = 10  # one input that takes longer than this is a hang
EXAMPLES = 60
FUZZ = settings(
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
    # The same inputs on every run: the suite stays reproducible; bench/reliability.py explores.
    derandomize=True,
)


@contextmanager
def bounded() -> Iterator[None]:
    """Fail (a hang) when the body takes longer than HANG_SECONDS."""

    def hang(signum: int, frame: object) -> None:
        raise TimeoutError(f"took more than {HANG_SECONDS} s: a hang")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def read_file(fmt: str, data: bytes, tmp: Path) -> None:
    path = tmp / f"input{SUFFIX[fmt]}"
    path.write_bytes(data)
    with bounded():
        try:
            records, problems = READERS[fmt](path)
        except ImportFileError as exc:
            assert str(exc).startswith(str(path)), exc  # names the file
            return
    for problem in problems:
        assert problem.startswith(f"{path}:"), problem  # file:line
    for record in records:
        assert record["hit_key"]


def parse_page(fmt: str, data: bytes) -> None:
    with bounded():
        if fmt == "primo-json":
            with contextlib.suppress(PageError):
                parse_primo_page(data)
        else:
            text = data.decode("utf-8", errors="replace")
            page = parse_scholar_page(text)
            assert page.problem or page.blocked or isinstance(page.hits, list)


def regression_files(prefix: str) -> list[Path]:
    return sorted(REGRESSIONS.glob(f"synthetic_{prefix}*"))


@pytest.mark.parametrize("fmt", ["pop-csv", "primo-json"])  # the formats with crashes on file
def test_importer_regressions(fmt: str, tmp_path: Path) -> None:
    files = regression_files(f"import_{fmt}_")
    assert files, f"no regression files for {fmt} in {REGRESSIONS}"
    for path in files:
        read_file(fmt, path.read_bytes(), tmp_path)  # asserts: a typed error naming the file


@pytest.mark.parametrize("fmt", ["primo-json", "scholar-html"])
def test_parser_regressions(fmt: str) -> None:
    files = regression_files(f"parse_{fmt}_")
    assert files, f"no regression files for {fmt} in {REGRESSIONS}"
    for path in files:
        parse_page(fmt, path.read_bytes())  # asserts: a page error or a usable page


@pytest.mark.parametrize("fmt", list(READERS))
def test_importers_give_only_typed_errors(
    fmt: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp(fmt)

    @FUZZ
    @given(data=inputs(fmt))
    def check(data: bytes) -> None:
        read_file(fmt, data, tmp)

    check()


@pytest.mark.parametrize("fmt", ["primo-json", "scholar-html"])
def test_page_parsers_give_only_typed_errors(fmt: str) -> None:
    @FUZZ
    @given(data=inputs(fmt))
    def check(data: bytes) -> None:
        parse_page(fmt, data)

    check()


def _counts(db: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(db)
    try:
        return tuple(  # type: ignore[return-value]
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("search_runs", "hits", "run_pages")
        )
    finally:
        conn.close()


@pytest.mark.parametrize("fmt", list(READERS))
def test_an_import_that_is_refused_writes_nothing(
    fmt: str, corpus_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp(f"write-{fmt}")
    db = tmp / "evidensbase.db"
    shutil.copyfile(corpus_template, db)

    @settings(FUZZ, max_examples=15)
    @given(data=inputs(fmt))
    def check(data: bytes) -> None:
        path = tmp / f"input{SUFFIX[fmt]}"
        path.write_bytes(data)
        before = _counts(db)
        with bounded():
            try:
                report = import_file(db, path, file_format=fmt)
            except ImportFileError:
                assert _counts(db) == before  # refused whole: no run, no hit
                return
        runs, hits, _ = _counts(db)
        assert runs in (before[0], before[0] + 1)
        assert hits - before[1] == report.new

    check()
