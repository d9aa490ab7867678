"""Accuracy on the frozen labelled set (tests/screening/data/pairs.csv, committed before tuning).

A pair counts as matched when the matcher, holding only name_a, screens name_b as review or intercept.
"""

from __future__ import annotations

import csv
from pathlib import Path

from govtrust.screening.matching import Entry, Matcher, Query, load_rules

PAIRS = Path(__file__).parent / "data" / "pairs.csv"


def _confusion(rows: list[dict[str, str]]) -> tuple[int, int, int, int]:
    rules = load_rules()
    tp = fn = fp = tn = 0
    for row in rows:
        m = Matcher([Entry(1, "T", "organisation", row["name_a"])], rules=rules)
        predicted = m.check(Query(name=row["name_b"])).decision != "pass"
        if row["label"] == "1":
            tp, fn = tp + predicted, fn + (not predicted)
        else:
            fp, tn = fp + predicted, tn + (not predicted)
    return tp, fn, fp, tn


def _rows() -> list[dict[str, str]]:
    with open(PAIRS, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_labelled_set_is_large_enough_and_mostly_hand_written():
    rows = _rows()
    assert len(rows) >= 1000
    assert sum(r["source"] == "hand" for r in rows) >= 0.3 * len(rows)


def test_recall_on_true_variants_is_at_least_98_percent_and_false_positives_at_most_1_percent():
    tp, fn, fp, tn = _confusion(_rows())
    assert tp / (tp + fn) >= 0.98
    assert fp / (fp + tn) <= 0.01


def test_the_hand_written_pairs_alone_meet_the_same_bar():
    tp, fn, fp, tn = _confusion([r for r in _rows() if r["source"] == "hand"])
    assert tp / (tp + fn) >= 0.98
    assert fp / (fp + tn) <= 0.01
