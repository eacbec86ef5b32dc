"""The quality of one model as the regression gate sees it (in the spirit of TFX's Evaluator): accuracy,
calibration, robustness, out-of-distribution detection, per-class and sliced metrics from one pass over
the test split. Its efficiency (size, MACs, latency, energy) is :mod:`prunegate.core.efficiency`.

A thin composition of :mod:`~prunegate.core.metrics`, :mod:`~prunegate.core.calibration`,
:mod:`~prunegate.core.robustness` and :mod:`~prunegate.core.slices`; the flat numbers in
:attr:`EvaluationResult.metrics` use the same keys for every model, so DVC and the gate compare like with
like.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from prunegate.core.calibration import expected_calibration_error, reliability_curve
from prunegate.core.metrics import (
    classification_metrics,
    confusion_rows,
    macro_precision_recall,
    per_class_metrics,
    predicted_classes,
)
from prunegate.core.ood import ood_inputs, ood_metrics
from prunegate.core.robustness import (
    FeatureRange,
    FeatureScale,
    accuracy_per_key,
    fgsm_predictions,
    noise_predictions,
)
from prunegate.core.slices import slice_metrics, slice_rows
from prunegate.core.training import predict_logits

__all__ = ["EvaluationResult", "EvaluationSettings", "evaluate_classifier"]


@dataclass(frozen=True)
class EvaluationSettings:
    """What is measured besides accuracy (validated upstream, at the node boundary).

    Attributes:
        ece_bins: equal-width confidence bins of the ECE (Guo et al., 2017, use 15).
        noise_sigmas: Gaussian input-noise standard deviations, in units of ``feature_scale``.
        fgsm_epsilons: FGSM perturbation sizes (Goodfellow et al., 2015), in units of ``feature_scale``.
        feature_range: ``(low, high)`` perturbed features are clamped to (numbers, or per-feature
            tensors), or ``None``.
        feature_scale: per-feature unit of the noise sigmas and FGSM epsilons (e.g. each feature's
            standard deviation), or ``None`` for raw feature units.
        seed: seed of the input noise.
        extra_ood: more out-of-distribution rows by set name (e.g. the user's own ``user`` file), measured
            beside the built-in sets and counted in the means over sets.
    """

    ece_bins: int
    noise_sigmas: tuple[float, ...] = ()
    fgsm_epsilons: tuple[float, ...] = ()
    feature_range: FeatureRange = None
    feature_scale: FeatureScale = None
    seed: int = 0
    extra_ood: Mapping[str, torch.Tensor] = field(default_factory=dict)


@dataclass(frozen=True)
class EvaluationResult:
    """Everything measured on one model.

    Attributes:
        metrics: flat numbers: ``accuracy``, ``f1_macro``, ``log_loss``, ``precision_macro``,
            ``recall_macro``, ``ece``, ``accuracy_noise_<sigma>``, ``accuracy_fgsm_<epsilon>``, and the
            out-of-distribution scores ``ood_auroc_<msp|energy>[_<set>]``, ``ood_fpr95_...``
            (:mod:`prunegate.core.ood`).
        per_class: ``{class name: {precision, recall, f1, support}}``.
        slices: ``{"class=<name>" | "<column>=<value>": {accuracy, [f1_macro,] count}}``.
        confusion_rows: one ``{"actual", "predicted"}`` row per test sample (DVC ``confusion`` plot).
        reliability: ``{"bin", "confidence", "accuracy", "count"}`` per non-empty confidence bin.
        row_predictions: the predicted class of every test row, per accuracy-type metric (``accuracy``:
            clean rows; ``accuracy_noise_<sigma>``, ``accuracy_fgsm_<epsilon>``: perturbed rows), for
            the gate's paired comparison of two models on the same rows.
        slice_rows: the test-row indices of every slice in ``slices``.
    """

    metrics: dict[str, float]
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    slices: dict[str, dict[str, float]] = field(default_factory=dict)
    confusion_rows: list[dict[str, str]] = field(default_factory=list)
    reliability: list[dict[str, Any]] = field(default_factory=list)
    row_predictions: dict[str, list[int]] = field(default_factory=dict)
    slice_rows: dict[str, list[int]] = field(default_factory=dict)


def evaluate_classifier(
    module: nn.Module,
    test: tuple[torch.Tensor, torch.Tensor],
    class_names: Sequence[str],
    settings: EvaluationSettings,
    *,
    slice_columns: dict[str, Sequence] | None = None,
    gradient_module: nn.Module | None = None,
) -> EvaluationResult:
    """Measure ``module`` on the test split.

    Args:
        module: classifier taking raw features; its train/eval mode is restored afterwards.
        test: ``(features N x D, integer targets N)``.
        class_names: name of class ``i`` at position ``i``.
        settings: ECE bins, noise sigmas, FGSM epsilons, clamping range and noise seed.
        slice_columns: optional ``{column: N values}`` to slice by (not model features).
        gradient_module: crafts the FGSM attack when ``module`` has no input gradient (dynamic int8):
            pass its float counterpart. Defaults to ``module``.

    Returns:
        The :class:`EvaluationResult`.
    """
    features, targets = test
    num_classes = len(class_names)
    logits = predict_logits(module, features)
    probabilities = torch.softmax(logits.double(), dim=1)

    metrics: dict[str, float] = dict(classification_metrics(logits, targets, num_classes))
    metrics.update(macro_precision_recall(logits, targets, num_classes))
    metrics["ece"] = expected_calibration_error(probabilities, targets, settings.ece_bins)
    perturbed = noise_predictions(
        module,
        features,
        settings.noise_sigmas,
        seed=settings.seed,
        feature_range=settings.feature_range,
        scale=settings.feature_scale,
    )
    perturbed.update(
        fgsm_predictions(
            module,
            features,
            targets,
            settings.fgsm_epsilons,
            feature_range=settings.feature_range,
            scale=settings.feature_scale,
            gradient_model=gradient_module,
        )
    )
    metrics.update(accuracy_per_key(perturbed, targets))
    outside = {
        **ood_inputs(features, seed=settings.seed, feature_range=settings.feature_range),
        **settings.extra_ood,
    }
    metrics.update(ood_metrics(module, features, outside, in_logits=logits))
    row_predictions = {"accuracy": predicted_classes(logits), **perturbed}
    return EvaluationResult(
        metrics=metrics,
        per_class=per_class_metrics(logits, targets, class_names),
        slices=slice_metrics(logits, targets, slice_columns, class_names),
        confusion_rows=confusion_rows(logits, targets, class_names),
        reliability=reliability_curve(probabilities, targets, settings.ece_bins),
        row_predictions={key: predicted.tolist() for key, predicted in row_predictions.items()},
        slice_rows=slice_rows(targets, slice_columns, class_names),
    )
