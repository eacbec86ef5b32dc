"""Measured speedup of structured pruning against its MAC reduction, on a CIFAR-size ResNet-18 layout.

For each MAC reduction (2x, 4x, 10x by default) the zoo ResNet (widths 64-128-256-512, two basic blocks
per stage, 3x32x32 input, random weights: speed does not depend on the values) is pruned with the
project's engine (uniform allocation, L2 magnitude), with and without rounding channel counts to a
multiple of 8, then timed on one thread at batch 1 and 32, in torch eager mode and in ONNX Runtime
(median of repeats after warm-up, the dense model timed in the same run). The table gives each speedup
and its ratio to the MAC reduction (1.0 = the speedup the MACs promise).

Usage: ``python -m benchmarks.pruning_speedup`` (``make bench-speedup``); ``--quick`` for a
small model.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.common import write_json
from prunegate.core.models import ResNetSpec, build_model
from prunegate.core.profiling import count_macs, measure_latency
from prunegate.core.pruning.channel_pruning import prune_channels_to_budget
from prunegate.core.pruning.criteria import get_criterion
from prunegate.reporting.markdown import markdown_table

logger = logging.getLogger(__name__)

_BATCHES = (1, 32)


def _onnx_ms(module: torch.nn.Module, in_features: int, batch: int, repeats: int) -> float:
    from prunegate.serving.runtimes import OnnxRuntime, export_onnx

    with tempfile.TemporaryDirectory() as folder:
        runtime = OnnxRuntime(export_onnx(module, in_features, Path(folder) / "model.onnx"))
        sample = np.random.default_rng(0).standard_normal((batch, in_features)).astype(np.float32)
        for _ in range(5):
            runtime.predict_proba(sample)
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            runtime.predict_proba(sample)
            timings.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(timings)


def _timings(module: torch.nn.Module, in_features: int, repeats: int) -> dict[str, float]:
    result = {}
    for batch in _BATCHES:
        result[f"eager_b{batch}"] = measure_latency(module, (in_features,), batch, repeats=repeats)["p50_ms"]
        result[f"onnx_b{batch}"] = _onnx_ms(module, in_features, batch, repeats)
    return result


def run(reductions: list[float], spec: ResNetSpec, repeats: int) -> list[dict[str, Any]]:
    torch.manual_seed(0)
    dense = build_model(spec).eval()
    example = torch.zeros(1, spec.in_features)
    dense_macs = count_macs(dense, (spec.in_features,))
    dense_ms = _timings(dense, spec.in_features, repeats)
    rows = []
    for reduction in reductions:
        for round_to in (None, 8):
            result = prune_channels_to_budget(
                dense,
                example,
                get_criterion("magnitude_l2"),
                None,
                lambda module: float(count_macs(module, (spec.in_features,))),
                dense_macs / reduction,
                round_to=round_to,
            )
            timed = _timings(result.module, spec.in_features, repeats)
            mac_ratio = dense_macs / result.cost
            row: dict[str, Any] = {"target": reduction, "round_to": round_to, "mac_ratio": mac_ratio}
            for key, milliseconds in timed.items():
                row[f"speedup_{key}"] = dense_ms[key] / milliseconds
                row[f"of_mac_ratio_{key}"] = dense_ms[key] / milliseconds / mac_ratio
            rows.append(row)
            logger.info("%s", row)
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    keys = [f"{runtime}_b{batch}" for runtime in ("eager", "onnx") for batch in _BATCHES]
    return "\n".join(
        markdown_table(
            ["target", "round_to", "MAC ratio", *(f"speedup {key} (of MACs)" for key in keys)],
            [
                [
                    f"{row['target']:g}x",
                    row["round_to"],
                    f"{row['mac_ratio']:.2f}x",
                    *(f"{row[f'speedup_{key}']:.2f}x ({row[f'of_mac_ratio_{key}']:.2f})" for key in keys),
                ]
                for row in rows
            ],
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reductions", type=float, nargs="+", default=[2.0, 4.0, 10.0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="a small ResNet, for a smoke run")
    parser.add_argument("--out", default="data/08_reporting/bench_pruning_speedup.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.quick:
        spec = ResNetSpec(in_shape=(3, 16, 16), num_classes=10, widths=(16, 32), blocks=(1, 1))
    else:
        spec = ResNetSpec(
            in_shape=(3, 32, 32), num_classes=10, widths=(64, 128, 256, 512), blocks=(2, 2, 2, 2)
        )
    rows = run(args.reductions, spec, args.repeats)
    write_json({"spec": str(spec), "rows": rows}, Path(args.out))
    sys.stdout.write(_table(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
