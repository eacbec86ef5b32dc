"""Quality metrics of a classifier, from logits, using scikit-learn's formulas.

Every model (teacher, pruned, student) reports the same flat keys, so DVC and the gate compare like
with like.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_fscore_support,
)

__all__ = [
    "accuracy",
    "classification_metrics",
    "confusion",
    "confusion_rows",
    "macro_precision_recall",
    "per_class_metrics",
    "predicted_classes",
]


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


def predicted_classes(logits: torch.Tensor) -> np.ndarray:
    """Arg-max class index of each row of ``logits`` (N x C), as a numpy integer array."""
    return logits.detach().argmax(dim=1).cpu().numpy()


def accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Top-1 accuracy of ``logits`` (N x C) against integer ``targets`` (scikit-learn ``accuracy_score``)."""
    return float(accuracy_score(targets.cpu().numpy(), predicted_classes(logits)))


def macro_precision_recall(logits: torch.Tensor, targets: torch.Tensor, num_classes: int) -> dict[str, float]:
    """``precision_macro`` and ``recall_macro`` over all ``num_classes`` labels (absent classes count 0)."""
    precision, recall, _, _ = precision_recall_fscore_support(
        targets.cpu().numpy(),
        predicted_classes(logits),
        labels=np.arange(num_classes),
        average="macro",
        zero_division=0,
    )
    return {"precision_macro": float(precision), "recall_macro": float(recall)}


def per_class_metrics(
    logits: torch.Tensor, targets: torch.Tensor, class_names: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of every class, keyed by class name.

    Uses scikit-learn's ``precision_recall_fscore_support`` with every class as a label, so a class with
    no test rows still appears (support 0, undefined ratios reported as 0).

    Args:
        logits: ``N x C`` scores; ``C`` must equal ``len(class_names)``.
        targets: ``N`` integer class indices.
        class_names: name of class ``i`` at position ``i``.

    Returns:
        ``{name: {"precision", "recall", "f1", "support"}}`` in class-index order.
    """
    _check_class_names(logits, class_names)
    precision, recall, f1, support = precision_recall_fscore_support(
        targets.cpu().numpy(),
        predicted_classes(logits),
        labels=np.arange(len(class_names)),
        average=None,
        zero_division=0,
    )
    return {
        str(name): {
            "precision": float(precision[index]),
            "recall": float(recall[index]),
            "f1": float(f1[index]),
            "support": int(support[index]),
        }
        for index, name in enumerate(class_names)
    }


def confusion(logits: torch.Tensor, targets: torch.Tensor, num_classes: int) -> list[list[int]]:
    """Confusion matrix (rows: actual class, columns: predicted class) over all ``num_classes`` labels."""
    matrix = confusion_matrix(targets.cpu().numpy(), predicted_classes(logits), labels=np.arange(num_classes))
    return [[int(count) for count in row] for row in matrix]


def confusion_rows(
    logits: torch.Tensor, targets: torch.Tensor, class_names: Sequence[str]
) -> list[dict[str, str]]:
    """One ``{"actual": name, "predicted": name}`` row per sample: the input of DVC's ``confusion`` plot."""
    _check_class_names(logits, class_names)
    names = [str(name) for name in class_names]
    return [
        {"actual": names[int(actual)], "predicted": names[int(predicted)]}
        for actual, predicted in zip(targets.cpu().numpy(), predicted_classes(logits), strict=True)
    ]


def _check_class_names(logits: torch.Tensor, class_names: Sequence[str]) -> None:
    if logits.ndim != 2 or logits.shape[1] != len(class_names):
        raise ValueError(
            f"logits must be N x {len(class_names)} (one column per class name), got {tuple(logits.shape)}"
        )
