"""The scoring pipeline of the evaluation: pure numpy, no Django (so analysts and tests can run it alone).

Steps (each usable alone on a units × indicators array with NaN for missing values): `denominate`,
`impute`, `treat` (COINr's winsorisation rule with log fallback), `normalise`, weights, `score_tree`
(aggregation at every level) and `rank_desc`; `audit` functions; `monte_carlo` for rank intervals and Sobol
indices. `parse_spec` + `dataset_from_rows` + `run` chain them as a spec says (docs/evaluation.md).
"""

from .aggregate import (
    aggregate,
    borda,
    condorcet_winner,
    copeland,
    kemeny,
    kemeny_score,
    mean,
    outranking,
    rank_desc,
    score_tree,
)
from .audit import correlation, correlation_flags, cronbach_alpha, data_availability
from .errors import PipelineError
from .normalise import normalise
from .prepare import denominate, impute
from .run import Dataset, Result, dataset_from_rows, result_rows, run
from .spec import Spec, parse_spec
from .treat import Treatment, kurtosis, skewness, treat
from .tree import Tree, build_tree
from .uncertainty import UncertaintyResult, monte_carlo
from .weights import equal_weights, noisy_weights, pca_weights

__all__ = [
    "Dataset",
    "PipelineError",
    "Result",
    "Spec",
    "Treatment",
    "Tree",
    "UncertaintyResult",
    "aggregate",
    "borda",
    "build_tree",
    "condorcet_winner",
    "copeland",
    "correlation",
    "correlation_flags",
    "cronbach_alpha",
    "data_availability",
    "dataset_from_rows",
    "denominate",
    "equal_weights",
    "impute",
    "kemeny",
    "kemeny_score",
    "kurtosis",
    "mean",
    "monte_carlo",
    "noisy_weights",
    "normalise",
    "outranking",
    "parse_spec",
    "pca_weights",
    "rank_desc",
    "result_rows",
    "run",
    "score_tree",
    "skewness",
    "treat",
]
