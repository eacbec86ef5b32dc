"""``prunegate monitor``: run the monitoring pipeline, print its decision, and with ``--act`` carry it out."""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path
from typing import Any

import yaml

from prunegate.core.serialization import load_artifact
from prunegate.kedro_command import kedro_command
from prunegate.monitoring.actions import act_on_decision, feedback_as_raw_rows
from prunegate.monitoring.traffic import join_feedback, read_feedback, read_prediction_log
from prunegate.params import IngestionParams, parse_params
from prunegate.params.monitoring import MonitoringParams

__all__ = ["monitor"]

logger = logging.getLogger(__name__)

SUMMARY = Path("data/08_reporting/monitoring_summary.json")


def _section(project: Path, name: str) -> dict[str, Any]:
    return yaml.safe_load((project / "conf" / "base" / f"parameters_{name}.yml").read_text())[name]


def _labelled_feedback(project: Path, config: MonitoringParams, registry_dir: Path):
    """The window's labelled rows shaped like the raw table, using the serving champion's label mapping."""
    champion = registry_dir / "champion_model.pt"
    if not champion.is_file():
        return None
    metadata = load_artifact(champion).metadata
    ingestion = parse_params(IngestionParams, _section(project, "ingestion"), "ingestion")
    window = read_prediction_log(
        project / config.predictions_dir, window_rows=config.window_rows, window_minutes=config.window_minutes
    )
    if window.empty:
        return None
    joined = join_feedback(window, read_feedback(project / config.feedback_path))
    return feedback_as_raw_rows(
        joined,
        metadata["feature_names"],
        ingestion.target_column,
        metadata["class_names"],
        metadata["class_values"],
    )


def monitor(project: Path, registry_dir: Path, *, act: bool) -> dict[str, Any]:
    """Run ``kedro run --pipelines monitoring``; returns the summary and, with ``act``, what was done."""
    result = subprocess.run(
        [*kedro_command(project), "run", "--pipelines", "monitoring"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the monitoring pipeline failed:\n{result.stderr[-3000:]}")
    summary = json.loads((project / SUMMARY).read_text())
    if not act:
        return {"summary": summary}
    config = parse_params(MonitoringParams, _section(project, "monitoring"), "monitoring")
    feedback = _labelled_feedback(project, config, registry_dir) if summary["decision"] == "retrain" else None
    outcome = act_on_decision(
        summary,
        feedback,
        project=project,
        registry_dir=registry_dir,
        feedback_path=project / "data" / "01_raw" / "feedback" / "feedback.parquet",
    )
    return {"summary": summary, "outcome": outcome}
