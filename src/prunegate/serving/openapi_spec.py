"""The published OpenAPI spec (``GET /docs.json``) made to say exactly what the service accepts.

BentoML writes the spec from the request models, which cannot know the loaded model: its feature count,
names and ranges, its classes, the batch cap. A generic spec was wrong in both directions (found by
schemathesis with all checks): it allowed ``{"rows": [[]]}`` and ``{"label": ""}``, which the service
refuses, and it said a 400's ``detail`` is a string where it is a list of field errors. Here the spec
BentoML generated is rewritten for the model being served (so a hot swap changes it too):

- ``/predict`` rows and ``/infer`` features: each row an array of exactly the model's features, in order,
  each a number within its range (JSON Schema 2020-12 ``prefixItems``, hence OpenAPI 3.1), or an object
  with exactly the feature names; between 1 and ``max_batch_size`` rows;
- ``/feedback``: ``label`` one of the class names, or a list of them (at most ``max_batch_size``), sent
  with the labeller token (a bearer ``securityScheme``);
- the responses each route really gives: 400 (field errors), 401 / 403 / 404 / 409 (``/feedback``: no
  or a wrong labeller token, feedback off, never served, already labelled), 408 / 411 / 413 / 415
  (:mod:`~prunegate.serving.request_guard`), 429 / 503 / 504
  (BentoML: too many requests in flight, batching queue shed, timeout), 500; one error schema for all:
  ``{"error": str, "detail": [{"loc": [...], "msg": str, ...}]}`` (``detail`` only where fields are named).

:class:`OpenAPISpecRewrite` is the ASGI middleware that applies :func:`exact_spec` to BentoML's answer.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from prunegate.serving.schemas import FLOAT32_MAX

__all__ = ["OPENAPI_VERSION", "SPEC_PATH", "OpenAPISpecRewrite", "exact_spec"]

SPEC_PATH = "/docs.json"
OPENAPI_VERSION = "3.1.0"  # prefixItems (a range per position of an array row) needs JSON Schema 2020-12
ERROR_REF = {"$ref": "#/components/schemas/ClientError"}
ERROR_SCHEMAS = {
    "ClientError": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "what is wrong, in one line"},
            "detail": {
                "type": "array",
                "description": "one entry per invalid field (400), or per id (404, 409)",
                "items": {"$ref": "#/components/schemas/FieldError"},
            },
        },
    },
    "FieldError": {
        "type": "object",
        "required": ["loc", "msg"],
        "properties": {
            "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
            "msg": {"type": "string"},
            "field": {"type": "string", "description": "the location as text: rows[3].pixel_0_1"},
        },
    },
}
LABELLER_SCHEME = "labeller"
_COMMON_ERRORS = {
    "400": "Bad Request: invalid JSON, a repeated or unknown key, or invalid fields (each named in detail)",
    "408": "Request Timeout: the body did not arrive whole within serving.body_timeout_s",
    "411": "Length Required: the body has no Content-Length",
    "413": "Content Too Large: over serving.max_body_bytes",
    "415": "Unsupported Media Type: the body must be application/json",
    "429": "Too Many Requests: over serving.max_concurrency in flight",
    "500": "Internal Server Error",
    "503": "Service Unavailable: the adaptive-batching queue shed the request (batch_max_latency_ms)",
    "504": "Gateway Timeout: no answer within serving.timeout_s",
}
_FEEDBACK_ERRORS = {
    "401": "Unauthorized: no labeller token, or not the server's (Authorization: Bearer <token>)",
    "403": "Forbidden: feedback is off (the server has no PRUNEGATE_LABELLER_TOKEN)",
    "404": "Not Found: a request or row id this service never answered, or older than feedback_max_age_days",
    "409": "Conflict: a row that already has a label",
}


def exact_spec(
    spec: Mapping[str, Any],
    *,
    feature_names: Sequence[str],
    feature_ranges: Mapping[str, Sequence[float]],
    class_names: Sequence[str],
    max_batch_size: int,
    model_version: str = "",
) -> dict[str, Any]:
    """BentoML's spec with the request bodies and error responses of the served model (module docstring)."""
    rewritten = copy.deepcopy(dict(spec))
    rewritten["openapi"] = OPENAPI_VERSION
    rewritten["info"] = {
        **rewritten.get("info", {}),
        "title": "prunegate",
        "version": model_version or "unknown",
        "description": "Predictions of the served model (version above), validated against its features "
        "and ranges; POST /feedback takes the true classes of served rows. GET /model describes the model, "
        "GET /card shows its model card.",
    }
    rewritten.setdefault("components", {}).setdefault("schemas", {}).update(copy.deepcopy(ERROR_SCHEMAS))
    rewritten["components"].setdefault("securitySchemes", {})[LABELLER_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "the server's PRUNEGATE_LABELLER_TOKEN, held by the labelling tool",
    }
    rows = _rows_schema(feature_names, feature_ranges, max_batch_size)
    paths = rewritten.get("paths", {})
    bodies = {
        "/predict": _object({"rows": rows}),
        "/infer": _object({"features": rows}),
        "/feedback": _object({
            "request_id": {"type": "string", "minLength": 1, "maxLength": 128},
            "label": _label_schema(class_names, max_batch_size),
        }),
    }  # fmt: skip
    for route, body in bodies.items():
        operation = paths.get(route, {}).get("post")
        if operation is None:
            continue
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        if route == "/feedback":  # labels come from labellers only (prunegate.serving.labeller_credential)
            operation["security"] = [{LABELLER_SCHEME: []}]
        errors = {**_COMMON_ERRORS, **(_FEEDBACK_ERRORS if route == "/feedback" else {})}
        ok = {status: answer for status, answer in operation.get("responses", {}).items() if status == "200"}
        operation["responses"] = ok | {
            status: {"description": text, "content": {"application/json": {"schema": ERROR_REF}}}
            for status, text in errors.items()
        }
    _infer_answer(paths.get("/infer", {}).get("post"), len(class_names))
    _predict_answer(paths.get("/predict", {}).get("post"), class_names)
    _card_answer(paths.get("/card", {}).get("get"))
    return rewritten


