"""Probabilities -> the logged ``/predict`` answer; shared by the service and the bare-FastAPI baseline.

One function, so the serving benchmark compares BentoML with FastAPI doing exactly the same work.
"""

from __future__ import annotations

import numpy as np

from prunegate.serving.model_holder import LoadedModel
from prunegate.serving.prediction_log import PredictionLogger
from prunegate.serving.schemas import FieldError, PredictResponse, RequestValidationError

__all__ = ["non_finite_rows", "prediction_response", "row_ids_for", "unpredictable_rows_error"]


def row_ids_for(request_id: str, rows: int) -> list[str]:
    """Ids the rows are logged under: the request id for one row, ``<request id>/<row>`` for several."""
    return [request_id] if rows == 1 else [f"{request_id}/{row}" for row in range(rows)]


def prediction_response(
    model: LoadedModel,
    features: np.ndarray,
    probabilities: np.ndarray,
    request_id: str,
    log: PredictionLogger | None,
) -> PredictResponse:
    """Class names, per-class probabilities and ids of a prediction, logged first when ``log`` is set."""
    classes = np.asarray(model.class_names)[probabilities.argmax(axis=1)].tolist()
    row_ids = row_ids_for(request_id, len(classes))
    if log is not None:
        log.log_predictions(
            row_ids=row_ids,
            model_version=model.version,
            feature_names=model.feature_names,
            features=features,
            predictions=classes,
            class_names=model.class_names,
            probabilities=probabilities,
        )
    return PredictResponse(
        predictions=classes,
        probabilities=[dict(zip(model.class_names, row, strict=True)) for row in probabilities.tolist()],
        model_version=model.version,
        request_id=request_id,
        row_ids=row_ids,
    )


def non_finite_rows(probabilities: np.ndarray) -> np.ndarray:
    """Indices of the rows whose probabilities are not all finite (the model overflowed on them)."""
    return np.flatnonzero(~np.isfinite(probabilities).all(axis=1))


def unpredictable_rows_error(rows: np.ndarray) -> RequestValidationError:
    """The 400 for rows the model gives no finite probabilities for.

    Only possible for features without a range in the model's metadata (packaging always records the
    schema's ranges): values within float32 but far outside the training data overflow the network.
    """
    errors = [
        FieldError(("rows", int(row)), "the model gives no finite probabilities for this row (its values are "
                   "far outside the data it was trained on)")
        for row in rows
    ]  # fmt: skip
    return RequestValidationError(errors)
