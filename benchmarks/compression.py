"""Compression benchmark: pruning, distillation and quantization against the dense model, over seeds.

Following Blalock et al., 2020 ("What is the State of Neural Network Pruning?"): for each seed the dense
teacher is trained on the same validated splits, then, against that teacher, (1) global unstructured
magnitude pruning at several sparsities, (2) structured pruning at several MAC budgets with every
criterion and both allocations, (3) a distilled student vs the same student from scratch and (4) int8
dynamic quantization of the best structured model are measured. Every method gets the pipeline's
fine-tuning budget (``conf/base/parameters_pruning.yml``); params and MACs are both reported, as mean ±
std over seeds, and the results are checked against the targets of
:class:`~benchmarks.compression_grid.Targets`.

Usage: ``python -m benchmarks.compression --seeds 0 1 2 [--quick]`` (``make bench-compression``;
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

import torch

from benchmarks.common import load_model_inputs, load_parameters, write_json
from benchmarks.compression_grid import FULL, QUICK, CompressionGrid, Targets
from benchmarks.compression_runs import (
    PrunedModel,
    SeedContext,
    distillation_metrics,
    float_model_metrics,
    quantized_metrics,
    run_configuration,
    structured_metrics,
    unstructured_metrics,
)
from benchmarks.compression_stats import aggregate, check_targets
from benchmarks.compression_table import render_report
from prunegate.core.efficiency import artifact_sizes
from prunegate.core.serialization import ModelArtifact
from prunegate.fanout import FanoutSettings, fan_out
from prunegate.params import ProfilingParams, TrainingParams, parse_params
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.model_inputs import ModelInputs
from prunegate.pipelines.training.nodes import train_dense_model

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
train_dense_model = as_kedro_node(train_dense_model)

__all__ = ["main", "run_benchmark"]

logger = logging.getLogger(__name__)

_SECTIONS = ("ingestion", "training", "pruning", "distillation", "profiling")
_QUIET_LOGGERS = ("prunegate.core", "prunegate.pipelines")


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


def _seed_context(
    seed: int, data: ModelInputs, params: dict[str, dict[str, Any]]
) -> tuple[SeedContext, dict]:
    """Train this seed's dense teacher on the validated splits; returns the context and the dense row."""
    started = time.perf_counter()
    training = {**params["training"], "seed": seed}
    artifact, metrics, _ = train_dense_model(data, training, params["ingestion"], params["profiling"])
    seconds = time.perf_counter() - started
    teacher = artifact.build_module()
    # Sizes without the pipeline's metadata, so they compare with the compressed models' artifacts.
    dense = {**metrics, **artifact_sizes(ModelArtifact.from_module(teacher, artifact.spec))}
    context = SeedContext(
        seed=seed,
        data=data,
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


def _dense_cell(seed: int, data: ModelInputs, params: dict[str, dict[str, Any]]) -> tuple[SeedContext, dict]:
    """Task 1 of a seed: its dense teacher (every other cell of the seed prunes or distils it)."""
    return _seed_context(seed, data, params)


def _pruning_cells(seeds: list[int], grid: CompressionGrid) -> list[tuple[int, dict[str, Any], tuple]]:
    """Every (seed, method, budget) pruning cell: its labels and the measurement it runs."""
    cells = []
    criterion = grid.unstructured_criterion
    for seed in seeds:
        for sparsity in grid.unstructured_sparsities:
            labels = _labels("unstructured", f"global {criterion}", sparsity, criterion=criterion)
            cells.append((seed, labels, ("unstructured", criterion, sparsity)))
        for reduction in grid.structured_reductions:
            for name in grid.criteria:
                for allocation in grid.allocations:
                    if name == "snip" and allocation == "sensitivity":
                        continue  # refused by the pruning params: a sensitivity scan needs a trained model
                    labels = _labels(
                        "structured",
                        f"{name} / {allocation}",
                        reduction,
                        criterion=name,
                        allocation=allocation,
                    )
                    cells.append((seed, labels, ("structured", name, allocation, reduction)))
    return cells


def _pruning_cell(
    cell: tuple[int, dict[str, Any], tuple], contexts: dict[int, SeedContext]
) -> tuple[dict[str, Any], PrunedModel | None]:
    """Task 2: one pruning cell against its seed's teacher; its row and the pruned model it keeps."""
    seed, labels, (kind, *arguments) = cell
    measure = unstructured_metrics if kind == "unstructured" else structured_metrics
    return run_configuration(seed, labels, partial(measure, contexts[seed], *arguments))


def _student_cell(
    cell: tuple[int, PrunedModel | None, PrunedModel | None],
    contexts: dict[int, SeedContext],
    grid: CompressionGrid,
) -> list[dict[str, Any]]:
    """Task 3 of a seed: the distilled and scratch students, and the best structured model in int8."""
    seed, student, best = cell
    ctx = contexts[seed]
    rows = []
    for method, with_teacher in (("distilled (KD)", True), ("from scratch", False)):
        work = partial(distillation_metrics, ctx, student, with_teacher=with_teacher)
        rows.append(run_configuration(seed, _labels("distillation", method, grid.student_reduction), work)[0])
    for method, measure in (
        ("float (best structured)", float_model_metrics),
        ("int8 dynamic", quantized_metrics),
    ):
        work = partial(measure, ctx, best)
        rows.append(run_configuration(seed, _labels("quantization", method, grid.student_reduction), work)[0])
    return rows


def run_benchmark(
    project: Path, seeds: list[int], grid: CompressionGrid, fanout: FanoutSettings | None = None
) -> list[dict[str, Any]]:
    """Every row (one per seed and configuration) of the benchmark on the project's validated splits.

    Three rounds of tasks (in this process, or on Dask workers with ``fanout``): each seed's dense teacher;
    every (seed, method, budget) pruning cell; each seed's students and int8 model, which need the pruned
    models at the student's budget. The student's widths and the int8 source are chosen as before: the
    configured criterion / allocation, and the best structured model by validation accuracy.
    """
    fanout = fanout or FanoutSettings()
    data = load_model_inputs(project)
    params = _parameters(project, grid)
    dense = fan_out(_dense_cell, seeds, fanout, {"data": data, "params": params})
    contexts = {ctx.seed: ctx for ctx, _ in dense}
    cells = _pruning_cells(seeds, grid)
    pruned = fan_out(_pruning_cell, cells, fanout, {"contexts": contexts})
    rows: dict[int, list[dict[str, Any]]] = {ctx.seed: [row] for ctx, row in dense}
    at_student_budget: dict[int, dict[tuple[str, str], PrunedModel]] = {seed: {} for seed in seeds}
    for (seed, labels, _), (row, kept) in zip(cells, pruned, strict=True):
        rows[seed].append(row)
        if (
            kept is not None
            and labels["section"] == "structured"
            and labels["target"] == grid.student_reduction
        ):
            at_student_budget[seed][(labels["criterion"], labels["allocation"])] = kept
    finishing = [
        (
            seed,
            at_student_budget[seed].get((grid.student_criterion, grid.student_allocation)),
            # the best structured model at the student's budget, chosen on validation accuracy (never test)
            max(at_student_budget[seed].values(), key=lambda model: model.val_accuracy, default=None),
        )
        for seed in seeds
    ]
    for (seed, _, _), student_rows in zip(
        finishing,
        fan_out(_student_cell, finishing, fanout, {"contexts": contexts, "grid": grid}),
        strict=True,
    ):
        rows[seed] += student_rows
    return [row for seed in seeds for row in rows[seed]]


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
    parser.add_argument(
        "--workers", type=int, default=1, help="local Dask workers, one cell each at a time (1: this process)"
    )
    parser.add_argument(
        "--dask-address", help="a Dask scheduler (tcp://host:8786), or PRUNEGATE_DASK_ADDRESS"
    )
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
    fanout = FanoutSettings(workers=args.workers, address=args.dask_address)
    rows = run_benchmark(args.project, seeds, grid, fanout)
    aggregates = aggregate(rows)
    targets = Targets()
    checks = check_targets(aggregates, targets)
    meta = _report_meta(args.project, seeds, grid, args.quick, rows)
    meta["fanout"] = fanout.resolved_address() or f"{args.workers} local worker(s)"
    meta["shared_host"] = fanout.resolved_address() is None and args.workers > 1
    report = render_report(aggregates, checks, meta)
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
