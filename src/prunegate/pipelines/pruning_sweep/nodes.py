"""Nodes of the pruning sweep."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from prunegate.params import SweepParams, parse_params
from prunegate.params.sweep import expand_sweep
from prunegate.pipelines.pruning.nodes import prune_dense_model
from prunegate.reporting.figures import accuracy_plot
from prunegate.reporting.intervals import wilson_interval

logger = logging.getLogger(__name__)

_COLUMNS = [
    "method",
    "reduction",
    "accuracy",
    "accuracy_low",
    "accuracy_high",
    "within_noise_of_dense",
    "f1_macro",
    "params_removed",
    "nonzero_params",
    "macs",
]


def sweep_pruning(
    dense_model,
    train_table: pd.DataFrame,
    val_table: pd.DataFrame,
    test_table: pd.DataFrame,
    validated_splits: dict[str, Any],
    dense_metrics: dict[str, Any],
    sweep_params: dict[str, Any],
    pruning_params: dict[str, Any],
    training_params: dict[str, Any],
    ingestion_params: dict[str, Any],
    profiling_params: dict[str, Any],
) -> tuple[pd.DataFrame, Figure, Figure]:
    """Run every method of the sweep at every reduction, each exactly as the pruning pipeline would.

    Every configuration is validated before the first one runs.

    Returns:
        The table (one row per run; DVC plots draw it one line per method) and the
        accuracy-vs-parameters-removed and accuracy-vs-MACs figures.
    """
    runs = expand_sweep(parse_params(SweepParams, sweep_params, "pruning_sweep"), pruning_params)
    rows = []
    for name, config in runs:
        _, metrics, _ = prune_dense_model(
            dense_model,
            train_table,
            val_table,
            test_table,
            validated_splits,
            config.model_dump(mode="json"),
            training_params,
            ingestion_params,
            profiling_params,
        )
        removed = 1 - metrics["nonzero_params"] / dense_metrics["params"]
        low, high = wilson_interval(metrics["accuracy"], metrics["test_rows"])
        rows.append(
            {
                "method": name,
                "reduction": config.reduction,
                "params_removed": removed,
                "accuracy_low": low,
                "accuracy_high": high,
                # the dense accuracy inside this run's 95% interval: the difference is not resolved
                "within_noise_of_dense": bool(low <= dense_metrics["accuracy"] <= high),
                **metrics,
            }
        )
        logger.info("sweep %s at %.3f: accuracy %.4f", name, config.reduction, metrics["accuracy"])
    table = pd.DataFrame(rows)[_COLUMNS]
    dense_accuracy = dense_metrics["accuracy"]
    dense_band = wilson_interval(dense_accuracy, dense_metrics["test_rows"])
    return (
        table,
        accuracy_plot(table, "params_removed", "fraction of parameters removed", dense_accuracy, dense_band),
        accuracy_plot(table, "macs", "MACs per sample (log)", dense_accuracy, dense_band, log_x=True),
    )
