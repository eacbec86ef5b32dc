"""Request/response models of the service and the model-dependent validation of feature rows.

Two layers, on purpose. The pydantic models describe the JSON shapes (and document them in the OpenAPI
spec), but ``PredictRequest.rows`` is typed ``list[Any]`` with the precise schema attached for the docs
only: which features exist, their ranges and the batch cap belong to the *loaded* model, which can change
at run time (hot reload), so :func:`validate_rows` checks them against the current model. Doing all the
row checks there also gives one error format, where every message names the row and the feature, instead
of pydantic's union errors (``rows.0.list[float].3`` *and* ``rows.0.dict[str,float]``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictStr, WithJsonSchema

__all__ = [
    "FeedbackRequest",
    "FeedbackResponse",
    "FieldError",
    "ModelInfo",
    "PredictRequest",
    "PredictResponse",
    "RequestValidationError",
    "predict_request_model",
    "validate_labels",
    "validate_rows",
]

FLOAT32_MAX = float(np.finfo(np.float32).max)  # the largest value a row may hold (the published spec's too)
MAX_REPORTED_ERRORS = 20  # field errors listed in one response; the rest are counted
MAX_ID_LENGTH = 128

_NUMBER = {"type": "number"}
_ROW_FORMATS = [{"type": "array", "items": _NUMBER}, {"type": "object", "additionalProperties": _NUMBER}]
_ROWS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "description": "Feature rows: each a list of numbers in feature order, or an object {feature: number} "
    "with exactly the model's feature names (GET /model lists them, with the batch cap).",
    "items": {"anyOf": _ROW_FORMATS},
}
_LABEL_FORMATS = [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]


@dataclass(frozen=True)
class FieldError:
    """One invalid field: where (``("rows", 3, "pixel_0_1")``) and what is wrong."""

    loc: tuple[str | int, ...]
    msg: str

    @property
    def field(self) -> str:
        """The location as text: ``rows[3].pixel_0_1``."""
        text = ""
        for part in self.loc:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "field": self.field, "msg": f"{self.field}: {self.msg}"}


class RequestValidationError(ValueError):
    """A client error: the request is well-formed JSON but its values are not acceptable.

    ``status`` is the HTTP status of the answer: 400 unless a more precise 4xx applies (404 for a
    request id that was never served, 409 for a row that already has a label).
    """

    def __init__(self, errors: Sequence[FieldError], total: int | None = None, *, status: int = 400) -> None:
        self.errors = list(errors)
        self.status = status
        self.total = total if total is not None else len(self.errors)
        shown = "; ".join(error.to_dict()["msg"] for error in self.errors)
        more = f" (and {self.total - len(self.errors)} more)" if self.total > len(self.errors) else ""
        summary = f"{self.total} invalid field(s): " if status == 400 else ""  # 404 / 409: not invalid
        super().__init__(f"{summary}{shown}{more}")

    def to_dict(self) -> dict[str, Any]:
        """The response body: a summary and one entry per field."""
        return {"error": str(self), "detail": [error.to_dict() for error in self.errors]}


class _Collector:
    """Field errors under the request field ``root``; the first :data:`MAX_REPORTED_ERRORS` are kept."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.errors: list[FieldError] = []
        self.total = 0

    def add(self, loc: tuple[str | int, ...], msg: str) -> None:
        """Record an error at ``loc`` below the root field (``()`` for the field itself)."""
        self.total += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(FieldError((self.root, *loc), msg))

    def raise_if_any(self, status: int = 400) -> None:
        if self.total:
            raise RequestValidationError(self.errors, self.total, status=status)


def _type_error(value: Any) -> str | None:
    """Why ``value`` is not a JSON number (booleans and numeric strings included), else ``None``."""
    if type(value) in (int, float):
        return None
    shown = repr(value) if len(repr(value)) <= MAX_ID_LENGTH else "(too long to show)"
    return f"must be a number, got {type(value).__name__} {shown}"


