"""The data contract of a tabular classification dataset, as a typed, YAML-backed pydantic model.

A :class:`DataSchema` says which feature columns a table must have and their allowed value range, which
column holds the label and which labels exist, and how many rows (in total, per split and per class) a
table needs. :func:`infer_schema` writes a *starting* schema from a trusted dataset; a person then reads
and edits the YAML written by :func:`dump_schema`. Nothing here imports Great Expectations.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_MIN_ROWS_PER_SPLIT",
    "ColumnRange",
    "DataSchema",
    "RowCount",
    "ShareBounds",
    "dump_schema",
    "infer_schema",
    "load_schema",
]

logger = logging.getLogger(__name__)

MIN_DUPLICATE_SHARE = 0.01
"""Inferred ``max_duplicate_share``: twice the observed share of duplicate rows, and at least this."""

DEFAULT_MIN_ROWS_PER_SPLIT = 10
"""Lower row bound of each split (train/val/test) when a schema does not set one."""

SCHEMA_HEADER = """\
# Data schema of prunegate's data validation (checked with Great Expectations before training).
# It was written as a starting point from a trusted dataset: review it and edit it freely.
# feature_columns: {column: {min, max}} allowed value range of each feature (finite bounds).
# row_count bounds the raw table; min_rows_per_split bounds each split; min_rows_per_class and
# class_share apply to every table. Unknown keys are errors.
"""

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class _StrictModel(BaseModel):
    """Base model: unknown keys are errors that name the key."""

    model_config = ConfigDict(extra="forbid")


class ColumnRange(_StrictModel):
    """Inclusive, finite value range of one feature column."""

    min: FiniteFloat
    max: FiniteFloat

    @model_validator(mode="after")
    def _check_order(self) -> Self:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must be <= max ({self.max})")
        return self


class RowCount(_StrictModel):
    """Row-count bounds of the raw table; ``max=None`` means unbounded."""

    min: int = Field(ge=1)
    max: int | None = None

    @model_validator(mode="after")
    def _check_order(self) -> Self:
        if self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must be <= max ({self.max})")
        return self


class ShareBounds(_StrictModel):
    """Bounds, within [0, 1], on the share of rows of each label."""

    min: Share
    max: Share

    @model_validator(mode="after")
    def _check_order(self) -> Self:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must be <= max ({self.max})")
        return self


class DataSchema(_StrictModel):
    """Expected shape and content of a tabular classification dataset and its splits.

    Attributes:
        target_column: Name of the label column.
        feature_columns: Expected feature columns (names may hold spaces and punctuation) and their range.
        labels: The allowed label set (non-empty, unique).
        row_count: Row-count bounds of the table named ``raw``.
        min_rows_per_split: Lower row bound of every other table (the splits).
        min_rows_per_class: Minimum rows of each label in every table.
        class_share: Bounds on each label's share of the rows of every table.
        allow_extra_columns: Whether columns beyond the features and the target are allowed.
        max_duplicate_share: Largest share of rows of a table that may repeat an earlier row exactly
            (features and label); None: not checked. A file with every row twice fails it.
    """

    target_column: str = Field(min_length=1)
    feature_columns: dict[str, ColumnRange] = Field(min_length=1)
    labels: list[int | str] = Field(min_length=1)
    row_count: RowCount
    min_rows_per_split: int = Field(default=DEFAULT_MIN_ROWS_PER_SPLIT, ge=1)
    min_rows_per_class: int = Field(ge=1)
    class_share: ShareBounds
    allow_extra_columns: bool = False
    max_duplicate_share: Share | None = None

    @field_validator("labels")
    @classmethod
    def _check_unique(cls, labels: list[int | str]) -> list[int | str]:
        duplicates = sorted({repr(label) for label in labels if labels.count(label) > 1})
        if duplicates:
            raise ValueError(f"labels must be unique, repeated: {', '.join(duplicates)}")
        return labels

    @model_validator(mode="after")
    def _check_target_not_feature(self) -> Self:
        if self.target_column in self.feature_columns:
            raise ValueError(f"target_column {self.target_column!r} is also listed in feature_columns")
        return self

    @property
    def expected_columns(self) -> list[str]:
        """Feature columns followed by the target column."""
        return [*self.feature_columns, self.target_column]


def load_schema(path: str | Path) -> DataSchema:
    """Read and validate a YAML data schema.

    Args:
        path: The YAML file.

    Returns:
        The validated schema.

    Raises:
        ValueError: If the file is not a YAML mapping or does not match :class:`DataSchema`; the message
            names the file and each offending key.
    """
    path = Path(path)
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(content, dict):
        raise ValueError(f"{path}: a data schema must be a YAML mapping, got {type(content).__name__}")
    try:
        return DataSchema.model_validate(content)
    except ValidationError as exc:
        raise ValueError(f"{path}: invalid data schema: {exc}") from exc


class _FlowDict(dict):
    """A mapping written on one line in YAML (``{min: 0.0, max: 16.0}``)."""


class _FlowList(list):
    """A list written on one line in YAML (``[0, 1, 2]``)."""


class _SchemaDumper(yaml.SafeDumper):
    """Safe YAML dumper that writes ranges and the label list in flow style."""


_SchemaDumper.add_representer(
    _FlowDict, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)
_SchemaDumper.add_representer(
    _FlowList, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)
)


def dump_schema(schema: DataSchema, path: str | Path) -> Path:
    """Write ``schema`` as readable YAML with a header comment saying it can be edited.

    Args:
        schema: The schema to write.
        path: Destination file; parent directories are created.

    Returns:
        The path written.
    """
    path = Path(path)
    data: dict[str, Any] = schema.model_dump(mode="json")
    data["feature_columns"] = {name: _FlowDict(bounds) for name, bounds in data["feature_columns"].items()}
    data["labels"] = _FlowList(data["labels"])
    body = yaml.dump(data, Dumper=_SchemaDumper, sort_keys=False, allow_unicode=True, width=110)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SCHEMA_HEADER + body, encoding="utf-8")
    logger.info("Wrote data schema (%d feature columns) to %s", len(schema.feature_columns), path)
    return path


def infer_schema(
    df: pd.DataFrame,
    target_column: str,
    feature_columns: list[str] | None = None,
    *,
    row_count_min_fraction: float = 0.1,
    min_rows_per_split: int = DEFAULT_MIN_ROWS_PER_SPLIT,
    class_rows_min_fraction: float = 0.05,
    class_share_slack: float = 0.5,
    share_decimals: int = 3,
    allow_extra_columns: bool = False,
) -> DataSchema:
    """Write a starting schema from a trusted dataset, to be reviewed and edited by a person.

    Args:
        df: The trusted (raw) table.
        target_column: The label column.
        feature_columns: Feature columns to expect; default every numeric column except the target.
        row_count_min_fraction: ``row_count.min`` is this fraction of the observed rows (at least 1);
            ``row_count.max`` is left unbounded.
        min_rows_per_split: Lower row bound of each split.
        class_rows_min_fraction: ``min_rows_per_class`` is this fraction of the smallest class (at
            least 1). It applies to the splits too, hence the small default.
        class_share_slack: Relative slack around the observed shares: ``class_share`` is
            ``[min_share * (1 - slack), max_share * (1 + slack)]`` clipped to [0, 1].
        share_decimals: ``class_share`` bounds are rounded outwards to this many decimals (readability).
        allow_extra_columns: Copied into the schema.

    Returns:
        A schema that the source table satisfies: observed per-feature min/max and label set.

    Raises:
        ValueError: If a column is missing, a feature is not numeric or all-null, or labels are not
            integers or strings.
    """
    import pandas as pd

    if target_column not in df.columns:
        raise ValueError(f"target column {target_column!r} not in the table")
    if feature_columns is None:
        feature_columns = [
            str(c) for c in df.columns if c != target_column and pd.api.types.is_numeric_dtype(df[c])
        ]
    ranges = {column: _observed_range(df, column) for column in feature_columns}
    counts = df[target_column].value_counts(dropna=True)
    if counts.empty:
        raise ValueError(f"target column {target_column!r} has no labels")
    labels = sorted((_python_label(label) for label in counts.index), key=lambda v: (isinstance(v, str), v))
    shares = counts / len(df)
    duplicates = float(df.duplicated(subset=[*feature_columns, target_column]).mean())
    schema = DataSchema(
        target_column=target_column,
        feature_columns=ranges,
        labels=labels,
        row_count=RowCount(min=max(1, math.floor(len(df) * row_count_min_fraction))),
        min_rows_per_split=min_rows_per_split,
        min_rows_per_class=max(1, math.floor(int(counts.min()) * class_rows_min_fraction)),
        class_share=ShareBounds(
            min=max(0.0, _round(float(shares.min()) * (1.0 - class_share_slack), share_decimals, math.floor)),
            max=min(1.0, _round(float(shares.max()) * (1.0 + class_share_slack), share_decimals, math.ceil)),
        ),
        allow_extra_columns=allow_extra_columns,
        max_duplicate_share=min(
            1.0, _round(max(2 * duplicates, MIN_DUPLICATE_SHARE), share_decimals, math.ceil)
        ),
    )
    logger.info("Inferred a data schema: %d features, %d labels, %d rows", len(ranges), len(labels), len(df))
    return schema


def _round(value: float, decimals: int, direction: Callable[[float], int]) -> float:
    """``value`` rounded to ``decimals`` with ``direction`` (``math.floor`` or ``math.ceil``)."""
    scale = 10**decimals
    return direction(value * scale) / scale


def _observed_range(df: pd.DataFrame, column: str) -> ColumnRange:
    """Observed finite min/max of a numeric column."""
    import pandas as pd

    if column not in df.columns:
        raise ValueError(f"feature column {column!r} not in the table")
    if not pd.api.types.is_numeric_dtype(df[column]) or pd.api.types.is_bool_dtype(df[column]):
        raise ValueError(f"feature column {column!r} is not numeric (dtype {df[column].dtype})")
    values = df[column].dropna()
    if values.empty:
        raise ValueError(f"feature column {column!r} has only null values")
    return ColumnRange(min=float(values.min()), max=float(values.max()))


def _python_label(label: Any) -> int | str:
    """A label as a plain ``int`` or ``str`` (integral floats become ints)."""
    if hasattr(label, "item"):
        label = label.item()
    if isinstance(label, float) and label.is_integer():
        return int(label)
    if isinstance(label, int | str) and not isinstance(label, bool):
        return label
    raise ValueError(f"labels must be integers or strings, got {label!r} ({type(label).__name__})")
