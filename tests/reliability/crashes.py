"""Crash trials (issue 15, part 5): ``kill -9`` of a real ``evidensbase`` process mid-command.

Each *kind* is one command as a user runs it (the venv's ``evidensbase`` script, in a working
directory of its own, ``--db evidensbase.db``): a harvest from a local Primo replay server, a
RIS import of a large synthetic file, dedupe, the screening writes (``decide``,
``import-decisions``, ``resolve``), ``build`` of a new database, ``export -o`` and
``export-decisions -o``. For each kind the command is first run uninterrupted on a copy of its
starting state (the *reference*); then, per kill, on a fresh copy: started, SIGKILLed at a random
moment between the end of the interpreter's start-up and the reference run's duration, checked,
and run again to the end. After each kill:

- ``PRAGMA integrity_check`` answers ``ok``;
- an output file (``-o``) is either absent or byte for byte the reference run's (atomic writes:
  never a truncated file under the real name);
- the rerun of the same command (for ``decide`` and ``resolve``: when the decision is not in the
  trail yet, see ``ONE_SHOT``) reaches the reference state: every row of every table (timestamps
  ``*_at`` and the hits' row ids aside, see ``ROW_IDS``; the working directory's path written as
  ``<dir>``) is the reference's, and
  the output file is the reference's. "Decisions lost" counts reference decision rows missing.

Inputs made here (none recorded, none real):

- ``synthetic_crash_import.ris``: ``n`` RIS records written with rispy, titles "Synthetic crash
  record <i>: career guidance for newcomers", one author each, years 2016–2022, a synthetic DOI
  ``10.5555/synthetic.<i>``; every fifth record repeats an earlier one's DOI with its title in
  upper case, so dedupe has duplicates to merge.
- ``synthetic_crash_decisions.csv``: one stage-1 decision per harvested work (include or maybe,
  reviewer ``synthetic-reviewer``, fixed time ``2026-01-01T00:00:00Z``).
- the conflict ``resolve`` settles: two synthetic reviewers disagree at stage 1 on one work.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OTTER = (
    ROOT.parent
    / "shared"
    / "fixtures"
    / "primo"
    / "tulibraries_tul_cob__articles_search_response.json"
)
EN_SEARCH = "oria-en-career-guidance-refugee"
DB = "evidensbase.db"
KINDS = (
    "harvest", "import", "dedupe", "decide", "import-decisions", "resolve", "build", "export",
    "export-decisions",
)  # fmt: skip
OUTPUTS = {"export": "works.ris", "export-decisions": "decisions.csv"}
REVIEWER = "synthetic-reviewer"
# Commands that append one decision: run again after they committed, each appends another (as
# it should: a person may decide twice). A user who sees the kill looks at the trail first; so
# does the trial, and runs the command again only when the decision is not there.
ONE_SHOT = {"decide", "resolve"}
# Row ids that say only in which order rows were stored: a crawl stores its pages as they
# arrive, so two clean harvests can number the same hits differently (``rank`` keeps the order).
ROW_IDS = {("hits", "id")}


def command() -> list[str]:
    """``evidensbase`` as installed in this interpreter's venv (the script a user runs)."""
    script = Path(sys.executable).parent / "evidensbase"
    return [str(script)] if script.exists() else [sys.executable, "-m", "evidensbase"]


def synthetic_ris(path: Path, n: int) -> None:
    """The synthetic RIS file described in the module docstring."""
    import rispy

    records = []
    for i in range(n):
        source = i - 3 if i % 5 == 4 else i  # every fifth repeats an earlier record
        title = f"Synthetic crash record {source}: career guidance for newcomers"
        records.append(
            {
                "type_of_reference": "RPRT",
                "title": title.upper() if source != i else title,
                "authors": [f"Syntheticson, Kari {source}"],
                "year": str(2016 + source % 7),
                "doi": f"10.5555/synthetic.{source}",
                "abstract": f"Synthetic abstract {source} about career guidance for refugees.",
            }
        )
    path.write_text(rispy.dumps(records), encoding="utf-8")


def _cli(*args: str) -> None:
    """Set-up runs of the command in this process (not what is killed: only faster)."""
    from click.testing import CliRunner

    from evidensbase.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output


@dataclass
class Kind:
    name: str
    start: Path  # the working directory to copy (empty for build: no database yet)
    argv: list[str]
    output: str | None = None


@dataclass
class Outcome:
    kind: str
    delay: float
    killed: bool  # False: the command ended before the kill
    integrity: str = "ok"
    partial_output: bool = False
    stale_temporaries: int = 0  # left after the rerun
    rerun_exit: int = 0
    mismatched_tables: list[str] = field(default_factory=list)
    decisions_lost: int = 0
    committed: bool = False  # a one-shot command had committed before it was killed


