"""Carry out a monitoring decision: nothing, a rollback, or a retraining that must pass the gate.

- ``rollback``: the registry serves the previous champion again (a running service hot-reloads it) and
  ``champion/`` is rewritten to that model, so the next pull request is not gated against the rolled-back
  one (to be committed; when ``champion/`` cannot be written, the serving rollback stands and says so);
- ``retrain``: the labelled feedback of the window is added to ``data/01_raw/feedback/feedback.parquet``
  and the whole chain runs again on the original data plus the feedback, through the gate (which compares the
  retrained model with the champion re-evaluated on the new test split, when ``champion/model.pt`` is
  committed, rather than with its metrics on the old split); only a blessed model is promoted
  (``champion/`` and the serving registry); otherwise the champion stays and the workspace (data,
  models, reports, feedback file) is restored, so the drift reference is unchanged.
Every decision and its outcome is appended to the registry history.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from prunegate.kedro_command import kedro_command, prunegate_command
from prunegate.monitoring.live_accuracy import labelled_rows
from prunegate.registry import PromotionError, restore_champion
from prunegate.registry.store import RegistryError, record_event, rollback

__all__ = ["RETRAIN_PIPELINES", "act_on_decision", "feedback_as_raw_rows"]

logger = logging.getLogger(__name__)

RETRAIN_PIPELINES = "ingestion,validation,training,pruning,distillation,evaluation,gate,packaging"


def feedback_as_raw_rows(
    window: pd.DataFrame,
    feature_names: list[str],
    target_column: str,
    class_names: list[str],
    class_values: list,
) -> pd.DataFrame:
    """Labelled rows of the window shaped like the raw table (features + target, original label values)."""
    rows = labelled_rows(window)
    value_of = dict(zip(class_names, class_values, strict=True))
    unknown = sorted(set(rows["label"]) - set(value_of))
    if unknown:
        raise ValueError(f"feedback labels {unknown[:5]} are not classes of the model {class_names}")
    table = rows[feature_names].copy()
    table[target_column] = rows["label"].map(value_of)
    return table.reset_index(drop=True)


def _append_feedback(rows: pd.DataFrame, path: Path) -> int:
    existing = pd.read_parquet(path) if path.is_file() else rows.iloc[0:0]
    combined = pd.concat([existing, rows], ignore_index=True).drop_duplicates(ignore_index=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    combined.to_parquet(temp, index=False)
    temp.replace(path)
    return len(combined) - len(existing)


_RETRAIN_OUTPUTS = ("data/05_model_input", "data/06_models", "data/08_reporting")


def _snapshot(project: Path, scratch: Path) -> None:
    """Copy what a retrain overwrites, so a retrain the gate rejects leaves the workspace as it was."""
    for relative in _RETRAIN_OUTPUTS:
        if (project / relative).is_dir():
            shutil.copytree(project / relative, scratch / relative)


def _restore(project: Path, scratch: Path) -> None:
    for relative in _RETRAIN_OUTPUTS:
        if (scratch / relative).is_dir():
            shutil.rmtree(project / relative, ignore_errors=True)
            shutil.copytree(scratch / relative, project / relative)


def _run(command: list[str], project: Path) -> subprocess.CompletedProcess:
    logger.info("running %s", " ".join(command))
    return subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)


def _restore_git_champion(champion_dir: Path, tag: str, reason: str) -> dict[str, Any]:
    """Rewrite ``champion/`` after a rollback; a failure is reported, never raised (the rollback stands)."""
    try:
        record = restore_champion(champion_dir, tag, reason=reason, by="monitor")
    except (PromotionError, RegistryError, OSError) as error:
        message = (
            f"{champion_dir}/ NOT updated ({error}); the serving rollback already happened: pull requests "
            f"are still gated against the rolled-back model until {champion_dir}/ holds {tag}"
        )
        logger.error("%s", message)
        return {"git_champion": message, "git_champion_updated": False}
    message = (
        f"{champion_dir}/ now holds {record['model']} ({record['checksum'][:12]}): commit it so that pull "
        "requests are gated against it"
    )
    logger.info("%s", message)
    return {"git_champion": message, "git_champion_updated": True}


def act_on_decision(
    summary: dict[str, Any],
    feedback_rows: pd.DataFrame | None,
    *,
    project: Path,
    registry_dir: Path,
    feedback_path: Path,
    champion_dir: Path | None = None,
) -> dict[str, Any]:
    """Execute ``summary["decision"]`` and record it; returns what was done.

    ``champion_dir`` is the git champion a rollback rewrites (default ``<project>/champion``).
    """
    decision, reasons = summary["decision"], "; ".join(summary.get("reasons", [])) or "monitoring"
    outcome: dict[str, Any] = {"decision": decision}
    if decision == "rollback":
        reason = f"monitoring: {reasons}"
        pointer = rollback(registry_dir, reason=reason, by="monitor")
        outcome.update(action="rolled back", serving=pointer.champion)
        outcome.update(_restore_git_champion(champion_dir or project / "champion", pointer.champion, reason))
    elif decision == "retrain" and (feedback_rows is None or feedback_rows.empty):
        # the policy: no retrain without labels; the same data would give the same model
        outcome.update(
            action="retrain skipped: no labelled feedback in the window (label served predictions with "
            "POST /feedback, then monitor again)",
            failed=True,
        )
    elif decision == "retrain":
        feedback_before = feedback_path.read_bytes() if feedback_path.is_file() else None
        with tempfile.TemporaryDirectory(prefix="prunegate-retrain-") as scratch:
            _snapshot(project, Path(scratch))
            added = _append_feedback(feedback_rows, feedback_path) if feedback_rows is not None else 0
            chain = _run([*kedro_command(project), "run", "--pipelines", RETRAIN_PIPELINES], project)
            if chain.returncode != 0:
                # the champion keeps serving; its splits, models, reports and the feedback file are put back
                _restore(project, Path(scratch))
                if feedback_before is None:
                    feedback_path.unlink(missing_ok=True)
                else:
                    feedback_path.write_bytes(feedback_before)
        if chain.returncode != 0:
            outcome.update(
                action="retrained, NOT BLESSED: champion and workspace kept",
                feedback_rows_added=added,
                failed=True,
            )
            logger.warning("retrained model not blessed:\n%s", chain.stderr[-2000:])
        else:
            promoted = _run(
                [
                    *prunegate_command(),
                    "promote",
                    "--reason",
                    f"retrained after drift: {reasons}",
                    "--by",
                    "monitor",
                ],
                project,
            )
            done = promoted.returncode == 0
            action = "retrained, blessed and promoted" if done else "retrained; promotion failed"
            outcome.update(action=action, feedback_rows_added=added, failed=not done)
    else:
        outcome.update(action="nothing")
    updated = "git_champion_updated"
    extra = {updated: outcome[updated]} if updated in outcome else {}
    record_event(
        registry_dir,
        "monitor",
        reason=reasons,
        by="monitor",
        decision=decision,
        action=outcome["action"],
        **extra,
    )
    return outcome