def _card_answer(operation: dict[str, Any] | None) -> None:
    """``GET /card``: the model card as HTML, or a 404 for a version packaged without one."""
    if operation is None:
        return
    operation["responses"] = {
        "200": {
            "description": "the model card (HTML)",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        "404": {
            "description": "Not Found: the served version was packaged without a model card",
            "content": {"application/json": {"schema": ERROR_REF}},
        },
    }


def _predict_answer(operation: dict[str, Any] | None, class_names: Sequence[str]) -> None:
    """``/predict``'s answer with the model's class names (BentoML's spec says any strings)."""
    if operation is None or "200" not in operation.get("responses", {}):
        return
    classes = list(class_names)
    probability = {"type": "number"}  # float32 softmax: no bound the rounding could break
    text_list = {"type": "array", "items": {"type": "string"}}
    answer = _object({
        "predictions": {"type": "array", "items": {"type": "string", "enum": classes}},
        "probabilities": {"type": "array", "items": _object(dict.fromkeys(classes, probability))},
        "model_version": {"type": "string"},
        "request_id": {"type": "string", "description": "for POST /feedback"},
        "row_ids": {**text_list, "description": "one per row, for POST /feedback of one row"},
    })  # fmt: skip
    operation["responses"]["200"]["content"] = {"application/json": {"schema": answer}}


def _infer_answer(operation: dict[str, Any] | None, classes: int) -> None:
    """``/infer`` answers the probability matrix (BentoML's spec says a flat array of numbers)."""
    if operation is None or "200" not in operation.get("responses", {}):
        return
    row = {"type": "array", "minItems": classes, "maxItems": classes, "items": {"type": ["number", "null"]}}
    matrix = {
        "type": "array",
        "items": row,
        "description": "probabilities, rows x classes (null: not finite)",
    }
    operation["responses"]["200"]["content"] = {"application/json": {"schema": matrix}}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _rows_schema(
    names: Sequence[str], ranges: Mapping[str, Sequence[float]], max_batch: int
) -> dict[str, Any]:
    values = [_value_schema(name, ranges.get(name)) for name in names]
    as_list = {"type": "array", "prefixItems": values, "items": False, "minItems": len(names)}
    as_object = _object(dict(zip(names, values, strict=True)))
    return {
        "type": "array",
        "minItems": 1,
        "maxItems": max_batch,
        "description": "Feature rows: each a list of numbers in feature order, or an object "
        "{feature: number} with exactly the model's feature names (GET /model lists them).",
        "items": {"oneOf": [as_list, as_object]},
    }


def _value_schema(name: str, bounds: Sequence[float] | None) -> dict[str, Any]:
    low, high = (float(bounds[0]), float(bounds[1])) if bounds is not None else (-FLOAT32_MAX, FLOAT32_MAX)
    return {"type": "number", "minimum": low, "maximum": high, "title": name}


def _label_schema(class_names: Sequence[str], max_batch: int) -> dict[str, Any]:
    one = {"type": "string", "enum": list(class_names)}
    return {
        "oneOf": [one, {"type": "array", "items": one, "minItems": 1, "maxItems": max_batch}],
        "description": "one class per row of the request (in row order), or one class for a row id",
    }


Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class OpenAPISpecRewrite:
    """ASGI middleware: ``GET /docs.json`` answered with ``rewrite(BentoML's spec)``.

    Args:
        app: the ASGI app below.
        rewrite: the spec -> the spec to publish (e.g. :func:`exact_spec` for the current model).
    """

    def __init__(self, app: Callable[..., Awaitable[None]], *, rewrite: Callable[[dict], dict]) -> None:
        self.app = app
        self.rewrite = rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or scope.get("method") != "GET" or scope.get("path") != SPEC_PATH:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def collect(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, collect)
        body = b"".join(chunks)
        if start.get("status") == 200:
            body = json.dumps(self.rewrite(json.loads(body))).encode()
        headers = [
            (name, value) for name, value in start.get("headers", []) if name.lower() != b"content-length"
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
