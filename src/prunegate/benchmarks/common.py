"""Shared pieces of the benchmarks: loading the project's validated splits and parameters, stats."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from prunegate.data.tables import read_table

__all__ = ["load_parameters", "load_validated_splits", "mean_std", "write_json"]


def load_parameters(project: Path, section: str) -> dict[str, Any]:
    """``conf/base/parameters_<section>.yml``'s section, as the pipeline would see it."""
    return yaml.safe_load((project / "conf" / "base" / f"parameters_{section}.yml").read_text())[section]


def load_validated_splits(project: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The splits and validation certificate written by ``make run`` (run it first)."""
    model_input = project / "data" / "05_model_input"
    certificate = model_input / "validated_splits.json"
    if not certificate.is_file():
        raise FileNotFoundError(f"{certificate} is missing: run `make run` first to ingest and validate")
    tables = [read_table(model_input / f"{name}.parquet") for name in ("train", "val", "test")]
    return (*tables, json.loads(certificate.read_text()))


def mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def write_json(data: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
