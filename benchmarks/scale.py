"""Rows at scale: ingestion, validation, training and the drift check on 10k to 1M synthetic rows.

For each size a synthetic table (``--features`` float32 columns, 10 overlapping Gaussian classes, written
as Parquet) goes through the project's own code, one stage per process
(:mod:`benchmarks.scale_stages`), so each stage's peak resident memory (``ru_maxrss`` of that
process) is its own:

- ``ingest``: read the raw Parquet file, seeded stratified 70/15/15 split with the cross-split leakage
  check, write the three splits;
- ``validate``: Great Expectations on the raw table and the three splits, against a schema inferred
  from the raw table (not timed: ``prunegate data use`` writes it once);
- ``train``: the default MLP (256, 128), a fixed 2 epochs at batch 256 on one thread;
- ``drift``: read a 100,000-row prediction log (drawn from the test split) and run the Evidently drift
  check against the train split.

Targets: ingestion + validation grow no worse than linearly (at most 110x the time from 10k
to 1M rows), peak RSS at most 4 GB at 1M rows, the drift check on 100k logged rows at most 10 s.

Usage: ``python -m benchmarks.scale`` (``make bench-scale``; ``--rows 10000 100000`` for a
shorter run). Writes ``data/08_reporting/bench_scale.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import write_json
from benchmarks.scale_report import render_report, summarise
from benchmarks.scale_stages import DRIFT_WINDOW_ROWS, STAGES, TARGET, synthetic_table
from prunegate.monitoring.traffic import write_prediction_log
from prunegate.validation.schema import dump_schema, infer_schema

__all__ = ["main", "run_stage"]

logger = logging.getLogger(__name__)

_START = datetime(2026, 1, 1, tzinfo=UTC)
_KIB = 1024


def run_stage(stage: str, folder: Path) -> dict[str, Any]:
    """Run one stage in a fresh process; its wall time, import and work seconds, and peak RSS in MB."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.scale_stages", stage, str(folder)],
        stdout=subprocess.PIPE,
        text=True,
    )
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"stage {stage} failed (exit {process.returncode}) on {folder}")
    timings = json.loads(output.strip().splitlines()[-1])
    return {**timings, "wall_s": wall, "peak_rss_mb": usage.ru_maxrss / _KIB}  # ru_maxrss: KiB on Linux


def _prepare(rows: int, features: int, folder: Path) -> None:
    table = synthetic_table(rows, features)
    table.to_parquet(folder / "raw.parquet", index=False)
    dump_schema(infer_schema(table, TARGET), folder / "schema.yml")


def _measure_size(rows: int, features: int, window: int, work: Path) -> list[dict[str, Any]]:
    folder = work / f"rows_{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    _prepare(rows, features, folder)
    results = []
    for stage in STAGES:
        if stage == "drift":  # the logged traffic: test rows drawn with replacement (no drift)
            test = pd.read_parquet(folder / "test.parquet")
            picks = np.random.default_rng(0).integers(0, len(test), size=window)
            window_rows = test.iloc[picks]
            feature_names = [column for column in test.columns if column != TARGET]
            log = folder / "log" / "predictions.jsonl"
            write_prediction_log(
                window_rows, feature_names, window_rows[TARGET], log, start=_START, source="scale"
            )
        result = {"rows": rows, "features": features, **run_stage(stage, folder)}
        logger.info(
            "%9s rows %-8s work %7.2f s (imports %.1f s), peak RSS %6.0f MB",
            f"{rows:,}", stage, result["work_s"], result["import_s"], result["peak_rss_mb"],
        )  # fmt: skip
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument(
        "--window-rows", type=int, default=DRIFT_WINDOW_ROWS, help="logged rows of the drift check"
    )
    parser.add_argument("--out", type=Path, default=Path("data/08_reporting"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory(prefix="prunegate-scale-") as work:
        results = [
            row
            for rows in args.rows
            for row in _measure_size(rows, args.features, args.window_rows, Path(work))
        ]
    summary = summarise(results)
    write_json({"rows": results, "summary": summary}, args.out / "bench_scale.json")
    report = render_report(summary, results)
    (args.out / "bench_scale.md").write_text(report)
    logger.info("%s", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
