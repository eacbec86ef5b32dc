"""Quality metrics of a classifier, from logits, using scikit-learn's formulas.

Every model (teacher, pruned, student) reports the same flat keys, so DVC and the gate compare like
with like.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score, log_loss

__all__ = ["classification_metrics"]


def classification_metrics(logits: torch.Tensor, targets: torch.Tensor, num_classes: int) -> dict[str, float]:
    """``accuracy``, ``f1_macro`` and ``log_loss`` of ``logits`` (N x C) against integer ``targets``."""
    probabilities = torch.softmax(logits.double(), dim=1).numpy()
    predictions = probabilities.argmax(axis=1)
    truth = targets.numpy()
    labels = np.arange(num_classes)
    return {
        "accuracy": float(accuracy_score(truth, predictions)),
        "f1_macro": float(f1_score(truth, predictions, labels=labels, average="macro", zero_division=0)),
        "log_loss": float(log_loss(truth, probabilities, labels=labels)),
    }
