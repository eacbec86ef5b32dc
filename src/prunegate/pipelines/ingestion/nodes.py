"""Nodes of the ingestion pipeline."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from prunegate.data.own_data import columns_hint
from prunegate.data.splitting import split_table
from prunegate.params import ConfigError, IngestionParams

logger = logging.getLogger(__name__)


def append_feedback(raw_table: pd.DataFrame, feedback_table: pd.DataFrame) -> pd.DataFrame:
    """The raw table plus labelled feedback from served traffic (written by ``prunegate monitor``).

    Args:
        raw_table: The original data.
        feedback_table: Rows with the same columns, or an empty table when there is no feedback yet.
    """
    if feedback_table.empty:
        return raw_table
    missing = sorted(set(raw_table.columns) - set(feedback_table.columns))
    if missing:
        raise ValueError(f"feedback rows lack the columns {missing[:5]} of the raw table")
    logger.info("adding %d labelled feedback row(s) to %d raw rows", len(feedback_table), len(raw_table))
    return pd.concat([raw_table, feedback_table[list(raw_table.columns)]], ignore_index=True)


def _check_target_column(raw_table: pd.DataFrame, target: str) -> None:
    """A target column that is not in the file is a configuration mistake: say so, with close names."""
    if target not in raw_table.columns:
        raise ConfigError(
            f"ingestion.target_column: {target!r} is not a column of the raw data; "
            f"{columns_hint(target, [str(column) for column in raw_table.columns])}. Set it in "
            "conf/base/parameters_ingestion.yml, or use `prunegate data use`"
        )


def split_raw_table(
    raw_table: pd.DataFrame, config: IngestionParams
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Split the raw table into train/val/test and report (or refuse) rows duplicated across splits.

    Args:
        raw_table: The table as read from ``data/01_raw``; its content is checked later, by validation.
        config: ``params:ingestion``.

    Returns:
        The train, val and test tables (all columns kept) and the leakage report.
    """
    _check_target_column(raw_table, config.target_column)
    result = split_table(
        raw_table,
        target_column=config.target_column,
        feature_columns=config.feature_columns,
        val_fraction=config.split.val,
        test_fraction=config.split.test,
        seed=config.seed,
        stratify=config.stratify,
        on_leakage=config.on_leakage,
    )
    logger.info(
        "split %d rows into train %d / val %d / test %d (%d leaked rows dropped)",
        len(raw_table),
        len(result.train),
        len(result.val),
        len(result.test),
        result.report["dropped_rows"],
    )
    return result.train, result.val, result.test, result.report
