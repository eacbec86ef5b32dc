"""The published spec accepts exactly what the service accepts (checked here without a server)."""

import asyncio
import json

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from prunegate.serving.openapi_spec import OPENAPI_VERSION, OpenAPISpecRewrite, exact_spec
from prunegate.serving.responses import non_finite_rows, unpredictable_rows_error
from prunegate.serving.schemas import FLOAT32_MAX, RequestValidationError, validate_rows

NAMES = ["a", "b"]
RANGES = {"a": [0.0, 1.0]}  # b has no range: any finite float32
CLASSES = ["cat", "dog"]
CAP = 3
BENTOML_SPEC = {
    "openapi": "3.0.2",
    "paths": {
        route: {"post": {"responses": {"200": {"description": "ok"}, "400": {"description": "generic"}}}}
        for route in ("/predict", "/infer", "/feedback")
    },
    "components": {"schemas": {"InvalidArgument": {}}},
}


@pytest.fixture(scope="module")
def spec():
    return exact_spec(
        BENTOML_SPEC, feature_names=NAMES, feature_ranges=RANGES, class_names=CLASSES, max_batch_size=CAP
    )


def _validator(spec, route: str, status: str | None = None) -> Draft202012Validator:
    operation = spec["paths"][route]["post"]
    media = operation["responses"][status] if status else operation["requestBody"]
    schema = {**media["content"]["application/json"]["schema"], "components": spec["components"]}
    return Draft202012Validator(schema)  # "#/components/..." references resolve inside this document


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"rows": [[0.5, -1e30]]}, True),
        ({"rows": [{"a": 1, "b": 2}]}, True),
        ({"rows": [[]]}, False),  # the drift schemathesis found: valid per the old spec, refused
        ({"rows": [[0.5]]}, False),
        ({"rows": [[0.5, 1, 2]]}, False),
        ({"rows": [[1.5, 0]]}, False),  # outside a's range
        ({"rows": [[0.5, FLOAT32_MAX * 1.0000001]]}, False),
        ({"rows": [[0.5, True]]}, False),
        ({"rows": [{"a": 1}]}, False),
        ({"rows": [{"a": 1, "b": 2, "c": 3}]}, False),
        ({"rows": []}, False),
        ({"rows": [[0, 0]] * (CAP + 1)}, False),
        ({"rows": [[0, 0]], "extra": 1}, False),
    ],
)
def test_a_row_is_valid_per_the_spec_exactly_when_the_service_takes_it(spec, body, valid):
    assert _validator(spec, "/predict").is_valid(body) is valid
    try:
        validate_rows(body["rows"], NAMES, RANGES, CAP)
        rows_taken = True
    except RequestValidationError:
        rows_taken = False
    assert (rows_taken and "extra" not in body) is valid  # the service's own check agrees with the spec
    assert _validator(spec, "/infer").is_valid({"features": body["rows"]}) is rows_taken


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"request_id": "x", "label": "cat"}, True),
        ({"request_id": "x", "label": ["cat", "dog"]}, True),
        ({"request_id": "0", "label": ""}, False),  # the drift schemathesis found
        ({"request_id": "x", "label": ["cow"]}, False),
        ({"request_id": "x", "label": ["cat"] * (CAP + 1)}, False),
        ({"request_id": "", "label": "cat"}, False),
        ({"request_id": "x" * 129, "label": "cat"}, False),
    ],
)
def test_feedback_bodies(spec, body, valid):
    assert _validator(spec, "/feedback").is_valid(body) is valid


def test_every_error_the_service_gives_is_documented_with_its_real_body(spec):
    ours = {
        "error": "1 invalid field(s): rows[0].a: ...",
        "detail": [{"loc": ["rows", 0, "a"], "field": "rows[0].a", "msg": "m"}],
    }
    bentoml = {
        "error": "1 validation error",
        "detail": [{"type": "json_invalid", "loc": [], "msg": "m", "url": "u"}],
    }
    guard = {"error": "/predict takes a JSON body"}
    for status in ("400", "411", "413", "415", "429", "500", "503", "504"):
        validator = _validator(spec, "/predict", status)
        assert validator.is_valid(ours) and validator.is_valid(bentoml) and validator.is_valid(guard), status
        assert not validator.is_valid({"detail": "a string, as BentoML's generic spec said"})
    assert {"404", "409"} <= set(spec["paths"]["/feedback"]["post"]["responses"])
    assert "409" not in spec["paths"]["/predict"]["post"]["responses"]
    assert (
        spec["openapi"] == OPENAPI_VERSION and BENTOML_SPEC["openapi"] == "3.0.2"
    )  # the input is not changed


def test_infer_answers_a_probability_matrix(spec):
    validator = _validator(spec, "/infer", "200")
    assert validator.is_valid([[0.3, 0.7], [1.0, 0.0]])
    assert not validator.is_valid([0.3, 0.7])


def test_non_finite_probabilities_are_a_400_naming_the_rows_never_a_null():
    probabilities = np.array([[0.5, 0.5], [np.nan, 0.1], [np.inf, 0.0]], dtype=np.float32)
    rows = non_finite_rows(probabilities)
    assert rows.tolist() == [1, 2]
    assert [error.field for error in unpredictable_rows_error(rows).errors] == ["rows[1]", "rows[2]"]


def test_the_middleware_rewrites_only_the_spec():
    async def app(scope, receive, send):
        body = json.dumps({"path": scope["path"]}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
        await send({"type": "http.response.body", "body": body})

    def call(path: str) -> tuple[dict, dict]:
        sent = []

        async def send(message):
            sent.append(message)

        middleware = OpenAPISpecRewrite(app, rewrite=lambda spec: {**spec, "rewritten": True})
        asyncio.run(middleware({"type": "http", "method": "GET", "path": path}, None, send))
        return dict(sent[0]["headers"]), json.loads(sent[1]["body"])

    headers, body = call("/docs.json")
    assert body == {"path": "/docs.json", "rewritten": True}
    assert int(headers[b"content-length"]) == len(json.dumps(body))
    assert call("/predict")[1] == {"path": "/predict"}
