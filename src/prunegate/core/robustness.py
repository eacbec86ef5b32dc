"""Robustness of a classifier: accuracy under Gaussian input noise and under an FGSM attack.

Both perturb the *raw* features (the units the served model receives: every model standardises its
input inside), so ``sigma`` and ``epsilon`` are in feature units, e.g. pixel intensities. A perturbed
input can optionally be clamped back to the valid feature range.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from prunegate.core.metrics import predicted_classes
from prunegate.core.training import predict_logits

__all__ = [
    "FeatureRange",
    "FeatureScale",
    "accuracy_per_key",
    "fgsm_perturb",
    "fgsm_predictions",
    "noise_predictions",
]

DEFAULT_BATCH_SIZE = 1024

FeatureRange = tuple[float, float] | tuple[torch.Tensor, torch.Tensor] | None
"""Where perturbed inputs are clamped: one ``(low, high)`` for every feature, or per-feature tensors."""
FeatureScale = torch.Tensor | None
"""Per-feature unit of a perturbation (e.g. each feature's standard deviation); None: raw units."""


def _check_non_negative(name: str, values: Sequence[float]) -> None:
    negative = [value for value in values if value < 0]
    if negative:
        raise ValueError(f"{name} must be >= 0, got {negative}")


def _clamp(features: torch.Tensor, feature_range: FeatureRange) -> torch.Tensor:
    if feature_range is None:
        return features
    low, high = feature_range
    if isinstance(low, torch.Tensor) or isinstance(high, torch.Tensor):
        low, high = torch.as_tensor(low, dtype=features.dtype), torch.as_tensor(high, dtype=features.dtype)
        if bool((low > high).any()):
            raise ValueError("feature_range: every feature's low must be <= its high")
        return torch.maximum(torch.minimum(features, high), low)
    if not low < high:
        raise ValueError(f"feature_range must be (low, high) with low < high, got {feature_range!r}")
    return features.clamp(min=low, max=high)


def _scaled(perturbation: torch.Tensor, scale: FeatureScale) -> torch.Tensor:
    return perturbation if scale is None else perturbation * scale.to(perturbation.dtype)


def noise_predictions(
    model: nn.Module,
    features: torch.Tensor,
    sigmas: Sequence[float],
    *,
    seed: int,
    feature_range: FeatureRange = None,
    scale: FeatureScale = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> dict[str, np.ndarray]:
    """The predicted class of every row of ``features + sigma * scale * z``, ``z ~ N(0, I)``, per sigma.

    One standard-normal draw from a private generator seeded with ``seed`` is scaled by every sigma
    (common random numbers), so the results do not depend on the order of ``sigmas`` and the global
    RNG state is left untouched. ``sigma = 0`` gives the clean predictions. The gate compares two models
    row by row on these (:mod:`prunegate.gate.paired`); :func:`accuracy_per_key` turns them into
    accuracies.

    Args:
        model: classifier taking raw features; evaluated in eval mode, its mode is restored.
        features: ``N x D`` raw features.
        sigmas: noise standard deviations in units of ``scale`` (>= 0).
        seed: seed of the noise generator.
        feature_range: optional ``(low, high)`` the noisy features are clamped to.
        scale: per-feature unit of sigma (``D`` values, e.g. each feature's standard deviation, so
            features on different scales are perturbed alike); None: raw feature units.
        batch_size: rows per forward pass.

    Returns:
        ``{"accuracy_noise_{sigma:g}": predicted classes}``.
    """
    _check_non_negative("sigmas", sigmas)
    generator = torch.Generator().manual_seed(seed)
    noise = _scaled(torch.randn(features.shape, generator=generator, dtype=features.dtype), scale)
    results: dict[str, np.ndarray] = {}
    for sigma in sigmas:
        noisy = _clamp(features + sigma * noise, feature_range)
        results[f"accuracy_noise_{sigma:g}"] = predicted_classes(predict_logits(model, noisy, batch_size))
    return results


def accuracy_per_key(predictions: dict[str, np.ndarray], targets: torch.Tensor) -> dict[str, float]:
    """The accuracy of each entry of :func:`noise_predictions` or :func:`fgsm_predictions`; NaN: no rows."""
    truth = targets.cpu().numpy()
    return {
        key: float(np.mean(predicted == truth)) if len(truth) else float("nan")
        for key, predicted in predictions.items()
    }


def _input_gradient_sign(
    model: nn.Module, features: torch.Tensor, targets: torch.Tensor, batch_size: int
) -> torch.Tensor:
    """``sign(grad_x CE(model(x), y))`` per row, without touching any parameter's ``.grad``."""
    was_training = model.training
    model.eval()
    signs = []
    try:
        with torch.enable_grad():
            for start in range(0, len(features), batch_size):
                inputs = features[start : start + batch_size].detach().clone().requires_grad_(True)
                # Summed loss: each row's gradient is its own, independent of the batch size.
                loss = F.cross_entropy(model(inputs), targets[start : start + batch_size], reduction="sum")
                # autograd.grad w.r.t. the inputs only: parameters' .grad stay as they were.
                (gradient,) = torch.autograd.grad(loss, inputs, allow_unused=True)
                if gradient is None:
                    raise ValueError(
                        "the model gives no gradient w.r.t. its input (e.g. dynamic-int8 kernels); pass "
                        "its float counterpart as gradient_model"
                    )
                signs.append(gradient.sign())
    finally:
        model.train(was_training)
    return torch.cat(signs) if signs else torch.empty_like(features)


def fgsm_perturb(
    model: nn.Module,
    features: torch.Tensor,
    targets: torch.Tensor,
    epsilon: float,
    *,
    feature_range: FeatureRange = None,
    scale: FeatureScale = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> torch.Tensor:
    """Fast gradient sign method (Goodfellow, Shlens & Szegedy, 2015): ``x + eps * scale * sign(grad_x CE)``.

    Args:
        model: differentiable classifier taking raw features (eval mode during the attack).
        features: ``N x D`` raw features.
        targets: ``N`` integer class indices (the attack increases their loss).
        epsilon: L-infinity perturbation size in units of ``scale`` (>= 0).
        feature_range: optional ``(low, high)`` the adversarial features are clamped to.
        scale: per-feature unit of epsilon; None: raw feature units.
        batch_size: rows per forward/backward pass.

    Returns:
        The adversarial features (detached).
    """
    _check_non_negative("epsilon", [epsilon])
    signs = _scaled(_input_gradient_sign(model, features, targets, batch_size), scale)
    return _clamp(features.detach() + epsilon * signs, feature_range)


def fgsm_predictions(
    model: nn.Module,
    features: torch.Tensor,
    targets: torch.Tensor,
    epsilons: Sequence[float],
    *,
    feature_range: FeatureRange = None,
    scale: FeatureScale = None,
    gradient_model: nn.Module | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> dict[str, np.ndarray]:
    """The predicted class of every FGSM adversarial row (Goodfellow et al., 2015), per ``epsilon``.

    The gradient sign is computed once and scaled by every epsilon; ``epsilon = 0`` gives the clean
    predictions (up to clamping to ``feature_range``). Only input gradients are taken, so no parameter is
    left with a ``.grad``; :func:`accuracy_per_key` turns the predictions into accuracies.

    Args:
        model: the classifier being attacked and evaluated.
        features: ``N x D`` raw features.
        targets: ``N`` integer class indices (the attack's loss).
        epsilons: perturbation sizes in units of ``scale`` (>= 0).
        feature_range: optional ``(low, high)`` the adversarial features are clamped to.
        scale: per-feature unit of epsilon; None: raw feature units.
        gradient_model: the model whose gradient crafts the attack; defaults to ``model``. Pass the float
            model when ``model`` is not differentiable w.r.t. its input (dynamic int8): a transfer attack.
        batch_size: rows per forward/backward pass.

    Returns:
        ``{"accuracy_fgsm_{epsilon:g}": predicted classes}``.

    Raises:
        ValueError: on a negative epsilon, a bad ``feature_range`` or a model without input gradients.
    """
    _check_non_negative("epsilons", epsilons)
    if not epsilons:
        return {}
    attacker = model if gradient_model is None else gradient_model
    signs = _scaled(_input_gradient_sign(attacker, features, targets, batch_size), scale)
    results: dict[str, np.ndarray] = {}
    for epsilon in epsilons:
        adversarial = _clamp(features.detach() + epsilon * signs, feature_range)
        results[f"accuracy_fgsm_{epsilon:g}"] = predicted_classes(
            predict_logits(model, adversarial, batch_size)
        )
    return results
