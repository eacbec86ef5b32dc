"""Nodes of the gate pipeline: bless or refuse the candidate, then ship only a blessed model."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from prunegate.core.serialization import ModelArtifact
from prunegate.errors import NotBlessedError
from prunegate.gate import (
    GateConfig,
    bless,
    choose_regression_baseline,
    compare_to_baseline,
    render_gate_report,
)
from prunegate.gate.resolution import unresolvable_checks

logger = logging.getLogger(__name__)

# report links, relative to data/08_reporting where the report is written: only plots of the gate's own
# inputs (the evaluate stage's), so the report is a function of what the gate depends on; the sweep's
# plots (written by a stage the gate does not depend on, and maybe later) would make it change between
# two runs of the same inputs
REPORTING_DIR = Path("data/08_reporting")
PLOT_LINKS = {
    "confusion matrix": "candidate_confusion.png",
    "reliability diagram": "candidate_reliability.png",
}
COMPRESSION_BASELINE = {"source": "dense", "description": "the dense model of this run, same test split"}


def existing_plot_links(links: Mapping[str, str], exists: Callable[[str], bool]) -> dict[str, str]:
    """Only the links whose file exists: the sweep's plots, for one, exist only when the sweep ran."""
    return {label: path for label, path in links.items() if exists(path)}


def _in_reporting_dir(name: str) -> bool:
    return (REPORTING_DIR / name).is_file()


def gate_candidate(
    candidate_metrics: dict[str, Any],
    evaluation_metrics: dict[str, Any],
    champion_metrics: dict[str, Any] | None,
    champion_metrics_current: dict[str, Any] | None,
    config: GateConfig,
    plot_exists: Callable[[str], bool] = _in_reporting_dir,
) -> tuple[dict[str, Any], str]:
    """Compare the candidate with the dense model of this run and with the champion; never raises.

    The regression baseline is the champion re-evaluated by this run's evaluation when its model file is
    committed (as the TFX Evaluator evaluates the baseline model on the candidate's eval data), else the
    committed ``champion/metrics.json``, flagged when it was measured on another test split.

    Args:
        candidate_metrics: The candidate's metrics from this run's evaluation.
        evaluation_metrics: Every model's metrics from this run (the compression baseline is ``dense``).
        champion_metrics: ``champion/metrics.json`` as committed; None before the first promotion.
        champion_metrics_current: The champion model measured by this run's evaluation; None or empty
            when there is no ``champion/model.pt``.
        config: The ``gate`` parameters section (``conf/base/parameters_gate.yml``), validated by Kedro.
        plot_exists: Whether a plot file (relative to the report's folder) exists, for the links.

    Returns:
        The blessing (``blessed`` plus one row per check, and each gate's baseline) and its markdown report.
    """
    candidate = candidate_metrics["model"]
    baseline = choose_regression_baseline(candidate_metrics, champion_metrics, champion_metrics_current)
    results = [
        compare_to_baseline(
            candidate_metrics, evaluation_metrics["dense"], config.compression, "compression"
        ),
        compare_to_baseline(
            baseline.candidate_metrics(candidate_metrics), baseline.metrics, config.regression, "regression"
        ),
    ]
    blessing = bless(results, candidate)
    blessing["gates"]["compression"]["baseline"] = dict(COMPRESSION_BASELINE)
    blessing["gates"]["regression"]["baseline"] = baseline.to_dict()
    for name, checks in (("compression", config.compression), ("regression", config.regression)):
        blessing["gates"][name]["too_few_rows"] = unresolvable_checks(checks, candidate_metrics)
    if champion_metrics is not None:
        blessing["champion"] = champion_metrics.get("model")
    for warning in baseline.warnings:
        logger.warning("gate: %s", warning)
    logger.info(
        "gate: %s is %s (regression baseline: %s)",
        candidate,
        "BLESSED" if blessing["blessed"] else "NOT BLESSED",
        baseline.description,
    )
    return blessing, render_gate_report(blessing, links=existing_plot_links(PLOT_LINKS, plot_exists))


def ship_if_blessed(
    blessing: dict[str, Any], gate_report: str, candidate_model: ModelArtifact
) -> ModelArtifact:
    """The candidate becomes the shipped model only when blessed; otherwise the run stops.

    ``gate_report`` is an input only so that it is saved before this node can stop the run.

    Raises:
        NotBlessedError: listing the failed checks.
    """
    if not blessing["blessed"]:
        failed = [
            f"  - {row['gate']}: {row['metric']}{'' if not row.get('slice') else ' [' + row['slice'] + ']'} "
            f"{row['candidate']} vs {row['baseline']} ({row['threshold']}): {row['reason']}"
            for gate in blessing["gates"].values()
            for row in gate["rows"]
            if not row["passed"]
        ]
        raise NotBlessedError(
            f"{blessing['candidate']} is NOT BLESSED; it is not shipped. Failed checks:\n"
            + "\n".join(failed)
            + "\nReport: data/08_reporting/gate_report.md"
        )
    return replace(candidate_model, metadata={**candidate_model.metadata, "blessed": True})
