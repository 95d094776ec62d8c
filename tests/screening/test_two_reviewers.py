"""A full double-screened stage 1 in the terminal: two reviewers, conflicts, resolution, kappa."""

from __future__ import annotations

from click.testing import CliRunner

from db.decisions import decision_trail
from db.status import stage_outcomes
from evidensbase.cli import main
from screening.agreement import agreement, cohen_kappa

INCLUDE = "i\n\n"  # key, then an empty note
EXCLUDE = "e\n6\n\n"  # key, criterion 6 (not_relevant), empty note


def _screen(db_path, reviewer, keys):
    return CliRunner().invoke(
        main,
        ["screen", "--db", str(db_path), "--stage", "1", "--reviewer", reviewer, "--double"],
        input=keys,
    )


def test_two_reviewers_conflict_resolution_and_kappa(built_db, db, add_work):
    # Titles without protocol terms: every work scores 0 and the queue runs in id order.
    ids = [add_work(f"synthetic_w{n}", title=f"Untitled record number {n}") for n in range(1, 7)]
    db.close()

    # Anna: include w1-w3, exclude w4-w6; she stops after two and resumes later.
    first = _screen(built_db, "Anna", INCLUDE * 2 + "q\n")
    assert first.exit_code == 0, first.output
    assert "Session ended: 2 decided" in first.output
    resumed = _screen(built_db, "Anna", INCLUDE + EXCLUDE * 3)
    assert resumed.exit_code == 0, resumed.output
    # resuming starts at w3: the two already decided are not shown again
    assert "synthetic_w1" not in resumed.output
    assert resumed.output.index("synthetic_w3") < resumed.output.index("synthetic_w4")
    # the criteria are on screen
    assert "not_relevant: Not relevant on title and abstract" in resumed.output

    # Bjørn sees his own full queue (Anna's decisions do not remove works from it).
    second = _screen(built_db, "Bjørn", INCLUDE * 2 + EXCLUDE * 3 + INCLUDE)
    assert second.exit_code == 0, second.output
    assert "6 left in your queue" in second.output
    assert "Session ended: 6 decided" in second.output

    conflicts = CliRunner().invoke(main, ["conflicts", "--db", str(built_db), "--stage", "1"])
    assert conflicts.exit_code == 0, conflicts.output
    assert "synthetic_w3" in conflicts.output and "synthetic_w6" in conflicts.output
    assert "[Anna: include, Bjørn: exclude]" in conflicts.output
    assert "2 unresolved conflict(s) at stage 1." in conflicts.output

    # Kappa by hand. Anna: I I I E E E; Bjørn: I I E E E I.
    # Agreement on w1, w2, w4, w5: p_o = 4/6. Each says include 3 times and exclude 3 times:
    # p_e = (3*3 + 3*3) / 36 = 0.5. kappa = (4/6 - 0.5) / (1 - 0.5) = 1/3.
    agreement_out = CliRunner().invoke(main, ["agreement", "--db", str(built_db), "--stage", "1"])
    assert "Anna × Bjørn: 6 works, agreement 66.7%, kappa 0.333" in agreement_out.output

    runner = CliRunner()
    for key, decision, extra in (
        ("synthetic_w3", "include", []),
        ("synthetic_w6", "exclude", ["--criterion", "not_relevant"]),
    ):
        result = runner.invoke(
            main,
            ["resolve", "--db", str(built_db), "--stage", "1", key, decision,
             "--reviewer", "Cecilie", *extra],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    after = runner.invoke(main, ["conflicts", "--db", str(built_db), "--stage", "1"])
    assert "0 unresolved conflict(s) at stage 1." in after.output

    from db.database import open_db

    reopened = open_db(built_db)
    outcomes = stage_outcomes(reopened, 1)
    assert [outcomes[i] for i in ids] == [
        "include", "include", "include", "exclude", "exclude", "exclude",
    ]  # fmt: skip
    trail = [(d.reviewer, d.role, d.decision) for d in decision_trail(reopened, ids[2])]
    assert trail == [
        ("Anna", "screen", "include"),
        ("Bjørn", "screen", "exclude"),
        ("Cecilie", "resolve", "include"),
    ]
    # the resolver is not counted as a third rater in the agreement figures
    pairs = agreement(reopened, 1)
    assert [(p.first, p.second, p.works) for p in pairs] == [("Anna", "Bjørn", 6)]
    # every work has had its two independent screenings: a third person has nothing left to do
    late = _screen(built_db, "Dag", "")
    assert late.exit_code == 0, late.output
    assert "Nothing left for Dag at stage 1." in late.output


def test_kappa_matches_a_textbook_example():
    # 2x2 table: both yes 20, A yes/B no 5, A no/B yes 10, both no 15 (n = 50).
    # p_o = 35/50 = 0.7; p_e = (25*30 + 25*20) / 2500 = 0.5; kappa = 0.2 / 0.5 = 0.4.
    first = ["yes"] * 25 + ["no"] * 25
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert round(cohen_kappa(first, second) or 0, 6) == 0.4


def test_resolving_a_work_without_conflict_is_refused(built_db, db, add_work):
    add_work("synthetic_calm", title="Untitled")
    db.close()
    result = CliRunner().invoke(
        main,
        ["resolve", "--db", str(built_db), "--stage", "1", "synthetic_calm", "include",
         "--reviewer", "Cecilie"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "has no unresolved conflict at stage 1" in result.output
