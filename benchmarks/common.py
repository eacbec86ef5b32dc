"""Shared pieces of the benchmarks: loading the project's validated splits and parameters, stats."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

import yaml
from scipy import stats

from prunegate.data.tables import read_table
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.model_inputs import ModelInputs, prepare_model_inputs

__all__ = [
    "load_model_inputs",
    "load_parameters",
    "mean_std",
    "paired_interval",
    "write_json",
    "write_json_and_report",
]


def load_parameters(project: Path, section: str) -> dict[str, Any]:
    """``conf/base/parameters_<section>.yml``'s section, as the pipeline would see it."""
    return yaml.safe_load((project / "conf" / "base" / f"parameters_{section}.yml").read_text())[section]


def load_model_inputs(project: Path) -> ModelInputs:
    """The splits ``make run`` certified (run it first), as the data-preparation node gives them."""
    model_input = project / "data" / "05_model_input"
    certificate = model_input / "validated_splits.json"
    if not certificate.is_file():
        raise FileNotFoundError(f"{certificate} is missing: run `make run` first to ingest and validate")
    tables = [read_table(model_input / f"{name}.parquet") for name in ("train", "val", "test")]
    prepare = as_kedro_node(prepare_model_inputs)
    return prepare(*tables, json.loads(certificate.read_text()), load_parameters(project, "ingestion"))


def mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def paired_interval(differences: list[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of paired differences (per seed) and its two-sided t-interval (``(mean, low, high)``; one pair: no
    interval, ``(d, -inf, inf)``)."""
    mean = statistics.fmean(differences)
    if len(differences) < 2:
        return mean, -math.inf, math.inf
    half = float(stats.t.ppf(0.5 + confidence / 2, len(differences) - 1)) * statistics.stdev(differences)
    half /= math.sqrt(len(differences))
    return mean, mean - half, mean + half  # plain floats: the reports are written as JSON


def write_json(data: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def write_json_and_report(result: Any, out: Path, report: str) -> None:
    """``out``.json (the numbers) and ``out``.md (the report), side by side."""
    write_json(result, out.with_suffix(".json"))
    out.with_suffix(".md").write_text(report)
