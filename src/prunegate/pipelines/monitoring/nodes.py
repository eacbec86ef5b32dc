"""Nodes of the monitoring pipeline: check the last window of served traffic and decide what to do.

The decision (``none`` | ``retrain`` | ``rollback``) is logged and written to the summary, never
executed here: rolling back belongs to the registry and retraining to the training pipelines.
"""

from __future__ import annotations

import html
import logging
from typing import Any

import pandas as pd

from prunegate.core.serialization import ModelArtifact
from prunegate.data.features import feature_columns_of
from prunegate.monitoring.drift import DriftResult, drift_report
from prunegate.monitoring.live_accuracy import (
    accuracy_of,
    artifact_predictor,
    describe_live,
    labelled_accuracy,
)
from prunegate.monitoring.policy import decide
from prunegate.monitoring.traffic import (
    SKIPPED_LINES,
    join_feedback,
    read_feedback,
    read_prediction_log,
)
from prunegate.params import IngestionParams, MonitoringParams

logger = logging.getLogger(__name__)


def _read_window(config: MonitoringParams) -> tuple[pd.DataFrame, int]:
    """The last window joined with its labels, and the number of malformed feedback lines."""
    # The one node that reads paths itself: the logs are an append-only stream the running service keeps
    # writing, not an artifact of the pipeline, so they are not catalog datasets (nor DVC-cached).
    window = read_prediction_log(
        config.predictions_dir, window_rows=config.window_rows, window_minutes=config.window_minutes
    )
    feedback = read_feedback(config.feedback_path)
    return join_feedback(window, feedback), feedback.attrs[SKIPPED_LINES]


def _not_run_page(message: str, decision: list[str]) -> str:
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in [*decision, message])
    return f"<!DOCTYPE html>\n<html><body><h1>Drift report</h1>{paragraphs}</body></html>\n"


def _drift(
    train_table: pd.DataFrame,
    window: pd.DataFrame,
    target: str,
    features: list[str],
    config: MonitoringParams,
) -> tuple[dict[str, Any], DriftResult | None]:
    if len(window) < config.min_rows:
        message = f"drift not checked: {len(window)} rows in the window < min_rows {config.min_rows}"
        logger.info(message)
        not_run = {"dataset_drift": None, "drift_share": None, "prediction_drift": None, "skipped": message}
        counts = {"rows_reference": len(train_table), "rows_current": len(window)}
        return {**not_run, **counts}, None
    result = drift_report(
        train_table,
        window,
        features,
        drift_share=config.drift_share_threshold,
        reference_prediction=train_table[target].astype(str),
        current_prediction=window["prediction"],
        sample_rows=config.drift_sample_rows,
    )
    return result.to_dict(), result


def _live(window: pd.DataFrame, previous_model: ModelArtifact | None) -> dict[str, Any]:
    """Accuracy of the serving model (the newest row's version) and of the previous champion.

    Both are measured on the same rows: the labelled ones served by that version, so a window spanning a
    deployment does not mix two models' predictions.
    """
    if window.empty:
        return {
            "champion_version": None,
            "labelled_rows": 0,
            "champion_accuracy": None,
            "previous_accuracy": None,
        }
    version = window["model_version"].iloc[-1]
    served = window[window["model_version"] == version]
    labelled, champion_accuracy = labelled_accuracy(served)
    previous_accuracy = None
    if previous_model is not None and labelled:
        predict, features = artifact_predictor(previous_model)
        previous_accuracy = accuracy_of(predict, served, features)
    return {
        "champion_version": version,
        "labelled_rows": labelled,
        "champion_accuracy": champion_accuracy,
        "previous_accuracy": previous_accuracy,
        "previous_model_checksum": None if previous_model is None else previous_model.checksum,
    }


def _timestamp(window: pd.DataFrame, position: int) -> str | None:
    return None if window.empty else window["timestamp"].iloc[position].isoformat()


def monitor_traffic(
    train_table: pd.DataFrame,
    config: MonitoringParams,
    ingestion: IngestionParams,
    previous_model: ModelArtifact | None,
) -> tuple[dict[str, Any], str]:
    """Check the last window of served traffic against the training reference and decide.

    Args:
        train_table: the validated train split (the drift reference; its labels are the reference for
            prediction drift).
        config: ``params:monitoring`` (log paths, window, policy thresholds).
        ingestion: ``params:ingestion`` (target and feature columns).
        previous_model: the previous champion, scored on the same labelled rows; ``None`` if there is none.

    Returns:
        The JSON summary (``decision``, ``reasons``, ``window``, ``drift``, ``live``, ``model_versions``)
        and the Evidently drift report as HTML (a short page when the check did not run).
    """
    features = feature_columns_of(train_table, ingestion.target_column, ingestion.feature_columns)
    window, feedback_skipped = _read_window(config)
    drift, drift_result = _drift(train_table, window, ingestion.target_column, features, config)
    live = _live(window, previous_model)
    decision = decide(drift, live, config.policy())
    said = [
        f"Monitoring decision: {decision.action}"
        + (f" ({'; '.join(decision.reasons)})" if decision.reasons else ""),
        describe_live(live),
    ]
    report_html = _not_run_page(drift["skipped"], said) if drift_result is None else drift_result.html(said)
    summary = {
        "decision": decision.action,
        "reasons": decision.reasons,
        "window": {
            "rows": len(window),
            "labelled_rows": int(window["label"].notna().sum()),
            "from": _timestamp(window, 0),
            "to": _timestamp(window, -1),
            "skipped_lines": window.attrs[SKIPPED_LINES],
            "feedback_skipped_lines": feedback_skipped,
        },
        "drift": drift,
        "live": live,
        "model_versions": sorted(window["model_version"].dropna().unique().tolist()),
    }
    log = logger.info if decision.action == "none" else logger.warning
    log("monitoring decision: %s (%s)", decision.action, "; ".join(decision.reasons))
    return summary, report_html
