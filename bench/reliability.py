"""The harvest and parser part of issue 15's reliability table, in one run.

Fault trials: every fault of tests/reliability/faultserver.py at the first page and mid-search, a
first harvest with the fault and a plain rerun after it is gone; "hits lost" counts clean-run hit
keys missing after the rerun (plus any stored that a clean run does not have). Fuzzing: the
importers and page parsers on mutated seeds (tests/reliability/fuzzing.py); a crash is any
exception other than the project's typed errors, a hang an input over 10 s, a partial write a
refused import that changed the database.

    .venv/bin/python bench/reliability.py [--examples 500]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from db.build import build_database  # noqa: E402
from harvest.importers import READERS, ImportFileError, import_file  # noqa: E402
from harvest.parse.primo import PageError, parse_primo_page  # noqa: E402
from harvest.parse.scholar import parse_scholar_page  # noqa: E402
from tests.reliability.fuzzing import inputs  # noqa: E402
from tests.reliability.test_fuzz import SUFFIX, bounded  # noqa: E402
from tests.reliability.trials import run_all_trials  # noqa: E402


def fault_figures(work: Path) -> dict[str, int]:
    db = work / "faults.db"
    build_database(db)
    trials = run_all_trials(db)
    lost = sum(len(t.server.keys() ^ set(t.rerun["keys"])) for t in trials)
    return {
        "faults injected": len(trials),
        "first runs not complete": sum(t.first["status"] != "complete" for t in trials),
        "runs resumed": sum(t.rerun["mode"] == "resume" for t in trials),
        "reruns complete": sum(t.rerun["status"] == "complete" for t in trials),
        "hits lost": lost,
    }


def _counts(db: Path) -> tuple[int, ...]:
    conn = sqlite3.connect(db)
    try:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("search_runs", "hits")
        )
    finally:
        conn.close()


def fuzz_figures(work: Path, examples: int) -> dict[str, int]:
    figures = {"inputs fuzzed": 0, "crashes": 0, "hangs": 0, "partial writes": 0}
    db = work / "fuzz.db"
    build_database(db)
    config = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )

    def attempt(call) -> None:  # type: ignore[no-untyped-def]
        figures["inputs fuzzed"] += 1
        try:
            with bounded():
                call()
        except (ImportFileError, PageError):
            pass
        except TimeoutError:
            figures["hangs"] += 1
        except Exception as exc:  # what the suite exists to find
            figures["crashes"] += 1
            print(f"crash: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)

    for fmt in READERS:
        fuzz_imports(fmt, work / f"input{SUFFIX[fmt]}", db, config, attempt, figures)
    for fmt in ("primo-json", "scholar-html"):
        fuzz_parser(fmt, config, attempt)
    return figures


def fuzz_imports(fmt, path, db, config, attempt, figures) -> None:  # type: ignore[no-untyped-def]
    """Fuzz one importer through ``import_file``: a refused file leaves the database as it was."""

    @config
    @given(data=inputs(fmt))
    def read(data: bytes) -> None:
        path.write_bytes(data)
        before = _counts(db)

        def run() -> None:
            try:
                import_file(db, path, file_format=fmt)
            except ImportFileError:
                if _counts(db) != before:
                    figures["partial writes"] += 1
                raise

        attempt(run)

    read()


def fuzz_parser(fmt, config, attempt) -> None:  # type: ignore[no-untyped-def]
    """Fuzz one page parser."""

    @config
    @given(data=inputs(fmt))
    def parse(data: bytes) -> None:
        if fmt == "primo-json":
            attempt(lambda: parse_primo_page(data))
        else:
            attempt(lambda: parse_scholar_page(data.decode("utf-8", errors="replace")))

    parse()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=500, help="fuzzed inputs per format")
    args = parser.parse_args()
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="evidensbase-reliability-"))
    try:
        figures = {**fault_figures(work), **fuzz_figures(work, args.examples)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    width = max(map(len, figures))
    print(f"{'what':<{width}}  {'count':>7}")
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:>7}")
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
