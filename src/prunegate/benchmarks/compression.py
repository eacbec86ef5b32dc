"""Compression benchmark: pruning, distillation and quantization against the dense model, over seeds.

Following Blalock et al., 2020 ("What is the State of Neural Network Pruning?"): for each seed the dense
teacher is trained on the same validated splits, then, against that teacher, (1) global unstructured
magnitude pruning at several sparsities, (2) structured pruning at several MAC budgets with every
criterion and both allocations, (3) a distilled student vs the same student from scratch and (4) int8
dynamic quantization of the best structured model are measured. Every method gets the pipeline's
fine-tuning budget (``conf/base/parameters_pruning.yml``); params and MACs are both reported, as mean ±
std over seeds, and the results are checked against the targets of
:class:`~prunegate.benchmarks.compression_grid.Targets`.

Usage: ``python -m prunegate.benchmarks.compression --seeds 0 1 2 [--quick]`` (``make bench-compression``;
run ``make run`` first). Writes the rows and aggregates as JSON and the report as markdown (also printed).
"""

from __future__ import annotations

import argparse
import copy
import logging
import sys
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from prunegate.benchmarks.common import load_parameters, load_validated_splits, write_json
from prunegate.benchmarks.compression_grid import FULL, QUICK, CompressionGrid, Targets
from prunegate.benchmarks.compression_runs import (
    PrunedModel,
    SeedContext,
    distillation_metrics,
    float_model_metrics,
    quantized_metrics,
    run_configuration,
    structured_metrics,
    unstructured_metrics,
)
from prunegate.benchmarks.compression_stats import aggregate, check_targets
from prunegate.benchmarks.compression_table import render_report
from prunegate.core.evaluation import artifact_sizes
from prunegate.core.serialization import ModelArtifact
from prunegate.params import IngestionParams, ProfilingParams, TrainingParams, parse_params
from prunegate.pipelines.training.nodes import train_dense_model
from prunegate.pipelines.validated_inputs import validated_splits_as_tensors

__all__ = ["main", "run_benchmark"]

logger = logging.getLogger(__name__)

_SECTIONS = ("ingestion", "training", "pruning", "distillation", "profiling")
_QUIET_LOGGERS = ("prunegate.core", "prunegate.pipelines")
Tables = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]


def _parameters(project: Path, grid: CompressionGrid) -> dict[str, dict[str, Any]]:
    """The shipped parameters with only the grid's (quick-mode) epoch and profiling overrides applied."""
    params = {section: copy.deepcopy(load_parameters(project, section)) for section in _SECTIONS}
    params["training"]["show_progress"] = False
    overrides = (
        ("training", "epochs", grid.dense_epochs),
        ("distillation", "epochs", grid.distillation_epochs),
        ("profiling", "repeats", grid.profiling_repeats),
        ("profiling", "warmup", grid.profiling_warmup),
    )
    for section, key, value in overrides:
        if value is not None:
            params[section][key] = value
    if grid.finetune_epochs is not None:
        params["pruning"]["finetune"]["epochs"] = grid.finetune_epochs
    return params


def _seed_context(seed: int, tables: Tables, params: dict[str, dict[str, Any]]) -> tuple[SeedContext, dict]:
    """Train this seed's dense teacher on the validated splits; returns the context and the dense row."""
    train, val, test, certificate = tables
    started = time.perf_counter()
    training = {**params["training"], "seed": seed}
    artifact, metrics, _ = train_dense_model(
        train, val, test, certificate, training, params["ingestion"], params["profiling"]
    )
    seconds = time.perf_counter() - started
    ingestion = parse_params(IngestionParams, params["ingestion"], "ingestion")
    teacher = artifact.build_module()
    # Sizes without the pipeline's metadata, so they compare with the compressed models' artifacts.
    dense = {**metrics, **artifact_sizes(ModelArtifact.from_module(teacher, artifact.spec))}
    context = SeedContext(
        seed=seed,
        data=validated_splits_as_tensors(train, val, test, certificate, ingestion),
        teacher=teacher,
        spec=artifact.spec,
        dense=dense,
        pruning=params["pruning"],
        distillation=params["distillation"],
        from_scratch=parse_params(TrainingParams, training, "training").train_config(),
        profiling=parse_params(ProfilingParams, params["profiling"], "profiling").settings(),
    )
    row = {"seed": seed, "section": "dense", "method": "dense", "target": None, **dense}
    logger.info("seed %d dense teacher: accuracy %.4f (%.1f s)", seed, dense["accuracy"], seconds)
    return context, {**row, "error": None, "seconds": seconds}


def _labels(section: str, method: str, target: float, **extra: str) -> dict[str, Any]:
    return {"section": section, "method": method, "target": target, **extra}


