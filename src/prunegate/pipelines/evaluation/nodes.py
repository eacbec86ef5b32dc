"""Nodes of the evaluation pipeline."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from prunegate.core.evaluation import artifact_sizes, measure_model
from prunegate.core.full_evaluation import EvaluationSettings, evaluate_classifier
from prunegate.core.quantization import build_module_for, is_dynamic_quantized, quantized_artifact
from prunegate.core.serialization import ModelArtifact
from prunegate.params import ConfigError, EvaluationParams, IngestionParams, ProfilingParams, parse_params
from prunegate.pipelines.validated_inputs import validated_splits_as_tensors
from prunegate.reporting.figures import confusion_plot, reliability_plot

logger = logging.getLogger(__name__)


def _settings(config: EvaluationParams) -> EvaluationSettings:
    return EvaluationSettings(
        ece_bins=config.ece_bins,
        noise_sigmas=tuple(config.noise_sigmas),
        fgsm_epsilons=tuple(config.fgsm_epsilons),
        feature_range=tuple(config.feature_range) if config.feature_range else None,
        seed=config.seed,
    )


def _slice_columns(
    config: EvaluationParams, test_table: pd.DataFrame, features: list[str]
) -> dict[str, list]:
    missing = [column for column in config.slice_columns if column not in test_table.columns]
    if missing:
        raise ConfigError(f"evaluation.slice_columns: {missing} not in the test table")
    used = [column for column in config.slice_columns if column in features]
    if used:
        raise ConfigError(
            f"evaluation.slice_columns: {used} are model features; list feature_columns without them"
        )
    return {column: test_table[column].tolist() for column in config.slice_columns}


def evaluate_models(
    dense_model: ModelArtifact,
    pruned_model: ModelArtifact,
    distilled_model: ModelArtifact,
    train_table: pd.DataFrame,
    val_table: pd.DataFrame,
    test_table: pd.DataFrame,
    validated_splits: dict[str, Any],
    evaluation_params: dict[str, Any],
    ingestion_params: dict[str, Any],
    profiling_params: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], ModelArtifact, pd.DataFrame, pd.DataFrame, Figure, Figure]:
    """Measure every model on the test split the same way, and single out the candidate for shipping.

    Returns:
        All models' metrics (flat numbers, plus ``slices`` and ``per_class``), the candidate's metrics,
        the candidate artifact, the candidate's confusion rows and reliability curve (DVC plots) and
        the same two as figures.
    """
    config = parse_params(EvaluationParams, evaluation_params, "evaluation")
    ingestion = parse_params(IngestionParams, ingestion_params, "ingestion")
    profiling = parse_params(ProfilingParams, profiling_params, "profiling").settings()
    data = validated_splits_as_tensors(train_table, val_table, test_table, validated_splits, ingestion)
    slices = _slice_columns(config, test_table, data.feature_names)
    artifacts = {"dense": dense_model, "pruned": pruned_model, "distilled": distilled_model}
    if config.quantize_candidate:
        artifacts[config.candidate_name] = quantized_artifact(artifacts[config.candidate])

    report: dict[str, Any] = {}
    plots: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for name, artifact in artifacts.items():
        module = build_module_for(artifact)
        float_module = artifact.build_module()  # FGSM needs input gradients, which int8 kernels lack
        result = evaluate_classifier(
            module,
            data.test,
            data.encoding.class_names,
            _settings(config),
            slice_columns=slices,
            gradient_module=float_module if is_dynamic_quantized(module) else None,
        )
        efficiency = measure_model(module, data.test, len(data.encoding.classes), profiling)
        if efficiency["macs"] == 0:  # torch's FLOP counter does not see quantized kernels
            efficiency["macs"] = measure_model(
                artifact.build_module(), data.test, len(data.encoding.classes), profiling
            )["macs"]
        metrics = {**efficiency, **result.metrics, **artifact_sizes(artifact)}
        report[name] = {**metrics, "slices": result.slices, "per_class": result.per_class}
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
