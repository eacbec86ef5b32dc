"""Data and prediction drift of a traffic window against the training reference (Evidently 0.7).

One Evidently ``Report`` runs a ``ValueDrift`` per feature column and, when predictions are given, a
``ValueDrift`` on a categorical column holding the predicted class (current window) vs the label
(reference). These are the per-column tests of Evidently's ``DataDriftPreset``; its ``DataDriftTable``
and ``DriftedColumnsCount`` compute every column's drift again (and draw it again), which took 57 % of
the check (7.0 s -> 3.0 s on 20k x 64 rows), so the share of drifted columns is counted here from the
per-column tests (the same definition) and the page opens with prunegate's own table of every column's
score, method and verdict (:meth:`DriftResult.html`).

Evidently picks each column's test from its type and the reference size
(numerical: Kolmogorov-Smirnov p-value up to 1,000 reference rows, normed Wasserstein distance above;
categorical: chi-square p-value up to 1,000 rows, Jensen-Shannon distance above); the chosen method and
threshold are reported per column. A column is *drifted* when its Evidently test fails
(``include_tests=True``), and the dataset has drifted when the share of drifted columns reaches
``drift_share`` (:func:`~prunegate.monitoring.policy.is_dataset_drift`).

Columns that are constant in the reference (e.g. digits' ``pixel_0_0``) are excluded: their normed
Wasserstein score divides by a zero spread and explodes. ``evidently`` takes 6-8 s to import, so it is
imported inside :func:`drift_report` only.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from prunegate.monitoring.policy import is_dataset_drift

__all__ = ["DriftResult", "constant_columns", "drift_report"]

logger = logging.getLogger(__name__)

PREDICTION_COLUMN = "__predicted_class__"  # reserved name: cannot clash with a feature
_FAILED = "FAIL"
# Evidently's dataset summary runs np.corrcoef on the current window; a column constant in the window
# divides by zero there. It only affects the HTML's correlation widget, not any drift score.
_CORRCOEF_WARNING = "invalid value encountered in divide"


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass
class DriftResult:
    """Outcome of one drift check; ``snapshot`` is the Evidently snapshot (``save_html``, ``json``)."""

    dataset_drift: bool
    drift_share: float
    drift_share_threshold: float
    drifted_columns: list[str]
    per_column: dict[str, dict[str, Any]]
    prediction_drift: bool | None
    prediction_drift_score: float | None
    prediction_drift_method: str | None
    excluded_constant_columns: list[str]
    rows_reference: int
    rows_current: int
    sampled_rows_reference: int | None = None  # rows the test saw when sampled (None: every row)
    sampled_rows_current: int | None = None
    snapshot: Any = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (everything but the snapshot; non-finite scores become ``None``)."""
        return {
            "dataset_drift": self.dataset_drift,
            "drift_share": self.drift_share,
            "drift_share_threshold": self.drift_share_threshold,
            "drifted_columns": list(self.drifted_columns),
            "per_column": {name: dict(values) for name, values in self.per_column.items()},
            "prediction_drift": self.prediction_drift,
            "prediction_drift_score": self.prediction_drift_score,
            "prediction_drift_method": self.prediction_drift_method,
            "excluded_constant_columns": list(self.excluded_constant_columns),
            "rows_reference": self.rows_reference,
            "rows_current": self.rows_current,
            "sampled_rows_reference": self.sampled_rows_reference,
            "sampled_rows_current": self.sampled_rows_current,
        }

    def summary_table(self) -> pd.DataFrame:
        """One row per tested column, drifted first, then by score: verdict, score, method, threshold."""
        table = pd.DataFrame.from_dict(self.per_column, orient="index")
        table = table[["drifted", "score", "method", "threshold"]]
        table = table.sort_values(["drifted", "score"], ascending=[False, False], na_position="last")
        table["drifted"] = table["drifted"].map({True: "yes", False: "no"})
        return table.rename_axis("column").reset_index()

    def summary_lines(self) -> list[str]:
        """The result in sentences: columns drifted, prediction drift, rows tested, columns left out."""
        share, threshold = 100 * self.drift_share, 100 * self.drift_share_threshold
        lines = [
            f"{len(self.drifted_columns)} of {len(self.per_column)} columns drifted ({share:.1f} %; the "
            f"dataset drifts at {threshold:.1f} %)."
        ]
        if self.prediction_drift is not None:
            score = "-" if self.prediction_drift_score is None else f"{self.prediction_drift_score:.4g}"
            lines.append(
                f"Prediction drift: {'yes' if self.prediction_drift else 'no'} (the predicted classes vs the "
                f"reference labels; {self.prediction_drift_method}, score {score})."
            )
        rows = f"Rows: reference {self.rows_reference:,}, window {self.rows_current:,}"
        if self.sampled_rows_reference or self.sampled_rows_current:
            rows += (
                f"; tested on a seeded sample of {self.sampled_rows_reference or self.rows_reference:,} "
                f"and {self.sampled_rows_current or self.rows_current:,} (monitoring.drift_sample_rows)"
            )
        lines.append(rows + ".")
        if self.excluded_constant_columns:
            lines.append(
                f"Not tested: {len(self.excluded_constant_columns)} column(s) constant in the reference "
                f"({', '.join(self.excluded_constant_columns)})."
            )
        return lines

    def html(self, decision: Sequence[str] = ()) -> str:
        """The Evidently report as one self-contained HTML page (JS inlined, works offline).

        It opens with ``decision`` (the monitoring decision and its reasons, when given), the verdict
        (:meth:`summary_lines`) and :meth:`summary_table`; Evidently's per-column widgets follow.
        """
        page = self.snapshot.get_html_str(as_iframe=False)
        verdict = "drifted" if self.dataset_drift else "no drift"
        paragraphs = "".join(f"<p>{escape(line)}</p>" for line in [*decision, *self.summary_lines()])
        heading = f"<h2>Data drift: {verdict}</h2>{paragraphs}"
        table = self.summary_table().to_html(
            index=False, float_format=lambda value: f"{value:.4g}", na_rep="-"
        )
        summary = f'<section id="prunegate-drift-summary" style="margin:1em">{heading}{table}</section>'
        body = page.find("<body")
        if body < 0:
            return summary + page
        start = page.index(">", body) + 1
        return page[:start] + summary + page[start:]


