"""Top-label calibration: expected calibration error and the reliability curve behind it.

Guo, Pleiss, Sun & Weinberger (2017), "On Calibration of Modern Neural Networks": split the confidence
(the largest predicted probability of each sample) into ``M`` equal-width bins over ``[0, 1]``, and
weight each bin's gap between accuracy and mean confidence by its share of the samples:

    ECE = sum_m |B_m| / N * |acc(B_m) - conf(B_m)|

Neither scikit-learn nor torch ships a multi-class ECE: scikit-learn's ``calibration_curve`` is for
binary problems only and drops the bin counts the weighting needs (torchmetrics, which has one, is not a
dependency), so the binning is implemented here with numpy. Bins are right-closed, ``((m-1)/M, m/M]``,
as in the paper (and as ``calibration_curve`` bins), with a confidence of exactly 0 in the first bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["expected_calibration_error", "reliability_curve"]

ArrayLike = torch.Tensor | np.ndarray


@dataclass(frozen=True)
class _Bins:
    """Per-bin sample counts, summed confidences and summed correct predictions."""

    counts: np.ndarray
    confidence_sums: np.ndarray
    correct_sums: np.ndarray

    @property
    def total(self) -> int:
        return int(self.counts.sum())


def _as_numpy(values: ArrayLike) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=np.float64)


def _bin_statistics(probabilities: ArrayLike, targets: ArrayLike, bins: int) -> _Bins:
    if isinstance(bins, bool) or not isinstance(bins, int) or bins <= 0:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    probs = _as_numpy(probabilities)
    truth = _as_numpy(targets).astype(np.int64)
    if probs.ndim != 2 or probs.shape[0] == 0:
        raise ValueError(f"probabilities must be a non-empty N x C array, got shape {probs.shape}")
    if truth.shape != (probs.shape[0],):
        raise ValueError(f"targets must have shape ({probs.shape[0]},), got {truth.shape}")
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == truth).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    # side="left" on the inner edges puts a value equal to an edge into the lower bin: ((m-1)/M, m/M].
    index = np.searchsorted(edges[1:-1], confidence, side="left")
    return _Bins(
        counts=np.bincount(index, minlength=bins),
        confidence_sums=np.bincount(index, weights=confidence, minlength=bins),
        correct_sums=np.bincount(index, weights=correct, minlength=bins),
    )


def expected_calibration_error(probabilities: ArrayLike, targets: ArrayLike, bins: int) -> float:
    """Expected calibration error of top-label confidences (Guo et al., 2017).

    Args:
        probabilities: ``N x C`` predicted class probabilities (rows sum to 1, e.g. a softmax).
        targets: ``N`` integer class indices.
        bins: number of equal-width confidence bins over ``[0, 1]`` (the paper uses 15).

    Returns:
        The sample-weighted mean ``|accuracy - confidence|`` over the bins, in ``[0, 1]``.

    Raises:
        ValueError: on empty input, mismatched shapes or a non-positive ``bins``.
    """
    stats = _bin_statistics(probabilities, targets, bins)
    # |B_m|/N * |acc_m - conf_m| == |sum(correct) - sum(confidence)| / N within each bin.
    gaps = np.abs(stats.correct_sums - stats.confidence_sums)
    return float(gaps.sum() / stats.total)


def reliability_curve(
    probabilities: ArrayLike, targets: ArrayLike, bins: int
) -> list[dict[str, float | int]]:
    """The reliability diagram's points (Guo et al., 2017, Fig. 1): one row per non-empty bin.

    Args:
        probabilities: ``N x C`` predicted class probabilities.
        targets: ``N`` integer class indices.
        bins: number of equal-width confidence bins over ``[0, 1]``.

    Returns:
        Rows ``{"bin": i, "confidence": mean confidence, "accuracy": accuracy, "count": n}`` in bin order;
        the counts sum to ``N``.
    """
    stats = _bin_statistics(probabilities, targets, bins)
    return [
        {
            "bin": index,
            "confidence": float(stats.confidence_sums[index] / count),
            "accuracy": float(stats.correct_sums[index] / count),
            "count": int(count),
        }
        for index, count in enumerate(stats.counts)
        if count > 0
    ]
