"""Stratified k-fold cross-validation of a training recipe (Kohavi, 1995, "A Study of Cross-Validation
and Bootstrap for Accuracy Estimation and Model Selection").

One test split gives one accuracy; k folds give its spread, so the gate can tell a real regression from
the noise of retraining. The recipe is a callable, so the same function validates any trainer.

The held-out fold is never shown to the recipe: it receives the other folds, split into a training part
and a stratified early-stopping part, so early stopping cannot peek at the fold it is scored on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import torch
from sklearn.model_selection import StratifiedKFold, train_test_split
from torch import nn

from prunegate.core.metrics import accuracy
from prunegate.core.training import predict_logits

__all__ = ["DEFAULT_EARLY_STOPPING_FRACTION", "BuildAndTrain", "cross_validate"]

logger = logging.getLogger(__name__)

Split = tuple[torch.Tensor, torch.Tensor]
BuildAndTrain = Callable[[Split, Split, int], nn.Module]
"""``(train, early_stopping_val, fold) -> trained module``; ``train``/``val`` are ``(features, targets)``."""

DEFAULT_EARLY_STOPPING_FRACTION = 0.2


def cross_validate(
    build_and_train: BuildAndTrain,
    features: torch.Tensor,
    targets: torch.Tensor,
    folds: int,
    seed: int,
    *,
    early_stopping_fraction: float = DEFAULT_EARLY_STOPPING_FRACTION,
) -> dict[str, float | int | list[float]]:
    """Train on k-1 folds, score accuracy on the held-out fold, k times (scikit-learn ``StratifiedKFold``).

    Args:
        build_and_train: builds a fresh model and trains it on ``train``, using ``val`` for early
            stopping (or ignoring it); ``fold`` is the 0-based fold index (e.g. to vary its seed).
        features: ``N x D`` raw features.
        targets: ``N`` integer class indices.
        folds: number of folds (>= 2; every class needs at least ``folds`` rows).
        seed: shuffles the folds (``StratifiedKFold(shuffle=True, random_state=seed)``) and the
            early-stopping split.
        early_stopping_fraction: share of the training folds passed as ``val`` (stratified).

    Returns:
        ``cv_accuracy_mean``, ``cv_accuracy_std`` (population std, ``ddof=0``, as
        ``np.std(cross_val_score(...))``), ``cv_folds`` and ``cv_fold_accuracies`` (in fold order).
    """
    if not 0.0 < early_stopping_fraction < 1.0:
        raise ValueError(f"early_stopping_fraction must be in (0, 1), got {early_stopping_fraction!r}")
    labels = targets.cpu().numpy()
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    fold_accuracies: list[float] = []
    for fold, (train_rows, held_out_rows) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        fit_rows, val_rows = train_test_split(
            train_rows, test_size=early_stopping_fraction, random_state=seed, stratify=labels[train_rows]
        )
        fit_index, val_index = torch.as_tensor(fit_rows), torch.as_tensor(val_rows)
        model = build_and_train(
            (features[fit_index], targets[fit_index]), (features[val_index], targets[val_index]), fold
        )
        held_out = torch.as_tensor(held_out_rows)
        fold_accuracies.append(accuracy(predict_logits(model, features[held_out]), targets[held_out]))
        logger.info("cross-validation fold %d/%d: accuracy %.4f", fold + 1, folds, fold_accuracies[-1])
    return {
        "cv_accuracy_mean": float(np.mean(fold_accuracies)),
        "cv_accuracy_std": float(np.std(fold_accuracies)),
        "cv_folds": folds,
        "cv_fold_accuracies": fold_accuracies,
    }
