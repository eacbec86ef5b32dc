"""Shared by every node that trains: only splits that passed validation become tensors."""

from __future__ import annotations

from typing import Any

import pandas as pd

from prunegate.data.features import PreparedSplits, prepare_splits
from prunegate.data.tables import table_fingerprint
from prunegate.errors import UnvalidatedDataError
from prunegate.params import IngestionParams

__all__ = ["validated_splits_as_tensors"]


def validated_splits_as_tensors(
    train_table: pd.DataFrame,
    val_table: pd.DataFrame,
    test_table: pd.DataFrame,
    validated_splits: dict[str, Any],
    ingestion: IngestionParams,
) -> PreparedSplits:
    """Tensors of the splits, after checking they are exactly the ones validation certified.

    Raises:
        UnvalidatedDataError: if validation failed or a split changed since it was validated.
    """
    if not validated_splits.get("passed"):
        raise UnvalidatedDataError("the splits did not pass data validation; run `kedro run -p validation`")
    tables = {"train": train_table, "val": val_table, "test": test_table}
    for name, table in tables.items():
        if validated_splits.get("fingerprints", {}).get(name) != table_fingerprint(table):
            raise UnvalidatedDataError(
                f"the {name} split changed since it was validated; run `kedro run -p validation` first"
            )
    return prepare_splits(
        train_table, val_table, test_table, ingestion.target_column, ingestion.feature_columns
    )