def _row_values(row: Any, index: int, names: Sequence[str], errors: _Collector) -> list | None:
    """The row's values in feature order, or ``None`` after recording why its shape is wrong."""
    loc: tuple[str | int, ...] = (index,)
    if isinstance(row, list):
        if len(row) == len(names):
            return row
        errors.add(loc, f"expected {len(names)} values (one per feature), got {len(row)}")
    elif isinstance(row, Mapping):
        known = set(names)
        missing = [name for name in names if name not in row]
        extra = sorted(str(key) for key in row if key not in known)
        if missing:
            errors.add(loc, f"missing feature(s) {missing}")
        if extra:
            errors.add(loc, f"unknown feature(s) {extra}; expected exactly the {len(names)} model features")
        if not missing and not extra:
            return [row[name] for name in names]
    else:
        errors.add(loc, f"must be a list of {len(names)} numbers or an object {{feature: number}}")
    return None


def _numbers(values: list, index: int, names: Sequence[str], errors: _Collector) -> tuple[list, list[int]]:
    """The row with a 0 in place of each non-number, and the columns where it did that."""
    if all(type(value) in (int, float) for value in values):  # the fast path: plain JSON numbers
        return values, []
    numbers, bad = [], []
    for column, (name, value) in enumerate(zip(names, values, strict=True)):
        if (reason := _type_error(value)) is not None:
            errors.add((index, name), reason)
            bad.append(column)
        numbers.append(0 if reason else value)
    return numbers, bad


def _check_values(
    matrix: np.ndarray, checked: np.ndarray, names: Sequence[str], ranges: Mapping, errors: _Collector
) -> None:
    """Vectorised: every ``checked`` value finite in float32 and inside its feature's range."""
    low = np.array([ranges[name][0] if name in ranges else -np.inf for name in names])
    high = np.array([ranges[name][1] if name in ranges else np.inf for name in names])
    with np.errstate(invalid="ignore"):  # compared in float64: a value that float32 would round to its
        finite = np.isfinite(matrix) & (np.abs(matrix) <= FLOAT32_MAX)  # maximum is still refused
    outside = finite & ((matrix < low) | (matrix > high))
    for row, column in np.argwhere((~finite | outside) & checked):
        name, value = names[column], matrix[row, column].item()
        if not finite[row, column]:
            errors.add((int(row), name), f"must be a finite float32 number, got {value!r}")
        else:
            errors.add(
                (int(row), name),
                f"{value!r} is outside the range [{low[column]}, {high[column]}] of feature {name!r}",
            )


def validate_rows(
    raw_rows: Any,
    feature_names: Sequence[str],
    feature_ranges: Mapping[str, Sequence[float]] | None,
    max_batch: int,
    *,
    field: str = "rows",
) -> np.ndarray:
    """Check raw JSON rows against the model's features and return them as ``float32 N x D``.

    Args:
        raw_rows: the ``rows`` value of the request, as parsed from JSON.
        feature_names: the model's features, in input order.
        feature_ranges: ``{feature: [min, max]}`` (inclusive); features without a range are unbounded.
        max_batch: the most rows one request may carry.
        field: the request field the rows came in, first part of every error location.

    Raises:
        RequestValidationError: listing every bad field (up to :data:`MAX_REPORTED_ERRORS`): not a list,
            empty or over the cap, wrong row length, missing or unknown feature names, non-numbers
            (strings such as ``"1.5"`` and booleans included), NaN/inf, values outside the range.
    """
    errors = _Collector(field)
    if not isinstance(raw_rows, list):
        errors.add((), f"must be a list of rows, got {type(raw_rows).__name__}")
    elif not raw_rows:
        errors.add((), "must contain at least 1 row")
    elif len(raw_rows) > max_batch:
        errors.add((), f"at most {max_batch} rows per request, got {len(raw_rows)}")
    errors.raise_if_any()
    width = len(feature_names)
    rows, checked = [], np.ones((len(raw_rows), width), dtype=bool)
    for index, row in enumerate(raw_rows):
        values = _row_values(row, index, feature_names, errors)
        if values is None:  # wrong shape: already reported, its values are not checked
            values, checked[index] = [0] * width, False
        values, bad = _numbers(values, index, feature_names, errors)
        checked[index, bad] = False
        rows.append(values)
    try:
        matrix = np.array(rows, dtype=np.float64).reshape(len(rows), width)
    except OverflowError:  # an integer beyond float64: report it like any other non-finite value
        matrix = np.array([[_finite_or_inf(value) for value in row] for row in rows])
    _check_values(matrix, checked, feature_names, dict(feature_ranges or {}), errors)
    errors.raise_if_any()
    return matrix.astype(np.float32)


