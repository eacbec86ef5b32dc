"""Test accuracy of the default dense model over several training seeds (same validated splits).

Clean accuracy and accuracy under the evaluation's Gaussian input noise (``evaluation.noise_sigmas``,
clamped to ``evaluation.feature_range``), for the configured input-standardisation floor
(``training.min_std_ratio``) or for each of ``--min-std-ratio R [R ...]`` (``0`` turns the floor off).

Usage: ``python -m benchmarks.dense_seeds --seeds 0 1 2`` (``make bench-dense``);
``--min-std-ratio 0 0.5`` compares without and with the floor.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import load_model_inputs, load_parameters, mean_std, write_json
from prunegate.core.robustness import accuracy_per_key, noise_predictions
from prunegate.params import EvaluationParams, parse_params
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.evaluation.measure import evaluation_settings
from prunegate.pipelines.training.nodes import train_dense_model
from prunegate.reporting.markdown import markdown_table

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
train_dense_model = as_kedro_node(train_dense_model)

logger = logging.getLogger(__name__)


def _noise_columns(evaluation: EvaluationParams) -> list[str]:
    return [f"accuracy_noise_{sigma:g}" for sigma in evaluation.noise_sigmas if sigma > 0]


def _table(rows: list[dict[str, Any]], noise: list[str]) -> str:
    """One row per (floor, seed), then mean ± std per floor."""
    head = [
        "min std ratio",
        "seed",
        "accuracy",
        "macro F1",
        *[name.removeprefix("accuracy_") for name in noise],
    ]
    cells = []
    for row in rows:
        values = [row["accuracy"], row["f1_macro"], *[row[name] for name in noise]]
        cells.append([f"{row['min_std_ratio']:g}", row["seed"], *(f"{v:.4f}" for v in values)])
    for ratio in dict.fromkeys(row["min_std_ratio"] for row in rows):
        group = [row for row in rows if row["min_std_ratio"] == ratio]
        stats = [mean_std([row[key] for row in group]) for key in ("accuracy", "f1_macro", *noise)]
        cells.append([f"{ratio:g}", "mean ± std", *(f"{m:.4f} ± {s:.4f}" for m, s in stats)])
    return "\n".join(markdown_table(head, cells)) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--min-std-ratio", type=float, nargs="+", default=None, help="floors to compare (default: configured)"
    )
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--out", type=Path, default=Path("data/08_reporting/bench_dense_seeds.json"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    data = load_model_inputs(args.project)
    ingestion_params = load_parameters(args.project, "ingestion")
    profiling = load_parameters(args.project, "profiling")
    base_training = load_parameters(args.project, "training")
    evaluation = parse_params(EvaluationParams, load_parameters(args.project, "evaluation"), "evaluation")
    features, targets = data.test
    settings = evaluation_settings(evaluation, data)
    noise = _noise_columns(evaluation)
    ratios = args.min_std_ratio or [base_training["min_std_ratio"]]
    rows = []
    for ratio in ratios:
        for seed in args.seeds:
            training = {**base_training, "seed": seed, "show_progress": False, "min_std_ratio": ratio}
            started = time.perf_counter()
            artifact, metrics, _ = train_dense_model(data, training, ingestion_params, profiling)
            noisy_predictions = noise_predictions(
                artifact.build_module(),
                features,
                evaluation.noise_sigmas,
                seed=evaluation.seed,
                feature_range=settings.feature_range,
                scale=settings.feature_scale,
            )
            noisy = accuracy_per_key(noisy_predictions, targets)
            seconds = time.perf_counter() - started
            rows.append({"min_std_ratio": ratio, "seed": seed, **metrics, **noisy, "train_seconds": seconds})

    sys.stdout.write(_table(rows, noise))
    accuracy = mean_std([row["accuracy"] for row in rows if row["min_std_ratio"] == ratios[0]])
    write_json({"runs": rows, "accuracy_mean": accuracy[0], "accuracy_std": accuracy[1]}, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
