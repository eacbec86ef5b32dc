"""Nodes of the training pipeline."""

from __future__ import annotations

import logging

import torch
from torch import nn

from prunegate.core.distributed import run_distributed
from prunegate.core.efficiency import artifact_sizes, measure_model, reproducible_metrics
from prunegate.core.models import ModelSpec, build_model
from prunegate.core.pruning.regularization import get_regularizer
from prunegate.core.serialization import ModelArtifact
from prunegate.core.training import (
    TrainResult,
    fit_standardization,
    seed_everything,
    train_model,
)
from prunegate.params import IngestionParams, ProfilingParams, TrainingParams
from prunegate.pipelines.model_inputs import ModelInputs

logger = logging.getLogger(__name__)


def fit_dense_model(
    spec: ModelSpec,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    config: TrainingParams,
) -> tuple[nn.Module, TrainResult]:
    """Build the model from the seed, standardise its inputs on ``train`` and train it (one rank's work)."""
    seed_everything(config.seed)
    model = build_model(spec)
    fit_standardization(model, train[0], config.min_std_ratio)
    regularizer = get_regularizer(config.regularization.kind, config.regularization.strength)
    result = train_model(
        model, train, val, config.train_config(), regularizer=regularizer, description="train dense"
    )
    return model, result


def train_dense_model(
    data: ModelInputs,
    config: TrainingParams,
    ingestion: IngestionParams,
    profiling: ProfilingParams,
) -> tuple[ModelArtifact, dict[str, float], list[dict[str, float]]]:
    """Train the dense model on validated splits and measure it on the test split.

    Args:
        data: The certified splits as tensors (``prepare_model_inputs``).
        config: ``params:training``; validated before any work.
        ingestion: ``params:ingestion`` (target and feature columns, image shape).
        profiling: ``params:profiling`` (how latency is measured).

    Returns:
        The model artifact, its test metrics (flat JSON for DVC) and the per-epoch history.
    """
    spec = config.model_spec(len(data.feature_names), len(data.encoding.classes), ingestion.input_shape)

    model, result = run_distributed(
        fit_dense_model,
        spec,
        data.train,
        data.val,
        config,
        settings=config.distributed.settings(config.device),
    )

    metrics = measure_model(model, data.test, spec.num_classes, profiling.settings())
    metrics["best_epoch"] = result.best_epoch + 1
    metadata = {
        "role": "dense",
        "class_values": list(data.encoding.classes),
        "class_names": data.encoding.class_names,
        "feature_names": data.feature_names,
        "target_column": ingestion.target_column,
        "input_shape": ingestion.input_shape,
        "seed": config.seed,
        "data_fingerprints": data.fingerprints,
        "metrics": reproducible_metrics(metrics),
    }
    artifact = ModelArtifact.from_module(model, spec, metadata)
    metrics.update(artifact_sizes(artifact))
    logger.info("dense model: test accuracy %.4f, macro F1 %.4f", metrics["accuracy"], metrics["f1_macro"])
    return artifact, metrics, result.history
