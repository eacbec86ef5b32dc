"""Sliced evaluation (as TFX's Evaluator / TFMA slicing specs do): metrics per class and per column value.

A regression hidden in one slice (one class, one data source) can leave the overall accuracy almost
unchanged; the gate compares slices of the candidate against the baseline's under stable names:

- ``"class=<name>"``: the rows whose true class is ``name``; ``accuracy`` there is that class's recall;
- ``"<column>=<value>"``: the rows where a slice column (not a model feature) equals ``value``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score

from prunegate.core.metrics import predicted_classes

__all__ = ["CLASS_SLICE", "slice_metrics", "slice_rows"]

CLASS_SLICE = "class"


def _value_name(value: object) -> str:
    """A stable text form: numpy/torch scalars print like the python value (``3``, not ``np.int64(3)``)."""
    if hasattr(value, "item"):
        value = value.item()
    return str(value)


def _column_groups(name: str, column: Sequence, rows: int) -> dict[str, list[int]]:
    values = [_value_name(value) for value in column]
    if len(values) != rows:
        raise ValueError(f"slice column {name!r} has {len(values)} values for {rows} rows")
    groups: dict[str, list[int]] = {}
    for row, value in enumerate(values):
        groups.setdefault(value, []).append(row)
    return groups


def slice_rows(
    targets: torch.Tensor, slice_columns: dict[str, Sequence] | None, class_names: Sequence[str]
) -> dict[str, list[int]]:
    """The row indices of every slice :func:`slice_metrics` reports, under the same names."""
    truth = targets.cpu().numpy()
    rows = {
        f"{CLASS_SLICE}={class_name}": np.flatnonzero(truth == index).tolist()
        for index, class_name in enumerate(class_names)
        if (truth == index).any()
    }
    for name, column in (slice_columns or {}).items():
        groups = _column_groups(name, column, len(truth))
        rows.update({f"{name}={value}": groups[value] for value in sorted(groups)})
    return rows


def _column_slices(
    name: str, column: Sequence, truth: np.ndarray, predictions: np.ndarray
) -> dict[str, dict[str, float]]:
    groups = _column_groups(name, column, len(truth))
    results: dict[str, dict[str, float]] = {}
    for value in sorted(groups):
        rows = np.asarray(groups[value])
        actual, predicted = truth[rows], predictions[rows]
        results[f"{name}={value}"] = {
            "accuracy": float(accuracy_score(actual, predicted)),
            # Macro over the classes seen in this slice (true or predicted), scikit-learn's default.
            "f1_macro": float(f1_score(actual, predicted, average="macro", zero_division=0)),
            "count": len(rows),
        }
    return results


def slice_metrics(
    logits: torch.Tensor,
    targets: torch.Tensor,
    slice_columns: dict[str, Sequence] | None,
    class_names: Sequence[str],
) -> dict[str, dict[str, float]]:
    """Accuracy and size of every class slice, and accuracy, macro F1 and size of every column slice.

    Args:
        logits: ``N x C`` scores, ``C == len(class_names)``.
        targets: ``N`` integer class indices.
        slice_columns: ``{column name: N values}``; each distinct value is a slice. ``None`` or empty for
            class slices only.
        class_names: name of class ``i`` at position ``i``.

    Returns:
        ``{"class=<name>": {"accuracy", "count"}, "<column>=<value>": {"accuracy", "f1_macro", "count"}}``;
        slices without rows are omitted. Column slices are in sorted value order.

    Raises:
        ValueError: on a column of the wrong length, a column named ``"class"`` or a logits/class-name
            mismatch.
    """
    if logits.ndim != 2 or logits.shape[1] != len(class_names):
        raise ValueError(f"logits must be N x {len(class_names)}, got {tuple(logits.shape)}")
    truth = targets.cpu().numpy()
    predictions = predicted_classes(logits)
    results: dict[str, dict[str, float]] = {}
    for index, class_name in enumerate(class_names):
        rows = truth == index
        count = int(rows.sum())
        if count:
            results[f"{CLASS_SLICE}={class_name}"] = {
                "accuracy": float(accuracy_score(truth[rows], predictions[rows])),
                "count": count,
            }
    for name, column in (slice_columns or {}).items():
        if name == CLASS_SLICE:
            raise ValueError(f"slice column name {CLASS_SLICE!r} is reserved for the per-class slices")
        results.update(_column_slices(name, column, truth, predictions))
    return results
