"""PRISMA 2020 flow: the report's totals on the embedded corpus, and a database's own flow."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from click.testing import CliRunner

from db.decisions import record_decision
from evidensbase.cli import main
from screening.flow import database_flow, flow_svg, format_flow
from screening.rules import apply_rules

SVG = "{http://www.w3.org/2000/svg}"


def test_flow_without_svg_writes_no_file(built_db, tmp_path, monkeypatch):
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    result = CliRunner().invoke(main, ["flow", "--db", str(built_db)])
    assert result.exit_code == 0, result.output
    assert "Studies included in review: 24" in result.output
    assert "Flow diagram written" not in result.output
    assert list(workdir.iterdir()) == []


def test_flow_on_embedded_corpus_gives_the_reports_totals(built_db, tmp_path):
    svg_path = tmp_path / "flow.svg"
    result = CliRunner().invoke(main, ["flow", "--db", str(built_db), "--svg", str(svg_path)])
    assert result.exit_code == 0, result.output
    # Table 3.1: 385 hits, 88 after stage 1, 37 after stage 2, 24 included
    assert "Records identified: 385" in result.output
    assert "Records screened (title and abstract): 385" in result.output
    assert "Records excluded: 297" in result.output
    assert "Reports assessed for eligibility (full text, quality): 88" in result.output
    assert "Relevant and of acceptable quality: 37" in result.output
    assert "Studies included in review: 24" in result.output
    # per row of Table 3.1: 190 nb, 112 sv, 15 da, 68 en
    assert "Google Scholar/Oria (nb): 190" in result.output
    assert "Oria (en): 68" in result.output
    # The report gives unique hits only: how many duplicates it removed is unknown, not zero.
    assert "Duplicate records removed: not reported" in result.output
    assert "Reports not retrieved: not reported" in result.output

    root = ET.parse(svg_path).getroot()  # valid XML, or this raises
    assert root.tag == f"{SVG}svg"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for line in (
        "Records identified (n = 385)",
        "Records screened (n = 385)",
        "Reports assessed for eligibility (n = 88)",
        "Relevant, acceptable quality (n = 37)",
        "Studies included in review (n = 24)",
        "Records excluded (n = 297)",
        "  Duplicates (not reported)",
    ):
        assert line in texts
    assert len(list(root.iter(f"{SVG}rect"))) == 11


def test_flow_view_reports_the_same_totals(db):
    rows = db.execute("SELECT stage, reported, evidensbase FROM flow ORDER BY step").fetchall()
    assert rows == [
        ("identified", 385, 0),
        ("stage1", 88, 0),
        ("stage2", 37, 0),
        ("included", 24, 0),
    ]


def test_database_flow_counts_rules_people_and_reasons(db, add_work):
    old = add_work("synthetic_old", year=2001)
    add_work("synthetic_dup_a", title="Twice", doi="10.9/x")
    dup = add_work("synthetic_dup_b", title="Twice", doi="10.9/x")
    ids = [add_work(f"synthetic_f{n}", title=f"Record {n}") for n in range(6)]
    apply_rules(db)
    for work in ids[:2]:
        record_decision(db, work, 1, "exclude", reviewer="Anna", criterion="not_relevant")
    for work in ids[2:]:
        record_decision(db, work, 1, "include", reviewer="Anna")
    record_decision(db, ids[2], 2, "exclude", reviewer="Anna", criterion="full_text_unavailable")
    record_decision(db, ids[3], 2, "exclude", reviewer="Anna", criterion="quality_not_acceptable")
    record_decision(db, ids[4], 2, "include", reviewer="Anna")
    record_decision(db, ids[5], 2, "include", reviewer="Anna")
    record_decision(db, ids[4], 3, "include", reviewer="Anna")
    record_decision(db, ids[5], 3, "exclude", reviewer="Anna", criterion="outside_scope")

    flow = database_flow(db)
    # 9 harvested works: one old (rule); 8 reach a person, of which two (synthetic_dup_a and _b:
    # dedupe, not a rule, decides whether they are one work) are still undecided
    assert flow.identified == {"works (no hits recorded)": 9}
    assert flow.duplicates_removed == 0
    assert flow.removed_by_rules == {"outside_period": 1}
    assert flow.screened == 8
    assert flow.notes == ["2 of 9 works await stage 1."]
    assert flow.excluded_screening == {"not_relevant": 2}
    assert flow.sought == 4
    assert flow.not_retrieved == 1
    assert flow.assessed == 3
    assert flow.excluded_full_text == {"quality_not_acceptable": 1}
    assert flow.after_full_text == 2
    assert flow.excluded_thorough == {"outside_scope": 1}
    assert flow.included == 1
    assert old and dup
    ET.fromstring(flow_svg(flow).split("\n", 1)[1])
    evidensbase_column = [r[0] for r in db.execute("SELECT evidensbase FROM flow ORDER BY step")]
    assert evidensbase_column == [9, 4, 2, 1]


def test_a_hit_that_found_a_corpus_work_again_is_a_record_identified(db, add_work):
    fresh = add_work("synthetic_new_2024", title="Ny rapport om veiledning", year=2020)
    corpus_work = db.execute("SELECT id FROM works WHERE key = 'lillevik2020'").fetchone()[0]
    run = db.execute(
        "INSERT INTO search_runs (engine, status, started_at) VALUES ('oria', 'complete', '2024')"
    ).lastrowid
    for n, work in enumerate((fresh, corpus_work, corpus_work)):
        db.execute(
            "INSERT INTO hits (run_id, engine, hit_key, raw, fetched_at, work_id)"
            " VALUES (?, 'oria', ?, '{}', '2024', ?)",
            [run, f"synthetic-{n}", work],
        )
    flow = database_flow(db)
    assert flow.identified == {"oria": 3}
    assert flow.duplicates_removed == 1  # two hits found Lillevik et al. 2020
    assert flow.earlier_review == 1
    assert flow.screened == 1
    assert "Records of works in the earlier review: 1" in format_flow(flow)
