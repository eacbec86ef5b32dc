"""Nodes of the pruning sweep."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from prunegate.fanout import fan_out
from prunegate.params import ProfilingParams, PruningParams, SweepParams, TrainingParams
from prunegate.params.sweep import expand_sweep
from prunegate.pipelines.model_inputs import ModelInputs
from prunegate.pipelines.pruning.nodes import prune_dense_model
from prunegate.reporting.figures import accuracy_plot
from prunegate.reporting.intervals import wilson_interval

logger = logging.getLogger(__name__)

_COLUMNS = [
    "method",
    "reduction",
    "seed",
    "accuracy",
    "accuracy_low",
    "accuracy_high",
    "within_noise_of_dense",
    "f1_macro",
    "params_removed",
    "nonzero_params",
    "macs",
]


def prune_sweep_cell(
    cell: tuple[str, PruningParams],
    dense_model,
    data: ModelInputs,
    dense_metrics: dict[str, Any],
    training: TrainingParams,
    profiling: ProfilingParams,
) -> dict[str, Any]:
    """One (method, reduction, seed) cell, exactly as the pruning pipeline would run it: its table row."""
    name, config = cell
    _, metrics, _ = prune_dense_model(dense_model, data, config, training, profiling)
    removed = 1 - metrics["nonzero_params"] / dense_metrics["params"]
    low, high = wilson_interval(metrics["accuracy"], metrics["test_rows"])
    return {
        "method": name,
        "reduction": config.reduction,
        "seed": config.seed,
        "params_removed": removed,
        "accuracy_low": low,
        "accuracy_high": high,
        # the dense accuracy inside this run's 95% interval: the difference is not resolved
        "within_noise_of_dense": bool(low <= dense_metrics["accuracy"] <= high),
        **metrics,
    }


def _over_seeds(table: pd.DataFrame) -> pd.DataFrame:
    """One point per method and reduction for the plots: the mean over seeds and the seeds' whole interval."""
    if table["seed"].nunique() == 1:
        return table
    grouped = table.groupby(["method", "reduction"], as_index=False)
    return grouped.agg(
        accuracy=("accuracy", "mean"),
        accuracy_low=("accuracy_low", "min"),
        accuracy_high=("accuracy_high", "max"),
        within_noise_of_dense=("within_noise_of_dense", "all"),
        params_removed=("params_removed", "mean"),
        macs=("macs", "mean"),
    )


def sweep_pruning(
    dense_model,
    data: ModelInputs,
    dense_metrics: dict[str, Any],
    sweep: SweepParams,
    pruning: PruningParams,
    training: TrainingParams,
    profiling: ProfilingParams,
) -> tuple[pd.DataFrame, Figure, Figure]:
    """Run every method of the sweep at every reduction and seed, each exactly as the pruning pipeline would.

    Every cell's configuration (``params:pruning`` with the method's overrides) is validated before the
    first one runs. Each cell is a task: in this process, on
    ``pruning_sweep.fanout.workers`` local Dask workers, or on the Dask cluster at its ``address``.

    Returns:
        The table (one row per cell; DVC plots draw it one line per method) and the
        accuracy-vs-parameters-removed and accuracy-vs-MACs figures (the mean over seeds, with the
        envelope of the seeds' 95 % intervals when there is more than one seed).
    """
    cells = expand_sweep(sweep, pruning.model_dump())  # the cells: the pipeline's recipe, overridden
    shared = {
        "dense_model": dense_model,
        "data": data,
        "dense_metrics": dense_metrics,
        "training": training,
        "profiling": profiling,
    }
    rows = fan_out(prune_sweep_cell, cells, sweep.fanout.settings(), shared)
    for row in rows:
        logger.info(
            "sweep %s at %.3f, seed %d: accuracy %.4f",
            row["method"],
            row["reduction"],
            row["seed"],
            row["accuracy"],
        )
    table = pd.DataFrame(rows)[_COLUMNS]
    plotted = _over_seeds(table)
    dense_accuracy = dense_metrics["accuracy"]
    dense_band = wilson_interval(dense_accuracy, dense_metrics["test_rows"])
    return (
        table,
        accuracy_plot(
            plotted, "params_removed", "fraction of parameters removed", dense_accuracy, dense_band
        ),
        accuracy_plot(plotted, "macs", "MACs per sample (log)", dense_accuracy, dense_band, log_x=True),
    )
