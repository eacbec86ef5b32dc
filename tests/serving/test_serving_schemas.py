"""Request validation: every bad input kind is refused with the row and the feature named."""

import math

import numpy as np
import pytest
import yaml
from pydantic import ValidationError
from tests.conftest import PROJECT_ROOT

from prunegate.serving.config import ServingConfigError, load_serving_config
from prunegate.serving.schemas import (
    MAX_REPORTED_ERRORS,
    FeedbackRequest,
    RequestValidationError,
    predict_request_model,
    validate_labels,
    validate_rows,
)

NAMES = ["a", "b", "c"]
RANGES = {"a": [0.0, 16.0], "b": [0.0, 16.0], "c": [-1.0, 1.0]}
CAP = 4


def _errors(rows, max_batch=CAP):
    with pytest.raises(RequestValidationError) as caught:
        validate_rows(rows, NAMES, RANGES, max_batch)
    return [error.to_dict() for error in caught.value.errors]


def test_good_rows_in_both_formats_become_a_float32_matrix():
    matrix = validate_rows([[1, 2.5, 0], {"c": -1, "b": 16, "a": 0}], NAMES, RANGES, CAP)
    assert matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix, [[1, 2.5, 0], [0, 16, -1]])


@pytest.mark.parametrize(
    ("rows", "field", "reason"),
    [
        ([[1, 2]], "rows[0]", "expected 3 values"),
        ([[1, 2, 0, 4]], "rows[0]", "expected 3 values"),
        ([{"a": 1, "b": 2}], "rows[0]", "missing feature(s) ['c']"),
        ([{"a": 1, "b": 2, "c": 0, "d": 1}], "rows[0]", "unknown feature(s) ['d']"),
        ([[1, 2, 0], [1, "1.5", 0]], "rows[1].b", "must be a number, got str '1.5'"),
        ([{"a": 1, "b": 2, "c": "0"}], "rows[0].c", "must be a number, got str"),
        ([[True, 2, 0]], "rows[0].a", "got bool"),
        ([[None, 2, 0]], "rows[0].a", "got NoneType"),
        ([[1, math.nan, 0]], "rows[0].b", "finite"),
        ([[1, 2, math.inf]], "rows[0].c", "finite"),
        ([[1, 2, -math.inf]], "rows[0].c", "finite"),
        ([[10**400, 2, 0]], "rows[0].a", "finite"),
        ([[17, 2, 0]], "rows[0].a", "outside the range [0.0, 16.0] of feature 'a'"),
        ([[1, 2, -1.5]], "rows[0].c", "outside the range [-1.0, 1.0] of feature 'c'"),
        ([], "rows", "at least 1 row"),
        ([[1, 2, 0]] * (CAP + 1), "rows", f"at most {CAP} rows per request, got {CAP + 1}"),
        ("1,2,0", "rows", "must be a list of rows"),
        ([7], "rows[0]", "must be a list of 3 numbers or an object"),
    ],
)
def test_each_bad_input_names_its_field(rows, field, reason):
    errors = _errors(rows)
    assert [error["field"] for error in errors] == [field]
    assert reason in errors[0]["msg"] and errors[0]["msg"].startswith(f"{field}: ")


def test_every_bad_field_is_reported_up_to_a_cap():
    errors = _errors([[1, "x", 99], [-5, 2, 0]])
    assert [error["field"] for error in errors] == ["rows[0].b", "rows[0].c", "rows[1].a"]
    wide = [f"f{i}" for i in range(30)]
    with pytest.raises(RequestValidationError, match="more") as caught:
        validate_rows([[99.0] * len(wide)] * CAP, wide, {name: [0, 1] for name in wide}, CAP)
    assert len(caught.value.errors) == MAX_REPORTED_ERRORS
    assert caught.value.total == len(wide) * CAP


def test_features_without_a_range_are_unbounded_and_a_custom_field_name_is_used():
    assert validate_rows([[1e6, 2, 0]], NAMES, {"c": [-1, 1]}, CAP)[0, 0] == 1e6
    with pytest.raises(RequestValidationError, match=r"features\[0\]\.a"):
        validate_rows([["x", 2, 0]], NAMES, RANGES, CAP, field="features")


