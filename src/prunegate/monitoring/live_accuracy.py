"""Accuracy on the labelled part of a traffic window: of the logged predictions, or of another model.

The logged predictions are those of the model that served them (the current champion). Scoring the
previous champion on the *same* labelled rows makes the two accuracies comparable, which is what the
rollback rule of :mod:`prunegate.monitoring.policy` needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import torch

from prunegate.core.metrics import predicted_classes
from prunegate.core.quantization import build_module_for
from prunegate.core.serialization import ModelArtifact
from prunegate.core.training import predict_logits
from prunegate.monitoring.traffic import LABEL_COLUMN

__all__ = [
    "Predictor",
    "accuracy_of",
    "artifact_predictor",
    "describe_live",
    "labelled_accuracy",
    "labelled_rows",
]

# features (N x F, float32) -> predicted class names (N,)
Predictor = Callable[[np.ndarray], np.ndarray]


def labelled_rows(window: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``window`` whose label came back (an empty frame if it has no ``label`` column)."""
    if LABEL_COLUMN not in window.columns:
        return window.iloc[0:0]
    return window[window[LABEL_COLUMN].notna()]


def labelled_accuracy(window: pd.DataFrame) -> tuple[int, float | None]:
    """(number of labelled rows, accuracy of the logged ``prediction`` on them; ``None`` if none)."""
    rows = labelled_rows(window)
    if rows.empty:
        return 0, None
    correct = rows["prediction"].astype(str).to_numpy() == rows[LABEL_COLUMN].astype(str).to_numpy()
    return len(rows), float(correct.mean())


def accuracy_of(predict: Predictor, window: pd.DataFrame, feature_columns: Sequence[str]) -> float:
    """Accuracy of ``predict`` on the labelled rows of ``window``.

    Args:
        predict: maps an ``N x F`` float32 array (columns in ``feature_columns`` order) to ``N`` class names.
        window: a traffic window joined with its feedback (``label`` column).
        feature_columns: the model's features, in its input order.

    Raises:
        ValueError: if no row is labelled, or a labelled row lacks one of the model's features.
    """
    rows = labelled_rows(window)
    if rows.empty:
        raise ValueError("no labelled rows in the window: accuracy is undefined")
    columns = list(feature_columns)
    missing = [column for column in columns if column not in rows.columns or rows[column].isna().any()]
    if missing:
        raise ValueError(f"labelled rows lack the model's features {missing[:10]}")
    features = rows[columns].to_numpy(dtype=np.float32, copy=True)
    predicted = np.asarray(predict(features)).astype(str)
    return float((predicted == rows[LABEL_COLUMN].astype(str).to_numpy()).mean())


def artifact_predictor(artifact: ModelArtifact) -> tuple[Predictor, list[str]]:
    """A predictor for ``artifact`` (quantized if flagged) and the feature order it expects.

    Uses the artifact's ``metadata["feature_names"]`` and ``metadata["class_names"]``.

    Raises:
        ValueError: if the artifact's metadata lacks either name list.
    """
    missing = [key for key in ("feature_names", "class_names") if not artifact.metadata.get(key)]
    if missing:
        raise ValueError(f"the model artifact's metadata lacks {missing}: cannot score it on traffic")
    module = build_module_for(artifact)
    class_names = np.asarray(artifact.metadata["class_names"], dtype=str)

    def predict(features: np.ndarray) -> np.ndarray:
        logits = predict_logits(module, torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32)))
        return class_names[predicted_classes(logits)]

    return predict, list(artifact.metadata["feature_names"])


def describe_live(live: dict) -> str:
    """One sentence on the accuracy of the serving model (and the previous champion) on labelled rows."""
    rows = live.get("labelled_rows") or 0
    if not rows or live.get("champion_accuracy") is None:
        return "Live accuracy: no labelled rows in the window (label served predictions with POST /feedback)."
    text = f"Live accuracy of the serving model on {rows} labelled row(s): {live['champion_accuracy']:.4f}"
    if live.get("previous_accuracy") is not None:
        text += f" (previous champion on the same rows: {live['previous_accuracy']:.4f})"
    return text + "."
