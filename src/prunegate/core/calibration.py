"""Top-label calibration: expected calibration error and the reliability curve behind it.

Guo, Pleiss, Sun & Weinberger (2017), "On Calibration of Modern Neural Networks": split the confidence
(the largest predicted probability of each sample) into ``M`` equal-width bins over ``[0, 1]``, and
weight each bin's gap between accuracy and mean confidence by its share of the samples:

    ECE = sum_m |B_m| / N * |acc(B_m) - conf(B_m)|

The ECE is torchmetrics' ``multiclass_calibration_error`` (norm ``l1``; imported when first used, ~1 s).
torchmetrics does not return the bins themselves, which the reliability diagram needs (with their sample
counts), so :func:`reliability_curve` bins with numpy *exactly as torchmetrics does*: left-closed bins
``[(m-1)/M, m/M)`` on float32 confidences, and a confidence of exactly 1 in a bin of its own (index
``M``; a float32 softmax of a confident network often gives exactly 1). The sample-weighted gaps of the
curve therefore add up to the ECE (a test holds them to it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["expected_calibration_error", "reliability_curve"]

ArrayLike = torch.Tensor | np.ndarray


@dataclass(frozen=True)
class _TopLabel:
    """Each sample's top-label confidence (float32, as torchmetrics computes it) and whether it is right."""

    probabilities: torch.Tensor
    targets: torch.Tensor
    confidence: np.ndarray
    correct: np.ndarray


def _top_label(probabilities: ArrayLike, targets: ArrayLike, bins: int) -> _TopLabel:
    if isinstance(bins, bool) or not isinstance(bins, int) or bins <= 0:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    probs = torch.as_tensor(probabilities).detach().cpu().float()
    truth = torch.as_tensor(targets).detach().cpu().long()
    if probs.ndim != 2 or probs.shape[0] == 0:
        raise ValueError(f"probabilities must be a non-empty N x C array, got shape {tuple(probs.shape)}")
    if truth.shape != (probs.shape[0],):
        raise ValueError(f"targets must have shape ({probs.shape[0]},), got {tuple(truth.shape)}")
    confidence, predicted = probs.max(dim=1)
    return _TopLabel(
        probabilities=probs,
        targets=truth,
        confidence=confidence.numpy().astype(np.float64),
        correct=(predicted == truth).numpy().astype(np.float64),
    )


def expected_calibration_error(probabilities: ArrayLike, targets: ArrayLike, bins: int) -> float:
    """Expected calibration error of top-label confidences (Guo et al., 2017), by torchmetrics.

    Args:
        probabilities: ``N x C`` predicted class probabilities (rows sum to 1, e.g. a softmax).
        targets: ``N`` integer class indices.
        bins: number of equal-width confidence bins over ``[0, 1]`` (the paper uses 15).

    Returns:
        The sample-weighted mean ``|accuracy - confidence|`` over the bins, in ``[0, 1]``.

    Raises:
        ValueError: on empty input, mismatched shapes or a non-positive ``bins``.
    """
    from torchmetrics.functional.classification import multiclass_calibration_error

    top = _top_label(probabilities, targets, bins)
    ece = multiclass_calibration_error(
        top.probabilities, top.targets, num_classes=top.probabilities.shape[1], n_bins=bins, norm="l1"
    )
    return float(ece)


def reliability_curve(
    probabilities: ArrayLike, targets: ArrayLike, bins: int
) -> list[dict[str, float | int]]:
    """The reliability diagram's points (Guo et al., 2017, Fig. 1): one row per non-empty bin.

    Args:
        probabilities: ``N x C`` predicted class probabilities.
        targets: ``N`` integer class indices.
        bins: number of equal-width confidence bins over ``[0, 1]``.

    Returns:
        Rows ``{"bin": i, "confidence": mean confidence, "accuracy": accuracy, "count": n}`` in bin order
        (bin ``bins`` holds the confidences of exactly 1); the counts sum to ``N``.
    """
    top = _top_label(probabilities, targets, bins)
    edges = np.linspace(0.0, 1.0, bins + 1, dtype=np.float32).astype(np.float64)
    index = np.searchsorted(edges, top.confidence, side="right") - 1  # torch.bucketize(right=True) - 1
    counts = np.bincount(index, minlength=bins + 1)
    confidence_sums = np.bincount(index, weights=top.confidence, minlength=bins + 1)
    correct_sums = np.bincount(index, weights=top.correct, minlength=bins + 1)
    return [
        {
            "bin": int(bin_index),
            "confidence": float(confidence_sums[bin_index] / count),
            "accuracy": float(correct_sums[bin_index] / count),
            "count": int(count),
        }
        for bin_index, count in enumerate(counts)
        if count > 0
    ]
