"""Great Expectations checks: every defect fails with the right expectation and column; clean data passes."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pandas as pd
import pytest

from prunegate.validation import DataSchema, DataValidationError, format_failures, validate_tables

TYPE_LIST = "expect_column_values_to_be_in_type_list"
NOT_NULL = "expect_column_values_to_not_be_null"
BETWEEN = "expect_column_values_to_be_between"
IN_SET = "expect_column_values_to_be_in_set"
COLUMN_SET = "expect_table_columns_to_match_set"
ROW_COUNT = "expect_table_row_count_to_be_between"
NOT_NUMBERS = "values_are_numbers"
N_FEATURES = 64
# per feature: type, not-null, range; table: column set, row count; target: not-null, in-set; per class: 2
EXPECTATIONS_PER_TABLE = 3 * N_FEATURES + 2 + 2 + 2


def _failed(result: dict[str, Any], table: str) -> set[tuple[str, str | None]]:
    """``(expectation, column)`` of every failure of ``table``."""
    entry = result["tables"][table]
    assert entry["success"] is False
    return {(failure["expectation"], failure["column"]) for failure in entry["failures"]}


def _failure(result: dict[str, Any], table: str, expectation: str, column: str | None) -> dict[str, Any]:
    matches = [
        f
        for f in result["tables"][table]["failures"]
        if f["expectation"] == expectation and f["column"] == column
    ]
    assert len(matches) == 1, result["tables"][table]["failures"]
    return matches[0]


def test_module_import_does_not_import_great_expectations() -> None:
    code = (
        "import sys, prunegate.validation.expectations, prunegate.validation; "
        "assert 'great_expectations' not in sys.modules, 'GX imported eagerly'"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr


def test_clean_digits_and_splits_pass(clean_result: dict[str, Any]) -> None:
    assert clean_result["success"] is True, format_failures(clean_result)
    assert list(clean_result["tables"]) == ["raw", "train", "val", "test"]
    for entry in clean_result["tables"].values():
        assert entry["success"] is True
        assert entry["failures"] == []
        assert entry["evaluated_expectations"] == EXPECTATIONS_PER_TABLE
    assert clean_result["tables"]["raw"]["rows"] == 1797


def test_result_is_json_serialisable(bad_result: dict[str, Any]) -> None:
    decoded = json.loads(json.dumps(bad_result, allow_nan=False))
    assert decoded["success"] is False


def test_nulls_fail_not_null(bad_result: dict[str, Any]) -> None:
    assert _failed(bad_result, "nulls") == {(NOT_NULL, "pixel_4_4")}
    assert _failure(bad_result, "nulls", NOT_NULL, "pixel_4_4")["observed"] == 3


def test_string_in_numeric_column_is_named_once(bad_result: dict[str, Any]) -> None:
    assert _failed(bad_result, "string") == {(NOT_NUMBERS, "pixel_3_4")}
    failure = _failure(bad_result, "string", NOT_NUMBERS, "pixel_3_4")
    assert (failure["offending_values"], failure["message"]) == (["seven"], "1 values are not numbers")


def test_a_stray_word_in_a_csv_column_is_named_and_not_its_numbers(
    digits: pd.DataFrame, schema: DataSchema, tmp_path
) -> None:
    """Read from CSV, the column is text throughout ('0.0', '16.0', 'oops'): only 'oops' is named."""
    digits = digits.copy()
    digits["pixel_3_3"] = digits["pixel_3_3"].astype(object)
    digits.loc[5, "pixel_3_3"] = "oops"
    digits.to_csv(tmp_path / "raw.csv", index=False)
    raw = pd.read_csv(tmp_path / "raw.csv")
    assert raw["pixel_3_3"].dtype == object
    result = validate_tables({"raw": raw}, schema)
    failure = _failure(result, "raw", NOT_NUMBERS, "pixel_3_3")
    assert failure["offending_values"] == ["oops"]
    assert _failed(result, "raw") == {(NOT_NUMBERS, "pixel_3_3")}


def test_missing_column_is_reported_once_without_per_column_expectations(bad_result: dict[str, Any]) -> None:
    assert _failed(bad_result, "missing_column") == {(COLUMN_SET, None)}
    failure = _failure(bad_result, "missing_column", COLUMN_SET, None)
    assert failure["offending_values"] == ["pixel_3_3"]
    assert "missing columns: pixel_3_3" in failure["message"]
    assert bad_result["tables"]["missing_column"]["evaluated_expectations"] == EXPECTATIONS_PER_TABLE - 3


def test_label_outside_set_fails_in_set(bad_result: dict[str, Any]) -> None:
    assert _failed(bad_result, "unknown_label") == {(IN_SET, "target")}
    assert _failure(bad_result, "unknown_label", IN_SET, "target")["offending_values"] == [42]


def test_out_of_range_values_fail_between(bad_result: dict[str, Any]) -> None:
    assert _failed(bad_result, "out_of_range") == {(BETWEEN, "pixel_2_5")}
    failure = _failure(bad_result, "out_of_range", BETWEEN, "pixel_2_5")
    assert sorted(failure["offending_values"]) == [-1, 99]
    assert "[0.0, 16.0]" in failure["message"]


def test_infinities_fail_between_as_strings(bad_result: dict[str, Any]) -> None:
    assert _failed(bad_result, "infinity") == {(BETWEEN, "pixel_2_2")}
    assert sorted(_failure(bad_result, "infinity", BETWEEN, "pixel_2_2")["offending_values"]) == [
        "-inf",
        "inf",
    ]


def test_single_class_table_fails_min_rows_per_class_and_share(bad_result: dict[str, Any]) -> None:
    assert _failed(bad_result, "single_class") == {(BETWEEN, "target")}
    failures = bad_result["tables"]["single_class"]["failures"]
    count_failure = next(f for f in failures if "min_rows_per_class" in f["message"])
    assert count_failure["observed"] == {str(label): 0 for label in range(10) if label != 3}
    assert count_failure["offending_values"] == [0, 1, 2, 4, 5]
    share_failure = next(f for f in failures if "class_share" in f["message"])
    assert share_failure["observed"]["3"] == 1.0


def test_too_few_rows_in_raw_fails_row_count(bad_result: dict[str, Any], schema: DataSchema) -> None:
    assert _failed(bad_result, "raw") == {(ROW_COUNT, None)}
    failure = _failure(bad_result, "raw", ROW_COUNT, None)
    assert failure["observed"] == 100
    assert f"[{schema.row_count.min}, inf]" in failure["message"]


def test_too_few_rows_in_split_fails_min_rows_per_split(
    bad_result: dict[str, Any], schema: DataSchema
) -> None:
    assert (ROW_COUNT, None) in _failed(bad_result, "tiny_split")
    failure = _failure(bad_result, "tiny_split", ROW_COUNT, None)
    assert failure["observed"] == 5
    assert f"[{schema.min_rows_per_split}, inf]" in failure["message"]


def test_columns_in_another_order_pass(bad_result: dict[str, Any]) -> None:
    entry = bad_result["tables"]["reordered"]
    assert entry["success"] is True, entry["failures"]


def test_extra_column_fails_by_default(bad_result: dict[str, Any]) -> None:
    assert _failed(bad_result, "extra_column") == {(COLUMN_SET, None)}
    assert _failure(bad_result, "extra_column", COLUMN_SET, None)["offending_values"] == ["row_id"]


def test_extra_column_passes_when_allowed(bad_inputs: dict[str, pd.DataFrame], schema: DataSchema) -> None:
    lenient = schema.model_copy(update={"allow_extra_columns": True})
    result = validate_tables({"extra_column": bad_inputs["extra_column"]}, lenient)
    assert result["success"] is True, format_failures(result)


def test_column_names_with_spaces_and_punctuation() -> None:
    df = pd.DataFrame({"petal width (cm)": [0.1, 0.2, 5.0, 0.3], "a|b, c": [1, 2, 3, 4], "y": ["x", "y"] * 2})
    schema = DataSchema.model_validate(
        {
            "target_column": "y",
            "feature_columns": {"petal width (cm)": {"min": 0, "max": 1}, "a|b, c": {"min": 0, "max": 9}},
            "labels": ["x", "y"],
            "row_count": {"min": 1},
            "min_rows_per_split": 1,
            "min_rows_per_class": 1,
            "class_share": {"min": 0.2, "max": 0.8},
        }
    )
    result = validate_tables({"raw": df}, schema)
    assert _failed(result, "raw") == {(BETWEEN, "petal width (cm)")}
    assert _failure(result, "raw", BETWEEN, "petal width (cm)")["offending_values"] == [5.0]


def test_format_failures_lists_every_failure(bad_result: dict[str, Any]) -> None:
    message = format_failures(bad_result)
    failures = [f for entry in bad_result["tables"].values() for f in entry["failures"]]
    lines = message.splitlines()
    assert lines[0].startswith(f"Data validation failed: {len(failures)} failed expectations")
    assert len(lines) == 1 + len(failures)
    for line, failure in zip(lines[1:], failures, strict=True):
        assert f"table {failure['table']}," in line
        assert failure["expectation"] in line
        assert failure["message"] in line
        if failure["column"] is not None:
            assert repr(failure["column"]) in line
    assert "'seven'" in message and "'inf'" in message


def test_format_failures_on_success(clean_result: dict[str, Any]) -> None:
    assert format_failures(clean_result).startswith("Data validation passed: 4 tables")


def test_data_validation_error_carries_result_and_message(bad_result: dict[str, Any]) -> None:
    with pytest.raises(DataValidationError, match=r"table nulls, column 'pixel_4_4'") as raised:
        raise DataValidationError(bad_result)
    assert isinstance(raised.value, ValueError)
    assert raised.value.result is bad_result


def test_a_file_with_every_row_twice_fails_the_duplicate_share(
    digits: pd.DataFrame, schema: DataSchema
) -> None:
    assert schema.max_duplicate_share == 0.01  # inferred: twice the observed share (0), at least 1 %
    doubled = pd.concat([digits, digits], ignore_index=True)
    result = validate_tables({"raw": doubled}, schema)
    failure = _failure(result, "raw", "duplicate_row_share", None)
    assert failure["observed"] == 0.5
    assert failure["message"].startswith("1797 rows (50.0%) repeat an earlier row exactly")
    assert validate_tables({"raw": digits}, schema)["success"]
