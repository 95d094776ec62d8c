"""The ranking across Nordic languages: labels in one language, relevant records of all five first.

Data: tests/data/synthetic_nordic_screening.csv (synthetic, see its README: records written for
these tests in bokmål, nynorsk, Swedish, Danish and English, about career guidance for newcomers
and about unrelated topics; no real bibliographic facts) and the real embedded corpus (the 24
coded works of db/corpus/), set against the synthetic unrelated records.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import sqlite_utils

from db.decisions import record_decision
from db.works import work_texts, work_titles
from screening.queue import rank_queue
from screening.ranking import (
    QUEUE_CHAR_WEIGHT,
    QUEUE_TITLE_WEIGHT,
    RelevanceModel,
    extract_features,
)
from tests.screening.conftest import insert_work

SYNTHETIC = Path(__file__).resolve().parent.parent / "data" / "synthetic_nordic_screening.csv"
LANGUAGES = ("nb", "nn", "sv", "da", "en")


def synthetic_records() -> list[dict[str, str]]:
    with SYNTHETIC.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_synthetic_set_has_relevant_and_unrelated_records_in_every_language():
    records = synthetic_records()
    for language in LANGUAGES:
        flags = [r["relevant"] for r in records if r["language"] == language]
        assert flags.count("1") >= 4 and flags.count("0") >= 4, language


def add_synthetic(db: sqlite_utils.Database, records: list[dict[str, str]]) -> dict[str, int]:
    return {
        r["id"]: insert_work(
            db,
            f"synthetic_nordic_{r['id']}",
            title=r["title"],
            abstract=r["abstract"],
            language=r["language"],
        )
        for r in records
    }


def test_live_queue_ranks_relevant_records_of_every_language_first_after_bokmal_labels(db):
    """The live queue's ranking (protocol concepts + the model on words, title and char n-grams),
    after three include and three exclude decisions on bokmål records only."""
    records = synthetic_records()
    ids = add_synthetic(db, records)
    for key in ("nb-r1", "nb-r2", "nb-r3"):
        record_decision(db, ids[key], 1, "include", reviewer="Anna")
    for key in ("nb-i1", "nb-i2", "nb-i3"):
        record_decision(db, ids[key], 1, "exclude", reviewer="Anna", criterion="not_relevant")
    labelled = {"nb-r1", "nb-r2", "nb-r3", "nb-i1", "nb-i2", "nb-i3"}
    rest = [r for r in records if r["id"] not in labelled]
    ranked = rank_queue(db, [ids[r["id"]] for r in rest])
    relevant = {ids[r["id"]] for r in rest if r["relevant"] == "1"}
    top = {item.work_id for item in ranked[: len(relevant)]}
    key_of = {v: k for k, v in ids.items()}
    assert top == relevant, sorted(key_of[w] for w in top - relevant)
    # every language is among the relevant records ranked first
    assert {key_of[w][:2] for w in top} == set(LANGUAGES)


def test_model_alone_carries_bokmal_labels_to_nynorsk_swedish_and_danish():
    """Without the protocol's terms: the queue's learned model (word + title + char n-gram
    features), trained on the bokmål records only, ranks every relevant nynorsk, Swedish and
    Danish record above every unrelated record of any language."""
    records = synthetic_records()
    texts = [f"{r['title']} {r['abstract']}" for r in records]
    features = extract_features(
        texts,
        [r["title"] for r in records],
        title_weight=QUEUE_TITLE_WEIGHT,
        char_weight=QUEUE_CHAR_WEIGHT,
    )
    train = [i for i, r in enumerate(records) if r["language"] == "nb"]
    labels = [int(records[i]["relevant"]) for i in train]
    scores = RelevanceModel().scores(features, train, labels)
    assert scores is not None
    unrelated = max(
        scores[i] for i, r in enumerate(records) if r["language"] != "nb" and r["relevant"] == "0"
    )
    for language in ("nn", "sv", "da"):
        relevant = [
            scores[i]
            for i, r in enumerate(records)
            if r["language"] == language and r["relevant"] == "1"
        ]
        assert min(relevant) > unrelated, language


def test_real_corpus_works_rank_above_unrelated_nordic_records_held_out(db):
    """Each of the 24 coded works, held out in turn, scores above every synthetic unrelated
    record under the queue's model trained on the other 23 and three unrelated bokmål records."""
    corpus = [int(r[0]) for r in db.execute("SELECT id FROM works WHERE origin = 'corpus'")]
    assert len(corpus) == 24
    # the text the queue's model reads: title, abstract, venue and the coded summaries
    all_texts, all_titles = work_texts(db), work_titles(db)
    rows = [(w, all_titles.get(w) or "", all_texts[w]) for w in corpus]
    unrelated = [r for r in synthetic_records() if r["relevant"] == "0"]
    texts = [text for _, _, text in rows] + [f"{r['title']} {r['abstract']}" for r in unrelated]
    titles = [title for _, title, _ in rows] + [r["title"] for r in unrelated]
    features = extract_features(
        texts, titles, title_weight=QUEUE_TITLE_WEIGHT, char_weight=QUEUE_CHAR_WEIGHT
    )
    negatives = [24 + i for i, r in enumerate(unrelated) if r["id"] in ("nb-i1", "nb-i2", "nb-i3")]
    tested = [24 + i for i, r in enumerate(unrelated) if r["id"] not in ("nb-i1", "nb-i2", "nb-i3")]
    for held_out in range(24):
        positives = [i for i in range(24) if i != held_out]
        scores = RelevanceModel().scores(
            features, positives + negatives, [1] * 23 + [0] * len(negatives)
        )
        assert scores is not None
        beaten = [unrelated[i - 24]["id"] for i in tested if scores[i] >= scores[held_out]]
        assert beaten == [], (rows[held_out][1], beaten)


def test_live_queue_ranks_the_corpus_above_unrelated_nordic_records(db):
    """The queue as a reviewer sees it: the 24 coded works (included) and the synthetic
    unrelated records, three of them excluded: the remaining unrelated ones come last."""
    unrelated = [r for r in synthetic_records() if r["relevant"] == "0"]
    ids = add_synthetic(db, unrelated)
    for key in ("nb-i1", "nb-i2", "nb-i3"):
        record_decision(db, ids[key], 1, "exclude", reviewer="Anna", criterion="not_relevant")
    corpus = [int(r[0]) for r in db.execute("SELECT id FROM works WHERE origin = 'corpus'")]
    others = [w for k, w in ids.items() if k not in ("nb-i1", "nb-i2", "nb-i3")]
    ranked = [item.work_id for item in rank_queue(db, corpus + others)]
    assert set(ranked[:24]) == set(corpus)
    assert np.all(np.isin(ranked[24:], others))
