"""One stage of the scale benchmark, run in its own process so its peak memory is its own.

``python -m benchmarks.scale_stages <stage> <folder>`` runs ``ingest``, ``validate``, ``train``
or ``drift`` on the synthetic table in ``<folder>`` (written by :mod:`benchmarks.scale`) with
the project's own code, and prints one JSON line: the seconds of the heavy imports (``import_s``) and of
the work after them (``work_s``).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DRIFT_WINDOW_ROWS", "EPOCHS", "INGESTION", "STAGES", "TARGET"]

TARGET = "target"
EPOCHS = 2  # training: a fixed number of epochs (no early stopping), so time is per row
DRIFT_WINDOW_ROWS = 100_000  # the logged traffic window of the drift check (issue 13's size)
DRIFT_SHARE = 0.3
INGESTION: dict[str, Any] = {
    "target_column": TARGET,
    "feature_columns": None,
    "input_shape": None,
    "split": {"train": 0.7, "val": 0.15, "test": 0.15},
    "seed": 42,
    "stratify": True,
    "on_leakage": "drop",
}
_SPLITS = ("train", "val", "test")


def _ingest(folder: Path) -> None:
    from prunegate.data.tables import read_table, write_table
    from prunegate.params.node_call import as_kedro_node
    from prunegate.pipelines.ingestion.nodes import split_raw_table

    raw = read_table(folder / "raw.parquet")
    *splits, _report = as_kedro_node(split_raw_table)(raw, INGESTION)
    for name, table in zip(_SPLITS, splits, strict=True):
        write_table(table, folder / f"{name}.parquet")


def _validate(folder: Path) -> None:
    from prunegate.data.tables import read_table
    from prunegate.validation.expectations import validate_tables
    from prunegate.validation.schema import load_schema

    schema = load_schema(folder / "schema.yml")
    tables = {name: read_table(folder / f"{name}.parquet") for name in ("raw", *_SPLITS)}
    result = validate_tables(tables, schema)
    if not result["success"]:
        raise SystemExit(f"validation failed on clean synthetic data: {json.dumps(result)[:2000]}")


def _train(folder: Path) -> None:
    import torch

    from prunegate.core.models import MLPSpec, build_model
    from prunegate.core.training import TrainConfig, fit_standardization, train_model
    from prunegate.data.features import prepare_splits
    from prunegate.data.tables import read_table

    torch.set_num_threads(1)
    tables = [read_table(folder / f"{name}.parquet") for name in _SPLITS]
    data = prepare_splits(*tables, TARGET, None)
    spec = MLPSpec(
        in_features=len(data.feature_names), num_classes=len(data.encoding.classes), hidden=(256, 128)
    )
    model = build_model(spec)
    fit_standardization(model, data.train[0])
    config = TrainConfig(epochs=EPOCHS, batch_size=256, patience=EPOCHS + 1, show_progress=False)
    train_model(model, data.train, data.val, config)


def _drift(folder: Path) -> dict[str, Any]:
    """The check as ``prunegate monitor`` runs it; returns the rows it compared and whether it sampled."""
    from benchmarks.common import load_parameters
    from prunegate.data.tables import read_table
    from prunegate.monitoring.drift import drift_report
    from prunegate.monitoring.traffic import read_prediction_log

    reference = read_table(folder / "train.parquet")
    features = [column for column in reference.columns if column != TARGET]
    window = read_prediction_log(folder / "log", window_rows=None, window_minutes=None)  # the whole log
    result = drift_report(
        reference,
        window,
        features,
        drift_share=DRIFT_SHARE,
        reference_prediction=reference[TARGET].astype(str),
        current_prediction=window["prediction"],
        sample_rows=load_parameters(Path.cwd(), "monitoring")["drift_sample_rows"],  # as shipped
    )
    return {
        "reference_rows": result.rows_reference,
        "window_rows": result.rows_current,
        # rows each side's test saw: the shipped drift_sample_rows when the table is larger, else all
        "tested_reference_rows": result.sampled_rows_reference or result.rows_reference,
        "tested_window_rows": result.sampled_rows_current or result.rows_current,
    }


STAGES: dict[str, Callable[[Path], dict[str, Any] | None]] = {
    "ingest": _ingest,
    "validate": _validate,
    "train": _train,
    "drift": _drift,
}


def synthetic_table(rows: int, features: int, classes: int = 10, seed: int = 0) -> pd.DataFrame:
    """``rows`` x ``features`` float32 Gaussian blobs (one per class, overlapping) and an int ``target``."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 1.0, size=(classes, features)).astype(np.float32)
    labels = rng.integers(0, classes, size=rows)
    values = centres[labels] + rng.normal(0.0, 1.5, size=(rows, features)).astype(np.float32)
    frame = pd.DataFrame(values, columns=[f"f{i:02d}" for i in range(features)])
    frame[TARGET] = labels
    return frame


# imported before the clock starts: a long-running service or scheduler pays an import once
_IMPORTS = {
    "ingest": ("prunegate.pipelines.ingestion.nodes",),
    "validate": ("great_expectations", "prunegate.validation.expectations"),
    "train": ("torch", "prunegate.core.training"),
    "drift": ("evidently", "prunegate.monitoring.drift"),
}


def main(argv: list[str]) -> int:
    stage, folder = argv
    imported = time.perf_counter()
    for module in _IMPORTS[stage]:
        importlib.import_module(module)
    started = time.perf_counter()
    facts = STAGES[stage](Path(folder)) or {}
    timings = {"stage": stage, "import_s": started - imported, "work_s": time.perf_counter() - started}
    timings.update(facts)
    sys.stdout.write(json.dumps(timings) + "\n")  # the one line the driver reads
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
