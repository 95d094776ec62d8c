"""Simulation metrics checked by hand, priors drawn as ASReview draws them, and the CLI.

synthetic_review.csv (written by each test into its temporary folder): columns title, abstract,
label_included; 60 records, 6 relevant ("career guidance for refugees ...") and 54 irrelevant
("fish farming ...").
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from evidensbase.cli import main
from screening.simulate import draw_priors, metrics


def test_metrics_by_hand():
    # 20 records, 5 relevant. Screening order puts relevant at positions 1, 2, 4, 8, 15.
    labels = np.zeros(20, dtype=int)
    order = list(range(20))
    for position in (1, 2, 4, 8, 15):
        labels[order[position - 1]] = 1
    m = metrics(labels, order)
    # 95 % of 5 -> ceil(4.75) = 5 relevant needed: reached at position 15, so 15/20 screened
    assert m.screened95 == 0.75
    # WSS@95 = (20 - 15) / 20 - 0.05 = 0.20
    assert round(m.wss95, 10) == 0.20
    # 10 % of 20 = 2 records screened: 2 of 5 relevant found
    assert m.recall10 == 0.4


def test_priors_are_asreviews():
    labels = np.array([0, 1, 0, 0, 1, 0, 1, 0])
    included, excluded = draw_priors(labels, 1)
    # asreview/simulation/cli.py draws each with a fresh check_random_state(prior_seed):
    # r.choice(included_idx, 1, replace=False), then the same for the excluded indices
    assert included == np.random.RandomState(1).choice([1, 4, 6], 1, replace=False)[0]
    assert excluded == np.random.RandomState(1).choice([0, 2, 3, 5, 7], 1, replace=False)[0]


def _write_synthetic(path: Path) -> Path:
    rows = []
    for n in range(60):
        relevant = n % 10 == 3
        if relevant:
            title = f"Career guidance for refugees and newcomers, study {n}"
            abstract = "Counsellors guide newly arrived refugees towards work and education."
        else:
            title = f"Fish farming and aquaculture economics, report {n}"
            abstract = "Salmon prices, feed costs and fjord ecology in coastal regions."
        rows.append({"title": title, "abstract": abstract, "label_included": int(relevant)})
    target = path / "synthetic_review.csv"
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["title", "abstract", "label_included"])
        writer.writeheader()
        writer.writerows(rows)
    return target


def test_simulate_command_finds_the_obvious_ones_first(tmp_path):
    data = _write_synthetic(tmp_path)
    result = CliRunner().invoke(main, ["simulate", str(data), "--seeds", "1,2"])
    assert result.exit_code == 0, result.output
    assert "synthetic_review: 60 records, 6 relevant" in result.output
    # after the 2 priors, 58 records remain with 5 relevant; a separable set finds all 5 first:
    # screened 5/58 = 8.6 %, WSS@95 = 53/58 - 0.05 = 0.864, recall@10 % (6 records) = 100 %
    assert "median: WSS@95 0.864  screened@95 8.6%  recall@10% 100.0%" in result.output


def test_simulate_reports_where_each_stopping_rule_stops(tmp_path):
    data = _write_synthetic(tmp_path)
    result = CliRunner().invoke(main, ["simulate", str(data), "--seeds", "1,2"])
    assert result.exit_code == 0, result.output
    # The two priors and the next five picks are the 6 relevant records: all found at 7 screened
    # (priors counted here). Heuristic: 50 irrelevant in a row at 7 + 50 = 57, saving 3 of 60.
    # buscar: 6 found, recall < 95 % needs 1 more (6 / 0.95 = 6.3); after t screened the t - 7
    # irrelevant miss it among 60 - 7 = 53 records with P = (60 - t) / 53, first below 0.05 at
    # t = 58 (2 / 53 = 0.038; at 57, 3 / 53 = 0.057): saving 2 of 60 = 3.3 %. Knee: fewer than
    # 150 records, never; then every record is screened (recall 100 %, nothing saved).
    seed_lines = [line for line in result.output.splitlines() if line.startswith("    stops: ")]
    assert len(seed_lines) == 2
    for line in seed_lines:
        assert line.startswith("    stops: buscar at 58 (recall 100.0%, saved 3.3%); quantci ")
        assert line.endswith("; knee never; heuristic at 57 (recall 100.0%, saved 5.0%)")
    assert "  recall 95% met at the stop: buscar 2/2 (median saved 3.3%); quantci " in result.output
    assert "knee 2/2, 2 never stopped (median saved 0.0%); heuristic 2/2 (median saved 5.0%)" in (
        result.output
    )
    quiet = CliRunner().invoke(main, ["simulate", str(data), "--seeds", "1", "--no-stopping"])
    assert quiet.exit_code == 0 and "stops:" not in quiet.output
    assert "median: WSS@95 0.864" in quiet.output


def test_simulate_reports_a_bad_label_with_its_line(tmp_path):
    bad = tmp_path / "synthetic_bad.csv"
    bad.write_text("title,abstract,label_included\nA,x,1\nB,y,yes\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["simulate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:3: label_included must be 0 or 1, found 'yes'" in result.output


def test_simulate_model_uses_elas_u4_word_features():
    # `simulate` ranks with the word block alone: TF-IDF of word 1-2-grams with sublinear tf and
    # max_df 0.95, the feature_extractor_param of ELAS u4 in asreview/models/models.py (3.0.8).
    # The title passed in must not add a block of its own.
    from sklearn.feature_extraction.text import TfidfVectorizer

    from screening.ranking import extract_features

    texts = [
        "career guidance for refugees",
        "guidance counsellors and newcomers",
        "salmon farming economics",
        "refugees in salmon farming",
    ]
    features = extract_features(texts, ["Career", "Guidance", "Salmon", "Refugees"])
    expected = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_df=0.95)
    matrix = expected.fit_transform(texts)
    assert features.matrix.shape == matrix.shape
    assert abs(features.matrix - matrix).max() < 1e-12
    assert "career guidance" in list(features.word_vocabulary)
