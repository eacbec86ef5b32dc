"""Nodes of the training pipeline."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from prunegate.core.metrics import classification_metrics
from prunegate.core.models import build_model
from prunegate.core.serialization import ModelArtifact
from prunegate.core.training import fit_standardization, predict_logits, seed_everything, train_model
from prunegate.data.features import prepare_splits
from prunegate.data.tables import table_fingerprint
from prunegate.errors import UnvalidatedDataError
from prunegate.params import IngestionParams, TrainingParams, parse_params

logger = logging.getLogger(__name__)


def _require_validated(validated_splits: dict[str, Any], tables: dict[str, pd.DataFrame]) -> None:
    if not validated_splits.get("passed"):
        raise UnvalidatedDataError("the splits did not pass data validation; run `kedro run -p validation`")
    for name, table in tables.items():
        if validated_splits.get("fingerprints", {}).get(name) != table_fingerprint(table):
            raise UnvalidatedDataError(
                f"the {name} split changed since it was validated; run `kedro run -p validation` first"
            )


def train_dense_model(
    train_table: pd.DataFrame,
    val_table: pd.DataFrame,
    test_table: pd.DataFrame,
    validated_splits: dict[str, Any],
    training_params: dict[str, Any],
    ingestion_params: dict[str, Any],
) -> tuple[ModelArtifact, dict[str, float], list[dict[str, float]]]:
    """Train the dense model on validated splits and measure it on the test split.

    Args:
        train_table, val_table, test_table: The validated splits.
        validated_splits: The certificate written by validation (fingerprints of the splits).
        training_params: ``params:training``; validated before any work.
        ingestion_params: ``params:ingestion`` (target and feature columns, image shape).

    Returns:
        The model artifact, its test metrics (flat JSON for DVC) and the per-epoch history.
    """
    config = parse_params(TrainingParams, training_params, "training")
    ingestion = parse_params(IngestionParams, ingestion_params, "ingestion")
    _require_validated(validated_splits, {"train": train_table, "val": val_table, "test": test_table})
    data = prepare_splits(
        train_table, val_table, test_table, ingestion.target_column, ingestion.feature_columns
    )
    spec = config.model_spec(len(data.feature_names), len(data.encoding.classes), ingestion.image_shape)

    seed_everything(config.seed)
    model = build_model(spec)
    fit_standardization(model, data.train[0])
    result = train_model(model, data.train, data.val, config.train_config(), description="train dense")

    metrics = classification_metrics(predict_logits(model, data.test[0]), data.test[1], spec.num_classes)
    metrics.update(
        params=sum(p.numel() for p in model.parameters()),
        test_rows=len(test_table),
        best_epoch=result.best_epoch + 1,
    )
    metadata = {
        "role": "dense",
        "class_values": list(data.encoding.classes),
        "class_names": data.encoding.class_names,
        "feature_names": data.feature_names,
        "target_column": ingestion.target_column,
        "image_shape": ingestion.image_shape,
        "seed": config.seed,
        "data_fingerprints": validated_splits["fingerprints"],
        "metrics": metrics,
    }
    logger.info("dense model: test accuracy %.4f, macro F1 %.4f", metrics["accuracy"], metrics["f1_macro"])
    return ModelArtifact.from_module(model, spec, metadata), metrics, result.history
