"""The pruning sweep's wall time with 1 vs N Dask workers (the ``pruning_sweep.fanout`` setting).

The sweep node runs with the project's parameters (``--seeds`` replaces its seeds: more cells) on the
outputs of ``make run`` (the dense model and the validated splits), the worker counts alternating for
``--repeats`` rounds so that the machine's load drifts over both alike. Reported: the median wall time
of each and their ratio, and whether the cells' rows agree (structure exactly, accuracy within a few
test rows: a worker has one thread).

Usage: ``python -m benchmarks.sweep_fanout`` (``make bench-fanout``, after ``make run``).
Writes ``data/08_reporting/bench_fanout.{json,md}``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.common import load_model_inputs, load_parameters, write_json_and_report
from prunegate.core.serialization import load_artifact
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.pruning_sweep.nodes import sweep_pruning
from prunegate.reporting.markdown import markdown_table
from prunegate.reporting.measured import read_measured_json

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
sweep_pruning = as_kedro_node(sweep_pruning)

__all__ = ["main", "render_report"]

logger = logging.getLogger(__name__)


def _sweep_seconds(project: Path, workers: int, seeds: list[int]) -> tuple[float, list[dict[str, Any]]]:
    data = load_model_inputs(project)
    dense = load_artifact(project / "data/06_models/dense.pt")
    dense_metrics = read_measured_json(project / "data/08_reporting/dense_metrics.json")
    pruning_file = yaml.safe_load((project / "conf/base/parameters_pruning.yml").read_text())
    sweep = {**pruning_file["pruning_sweep"], "fanout": {"workers": workers}, "seeds": seeds}
    training = {**load_parameters(project, "training"), "show_progress": False}
    started = time.perf_counter()
    table, _, _ = sweep_pruning(
        dense,
        data,
        dense_metrics,
        sweep,
        load_parameters(project, "pruning"),
        training,
        load_parameters(project, "profiling"),
    )
    return time.perf_counter() - started, table.to_dict(orient="records")


def render_report(result: dict[str, Any]) -> str:
    workers = result["workers"]
    runs = [(count, result["seconds"][str(count)]) for count in (1, workers)]
    lines = [
        "# The pruning sweep on Dask: 1 worker vs " + str(workers),
        "",
        f"{result['cells']} cells, {result['repeats']} rounds alternating, {result['cores']} CPU cores; "
        "median wall time (all times). Command: `make bench-fanout`.",
        "",
        *markdown_table(
            ["workers", "median (s)", "all (s)"],
            [
                [count, f"{statistics.median(seconds):.1f}", ", ".join(f"{s:.1f}" for s in seconds)]
                for count, seconds in runs
            ],
        ),
        "",
        f"Ratio (median {workers} workers / median 1): {result['ratio']:.2f}x. Rows agree: MACs "
        f"{'identical' if result['macs_identical'] else 'DIFFER'}, largest accuracy difference "
        f"{result['max_accuracy_difference']:.4f}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="the sweep's seeds (cells)")
    parser.add_argument("--out", type=Path, default=Path("data/08_reporting/bench_fanout"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    seconds: dict[str, list[float]] = {"1": [], str(args.workers): []}
    rows: dict[str, list[dict[str, Any]]] = {}
    for round_ in range(args.repeats):
        for count in (1, args.workers) if round_ % 2 == 0 else (args.workers, 1):
            elapsed, rows[str(count)] = _sweep_seconds(args.project, count, args.seeds)
            seconds[str(count)].append(elapsed)
            logger.info("round %d, %d worker(s): %.1f s", round_ + 1, count, elapsed)
    one, many = rows["1"], rows[str(args.workers)]
    result = {
        "workers": args.workers,
        "repeats": args.repeats,
        "cores": os.cpu_count(),
        "cells": len(one),
        "seconds": seconds,
        "ratio": statistics.median(seconds[str(args.workers)]) / statistics.median(seconds["1"]),
        "macs_identical": [row["macs"] for row in one] == [row["macs"] for row in many],
        "max_accuracy_difference": max(
            abs(a["accuracy"] - b["accuracy"]) for a, b in zip(one, many, strict=True)
        ),
    }
    report = render_report(result)
    write_json_and_report(result, args.out, report)
    logger.info("wrote %s.{json,md}\n%s", args.out, report)


if __name__ == "__main__":
    main()