def test_labels_must_be_known_classes_and_at_most_the_cap():
    assert validate_labels("3", ["1", "3"], CAP) == ["3"]
    assert validate_labels(["1", "3"], ["1", "3"], CAP) == ["1", "3"]
    with pytest.raises(RequestValidationError, match=r"label\[1\]: unknown class '7'"):
        validate_labels(["1", "7"], ["1", "3"], CAP)
    with pytest.raises(RequestValidationError, match="label: unknown class 'x'"):
        validate_labels("x", ["1", "3"], CAP)
    with pytest.raises(RequestValidationError, match=f"at most {CAP} labels") as caught:
        validate_labels(["7"] * 200_000, ["1", "3"], CAP)
    assert caught.value.total == 1  # refused before each label is looked at
    for wrong in (3, ["1", 3], {"label": "1"}, None):
        with pytest.raises(RequestValidationError, match="must be a class name"):
            validate_labels(wrong, ["1", "3"], CAP)


def test_feedback_request_is_strict_and_documents_both_label_forms():
    # the label's type is checked by validate_labels (one message style): the model only keeps its shape
    assert FeedbackRequest.model_validate({"request_id": "r", "label": 3}).label == 3
    with pytest.raises(ValidationError):
        FeedbackRequest.model_validate({"request_id": 3, "label": "3"})
    with pytest.raises(ValidationError):
        FeedbackRequest.model_validate({"request_id": "r", "label": "3", "extra": 1})
    schema = FeedbackRequest.model_json_schema()["properties"]["label"]
    assert [branch["type"] for branch in schema["oneOf"]] == ["string", "array"]


def test_predict_request_schema_states_the_batch_cap():
    schema = predict_request_model(CAP).model_json_schema()
    assert schema["properties"]["rows"]["maxItems"] == CAP
    assert schema["title"] == "PredictRequest"


def test_serving_config_is_validated(tmp_path):
    good = load_serving_config()
    assert good.max_batch_size > 0 and good.port > 0
    bad = tmp_path / "serving.yml"
    bad.write_text("serving:\n  port: '3000'\n  surprise: 1\n")
    with pytest.raises(ServingConfigError, match=r"serving\.port.*serving\.surprise|serving\.surprise"):
        load_serving_config(bad)


@pytest.mark.parametrize(
    ("dispatch", "row_latency_ms", "direct"),
    [
        ("auto", 0.05, True),
        ("auto", 5.0, False),
        ("auto", float("nan"), False),  # never measured: keep batching
        ("direct", 5.0, True),
        ("batched", 0.05, False),
    ],
)
def test_dispatch_decides_between_a_direct_call_and_adaptive_batching(dispatch, row_latency_ms, direct):
    config = load_serving_config().model_copy(update={"dispatch": dispatch, "direct_below_ms": 1.0})
    assert config.calls_directly(row_latency_ms) is direct


def test_an_unknown_dispatch_is_refused_naming_the_key(tmp_path):
    config = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_serving.yml").read_text())
    config["serving"]["dispatch"] = "sometimes"
    path = tmp_path / "serving.yml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ServingConfigError, match=r"serving\.dispatch"):
        load_serving_config(path)


@pytest.mark.parametrize("port", [0, 65536, 70000])
def test_a_port_outside_the_tcp_range_is_refused(tmp_path, port):
    """70000 would otherwise be bound as 70000 - 65536 = 4464 while the log says 70000."""
    config = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_serving.yml").read_text())
    config["serving"]["port"] = port
    path = tmp_path / "serving.yml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ServingConfigError, match=r"serving\.port"):
        load_serving_config(path)


def test_a_misspelt_serving_key_is_named_with_the_key_it_was_meant_as(tmp_path):
    config = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_serving.yml").read_text())
    config["serving"]["prot"] = config["serving"].pop("port")
    path = tmp_path / "serving.yml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ServingConfigError) as raised:
        load_serving_config(path)
    message = str(raised.value)
    assert "serving.prot: unknown key (got " in message and "did you mean 'port'?" in message
    assert "serving.port: required key is missing" not in message  # the did-you-mean said it
    del config["serving"]["prot"]
    config["serving"]["hots"] = config["serving"].pop("host")
    config["serving"].pop("workers")  # missing, and no misspelt key points at it
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ServingConfigError) as raised:
        load_serving_config(path)
    problems = [line.strip() for line in str(raised.value).splitlines()[1:]]  # one problem a line
    assert problems[0].startswith("serving.hots: unknown key") and "did you mean 'host'?" in problems[0]
    assert "serving.workers: required key is missing" in problems[1:]
    assert "serving.port: required key is missing" in problems[1:]
    assert not any(problem.startswith("serving.host:") for problem in problems)
