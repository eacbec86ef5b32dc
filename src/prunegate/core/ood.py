"""Out-of-distribution detection: can the model's own scores tell test rows from rows unlike its data?

Pruning is known to change a network's confidence (and so its OOD behaviour) more than its accuracy, so
every model is measured the same way. Two post-hoc scores, higher meaning "in distribution":

- maximum softmax probability (Hendrycks & Gimpel, 2017, "A Baseline for Detecting Misclassified and
  Out-of-Distribution Examples in Neural Networks");
- negative energy, ``logsumexp(logits)`` (Liu, Wang, Owens & Li, 2020, "Energy-based Out-of-distribution
  Detection"; temperature 1).

The OOD inputs are built from the test split itself, offline and seeded (no other dataset is needed):

- ``uniform``: each feature drawn uniformly within its range (the clamp range, or the test split's);
- ``shuffled``: each test row with its features in a random order (same values, no structure);
- ``shifted``: each test row moved by ``shift_std`` standard deviations of every feature (in the
  direction of the feature's sign draw), far outside the data.

For each score and set: AUROC (test rows positive, OOD rows negative; 0.5 = chance) and the FPR at 95 %
TPR (the share of OOD rows scored above the threshold that keeps 95 % of test rows; lower is better).
``ood_auroc_<score>`` and ``ood_fpr95_<score>`` are the means over the sets.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from torch import nn

from prunegate.core.training import predict_logits

__all__ = ["OOD_SETS", "SCORES", "fpr_at_tpr", "ood_inputs", "ood_metrics"]

OOD_SETS = ("uniform", "shuffled", "shifted")
SCORES = ("msp", "energy")
TPR = 0.95
DEFAULT_SHIFT_STD = 6.0


def ood_inputs(
    features: torch.Tensor,
    *,
    seed: int,
    feature_range: tuple[torch.Tensor, torch.Tensor] | tuple[float, float] | None = None,
    shift_std: float = DEFAULT_SHIFT_STD,
) -> dict[str, torch.Tensor]:
    """The three OOD sets (module docstring), each with as many rows as ``features`` (``N x D``)."""
    generator = torch.Generator().manual_seed(seed)
    low, high = _range(features, feature_range)
    uniform = low + (high - low) * torch.rand(features.shape, generator=generator, dtype=features.dtype)
    order = torch.argsort(torch.rand(features.shape, generator=generator), dim=1)
    shuffled = torch.gather(features, 1, order)
    std = features.std(dim=0, unbiased=False)
    std = torch.where(std > 0, std, torch.ones_like(std))
    signs = torch.randint(0, 2, features.shape[1:], generator=generator).to(features.dtype) * 2 - 1
    shifted = features + shift_std * std * signs
    return {"uniform": uniform, "shuffled": shuffled, "shifted": shifted}


def _range(
    features: torch.Tensor, feature_range: tuple[torch.Tensor, torch.Tensor] | tuple[float, float] | None
) -> tuple[torch.Tensor, torch.Tensor]:
    if feature_range is None:
        return features.min(dim=0).values, features.max(dim=0).values
    low, high = feature_range
    return torch.as_tensor(low, dtype=features.dtype), torch.as_tensor(high, dtype=features.dtype)


def _scores(logits: torch.Tensor) -> dict[str, np.ndarray]:
    logits = logits.double()
    return {
        "msp": torch.softmax(logits, dim=1).max(dim=1).values.numpy(),
        "energy": torch.logsumexp(logits, dim=1).numpy(),
    }


def _worst_case_finite(inside: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """Both score vectors, joined, with a non-finite score counted against the model (an overflowing
    test row scores lowest, an overflowing OOD row highest), so that AUROC is defined and not flattered."""
    values = np.r_[inside, outside]
    finite = values[np.isfinite(values)]
    low, high = (finite.min() - 1, finite.max() + 1) if finite.size else (-1.0, 1.0)
    cleaned_in = np.where(np.isfinite(inside), inside, low)
    cleaned_out = np.where(np.isfinite(outside), outside, high)
    return np.r_[cleaned_in, cleaned_out]


def fpr_at_tpr(in_scores: np.ndarray, out_scores: np.ndarray, tpr: float = TPR) -> float:
    """Share of ``out_scores`` at or above the threshold that keeps ``tpr`` of ``in_scores`` (higher = in)."""
    threshold = np.quantile(in_scores, 1.0 - tpr, method="lower")
    return float(np.mean(out_scores >= threshold))


def ood_metrics(
    model: nn.Module,
    test_features: torch.Tensor,
    ood_sets: Mapping[str, torch.Tensor],
    *,
    in_logits: torch.Tensor | None = None,
) -> dict[str, float]:
    """AUROC and FPR at 95 % TPR of every score on every OOD set, and their means over the sets.

    Args:
        model: the classifier (raw features in, logits out).
        test_features: the in-distribution rows.
        ood_sets: ``{name: rows}`` (e.g. :func:`ood_inputs`).
        in_logits: the model's logits on ``test_features`` when already computed.

    Returns:
        ``ood_auroc_<score>_<set>`` and ``ood_fpr95_<score>_<set>``, and their means over the sets
        ``ood_auroc_<score>``, ``ood_fpr95_<score>``.
    """
    logits = in_logits if in_logits is not None else predict_logits(model, test_features)
    inside = _scores(logits)
    results: dict[str, float] = {}
    for name, rows in ood_sets.items():
        outside = _scores(predict_logits(model, rows))
        for score in SCORES:
            labels = np.r_[np.ones(len(inside[score])), np.zeros(len(outside[score]))]
            values = _worst_case_finite(inside[score], outside[score])
            results[f"ood_auroc_{score}_{name}"] = float(roc_auc_score(labels, values))
            cleaned = values[: len(inside[score])], values[len(inside[score]) :]
            results[f"ood_fpr95_{score}_{name}"] = fpr_at_tpr(*cleaned)
    for score in SCORES:
        for measure in ("auroc", "fpr95"):
            per_set = [results[f"ood_{measure}_{score}_{name}"] for name in ood_sets]
            results[f"ood_{measure}_{score}"] = float(np.mean(per_set)) if per_set else float("nan")
    return results
