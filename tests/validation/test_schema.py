"""The YAML data schema: strict keys, consistent bounds, and a faithful infer -> dump -> load round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from prunegate.validation import (
    ColumnRange,
    DataSchema,
    RowCount,
    ShareBounds,
    dump_schema,
    infer_schema,
    load_schema,
)

VALID_YAML = """\
target_column: label
feature_columns:
  "sepal length (cm)": {min: 4.0, max: 8.0}
  width: {min: 0.0, max: 3.0}
labels: [setosa, versicolor]
row_count: {min: 10, max: 1000}
min_rows_per_class: 2
class_share: {min: 0.2, max: 0.8}
"""


def test_load_valid_schema(write_yaml) -> None:
    schema = load_schema(write_yaml(VALID_YAML))
    assert schema.feature_columns["sepal length (cm)"] == ColumnRange(min=4.0, max=8.0)
    assert schema.labels == ["setosa", "versicolor"]
    assert schema.min_rows_per_split == 10
    assert schema.allow_extra_columns is False
    assert schema.expected_columns == ["sepal length (cm)", "width", "label"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (VALID_YAML + "target_colum: label\n", "target_colum"),
        (VALID_YAML.replace("{min: 0.0, max: 3.0}", "{min: 0.0, maxx: 3.0}"), "maxx"),
        (VALID_YAML.replace("{min: 10, max: 1000}", "{min: 10, max: 1000, mean: 3}"), "mean"),
    ],
)
def test_unknown_key_is_rejected_naming_file_and_key(write_yaml, text: str, key: str) -> None:
    path = write_yaml(text, name="bad_schema.yml")
    with pytest.raises(ValueError, match=rf"(?s)bad_schema\.yml.*{key}.*Extra inputs are not permitted"):
        load_schema(path)


def test_min_greater_than_max_is_rejected(write_yaml) -> None:
    path = write_yaml(VALID_YAML.replace("{min: 0.0, max: 3.0}", "{min: 5.0, max: 3.0}"))
    with pytest.raises(ValueError, match=r"(?s)feature_columns\.width.*min \(5\.0\) must be <= max \(3\.0\)"):
        load_schema(path)


@pytest.mark.parametrize(
    ("model", "kwargs", "pattern"),
    [
        (ColumnRange, {"min": 0.0, "max": float("inf")}, "finite"),
        (RowCount, {"min": 0}, "greater than or equal to 1"),
        (RowCount, {"min": 10, "max": 5}, r"min \(10\) must be <= max \(5\)"),
        (ShareBounds, {"min": 0.1, "max": 1.5}, "less than or equal to 1"),
        (ShareBounds, {"min": 0.6, "max": 0.4}, r"min \(0\.6\) must be <= max \(0\.4\)"),
    ],
)
def test_bounds_are_checked(model: type, kwargs: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ValidationError, match=pattern):
        model(**kwargs)


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        ({"labels": []}, "at least 1 item"),
        ({"labels": [0, 1, 1]}, "labels must be unique, repeated: 1"),
        ({"target_column": "width"}, "also listed in feature_columns"),
        ({"min_rows_per_class": 0}, "greater than or equal to 1"),
    ],
)
def test_inconsistent_schema_is_rejected(change: dict[str, Any], pattern: str) -> None:
    data = {**yaml.safe_load(VALID_YAML), **change}
    with pytest.raises(ValidationError, match=pattern):
        DataSchema.model_validate(data)


def test_non_mapping_file_is_rejected(write_yaml) -> None:
    with pytest.raises(ValueError, match=r"schema\.yml: a data schema must be a YAML mapping"):
        load_schema(write_yaml("- just\n- a list\n"))


def test_infer_schema_defaults_on_digits(digits: pd.DataFrame) -> None:
    schema = infer_schema(digits, "target")
    assert len(schema.feature_columns) == 64
    assert schema.feature_columns["pixel_0_0"] == ColumnRange(min=0.0, max=0.0)
    assert schema.feature_columns["pixel_3_4"] == ColumnRange(min=0.0, max=16.0)
    assert schema.labels == list(range(10))
    smallest, total = int(digits["target"].value_counts().min()), len(digits)
    assert schema.row_count == RowCount(min=total // 10, max=None)
    assert schema.min_rows_per_class == int(smallest * 0.05)
    shares = digits["target"].value_counts(normalize=True)
    assert 0.0 < schema.class_share.min < shares.min() <= shares.max() < schema.class_share.max < 1.0


def test_infer_schema_rejects_non_numeric_feature() -> None:
    df = pd.DataFrame({"x": ["a", "b"], "y": [0, 1]})
    with pytest.raises(ValueError, match=r"feature column 'x' is not numeric"):
        infer_schema(df, "y", feature_columns=["x"])


def test_infer_schema_rejects_missing_target() -> None:
    with pytest.raises(ValueError, match=r"target column 'label' not in the table"):
        infer_schema(pd.DataFrame({"x": [1.0]}), "label")


def test_infer_dump_load_round_trip(digits: pd.DataFrame, tmp_path: Path) -> None:
    inferred = infer_schema(digits, "target")
    path = dump_schema(inferred, tmp_path / "nested" / "schema.yml")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# ") and "edit" in text.splitlines()[1]
    assert "pixel_0_0: {min: 0.0, max: 0.0}" in text
    assert load_schema(path) == inferred


def test_round_trip_keeps_awkward_column_names_and_string_labels(tmp_path: Path) -> None:
    df = pd.DataFrame({"petal: width (cm)": [0.5, 1.5], "#id, 'quoted'": [1, 2], "y": ["7", "no"]})
    inferred = infer_schema(df, "y")
    assert inferred.labels == ["7", "no"]
    assert load_schema(dump_schema(inferred, tmp_path / "s.yml")) == inferred


def test_inferred_schema_validates_its_source(clean_result: dict[str, Any]) -> None:
    # the ``schema`` fixture behind clean_result is infer_schema(digits) after a YAML round trip
    assert clean_result["tables"]["raw"]["success"] is True
    assert clean_result["success"] is True
