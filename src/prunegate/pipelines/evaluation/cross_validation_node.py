"""Optional k-fold cross-validation of the dense training recipe (mean ± std over folds)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import torch

from prunegate.core.cross_validation import cross_validate
from prunegate.core.models import build_model
from prunegate.core.training import fit_standardization, seed_everything, train_model
from prunegate.params import EvaluationParams, IngestionParams, TrainingParams
from prunegate.pipelines.model_inputs import ModelInputs

logger = logging.getLogger(__name__)


def cross_validate_recipe(
    data: ModelInputs,
    config: EvaluationParams,
    training: TrainingParams,
    ingestion: IngestionParams,
) -> dict[str, Any]:
    """k-fold CV of the training recipe on train + val (the test split stays untouched), if enabled."""
    if not config.cross_validation.enabled:
        return {"enabled": False}
    features = torch.cat([data.train[0], data.val[0]])
    targets = torch.cat([data.train[1], data.val[1]])
    spec = training.model_spec(features.shape[1], len(data.encoding.classes), ingestion.input_shape)
    recipe = replace(training.train_config(), show_progress=False)

    def build_and_train(train, val, fold):
        seed_everything(recipe.seed + fold)
        model = build_model(spec)
        fit_standardization(model, train[0], training.min_std_ratio)
        train_model(
            model, train, val, replace(recipe, seed=recipe.seed + fold), description=f"cv fold {fold}"
        )
        return model

    result = cross_validate(build_and_train, features, targets, config.cross_validation.folds, config.seed)
    logger.info(
        "cross-validation: accuracy %.4f ± %.4f", result["cv_accuracy_mean"], result["cv_accuracy_std"]
    )
    return {"enabled": True, **result}
