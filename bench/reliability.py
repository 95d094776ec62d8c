"""Issue 15's reliability table in one run: faults, kills, fuzzing, portal abuse and load.

Fault trials: every fault of tests/reliability/faultserver.py at the first page and mid-search, a
first harvest with the fault and a plain rerun after it is gone; "hits lost" counts clean-run hit
keys missing after the rerun (plus any stored that a clean run does not have). Fuzzing: the
importers and page parsers on mutated seeds (tests/reliability/fuzzing.py); a crash is any
exception other than the project's typed errors, a hang an input over 10 s, a partial write a
refused import that changed the database. Kills: tests/reliability/crashes.py, ``--kills`` per
kind of command (9 kinds), each a SIGKILL at a random moment, then the checks and a rerun; a state
mismatch is a rerun that fails or ends in rows other than an uninterrupted run's. Portal abuse:
tests/db/test_portal_abuse.py (run by pytest here); load: tests/reliability/load.py against a
real ``evidensbase serve`` (8, 16, 32 clients, then 16 with one sending pathological requests).

    nice -n 10 .venv/bin/python bench/reliability.py [--examples 500] [--kills 6] [--seconds 20]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, given, settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from db.build import build_database  # noqa: E402
from harvest.importers import READERS, ImportFileError, import_file  # noqa: E402
from harvest.parse.primo import PageError, parse_primo_page  # noqa: E402
from harvest.parse.scholar import parse_scholar_page  # noqa: E402
from tests.reliability.crashes import KINDS, CrashBench  # noqa: E402
from tests.reliability.crashes import figures as crash_figures  # noqa: E402
from tests.reliability.fuzzing import inputs  # noqa: E402
from tests.reliability.load import portal_load  # noqa: E402
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
            ours = [
                f for f in traceback.extract_tb(exc.__traceback__)
                if f.filename.startswith(str(ROOT)) and ".venv" not in f.filename
            ]  # fmt: skip
            place = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
            print(f"crash at {place}: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)

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


def kill_figures(work: Path, kills: int, records: int) -> dict[str, int]:
    base = work / "kills-base.db"
    build_database(base)
    bench = CrashBench(work / "kills", base, records=records, pages=6, page_delay=0.25)
    outcomes = []
    try:
        for number in range(kills):
            for outcome in bench.trials(list(KINDS), number):
                outcomes.append(outcome)
                if not outcome.killed or outcome.mismatched_tables or outcome.integrity != "ok":
                    print(f"kill: {outcome}", file=sys.stderr)
    finally:
        bench.close()
    found = crash_figures(outcomes)
    found["kills after the commit (one-shot)"] = sum(o.committed for o in outcomes)
    found["stale temporary files"] = sum(o.stale_temporaries for o in outcomes)
    return found


def abuse_figures() -> dict[str, int]:
    import pytest

    code = pytest.main(
        ["-q", "-p", "no:cacheprovider", str(ROOT / "tests/db/test_portal_abuse.py")]
    )
    return {"portal abuse tests failed": int(code != 0)}


def load_figures(work: Path, seconds: float) -> dict[str, object]:
    db = work / "portal.db"
    build_database(db)
    found: dict[str, object] = {}
    for run in portal_load(work, db, seconds):
        name = f"{run.clients} clients" + (", 1 pathological" if run.abuser else "")
        found[f"requests served ({name})"] = run.served
        found[f"errors ({name})"] = run.errors
        found[f"p50/p95 ms ({name})"] = (
            f"{run.percentile(50) * 1000:.0f}/{run.percentile(95) * 1000:.0f}"
        )
        if run.abuser:
            found["pathological requests (5xx or failed)"] = (
                f"{run.abuser_requests} ({run.abuser_errors})"
            )
            found["slowest pathological answer ms"] = f"{run.abuser_slowest * 1000:.0f}"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=500, help="fuzzed inputs per format")
    parser.add_argument("--kills", type=int, default=6, help="kills per kind of command (9)")
    parser.add_argument("--records", type=int, default=600, help="synthetic RIS records")
    parser.add_argument("--seconds", type=float, default=20.0, help="each load run's length")
    parser.add_argument(
        "--only", default="faults,kills,fuzzing,portal abuse,load", help="parts to run (comma list)"
    )
    args = parser.parse_args()
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="evidensbase-reliability-"))
    table: dict[str, object] = {}
    try:
        for part, make in (
            ("faults", lambda: fault_figures(work)),
            ("kills", lambda: kill_figures(work, args.kills, args.records)),
            ("fuzzing", lambda: fuzz_figures(work, args.examples)),
            ("portal abuse", abuse_figures),
            ("load", lambda: load_figures(work, args.seconds)),
        ):
            if part not in args.only.split(","):
                continue
            began = time.monotonic()
            table.update(make())
            print(f"[{part}: {time.monotonic() - began:.0f} s]", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    width = max(map(len, table))
    print(f"{'what':<{width}}  {'count':>11}")
    for name, value in table.items():
        print(f"{name:<{width}}  {value!s:>11}")
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
