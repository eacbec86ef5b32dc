"""Seeded, stratified train/val/test split with a leakage check for duplicate rows across splits.

The split never fails on a readable table, whatever its content: a table that cannot be stratified
(a missing target, a class too small) is split without stratification and a warning, so the data
validation that follows can name every problem at once instead of the split crashing on the first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

__all__ = ["DataLeakageError", "SplitResult", "find_cross_split_duplicates", "split_table"]

logger = logging.getLogger(__name__)

_EXAMPLES_IN_REPORT = 5


class DataLeakageError(ValueError):
    """Identical feature rows landed in more than one split and the policy says to fail."""


@dataclass
class SplitResult:
    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    report: dict[str, Any]


def _stratified_split(
    frame: pd.DataFrame, fraction: float, seed: int, stratify_on: pd.Series | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split off ``fraction`` of ``frame``; stratified when possible, otherwise plain with a warning."""
    if stratify_on is not None:
        try:
            return train_test_split(frame, test_size=fraction, random_state=seed, stratify=stratify_on)
        except ValueError as error:
            logger.warning("cannot stratify the split (%s); splitting without stratification", error)
    return train_test_split(frame, test_size=fraction, random_state=seed)


def _row_keys(frame: pd.DataFrame, feature_columns: list[str]) -> pd.Series:
    """A hash per row of its feature values: equal rows (as inputs to the model) get equal keys."""
    return pd.util.hash_pandas_object(frame[feature_columns], index=False)


def find_cross_split_duplicates(
    earlier: list[pd.DataFrame], later: pd.DataFrame, feature_columns: list[str]
) -> pd.Series:
    """Boolean mask over ``later``: rows whose features equal a row of any ``earlier`` split."""
    seen = set()
    for frame in earlier:
        seen.update(_row_keys(frame, feature_columns).tolist())
    return _row_keys(later, feature_columns).isin(seen)


def split_table(
    frame: pd.DataFrame,
    *,
    target_column: str,
    feature_columns: list[str] | None,
    val_fraction: float,
    test_fraction: float,
    seed: int,
    stratify: bool,
    on_leakage: str,
) -> SplitResult:
    """Split ``frame`` into train/val/test and resolve rows duplicated across splits.

    Duplicates are judged on feature values only (the same input with any label leaks the answer).
    ``on_leakage="drop"`` removes the duplicate from the later split (val, then test) and reports it;
    ``"fail"`` raises :class:`DataLeakageError` naming the counts and a few row numbers.
    """
    features = feature_columns or [column for column in frame.columns if column != target_column]
    features = [column for column in features if column in frame.columns]
    labels = frame[target_column] if stratify and target_column in frame.columns else None
    if stratify and labels is None:
        logger.warning("target column %r is missing; splitting without stratification", target_column)

    rest, test = _stratified_split(frame, test_fraction, seed, labels)
    rest_labels = rest[target_column] if labels is not None else None
    train, val = _stratified_split(rest, val_fraction / (1.0 - test_fraction), seed, rest_labels)

    val_leaks = find_cross_split_duplicates([train], val, features)
    test_leaks = find_cross_split_duplicates([train, val], test, features)
    report: dict[str, Any] = {
        "policy": on_leakage,
        "rows": len(frame),
        "duplicate_rows_in_table": int(_row_keys(frame, features).duplicated().sum()) if features else 0,
        "val_rows_also_in_train": int(val_leaks.sum()),
        "test_rows_also_in_train_or_val": int(test_leaks.sum()),
        "example_rows": [int(i) for i in [*val.index[val_leaks], *test.index[test_leaks]]][
            :_EXAMPLES_IN_REPORT
        ],
    }
    leaked = report["val_rows_also_in_train"] + report["test_rows_also_in_train_or_val"]
    if leaked and on_leakage == "fail":
        raise DataLeakageError(
            f"{leaked} row(s) of val/test have the same features as a row of an earlier split "
            f"(val: {report['val_rows_also_in_train']}, test: {report['test_rows_also_in_train_or_val']}; "
            f"row numbers e.g. {report['example_rows']}); set ingestion.on_leakage: drop to remove them"
        )
    if leaked:
        logger.warning("dropping %d val/test row(s) that duplicate an earlier split", leaked)
        val, test = val[~val_leaks], test[~test_leaks]
    report.update(train_rows=len(train), val_rows=len(val), test_rows=len(test), dropped_rows=leaked)
    return SplitResult(
        train=train.reset_index(drop=True),
        val=val.reset_index(drop=True),
        test=test.reset_index(drop=True),
        report=report,
    )