def constant_columns(reference: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """Columns of ``reference`` with at most one distinct non-missing value, in ``columns`` order."""
    return [column for column in columns if reference[column].nunique(dropna=True) <= 1]


def _check_inputs(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: list[str],
    drift_share: float,
    predictions: tuple[pd.Series | None, pd.Series | None],
) -> None:
    if not 0 < drift_share <= 1:
        raise ValueError(f"drift_share must be in (0, 1], got {drift_share}")
    for name, frame in (("reference", reference), ("current", current)):
        missing = [column for column in columns if column not in frame.columns]
        if missing:
            raise ValueError(f"{name} data lacks feature columns {missing[:10]}")
        if frame.empty:
            raise ValueError(f"{name} data is empty: nothing to compare")
    reference_prediction, current_prediction = predictions
    if (reference_prediction is None) != (current_prediction is None):
        raise ValueError("give both reference_prediction and current_prediction, or neither")
    if reference_prediction is not None and len(reference_prediction) != len(reference):
        raise ValueError("reference_prediction must have one value per reference row")
    if current_prediction is not None and len(current_prediction) != len(current):
        raise ValueError("current_prediction must have one value per current row")


def _frame(data: pd.DataFrame, columns: list[str], prediction: pd.Series | None) -> pd.DataFrame:
    frame = data[columns].astype(float).reset_index(drop=True)
    if prediction is not None:
        frame[PREDICTION_COLUMN] = prediction.astype(str).to_numpy()
    return frame


def _run_report(reference: pd.DataFrame, current: pd.DataFrame, columns: list[str], drift_share: float):
    with warnings.catch_warnings():  # evidently 0.7.23's imports warn (numpy.core, litestar): not ours
        warnings.simplefilter("ignore", DeprecationWarning)
        from evidently import DataDefinition, Dataset, Report
        from evidently.metrics import ValueDrift

    with_prediction = PREDICTION_COLUMN in reference.columns
    definition = DataDefinition(
        numerical_columns=columns, categorical_columns=[PREDICTION_COLUMN] if with_prediction else []
    )
    metrics = [ValueDrift(column=column) for column in columns]
    if with_prediction:
        metrics.append(ValueDrift(column=PREDICTION_COLUMN))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_CORRCOEF_WARNING, category=RuntimeWarning)
        return Report(metrics, include_tests=True).run(
            current_data=Dataset.from_pandas(current, data_definition=definition),
            reference_data=Dataset.from_pandas(reference, data_definition=definition),
        )


def _sample(
    table: pd.DataFrame, prediction: pd.Series | None, rows: int | None, seed: int
) -> tuple[pd.DataFrame, pd.Series | None]:
    """At most ``rows`` rows of ``table`` (and the same rows of ``prediction``), seeded, order kept."""
    if rows is None or len(table) <= rows:
        return table, prediction
    picks = np.sort(np.random.default_rng(seed).choice(len(table), size=rows, replace=False))
    sampled_prediction = None if prediction is None else prediction.iloc[picks]
    return table.iloc[picks], sampled_prediction


