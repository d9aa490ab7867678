"""The Handbook's exact aggregation examples (OECD/JRC 2008, pp. 108–111; data/handbook-examples.md)."""

from __future__ import annotations

import numpy as np

from govtrust.evaluation.pipeline import borda, condorcet_winner, kemeny, kemeny_score, outranking

# Condorcet's 60 voters: each voter group is a "criterion" weighted by its size; a higher value is a
# better place (2 first, 1 second, 0 third). Options a, b, c are the rows.
GROUPS = [(23, "abc"), (17, "bca"), (2, "bac"), (10, "cab"), (8, "cba")]
OPTIONS = "abc"


def profile(groups: list[tuple[int, str]], options: str) -> tuple[np.ndarray, np.ndarray]:
    values = np.zeros((len(options), len(groups)))
    for g, (_, order) in enumerate(groups):
        for place, option in enumerate(order):
            values[options.index(option), g] = len(order) - 1 - place
    return values, np.array([n for n, _ in groups], dtype=float)


def test_borda_counts_are_58_69_53_so_b_wins():
    values, weights = profile(GROUPS, OPTIONS)
    assert borda(values, weights).tolist() == [58, 69, 53]


def test_pairwise_majorities_form_a_cycle_so_there_is_no_condorcet_winner():
    values, weights = profile(GROUPS, OPTIONS)
    e = outranking(values, weights)
    a, b, c = 0, 1, 2
    assert (e[a, b], e[b, a]) == (33, 27)
    assert (e[b, c], e[c, b]) == (42, 18)
    assert (e[c, a], e[a, c]) == (35, 25)
    assert condorcet_winner(values, weights) is None


def test_kemeny_scores_of_all_six_rankings_and_bca_wins_with_104():
    values, weights = profile(GROUPS, OPTIONS)
    e = outranking(values, weights)
    expected = {"abc": 100, "acb": 76, "bac": 94, "bca": 104, "cab": 86, "cba": 80}
    for order, score in expected.items():
        assert kemeny_score(e, [OPTIONS.index(o) for o in order]) == score
    best, score = kemeny(values, weights)
    assert ["".join(OPTIONS[i] for i in order) for order in best] == ["bca"]
    assert score == 104


def test_a_condorcet_winner_is_found_when_one_exists():
    values, weights = profile([(3, "abc"), (2, "bac")], OPTIONS)
    assert condorcet_winner(values, weights) == 0


def test_fishburns_example_borda_reverses_its_ranking_when_the_last_option_is_dropped():
    # 7 voters: 3 × c>b>a>d, 2 × b>a>d>c, 2 × a>d>c>b → Borda a 13, b 12, c 11, d 6; without d: a 6, b 7, c 8.
    groups = [(3, "cbad"), (2, "badc"), (2, "adcb")]
    values, weights = profile(groups, "abcd")
    assert borda(values, weights).tolist() == [13, 12, 11, 6]
    without_d = [(n, order.replace("d", "")) for n, order in groups]
    values, weights = profile(without_d, "abc")
    assert borda(values, weights).tolist() == [6, 7, 8]
