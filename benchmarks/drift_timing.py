"""How long the monitoring check takes on traffic windows of a given size.

Reference: the digits train split (scikit-learn's bundled ``load_digits``, split with the project's
ingestion parameters). Each window is ``rows`` train rows drawn with replacement (no drift by
construction; even a 0.5 Gaussian pixel jitter already drifts ~28% of the columns, since digits pixels
are integers with many zeros), written as a prediction log in the service's JSON lines format.

Timed separately: reading the window back (:func:`read_prediction_log`), the drift check
(:func:`drift_report`: one Evidently ``Report.run``, which also renders its widgets) and the HTML
export. The one-off ``import evidently`` is reported on its own, since a long-running monitor pays it
once.

Usage::

    python -m benchmarks.drift_timing --rows 1000 100000
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import load_parameters
from prunegate.data.tables import sklearn_digits
from prunegate.monitoring.drift import drift_report
from prunegate.monitoring.traffic import read_prediction_log, write_prediction_log
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.ingestion.nodes import split_raw_table
from prunegate.reporting.markdown import markdown_table

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
split_raw_table = as_kedro_node(split_raw_table)

__all__ = ["main", "synthetic_window"]

logger = logging.getLogger(__name__)

DEFAULT_ROWS = (1000, 100000)
DRIFT_SHARE = 0.3  # as in conf/base/parameters_monitoring.yml
SEED = 0
_START = datetime(2026, 1, 1, tzinfo=UTC)


def synthetic_window(reference: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """``rows`` reference rows drawn with replacement (the same distribution: no drift expected)."""
    rng = np.random.default_rng(seed)
    return reference.iloc[rng.integers(0, len(reference), size=rows)].reset_index(drop=True)


def _timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def _import_evidently() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import evidently  # noqa: F401


def _measure(reference: pd.DataFrame, features: list[str], target: str, rows: int) -> dict[str, float]:
    window = synthetic_window(reference, rows, SEED)
    with tempfile.TemporaryDirectory() as folder:
        write_prediction_log(
            window, features, window[target], Path(folder) / "predictions.jsonl", start=_START, source="bench"
        )
        logged, read_s = _timed(read_prediction_log, folder, window_rows=rows, window_minutes=None)
    result, drift_s = _timed(
        drift_report,
        reference,
        logged,
        features,
        drift_share=DRIFT_SHARE,
        reference_prediction=reference[target].astype(str),
        current_prediction=logged["prediction"],
    )
    html, html_s = _timed(result.html)
    return {
        "rows": rows,
        "read_s": read_s,
        "drift_s": drift_s,
        "html_s": html_s,
        "html_mb": len(html.encode()) / 1e6,
        "drift_share": result.drift_share,
        "tested_columns": len(result.per_column),
    }


def _table(results: list[dict[str, float]], import_s: float, reference_rows: int) -> str:
    lines = [
        f"Reference: digits train split, {reference_rows} rows; evidently import {import_s:.1f} s (once).",
        "",
        *markdown_table(
            [
                "window rows",
                "read log (s)",
                "drift check (s)",
                "HTML export (s)",
                "HTML (MB)",
                "drifted share",
            ],
            [
                [
                    f"{r['rows']:,}",
                    f"{r['read_s']:.2f}",
                    f"{r['drift_s']:.2f}",
                    f"{r['html_s']:.2f}",
                    f"{r['html_mb']:.1f}",
                    f"{r['drift_share']:.2f} of {r['tested_columns']}",
                ]
                for r in results
            ],
            ["right"] * 6,
        ),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=list(DEFAULT_ROWS), help="window sizes")
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="for conf/base/parameters_*.yml")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("prunegate.monitoring").setLevel(logging.WARNING)
    ingestion = load_parameters(args.project, "ingestion")
    reference, *_ = split_raw_table(sklearn_digits(), ingestion)
    target = ingestion["target_column"]
    features = ingestion["feature_columns"] or [c for c in reference.columns if c != target]
    _, import_s = _timed(_import_evidently)
    results = []
    for rows in args.rows:
        logger.info("drift check on a %d-row window", rows)
        results.append(_measure(reference, features, target, rows))
    sys.stdout.write(_table(results, import_s, len(reference)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