def state(workdir: Path, output: str | None) -> dict[str, Any]:
    """Every table's rows as ``((column, value), ...)`` (``*_at`` columns left out, the path as
    ``<dir>``), sorted; ``"<output>"``: the output file's bytes (None when there is none)."""
    found: dict[str, Any] = {}
    db = workdir / DB
    if db.exists():
        conn = sqlite3.connect(db)
        try:
            tables = [
                name
                for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE"
                    " 'sqlite_%' AND name NOT LIKE 'works_fts_%' ORDER BY name"
                )
            ]
            for table in tables:
                columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
                kept = [c for c in columns if not c.endswith("_at") and (table, c) not in ROW_IDS]
                select = ", ".join(f'"{c}"' for c in kept)
                rows = conn.execute(f'SELECT {select} FROM "{table}"').fetchall()
                found[table] = sorted(
                    (
                        tuple((c, _portable(v, workdir)) for c, v in zip(kept, row, strict=True))
                        for row in rows
                    ),
                    key=repr,
                )
        finally:
            conn.close()
    if output:
        target = workdir / output
        found["<output>"] = target.read_bytes().replace(str(workdir).encode(), b"<dir>") if (
            target.exists()
        ) else None  # fmt: skip
    return found


def _portable(value: Any, workdir: Path) -> Any:
    return value.replace(str(workdir), "<dir>") if isinstance(value, str) else value


def integrity(db: Path) -> str:
    if not db.exists():
        return "ok"  # build killed before it made the file: nothing to check
    conn = sqlite3.connect(db)
    try:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def run(workdir: Path, argv: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENSBASE_")}
    return subprocess.run(
        [*command(), *argv], cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env
    )


@contextmanager
def replay_server(total: int, delay: float) -> Iterator[str]:
    from harvest.replay import ReplayConfig, ReplayServer

    with ReplayServer(ReplayConfig(OTTER, total=total, delay=delay)) as server:
        # a killed crawl leaves a broken pipe to an answer on its way: not worth a traceback
        server.httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]
        yield server.url


