"""Static int8 on top of pruning: accuracy lost and speed won, for the zoo's CNNs and an MLP.

For each model (a zoo 1-D ResNet and an MLP on ``signal_templates``, a zoo ResNet on ``digits_affine_32``)
and seed: train the dense model, prune it structurally to 10x fewer MACs with the shipped recipe
(``conf/base/parameters_pruning.yml``: criterion, allocation, schedule, fine-tuning split over
``--finetune-epochs``), then for the dense and the pruned model export float ONNX and its static int8
version (:mod:`prunegate.serving.static_int8`: QDQ, per-channel int8 weights, uint8 activations calibrated
on 512 training rows) and measure on the test split:

- the accuracy of float and int8 (the extra loss is float minus int8, in percentage points);
- the median latency at batch 1 and 32 on one ONNX Runtime thread, float and int8 timed in interleaved
  rounds (so a noisy machine slows both alike), and the speedup float / int8.

Targets (issue 12): on the pruned model, int8 loses at most 0.5 pp more accuracy and is at least 1.5x
faster than float at batch 32. Reported as mean ± std over seeds.

Usage: ``python -m benchmarks.static_int8`` (``make bench-int8``; ``--quick`` is a smoke run).
Needs no ``make run``: the data are generated. Writes ``data/08_reporting/bench_int8.{json,md}``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.benchmark_splits import (
    BENCHMARK_MODELS,
    Split,
    bench_arguments,
    model_and_splits,
    quiet_logging,
    train_dense,
)
from benchmarks.common import load_parameters, write_json
from benchmarks.recipes import shipped_recipe
from benchmarks.static_int8_report import render_report, summarise
from prunegate.core.models import ModelSpec
from prunegate.core.profiling import count_macs
from prunegate.core.pruning.structured_recipe import run_structured_pruning
from prunegate.serving.runtimes import ONNX, ONNX_INT8, OnnxRuntime, Runtime, export_onnx
from prunegate.serving.static_int8 import quantize_static_int8

__all__ = ["BenchConfig", "main", "run_seed"]

logger = logging.getLogger(__name__)

CALIBRATION_ROWS = 512
BATCH_SIZES = (1, 32)


@dataclass(frozen=True)
class BenchConfig:
    """What one benchmark run measures (from the command line)."""

    models: tuple[str, ...] = tuple(BENCHMARK_MODELS)
    seeds: tuple[int, ...] = (0, 1, 2)
    reduction: float = 0.9
    dense_epochs: int = 20
    finetune_epochs: int = 10
    rounds: int = 5  # interleaved timing rounds; each runs `repeats` calls per runtime and batch size
    repeats: int = 100
    rows: int | None = None  # subsample of the set (smoke runs)


def _accuracy(runtime: Runtime, split: Split) -> float:
    predicted = runtime.predict_proba(np.ascontiguousarray(split[0].numpy())).argmax(axis=1)
    return float(np.mean(predicted == split[1].numpy()))


def _interleaved_medians(
    runtimes: dict[str, Runtime], rows: np.ndarray, config: BenchConfig
) -> dict[str, dict[int, float]]:
    """Median ms per runtime and batch size; each round times every runtime once, in turn."""
    samples: dict[str, dict[int, list[float]]] = {name: {b: [] for b in BATCH_SIZES} for name in runtimes}
    for size in BATCH_SIZES:
        batch = np.ascontiguousarray(np.resize(rows, (size, rows.shape[1])))
        for _ in range(config.rounds):
            for name, runtime in runtimes.items():
                for _ in range(10):
                    runtime.predict_proba(batch)
                for _ in range(config.repeats):
                    started = time.perf_counter()
                    runtime.predict_proba(batch)
                    samples[name][size].append((time.perf_counter() - started) * 1000.0)
    return {name: {b: statistics.median(t) for b, t in by_size.items()} for name, by_size in samples.items()}


def _measure(module: torch.nn.Module, spec: ModelSpec, splits: tuple[Split, Split], config) -> dict[str, Any]:
    """Float ONNX against its static int8 version: accuracy and latency on the test split."""
    train, test = splits
    with tempfile.TemporaryDirectory(prefix="prunegate-bench-int8-") as scratch:
        float_file = export_onnx(module.eval(), spec.in_features, Path(scratch) / "model.onnx")
        int8_file = quantize_static_int8(
            float_file, train[0][:CALIBRATION_ROWS].numpy(), Path(scratch) / "model.int8.onnx"
        )
        runtimes = {ONNX: OnnxRuntime(float_file), ONNX_INT8: OnnxRuntime(int8_file, ONNX_INT8)}
        accuracy = {name: _accuracy(runtime, test) for name, runtime in runtimes.items()}
        latency = _interleaved_medians(runtimes, test[0].numpy(), config)
    return {
        "float_accuracy": accuracy[ONNX],
        "int8_accuracy": accuracy[ONNX_INT8],
        "extra_loss_pp": 100.0 * (accuracy[ONNX] - accuracy[ONNX_INT8]),
        **{f"float_ms_b{b}": latency[ONNX][b] for b in BATCH_SIZES},
        **{f"int8_ms_b{b}": latency[ONNX_INT8][b] for b in BATCH_SIZES},
        **{f"speedup_b{b}": latency[ONNX][b] / latency[ONNX_INT8][b] for b in BATCH_SIZES},
    }


def run_seed(config: BenchConfig, name: str, seed: int, pruning: dict[str, Any]) -> list[dict[str, Any]]:
    """The dense and the pruned model of one architecture and seed, float against int8."""
    train, val, test, spec = model_and_splits(name, seed, config.rows)
    dense = train_dense(spec, train, val, config.dense_epochs, seed)
    calibration = (train[0][:CALIBRATION_ROWS], train[1][:CALIBRATION_ROWS])
    recipe = shipped_recipe(
        pruning, reduction=config.reduction, finetune_epochs=config.finetune_epochs, seed=seed
    )
    pruned = run_structured_pruning(dense, spec, train, val, recipe, calibration=calibration).module
    base = {"model": name, "dataset": BENCHMARK_MODELS[name][0], "seed": seed, "test_rows": len(test[1])}
    rows = []
    for stage, module in (("dense", dense), ("pruned", pruned)):
        row = {**base, "stage": stage, "macs": count_macs(module, (spec.in_features,))}
        row.update(_measure(module, spec, (train, test), config))
        logger.info(
            "%s seed %d %s: %s",
            name,
            seed,
            stage,
            {k: round(v, 4) for k, v in row.items() if isinstance(v, float)},
        )
        rows.append(row)
    return rows


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_arguments(__doc__.splitlines()[0], BenchConfig.models, BenchConfig.dense_epochs)
    parser.add_argument("--finetune-epochs", type=int, default=BenchConfig.finetune_epochs)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    quiet_logging()
    args = _arguments(argv)
    config = BenchConfig(
        models=tuple(args.models),
        seeds=tuple(args.seeds),
        dense_epochs=args.dense_epochs,
        finetune_epochs=args.finetune_epochs,
    )
    if args.quick:
        config = replace(
            config, seeds=config.seeds[:1], dense_epochs=1, finetune_epochs=1, rows=600, rounds=2, repeats=10
        )
    torch.set_num_threads(1)
    pruning = load_parameters(Path.cwd(), "pruning")
    rows = [
        row
        for name in config.models
        for seed in config.seeds
        for row in run_seed(config, name, seed, pruning)
    ]
    summary = summarise(rows)
    report = render_report(config, summary)
    write_json({"config": asdict(config), "rows": rows, "summary": summary}, args.out / "bench_int8.json")
    (args.out / "bench_int8.md").write_text(report)
    logger.info("%s", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
