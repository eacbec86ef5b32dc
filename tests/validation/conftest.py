"""Shared fixtures: the digits data, its inferred schema and two shared Great Expectations runs.

A GX run costs about a second per table, so the bad inputs are validated together in one session-scoped
call (one table per defect) and every test reads its own table from that result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from prunegate.validation import DataSchema, dump_schema, infer_schema, load_schema, validate_tables

TARGET = "target"
SPLIT_SEED = 0
EVAL_FRACTION = 0.3


@pytest.fixture(scope="session")
def digits() -> pd.DataFrame:
    """The 1797 x 65 digits table: ``pixel_0_0`` .. ``pixel_7_7`` (0..16) and ``target`` (0..9)."""
    return load_digits(as_frame=True).frame


@pytest.fixture(scope="session")
def digits_splits(digits: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Raw table plus stratified train/val/test splits (70/15/15)."""
    train, rest = train_test_split(
        digits, test_size=EVAL_FRACTION, random_state=SPLIT_SEED, stratify=digits[TARGET]
    )
    val, test = train_test_split(rest, test_size=0.5, random_state=SPLIT_SEED, stratify=rest[TARGET])
    return {"raw": digits, "train": train, "val": val, "test": test}


@pytest.fixture(scope="session")
def schema(digits: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> DataSchema:
    """The schema inferred from digits, after a round trip through YAML."""
    path = tmp_path_factory.mktemp("schema") / "data_schema.yml"
    return load_schema(dump_schema(infer_schema(digits, TARGET), path))


@pytest.fixture(scope="session")
def clean_result(digits_splits: dict[str, pd.DataFrame], schema: DataSchema) -> dict[str, Any]:
    """Validation of the clean raw table and its three splits."""
    return validate_tables(digits_splits, schema)


def _with(df: pd.DataFrame, column: str, rows: list[int], values: list[Any]) -> pd.DataFrame:
    """A copy of ``df`` with ``values`` written into ``column`` at positional ``rows``."""
    bad = df.copy()
    if any(isinstance(value, str) for value in values):
        bad[column] = bad[column].astype(object)
    for row, value in zip(rows, values, strict=True):
        bad.iloc[row, bad.columns.get_loc(column)] = value
    return bad


def bad_tables(digits: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One table per defect; each is digits with a single thing wrong (table names are splits but
    ``raw``, which gets the raw row-count bounds)."""
    floats = digits.astype({"pixel_2_2": float, "pixel_4_4": float})
    return {
        "nulls": _with(floats, "pixel_4_4", [3, 10, 20], [np.nan, np.nan, np.nan]),
        "string": _with(digits, "pixel_3_4", [7], ["seven"]),
        "missing_column": digits.drop(columns=["pixel_3_3"]),
        "unknown_label": _with(digits, TARGET, [0], [42]),
        "out_of_range": _with(digits, "pixel_2_5", [1, 2], [99, -1]),
        "infinity": _with(floats, "pixel_2_2", [4, 5], [np.inf, -np.inf]),
        "single_class": digits[digits[TARGET] == 3],
        "raw": digits.groupby(TARGET).head(10),  # 100 rows, balanced, below row_count.min
        "tiny_split": digits.groupby(TARGET).head(1).head(5),
        "reordered": digits[list(reversed(digits.columns))],
        "extra_column": digits.assign(row_id=np.arange(len(digits))),
    }


@pytest.fixture(scope="session")
def bad_inputs(digits: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The defective tables, by name."""
    return bad_tables(digits)


@pytest.fixture(scope="session")
def bad_result(bad_inputs: dict[str, pd.DataFrame], schema: DataSchema) -> dict[str, Any]:
    """One validation run over every defective table."""
    return validate_tables(bad_inputs, schema)


@pytest.fixture()
def write_yaml(tmp_path: Path):
    """Write a YAML text to a temporary file and return its path."""

    def _write(text: str, name: str = "schema.yml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write