class CrashBench:
    """Starting states for every kind, made once under ``root``; :meth:`trial` kills and checks.

    ``records`` sizes the synthetic RIS file (and so dedupe, the decisions file and the exports);
    ``pages`` the harvest (50 hits a page, ``page_delay`` s per answer from the replay server).
    """

    def __init__(self, root: Path, base_db: Path, records: int = 3000, pages: int = 6,
                 page_delay: float = 0.25, seed: int = 15, workers: int = 2) -> None:  # fmt: skip
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.workers = workers  # commands run side by side (the machine has 2 cores)
        self.random = random.Random(seed)
        self.kinds: dict[str, Kind] = {}
        self.references: dict[str, dict[str, Any]] = {}
        self.durations: dict[str, float] = {}
        self._server = replay_server(pages * 50, page_delay)
        self.url = self._server.__enter__()
        self.startup = self._startup_time()
        self._prepare(base_db, records)

    def close(self) -> None:
        self._server.__exit__(None, None, None)

    def _startup_time(self) -> float:
        started = time.monotonic()
        run(self.root, ["--version"])
        return time.monotonic() - started

    def _stage(self, name: str, source: Path | None) -> Path:
        path = self.root / "start" / name
        path.mkdir(parents=True)
        if source is not None:
            shutil.copyfile(source, path / DB)
        return path

    def _prepare(self, base_db: Path, records: int) -> None:
        built = self._stage("built", base_db)
        ris = built / "synthetic_crash_import.ris"
        synthetic_ris(ris, records)
        imported = self._stage("imported", built / DB)
        _cli("import", "--db", str(imported / DB), "--format", "ris", str(ris))
        deduped = self._stage("deduped", imported / DB)
        _cli("dedupe", "--db", str(deduped / DB))
        keys = self._harvested_keys(deduped / DB)
        csv_path = deduped / "synthetic_crash_decisions.csv"
        lines = ["work_key,stage,decision,reviewer,decided_at"]
        lines += [
            f"{key},1,{'include' if n % 3 else 'maybe'},{REVIEWER},2026-01-01T00:00:00Z"
            for n, key in enumerate(keys)
        ]
        csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        decided = self._stage("decided", deduped / DB)
        _cli("import-decisions", "--db", str(decided / DB), str(csv_path))
        conflict = self._stage("conflict", decided / DB)
        disputed = keys[1]
        for reviewer, decision in (("synthetic-a", "include"), ("synthetic-b", "maybe")):
            _cli("decide", "--db", str(conflict / DB), disputed, decision, "--stage", "1",
                 "--reviewer", reviewer)  # fmt: skip
        shutil.copyfile(ris, imported / ris.name)
        harvest = ["harvest", "--db", DB, "--engine", "oria", "--search", EN_SEARCH,
                   "--base-url", self.url, "--delay", "0"]  # fmt: skip
        self.kinds = {
            "harvest": Kind("harvest", built, harvest),
            "import": Kind("import", built, ["import", "--db", DB, "--format", "ris", ris.name]),
            "dedupe": Kind("dedupe", imported, ["dedupe", "--db", DB]),
            "decide": Kind("decide", deduped, ["decide", "--db", DB, keys[0], "include",
                                               "--stage", "1", "--reviewer", REVIEWER]),
            "import-decisions": Kind("import-decisions", deduped,
                                     ["import-decisions", "--db", DB, csv_path.name]),
            "resolve": Kind("resolve", conflict, ["resolve", "--db", DB, disputed, "include",
                                                  "--stage", "1", "--reviewer", "synthetic-c"]),
            "build": Kind("build", self._stage("empty", None), ["build", "--db", DB]),
            "export": Kind("export", decided, ["export", "--db", DB, "-f", "ris", "--screening",
                                               "-o", OUTPUTS["export"]], OUTPUTS["export"]),
            "export-decisions": Kind("export-decisions", decided,
                                     ["export-decisions", "--db", DB, "-o",
                                      OUTPUTS["export-decisions"]], OUTPUTS["export-decisions"]),
        }  # fmt: skip
        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(self._reference, self.kinds))

    def _reference(self, name: str) -> None:
        kind = self.kinds[name]
        work = self._copy(kind, f"reference-{name}")
        started = time.monotonic()
        done = run(work, kind.argv)
        self.durations[name] = time.monotonic() - started
        assert done.returncode == 0, (name, done.stdout[-2000:], done.stderr[-2000:])
        self.references[name] = state(work, kind.output)
        shutil.rmtree(work)

    def trials(self, names: list[str], number: int = 0) -> list[Outcome]:
        """:meth:`trial` of each kind, ``workers`` at a time (each in its own directory)."""
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(lambda name: self.trial(name, number), names))

    @staticmethod
    def _harvested_keys(db: Path) -> list[str]:
        conn = sqlite3.connect(db)
        try:
            query = "SELECT key FROM works WHERE origin = 'harvest' ORDER BY id"
            return [key for (key,) in conn.execute(query)]
        finally:
            conn.close()

    def _copy(self, kind: Kind, name: str) -> Path:
        work = self.root / name
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(kind.start, work)
        return work

    def trial(self, name: str, number: int) -> Outcome:
        """One kill of ``name`` at a random moment, the checks, the rerun and the comparison.

        A command that ends before its kill is started again on a fresh copy with an earlier
        moment (three times at most); ``Outcome.killed`` says whether a kill landed."""
        kind = self.kinds[name]
        low = min(self.startup * 0.8, self.durations[name] * 0.5)
        high = self.durations[name]
        for _attempt in range(4):
            work = self._copy(kind, f"kill-{name}-{number}")
            delay = self.random.uniform(low, high)
            killed = self._kill(kind, work, delay)
            if killed:
                break
            high = delay * 0.7  # the machine is faster now than in the reference run
            low = min(low, high / 2)
        outcome = Outcome(name, delay, killed, integrity=integrity(work / DB))
        if kind.output:
            target = work / kind.output
            reference = self.references[name]["<output>"]
            outcome.partial_output = target.exists() and state(work, kind.output)[
                "<output>"
            ] != reference  # fmt: skip
        reference = self.references[name]
        if name in ONE_SHOT and state(work, kind.output) == reference:
            outcome.committed = True  # the decision was in before the kill: nothing to run again
        else:
            rerun = run(work, kind.argv)
            outcome.rerun_exit = rerun.returncode
        final = state(work, kind.output)
        if kind.output:  # a kill may leave a writer's temporary file; the rerun removes it
            outcome.stale_temporaries = len(list(work.glob(f".{kind.output}.*.tmp")))
        outcome.mismatched_tables = sorted(
            t for t in reference.keys() | final.keys() if reference.get(t) != final.get(t)
        )
        lost = set(reference.get("decisions", [])) - set(final.get("decisions", []))
        outcome.decisions_lost = len(lost)
        shutil.rmtree(work)
        return outcome

    @staticmethod
    def _kill(kind: Kind, work: Path, delay: float) -> bool:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENSBASE_")}
        process = subprocess.Popen(
            [*command(), *kind.argv], cwd=work, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            process.wait(timeout=delay)
            return False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return process.returncode == -signal.SIGKILL


def figures(outcomes: list[Outcome]) -> dict[str, int]:
    killed = [o for o in outcomes if o.killed]
    return {
        "kills": len(killed),
        "integrity failures": sum(o.integrity != "ok" for o in killed),
        "state mismatches": sum(bool(o.mismatched_tables) or o.rerun_exit != 0 for o in killed),
        "decisions lost": sum(o.decisions_lost for o in killed),
        "truncated outputs": sum(o.partial_output for o in killed),
    }