def _parse_snapshot(snapshot) -> dict[str, dict[str, Any]]:
    """Per column (the prediction column too): {score, drifted, method, threshold}."""
    content = snapshot.dict()
    per_column: dict[str, dict[str, Any]] = {}
    for metric in content["metrics"]:
        config = metric["config"]
        if str(config.get("type", "")).endswith("ValueDrift"):
            per_column[config["column"]] = {
                "score": _finite(metric["value"]),
                "drifted": False,
                "method": config.get("method"),
                "threshold": config.get("threshold"),
            }
    for test in content["tests"]:
        params = test["metric_config"]["params"]
        if str(params.get("type", "")).endswith("ValueDrift") and params.get("column") in per_column:
            status = getattr(test["status"], "value", test["status"])
            per_column[params["column"]]["drifted"] = status == _FAILED
    return per_column


def drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    feature_columns: Sequence[str],
    *,
    drift_share: float,
    reference_prediction: pd.Series | None = None,
    current_prediction: pd.Series | None = None,
    sample_rows: int | None = None,
    seed: int = 0,
) -> DriftResult:
    """Compare the ``current`` window with the ``reference`` table, column by column.

    Args:
        reference: the training reference (the validated train split).
        current: the traffic window, with the same feature columns.
        feature_columns: the model's features; those constant in ``reference`` are excluded.
        drift_share: dataset drift when at least this share of the tested columns drifted, in (0, 1].
        reference_prediction: the reference's class per row (its labels, as class names).
        current_prediction: the predicted class per row of ``current`` (both or neither).
        sample_rows: test at most this many rows of each table, a seeded uniform sample without
            replacement (with its predictions); ``None`` tests every row. The check's time grows with
            the rows; the sampling error of a column's score shrinks as ``1/sqrt(rows)`` (measured in
            :mod:`benchmarks.drift_timing`: ``--sampling-error``).
        seed: the sample's seed.

    Returns:
        The result, with the Evidently snapshot attached.

    Raises:
        ValueError: on missing feature columns, an empty table, mismatched prediction lengths, or when
            every feature column is constant in the reference.
    """
    columns = list(feature_columns)
    predictions = (reference_prediction, current_prediction)
    _check_inputs(reference, current, columns, drift_share, predictions)
    rows = (len(reference), len(current))
    reference, reference_prediction = _sample(reference, reference_prediction, sample_rows, seed)
    current, current_prediction = _sample(current, current_prediction, sample_rows, seed + 1)
    excluded = constant_columns(reference, columns)
    tested = [column for column in columns if column not in excluded]
    if not tested:
        raise ValueError("every feature column is constant in the reference: drift cannot be measured")
    if excluded:
        logger.info("drift: %d columns constant in the reference are excluded: %s", len(excluded), excluded)
    snapshot = _run_report(
        _frame(reference, tested, reference_prediction),
        _frame(current, tested, current_prediction),
        tested,
        drift_share,
    )
    per_column = _parse_snapshot(snapshot)
    prediction = per_column.pop(PREDICTION_COLUMN, None)
    share = sum(values["drifted"] for values in per_column.values()) / len(per_column)
    result = DriftResult(
        dataset_drift=is_dataset_drift(share, drift_share),
        drift_share=share,
        drift_share_threshold=drift_share,
        drifted_columns=[column for column in tested if per_column[column]["drifted"]],
        per_column=per_column,
        prediction_drift=None if prediction is None else prediction["drifted"],
        prediction_drift_score=None if prediction is None else prediction["score"],
        prediction_drift_method=None if prediction is None else prediction["method"],
        excluded_constant_columns=excluded,
        rows_reference=rows[0],
        rows_current=rows[1],
        sampled_rows_reference=len(reference) if len(reference) < rows[0] else None,
        sampled_rows_current=len(current) if len(current) < rows[1] else None,
        snapshot=snapshot,
    )
    sampled = f" (sampled {len(reference):,} of {rows[0]:,} and {len(current):,} of {rows[1]:,} rows)"
    logger.info(
        "drift: %.1f%% of %d columns drifted (threshold %.1f%%), prediction drift %s%s",
        100 * share,
        len(tested),
        100 * drift_share,
        result.prediction_drift,
        sampled if (len(reference), len(current)) != rows else "",
    )
    return result
