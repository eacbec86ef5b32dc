"""The error of a sampled drift check: per-column scores and verdicts, sampled against every row.

``monitoring.drift_sample_rows`` caps the rows the drift test sees (time grows with rows). This measures
what the cap costs: on synthetic tables (:func:`~benchmarks.scale_stages.synthetic_table`), a
reference of ``--reference-rows`` and a window of ``--window-rows`` are checked once on every row and
then with the cap under several sampling seeds, for a window from the reference distribution and one
whose first third of columns is shifted by ``--shift`` standard deviations (near Evidently's normed
Wasserstein threshold of 0.1, where sampling noise matters most). Reported: the largest and the 95th
percentile absolute change of a column's score, the share of column verdicts that change, the dataset
verdicts, and the time of each check.

Usage: ``python -m benchmarks.drift_sampling`` (``make bench-scale`` runs it after the scale
benchmark). Writes ``data/08_reporting/bench_drift_sampling.{json,md}``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import write_json
from benchmarks.scale_stages import DRIFT_SHARE, TARGET, synthetic_table
from prunegate.monitoring.drift import DriftResult, drift_report
from prunegate.reporting.markdown import markdown_table

__all__ = ["compare", "main"]

logger = logging.getLogger(__name__)


def _check(reference: pd.DataFrame, window: pd.DataFrame, sample_rows: int | None, seed: int) -> DriftResult:
    features = [column for column in reference.columns if column != TARGET]
    return drift_report(
        reference,
        window,
        features,
        drift_share=DRIFT_SHARE,
        reference_prediction=reference[TARGET].astype(str),
        current_prediction=window[TARGET].astype(str),
        sample_rows=sample_rows,
        seed=seed,
    )


def compare(
    reference: pd.DataFrame, window: pd.DataFrame, sample_rows: int, seeds: tuple[int, ...]
) -> dict[str, Any]:
    """Scores and verdicts of the sampled checks against the check on every row."""
    started = time.perf_counter()
    full = _check(reference, window, None, 0)
    full_s = time.perf_counter() - started
    changes, flips, verdicts, times = [], [], [], []
    for seed in seeds:
        started = time.perf_counter()
        sampled = _check(reference, window, sample_rows, seed)
        times.append(time.perf_counter() - started)
        for column, values in full.per_column.items():
            changes.append(abs(sampled.per_column[column]["score"] - values["score"]))
            flips.append(sampled.per_column[column]["drifted"] != values["drifted"])
        verdicts.append(sampled.dataset_drift)
    return {
        "full_drift_share": full.drift_share,
        "full_dataset_drift": full.dataset_drift,
        "sampled_dataset_drift": verdicts,
        "max_score_change": float(np.max(changes)),
        "p95_score_change": float(np.quantile(changes, 0.95)),
        "column_verdicts_changed": float(np.mean(flips)),
        "full_s": full_s,
        "sampled_s": float(np.median(times)),
        "method": next(iter(full.per_column.values()))["method"],
    }


def _shifted(window: pd.DataFrame, reference: pd.DataFrame, shift: float) -> pd.DataFrame:
    features = [column for column in window.columns if column != TARGET]
    moved = features[: len(features) // 3]
    shifted = window.copy()
    shifted[moved] = shifted[moved] + shift * reference[moved].std()
    return shifted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-rows", type=int, default=70_000)
    parser.add_argument("--window-rows", type=int, default=100_000)
    parser.add_argument("--sample-rows", type=int, default=20_000)
    parser.add_argument("--shift", type=float, default=0.12)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("data/08_reporting"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    table = synthetic_table(args.reference_rows + args.window_rows, 64)
    reference, window = table.iloc[: args.reference_rows], table.iloc[args.reference_rows :]
    cases = {
        "no drift": window,
        f"{args.shift:g} std shift of 1/3 of the columns": _shifted(window, reference, args.shift),
    }
    results = {
        name: compare(reference, rows, args.sample_rows, tuple(args.seeds)) for name, rows in cases.items()
    }
    lines = [
        f"# Sampled drift check: {args.sample_rows:,} of {args.reference_rows:,} reference and "
        f"{args.window_rows:,} window rows, seeds {args.seeds}",
        "",
        *markdown_table(
            [
                "window",
                "test",
                "max score change",
                "p95 score change",
                "column verdicts changed",
                "dataset drift: all rows / sampled",
                "s all rows",
                "s sampled",
            ],
            [
                [
                    name,
                    r["method"],
                    f"{r['max_score_change']:.4f}",
                    f"{r['p95_score_change']:.4f}",
                    f"{r['column_verdicts_changed']:.1%}",
                    f"{r['full_dataset_drift']} / {r['sampled_dataset_drift']}",
                    f"{r['full_s']:.1f}",
                    f"{r['sampled_s']:.1f}",
                ]
                for name, r in results.items()
            ],
            ["left", "left", "right", "right", "right", "left", "right", "right"],
        ),
    ]
    report = "\n".join(lines) + "\n"
    write_json(
        {"config": vars(args) | {"out": str(args.out)}, "results": results},
        args.out / "bench_drift_sampling.json",
    )
    (args.out / "bench_drift_sampling.md").write_text(report)
    logger.info("%s", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
