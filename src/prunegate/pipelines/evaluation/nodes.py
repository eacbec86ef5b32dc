"""Nodes of the evaluation pipeline."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from prunegate.core.quantization import quantized_artifact
from prunegate.core.serialization import ModelArtifact
from prunegate.pipelines.evaluation.measure import TestSplit, measure_artifact
from prunegate.reporting.figures import confusion_plot, reliability_plot

logger = logging.getLogger(__name__)


def evaluate_models(
    dense_model: ModelArtifact,
    pruned_model: ModelArtifact,
    distilled_model: ModelArtifact,
    split: TestSplit,
) -> tuple[dict[str, Any], dict[str, Any], ModelArtifact, pd.DataFrame, pd.DataFrame, Figure, Figure]:
    """Measure every model on the test split the same way, and single out the candidate for shipping.

    Returns:
        All models' metrics (flat numbers, the test split's fingerprint, plus ``slices`` and
        ``per_class``), the candidate's metrics, the candidate artifact, the candidate's confusion rows
        and reliability curve (DVC plots) and the same two as figures.
    """
    config = split.config
    artifacts = {"dense": dense_model, "pruned": pruned_model, "distilled": distilled_model}
    if config.quantize_candidate:
        artifacts[config.candidate_name] = quantized_artifact(artifacts[config.candidate])

    report: dict[str, Any] = {}
    plots: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for name, artifact in artifacts.items():
        metrics, result = measure_artifact(artifact, split)
        report[name] = metrics
        plots[name] = (pd.DataFrame(result.confusion_rows), pd.DataFrame(result.reliability))
        logger.info(
            "%s: accuracy %.4f, ece %.4f, macs %d", name, metrics["accuracy"], metrics["ece"], metrics["macs"]
        )

    candidate = config.candidate_name
    confusion, reliability = plots[candidate]
    figures = (
        confusion_plot(confusion, f"confusion matrix: {candidate}"),
        reliability_plot(reliability, f"reliability: {candidate} (ECE {report[candidate]['ece']:.3f})"),
    )
    return (
        report,
        {"model": candidate, **report[candidate]},
        artifacts[candidate],
        confusion,
        reliability,
        *figures,
    )
