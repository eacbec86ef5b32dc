"""Test accuracy of the default dense model over several training seeds (same validated splits).

Usage: ``python -m prunegate.benchmarks.dense_seeds --seeds 0 1 2`` (``make bench-dense``).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from prunegate.benchmarks.common import load_parameters, load_validated_splits, mean_std, write_json
from prunegate.pipelines.training.nodes import train_dense_model

logger = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--out", type=Path, default=Path("data/08_reporting/bench_dense_seeds.json"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    train, val, test, certificate = load_validated_splits(args.project)
    ingestion = load_parameters(args.project, "ingestion")
    rows = []
    for seed in args.seeds:
        training = {**load_parameters(args.project, "training"), "seed": seed, "show_progress": False}
        started = time.perf_counter()
        profiling = load_parameters(args.project, "profiling")
        _, metrics, _ = train_dense_model(train, val, test, certificate, training, ingestion, profiling)
        rows.append({"seed": seed, **metrics, "train_seconds": time.perf_counter() - started})

    accuracy = mean_std([row["accuracy"] for row in rows])
    f1 = mean_std([row["f1_macro"] for row in rows])
    lines = ["| seed | accuracy | macro F1 | best epoch | train s |", "|---|---|---|---|---|"]
    lines += [
        f"| {r['seed']} | {r['accuracy']:.4f} | {r['f1_macro']:.4f} | {r['best_epoch']} "
        f"| {r['train_seconds']:.1f} |"
        for r in rows
    ]
    lines.append(f"| mean ± std | {accuracy[0]:.4f} ± {accuracy[1]:.4f} | {f1[0]:.4f} ± {f1[1]:.4f} | | |")
    sys.stdout.write("\n".join(lines) + "\n")
    write_json({"runs": rows, "accuracy_mean": accuracy[0], "accuracy_std": accuracy[1]}, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
