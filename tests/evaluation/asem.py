"""Loading the COINr ASEM reference files (tests/evaluation/data, see SOURCE.md)."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import numpy as np

from govtrust.evaluation.pipeline import Dataset, Spec, dataset_from_rows, parse_spec

DATA = Path(__file__).parent / "data"


def read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def spec_mapping() -> dict:
    with (DATA / "asem-spec.toml").open("rb") as handle:
        return tomllib.load(handle)


def spec() -> Spec:
    return parse_spec(spec_mapping())


def merged_table() -> tuple[list[str], list[list[str]]]:
    """Indicator data joined with the denominators by unit, as an analyst's CSV would hold them."""
    with (DATA / "input_IndData.csv").open(encoding="utf-8", newline="") as handle:
        ind = list(csv.reader(handle))
    with (DATA / "input_Denominators.csv").open(encoding="utf-8", newline="") as handle:
        den = list(csv.reader(handle))
    den_cols = [k for k, name in enumerate(den[0]) if name.startswith("Den_")]
    by_unit = {row[0]: [row[k] for k in den_cols] for row in den[1:]}
    header = ind[0] + [den[0][k] for k in den_cols]
    return header, [row + by_unit[row[0]] for row in ind[1:]]


def write_merged_csv(path: Path) -> Path:
    header, rows = merged_table()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def dataset(s: Spec) -> Dataset:
    header, rows = merged_table()
    return dataset_from_rows(s, header, rows)


def stage(name: str, columns: list[str]) -> tuple[list[str], np.ndarray]:
    rows = read(f"stage_{name}.csv")
    values = np.array([[float(r[c]) if r[c] not in ("", "NA") else np.nan for c in columns] for r in rows])
    return [r["UnitCode"] for r in rows], values