def _finite_or_inf(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _json_shape(value: Any) -> str:
    shown = repr(value) if len(repr(value)) <= MAX_ID_LENGTH else "(too long to show)"
    return f"{type(value).__name__} {shown}"


def validate_labels(labels: str | list[str], class_names: Sequence[str], max_labels: int) -> list[str]:
    """The feedback labels as a list, each a known class name, at most ``max_labels`` of them.

    Raises:
        RequestValidationError: naming ``label`` (or ``label[i]``) for an unknown class, an empty list or
            more labels than ``max_labels`` (then nothing else is looked at).
    """
    errors = _Collector("label")
    if not isinstance(labels, str | list) or not all(
        isinstance(label, str) for label in (labels if isinstance(labels, list) else [labels])
    ):
        errors.add((), f"must be a class name (a string) or a list of them, got {_json_shape(labels)}")
        errors.raise_if_any()
    items = [labels] if isinstance(labels, str) else list(labels)
    if not items:
        errors.add((), "must name at least one class")
    elif len(items) > max_labels:
        errors.add((), f"at most {max_labels} labels per request (one per row), got {len(items)}")
        errors.raise_if_any()
    known = set(class_names)
    for index, label in enumerate(items):
        if label not in known:
            where = () if isinstance(labels, str) else (index,)
            errors.add(where, f"unknown class {label!r}; known classes: {list(class_names)}")
    errors.raise_if_any()
    return items


class PredictRequest(BaseModel):
    """``{"rows": [[...], {...}, ...]}``: feature rows, checked by :func:`validate_rows`."""

    model_config = ConfigDict(extra="forbid")

    rows: Annotated[list[Any], WithJsonSchema(_ROWS_SCHEMA)]


def predict_request_model(max_batch_size: int) -> type[PredictRequest]:
    """:class:`PredictRequest` whose OpenAPI schema also states the batch cap (``maxItems``)."""

    def _cap(schema: dict[str, Any]) -> None:
        schema["properties"]["rows"]["maxItems"] = max_batch_size

    class CappedPredictRequest(PredictRequest):
        model_config = ConfigDict(json_schema_extra=_cap, title="PredictRequest")

    return CappedPredictRequest


class PredictResponse(BaseModel):
    """One prediction per row; ``row_ids`` are the ids the rows are logged under (for feedback)."""

    predictions: list[str]
    probabilities: list[dict[str, float]]
    model_version: str
    request_id: str
    row_ids: list[str]


class FeedbackRequest(BaseModel):
    """The true class of a logged prediction: one label, or one per row of a batch request, in order."""

    model_config = ConfigDict(extra="forbid")

    request_id: Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_LENGTH)]
    # Any, checked by validate_labels (one message style, naming the known classes); oneOf, not pydantic's
    # anyOf, in the schema: BentoML's OpenAPI writer keeps only the first branch of an anyOf
    label: Annotated[Any, WithJsonSchema({"oneOf": _LABEL_FORMATS})]


class FeedbackResponse(BaseModel):
    """How many labels were accepted (and logged)."""

    accepted: int


class ModelInfo(BaseModel):
    """What ``GET /model`` reports about the model being served."""

    version: str
    tag: str | None
    runtime: str
    feature_names: list[str]
    class_names: list[str]
    max_batch_size: int
    dispatch: Literal["direct", "batched"]  # how /predict reaches this model (config ``dispatch``)
    row_latency_ms: float  # one-row prediction time measured when the model was loaded
    # the champion the registry names (None for a fixed model file or a Bento's packaged model); the
    # warning says why it is not the one serving when it is not (it could not be loaded)
    registry_champion: str | None = None
    warning: str | None = None
