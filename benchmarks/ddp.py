"""One process vs PyTorch DDP: training, pruning fine-tuning and distillation, seed by seed.

For each seed the project's own nodes (``train_dense_model``, ``prune_dense_model``, ``distill_student``)
run on the validated splits of ``make run`` with the project's parameters, once in this process and once
with ``distributed.nproc_per_node`` processes (gloo, CPU; DistributedSampler shards, the same global
batch). Reported per stage: test accuracy of each (mean ± std over seeds), the paired difference with its
95 % t-interval, and the wall time of each, with its ratio.

On this 2-core machine 2 processes are not expected to be faster: each has one core instead of two, and
every launch pays for starting the processes. The point is that the same recipe gives the same quality,
and that the command is the one that scales out on a machine (or hosts) with more cores.

Usage: ``python -m benchmarks.ddp`` (``make bench-ddp``; ``--quick`` for short epochs). Writes
``data/08_reporting/bench_ddp.{json,md}``.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    load_model_inputs,
    load_parameters,
    mean_std,
    paired_interval,
    write_json_and_report,
)
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.distillation.nodes import distill_student
from prunegate.pipelines.pruning.nodes import prune_dense_model
from prunegate.pipelines.training.nodes import train_dense_model
from prunegate.reporting.markdown import markdown_table

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
distill_student = as_kedro_node(distill_student)
prune_dense_model = as_kedro_node(prune_dense_model)
train_dense_model = as_kedro_node(train_dense_model)

__all__ = ["main", "render_report"]

logger = logging.getLogger(__name__)

STAGES = ("training", "pruning", "distillation")


def _parameters(project: Path, seed: int, nproc: int, quick: bool) -> dict[str, dict[str, Any]]:
    params = {name: load_parameters(project, name) for name in (*STAGES, "ingestion", "profiling")}
    training, pruning, distillation = params["training"], params["pruning"], params["distillation"]
    training.update(seed=seed, show_progress=False)
    pruning["seed"] = seed
    distillation["seed"] = seed
    params["profiling"]["repeats"] = 3  # latency is not what this measures
    for section in (training, pruning["finetune"], distillation):
        section["distributed"] = {"nproc_per_node": nproc}
    if quick:
        training["epochs"], pruning["finetune"]["epochs"], distillation["epochs"] = 8, 6, 8
    return params


def _timed(function, *args) -> tuple[Any, float]:
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def run_once(project: Path, seed: int, nproc: int, quick: bool) -> dict[str, dict[str, float]]:
    """The three stages with ``nproc`` processes; each stage's test accuracy and wall seconds."""
    data = load_model_inputs(project)
    params = _parameters(project, seed, nproc, quick)
    (dense, dense_metrics, _), training_s = _timed(
        train_dense_model, data, params["training"], params["ingestion"], params["profiling"]
    )
    (pruned, pruned_metrics, _), pruning_s = _timed(
        prune_dense_model,
        dense,
        data,
        params["pruning"],
        params["training"],
        params["profiling"],
    )
    (_, distilled_metrics, _), distillation_s = _timed(
        distill_student,
        dense,
        pruned,
        data,
        params["distillation"],
        params["profiling"],
    )
    return {
        "training": {"accuracy": dense_metrics["accuracy"], "seconds": training_s},
        "pruning": {"accuracy": pruned_metrics["accuracy"], "seconds": pruning_s},
        "distillation": {"accuracy": distilled_metrics["accuracy"], "seconds": distillation_s},
    }


def summarise(runs: dict[str, list[dict[str, dict[str, float]]]], nproc: int) -> dict[str, Any]:
    """Per stage: accuracy mean ± std of each, the paired difference (DDP - one process), time ratio."""
    single, ddp = runs["1"], runs[str(nproc)]
    summary: dict[str, Any] = {}
    for stage in STAGES:
        one = [run[stage]["accuracy"] for run in single]
        many = [run[stage]["accuracy"] for run in ddp]
        difference, low, high = paired_interval([b - a for a, b in zip(one, many, strict=True)])
        one_s = [run[stage]["seconds"] for run in single]
        many_s = [run[stage]["seconds"] for run in ddp]
        summary[stage] = {
            "accuracy_1": mean_std(one),
            f"accuracy_{nproc}": mean_std(many),
            "difference": difference,
            "difference_interval": [low, high],
            "seconds_1": mean_std(one_s),
            f"seconds_{nproc}": mean_std(many_s),
            "time_ratio": mean_std(many_s)[0] / mean_std(one_s)[0],
        }
    return summary


def render_report(result: dict[str, Any]) -> str:
    nproc = result["nproc"]
    lines = [
        f"# One process vs {nproc} DDP processes (gloo, CPU)",
        "",
        f"Seeds {result['seeds']}, {'quick epochs' if result['quick'] else 'the project parameters'}, "
        f"{result['cores']} CPU cores. Test accuracy mean ± std over seeds; Δ = {nproc} processes - 1, "
        "paired by seed, with its 95 % t-interval. Command: `make bench-ddp`.",
        "",
    ]
    rows = []
    for stage, row in result["summary"].items():
        one, many = row["accuracy_1"], row[f"accuracy_{nproc}"]
        low, high = row["difference_interval"]
        rows.append(
            [
                stage,
                f"{one[0]:.4f} ± {one[1]:.4f}",
                f"{many[0]:.4f} ± {many[1]:.4f}",
                f"{100 * row['difference']:+.2f} [{100 * low:+.2f}, {100 * high:+.2f}]",
                f"{row['seconds_1'][0]:.1f}",
                f"{row[f'seconds_{nproc}'][0]:.1f}",
                f"{row['time_ratio']:.2f}x",
            ]
        )
    headers = [
        "stage",
        "1 process",
        f"{nproc} processes",
        "Δ (pp) [95 % CI]",
        "time 1 (s)",
        f"time {nproc} (s)",
        "ratio",
    ]
    lines += markdown_table(headers, rows)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="8 / 6 / 8 epochs: a smoke run")
    parser.add_argument("--out", type=Path, default=Path("data/08_reporting/bench_ddp"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runs: dict[str, list[dict[str, dict[str, float]]]] = {"1": [], str(args.nproc): []}
    for seed in args.seeds:
        for nproc in (1, args.nproc):
            logger.info("seed %d, %d process(es)", seed, nproc)
            runs[str(nproc)].append(run_once(args.project, seed, nproc, args.quick))
    result = {
        "seeds": args.seeds,
        "nproc": args.nproc,
        "quick": args.quick,
        "cores": os.cpu_count(),
        "runs": runs,
        "summary": summarise(runs, args.nproc),
    }
    report = render_report(result)
    write_json_and_report(result, args.out, report)
    logger.info("wrote %s.{json,md}\n%s", args.out, report)


if __name__ == "__main__":
    main()