def _run_seed(
    seed: int, tables: Tables, params: dict[str, dict[str, Any]], grid: CompressionGrid
) -> list[dict[str, Any]]:
    ctx, dense_row = _seed_context(seed, tables, params)
    rows = [dense_row]
    criterion = grid.unstructured_criterion
    for sparsity in grid.unstructured_sparsities:
        labels = _labels("unstructured", f"global {criterion}", sparsity, criterion=criterion)
        rows.append(
            run_configuration(seed, labels, partial(unstructured_metrics, ctx, criterion, sparsity))[0]
        )

    at_student_budget: dict[tuple[str, str], PrunedModel] = {}
    for reduction in grid.structured_reductions:
        for name in grid.criteria:
            for allocation in grid.allocations:
                if name == "snip" and allocation == "sensitivity":
                    continue  # refused by the pruning params: a sensitivity scan needs a trained model
                labels = _labels(
                    "structured", f"{name} / {allocation}", reduction, criterion=name, allocation=allocation
                )
                work = partial(structured_metrics, ctx, name, allocation, reduction)
                row, pruned = run_configuration(seed, labels, work)
                rows.append(row)
                if pruned is not None and reduction == grid.student_reduction:
                    at_student_budget[(name, allocation)] = pruned

    student = at_student_budget.get((grid.student_criterion, grid.student_allocation))
    for method, with_teacher in (("distilled (KD)", True), ("from scratch", False)):
        work = partial(distillation_metrics, ctx, student, with_teacher=with_teacher)
        rows.append(run_configuration(seed, _labels("distillation", method, grid.student_reduction), work)[0])

    # The best structured model at the student's budget, chosen on validation accuracy (never on test).
    best = max(at_student_budget.values(), key=lambda model: model.val_accuracy, default=None)
    for method, measure in (
        ("float (best structured)", float_model_metrics),
        ("int8 dynamic", quantized_metrics),
    ):
        work = partial(measure, ctx, best)
        rows.append(run_configuration(seed, _labels("quantization", method, grid.student_reduction), work)[0])
    return rows


def run_benchmark(project: Path, seeds: list[int], grid: CompressionGrid) -> list[dict[str, Any]]:
    """Every row (one per seed and configuration) of the benchmark on the project's validated splits."""
    tables = load_validated_splits(project)
    params = _parameters(project, grid)
    rows: list[dict[str, Any]] = []
    for seed in seeds:
        rows += _run_seed(seed, tables, params, grid)
    return rows


def _report_meta(
    project: Path, seeds: list[int], grid: CompressionGrid, quick: bool, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    params = _parameters(project, grid)
    pruning, profiling, distillation = params["pruning"], params["profiling"], params["distillation"]
    return {
        "seeds": seeds,
        "training_threads": torch.get_num_threads(),
        "grid": "quick" if quick else "full",
        "test_rows": next(row["test_rows"] for row in rows if row["section"] == "dense"),
        "latency_batches": profiling["latency_batches"],
        **{key: profiling[key] for key in ("threads", "warmup", "repeats")},
        "unstructured_criterion": grid.unstructured_criterion,
        "schedule": pruning["schedule"],
        "steps": pruning["steps"],
        "finetune_epochs": pruning["finetune"]["epochs"],
        "training_epochs": params["training"]["epochs"],
        "distillation_epochs": distillation["epochs"],
        "temperature": distillation["temperature"],
        "alpha": distillation["alpha"],
        "student": f"{grid.student_criterion} / {grid.student_allocation} @ {grid.student_reduction:g}",
        "student_reduction": grid.student_reduction,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 seed, small grid, few epochs")
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--out", type=Path, help="JSON of rows and aggregates (default data/08_reporting/)")
    parser.add_argument("--markdown", type=Path, help="the report (default data/08_reporting/)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads for training (latency: profiling.threads)"
    )
    parser.add_argument("--verbose", action="store_true", help="also log the library's per-step lines")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in () if args.verbose else _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)

    # Training on a shared CPU with several threads is slow and noisy (threads wait on each other).
    torch.set_num_threads(args.threads)
    grid = QUICK if args.quick else FULL
    seeds = args.seeds[: grid.max_seeds] if grid.max_seeds else args.seeds
    stem = "bench_compression_quick" if args.quick else "bench_compression"
    reporting = args.project / "data" / "08_reporting"
    out = args.out or reporting / f"{stem}.json"
    markdown = args.markdown or reporting / f"{stem}.md"

    started = time.perf_counter()
    rows = run_benchmark(args.project, seeds, grid)
    aggregates = aggregate(rows)
    targets = Targets()
    checks = check_targets(aggregates, targets)
    report = render_report(aggregates, checks, _report_meta(args.project, seeds, grid, args.quick, rows))
    wall_seconds = time.perf_counter() - started
    logger.info("compression benchmark done in %.1f s", wall_seconds)

    sys.stdout.write(report)
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(report)
    write_json(
        {
            "seeds": seeds,
            "grid": asdict(grid),
            "targets_config": asdict(targets),
            "targets": [asdict(check) for check in checks],
            "aggregates": aggregates,
            "rows": rows,
            "wall_seconds": wall_seconds,
        },
        out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
