"""The BentoML service: ``POST /predict``, ``POST /feedback``, ``GET /model`` (+ BentoML's own endpoints).

Start it from the project root with ``prunegate serve`` (``make serve``): it checks first that there is
a model to serve (exit 3 and the reason when not, :mod:`prunegate.serving.launch`), then runs ``bentoml
serve prunegate.serving.service:PrunegateService`` (settings: :mod:`prunegate.serving.config`). Started
directly with ``bentoml serve``, a worker with nothing to serve logs why and stops the server (BentoML
would otherwise restart it forever). Telemetry is off in every serving process
(:mod:`prunegate.serving.no_telemetry`).

Where the model comes from, first match wins (decided in ``__init__``):

1. ``PRUNEGATE_MODEL_PATH=path/to/model.pt``: that file, fixed (tests, ad-hoc serving).
2. The registry champion (``<project>/<registry_dir>/pointer.json``), followed with hot reload: serving
   from the project needs no ``bentoml build``.
3. Served from a built Bento (no registry inside it): the class-level ``packaged_model``, a
   ``bentoml.models.BentoModel`` reference. At import it is resolved from ``PRUNEGATE_BENTO_MODEL``
   (packaging sets it for ``bentoml build``), else the registry champion, else the newest version in
   the store (inside a Bento, the store holds only the packaged model). It is ``None`` when none of
   them exists, so importing the module never needs a model; ``bentoml build`` records it when set.
   A Bento's working directory is its ``src`` folder: set ``PRUNEGATE_PROJECT_ROOT`` to put the
   prediction log elsewhere.
4. Otherwise there is nothing to serve (:mod:`prunegate.serving.model_source` decides, for the worker
   and the launcher alike).

Dispatch (``dispatch`` in the config): ``/predict`` validates the rows against the loaded model (400
naming each bad field), then computes the probabilities either

- *batched*: the float32 matrix goes through BentoML's in-process client of this service to the
  ``batchable=True`` API ``/infer``, where BentoML's dispatcher merges concurrent requests into one model
  call (adaptive batching). The hop costs ~1.7 ms per request on this machine, worth it when a model
  call is expensive and concurrent requests can share it;
- *direct*: the model is called in the request, no hop and no batching;
- *auto* (default): direct when the model's one-row prediction, timed when it is loaded
  (``LoadedModel.row_latency_ms``), is under ``direct_below_ms``, else batched. Decided per model, so a
  hot swap to a bigger model switches to batching.

``/infer`` is always there as a public, adaptively batched numeric endpoint (a list of feature lists in,
the probability matrix out); its input is validated per request before batching, so one bad request
never fails a batch, but it is *not* logged: the monitored API is ``/predict``. A hot swap between
validation and inference is detected (the model object changed) and the request is recomputed, so
``model_version`` always names the model that produced the answer.

BentoML's per-request access log is off unless ``access_log: true`` (it costs ~18% of throughput, and
every ``/predict`` is in the prediction log with its request id). Prometheus ``/metrics`` is on unless
``metrics: false``.

Client errors log no traceback: our own 400s are returned as responses, and for BentoML's (malformed
JSON, wrong top-level shape), which it logs with ``exc_info``, :class:`ClientErrorLogFilter` keeps the
line and drops the traceback. Server errors (5xx) keep theirs.

How this follows the BentoML 1.4 idiom, and where it does not:

- the model is a class-level ``bentoml.models.BentoModel`` reference (``packaged_model``), resolved
  when the class is defined so that ``bentoml build`` records it; the APIs are typed ``@bentoml.api``
  methods with pydantic request and response models; lifecycle hooks are ``__init__`` and
  ``@bentoml.on_shutdown``;
- the decorator's settings (port, workers, timeouts, batching) must exist when the class is defined,
  so the serving config is read at import; the project's model store is selected then too
  (``BENTOML_HOME``), since the class-level reference is resolved from it, and the log filter and the
  timer-leak patch are installed, since they must be in place before BentoML builds the app. Nothing
  else happens at import: the model is loaded, and hot reload started, in each worker's ``__init__``;
- request errors are returned as ``JSONResponse`` (status 400/404/409, body ``{"error", "fields"...}``
  from :class:`RequestValidationError`), not raised as ``bentoml.exceptions.InvalidArgument``: BentoML
  1.4.40 answers a 4xx ``BentoMLException`` with a JSON *array* ``[{"error": "..."}]`` (a stray tuple in
  ``api_endpoint_wrapper``; bentoml/BentoML#5709, still open) and keeps only the message, so a client
  would lose which field failed.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
from typing import Annotated, Any

import aiohttp
import bentoml
import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator, WithJsonSchema
from starlette.responses import HTMLResponse, JSONResponse

from prunegate.registry.store import MODEL_NAME, ensure_project_bentoml_home, read_pointer
from prunegate.registry.version_record import VersionRecordError, read_record
from prunegate.serving import bentoml_patches
from prunegate.serving.config import (
    BENTO_MODEL_ENV,
    ServingConfig,
    load_serving_config,
    project_root,
)
from prunegate.serving.feedback import claim_rows, feedback_target
from prunegate.serving.label_ledger import LEDGER_FILE, LabelLedger
from prunegate.serving.labeller_credential import LabellerCredential
from prunegate.serving.model_holder import LoadedModel, ModelHolder, NoChampionError
from prunegate.serving.model_source import CANNOT_SERVE, serving_holder
from prunegate.serving.openapi_spec import OpenAPISpecRewrite, exact_spec
from prunegate.serving.prediction_log import PredictionLogger
from prunegate.serving.request_guard import RequestGuard
from prunegate.serving.request_ids import RequestIdSigner
from prunegate.serving.responses import non_finite_rows, prediction_response, unpredictable_rows_error
from prunegate.serving.schemas import (
    FeedbackRequest,
    FeedbackResponse,
    ModelInfo,
    PredictResponse,
    RequestValidationError,
    predict_request_model,
    validate_labels,
    validate_rows,
)

__all__ = [
    "ClientErrorLogFilter",
    "NoChampionError",
    "PrunegateService",
    "ServingConfig",
    "load_serving_config",
]

logger = logging.getLogger(__name__)

CLIENT_ERROR_STATUSES = range(400, 500)
NOT_FROM_A_BENTO = (None, "not available")  # BentoML's server_context.bento_version outside a Bento
EXIT_CANNOT_SERVE = 3  # a worker with nothing to serve exits with this (uvicorn's startup failure)
SWAP_ATTEMPTS = 3  # a request is recomputed at most this often when models swap under it
CLIENT_ATTEMPTS = 3  # calls of /infer through the in-process client (see _batched_probabilities)
# BentoML 1.4.39 closes its internal client session every 100 requests / 300 s, failing requests still
# in flight on it (bentoml/BentoML#5540, #5544; retry proposed in #5698). In-process there is nothing to
# rebalance, so the session is kept for a year of requests; the retry covers what remains.
IN_PROCESS_SESSION = {"max_requests": 2**62, "max_age": 365 * 24 * 3600.0}

logging.getLogger("prunegate").setLevel(logging.INFO)  # BentoML's server logging keeps root at WARNING


class ClientErrorLogFilter(logging.Filter):
    """Keeps BentoML's log line for a rejected request but drops the traceback of client (4xx) errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and _is_client_error(error):
            record.msg = f"{record.getMessage()}: client error ({type(error).__name__}): {error}"
            record.args, record.exc_info, record.exc_text = None, None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _is_client_error(error: BaseException) -> bool:
    from pydantic import ValidationError

    status = getattr(getattr(error, "error_code", None), "value", None)
    return isinstance(error, ValidationError) or status in CLIENT_ERROR_STATUSES


logging.getLogger("bentoml._internal.server.http_app").addFilter(ClientErrorLogFilter())
bentoml_patches.apply()  # BentoML 1.4's request timeout leaks a timer per request: the p99 tail

CONFIG = load_serving_config()
MAX_BATCH = CONFIG.max_batch_size
REGISTRY_DIR = CONFIG.path(CONFIG.registry_dir)
ensure_project_bentoml_home(project_root())


def _packaged_model() -> bentoml.models.BentoModel | None:
    """The store version a built Bento carries (see the module docstring); ``None`` when there is none."""
    tag = os.environ.get(BENTO_MODEL_ENV) or read_pointer(REGISTRY_DIR).champion or MODEL_NAME
    try:
        return bentoml.models.BentoModel(read_record(tag).tag)
    except (LookupError, VersionRecordError):  # not in the store, or damaged: the model source says why
        return None


def _feature_matrix(value: Any) -> np.ndarray:
    """Validate ``/infer`` input per request, before batching, against the model being served.

    An ``np.ndarray`` only arrives in-process (from ``/predict``, already validated); JSON never holds one.
    """
    if isinstance(value, np.ndarray):
        return value
    try:
        model = bentoml.get_current_service().holder.current
    except bentoml.exceptions.BentoMLException:  # no instance yet (client side before startup)
        raise ValueError("the service is not started") from None
    try:
        return validate_rows(
            value, model.feature_names, model.feature_ranges, CONFIG.max_batch_size, field="features"
        )
    except RequestValidationError as error:
        raise ValueError(str(error)) from None


_MATRIX_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "maxItems": CONFIG.max_batch_size,
    "items": {"type": "array", "items": {"type": "number"}},
}
FeatureMatrix = Annotated[
    Any,
    PlainValidator(_feature_matrix),
    PlainSerializer(lambda array: np.asarray(array).tolist(), when_used="json"),
    WithJsonSchema(_MATRIX_SCHEMA),
]


class InferRequest(BaseModel):
    """``/infer``'s body: the feature matrix and nothing else (an unknown key is refused, as everywhere)."""

    model_config = ConfigDict(extra="forbid")

    features: FeatureMatrix


# the card is self-contained: inline styles and data: images, nothing else may load
CARD_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_info_app = FastAPI(title="prunegate model info", docs_url=None, redoc_url=None, openapi_url=None)


@bentoml.service(
    name="prunegate",
    traffic={"timeout": CONFIG.timeout_s, "max_concurrency": CONFIG.max_concurrency},
    http={"host": CONFIG.host, "port": CONFIG.port},
    runner_connection=IN_PROCESS_SESSION,
    workers=CONFIG.workers,
    logging={"access": {"enabled": CONFIG.access_log}},
    metrics={"enabled": CONFIG.metrics},
)
@bentoml.asgi_app(_info_app, path="/")
class PrunegateService:
    """Predictions with validation, logging, feedback and hot reload of the registry champion."""

    packaged_model = _packaged_model()

    def __init__(self) -> None:
        import torch

        torch.set_num_threads(CONFIG.inference_threads)
        self.holder = _holder_or_stop(self._packaged_tag())
        self.holder.start()
        monitoring_dir = CONFIG.path(CONFIG.monitoring_dir)
        self.request_ids = RequestIdSigner.for_folder(monitoring_dir)
        self.label_ledger = LabelLedger(monitoring_dir / LEDGER_FILE, CONFIG.feedback_max_age_s)
        self.prediction_log = None
        if CONFIG.log_predictions:
            self.prediction_log = PredictionLogger(monitoring_dir)
        # Everything alive now (imports, BentoML, the model) lives as long as the worker: out of the cyclic
        # GC's reach, a full collection scans only request-time objects (~2 ms instead of ~150 ms with the
        # event loop stopped). Models loaded later by hot reload are not frozen and are freed normally.
        gc.collect()
        gc.freeze()
        model = self.holder.current
        logger.info(
            "serving %s (version %s, %s, one row %.3f ms: %s)",
            model.tag or "a file",
            model.version,
            model.runtime_name,
            model.row_latency_ms,
            "called directly" if _calls_directly(model) else "adaptive batching",
        )

    def _packaged_tag(self) -> str | None:
        """The packaged store version, only when this process serves a built Bento."""
        if self.packaged_model is None or bentoml.server_context.bento_version in NOT_FROM_A_BENTO:
            return None
        return str(self.packaged_model.tag)

    @bentoml.on_shutdown
    def shutdown(self) -> None:
        self.holder.stop()
        self.label_ledger.close()
        if self.prediction_log is not None:
            self.prediction_log.close()

    @bentoml.api(
        route="/predict", input_spec=predict_request_model(CONFIG.max_batch_size), output_spec=PredictResponse
    )
    async def predict(self, rows: list[Any]) -> PredictResponse | JSONResponse:
        """Class and probabilities for each row (a list of numbers in feature order, or {feature: number})."""
        for _ in range(SWAP_ATTEMPTS):  # recompute if a hot reload swapped the model meanwhile
            model = self.holder.current
            try:
                features = validate_rows(rows, model.feature_names, model.feature_ranges, MAX_BATCH)
            except RequestValidationError as error:
                return _client_error("/predict", error)
            if _calls_directly(model):
                probabilities = model.predict_proba(features)
            else:
                probabilities = await self._batched_probabilities(features)
            if self.holder.current is model:
                break
        if (unusable := non_finite_rows(probabilities)).size:  # never a null probability in an answer
            return _client_error("/predict", unpredictable_rows_error(unusable))
        request_id = self.request_ids.issue(len(features))
        return prediction_response(model, features, probabilities, request_id, self.prediction_log)

    async def _batched_probabilities(self, features: np.ndarray) -> np.ndarray:
        """``/infer`` through BentoML's in-process client, so that its adaptive batching applies."""
        for attempt in range(1, CLIENT_ATTEMPTS + 1):
            try:
                return np.asarray(await self.to_async.infer(features), dtype=np.float32)
            except aiohttp.ClientConnectionError as error:  # inference is idempotent: safe to repeat
                if attempt == CLIENT_ATTEMPTS:
                    raise
                logger.warning("in-process call of /infer failed (%s); retrying", error)
        raise AssertionError("unreachable")

    @bentoml.api(
        batchable=True,
        max_batch_size=CONFIG.max_batch_size,
        max_latency_ms=CONFIG.batch_max_latency_ms,
        input_spec=InferRequest,
    )
    def infer(self, features: FeatureMatrix) -> np.ndarray:
        """Probabilities (N x classes) for a feature matrix; the adaptive-batching target of /predict."""
        return self.holder.current.predict_proba(np.asarray(features, dtype=np.float32))

    @bentoml.api(route="/feedback", input_spec=FeedbackRequest, output_spec=FeedbackResponse)
    def feedback(self, request_id: str, label: str | list[str]) -> FeedbackResponse | JSONResponse:
        """The true class of a served prediction: one label per row of the request (in row order), or one
        for a row id (``<request id>/<row>``). Each row takes one label, within ``feedback_max_age_days``.
        """
        try:
            labels = validate_labels(label, self.holder.current.class_names, CONFIG.max_batch_size)
            target = feedback_target(request_id, labels, self.request_ids, CONFIG.feedback_max_age_s)
            claim_rows(self.label_ledger, target)
        except RequestValidationError as error:
            return _client_error("/feedback", error)
        if self.prediction_log is not None:
            self.prediction_log.log_feedback(target.row_ids, labels)
        return FeedbackResponse(accepted=len(labels))

    @_info_app.get("/card", response_class=HTMLResponse, response_model=None)
    def model_card(self) -> HTMLResponse | JSONResponse:
        """The served model's card (Mitchell et al. 2019): data, metrics with intervals, compression, gate."""
        card = self.holder.current.card_html
        if card is None:
            version = self.holder.current.version
            message = f"model {version} was packaged without a model card; package it again to have one"
            return JSONResponse({"error": message}, status_code=404)
        return HTMLResponse(card, headers={"Content-Security-Policy": CARD_POLICY})

    @_info_app.get("/model", response_model=ModelInfo)
    def model_info(self) -> ModelInfo:
        """The model being served: version, store tag, runtime, feature and class names, batch cap."""
        model = self.holder.current
        unserved, why = self.holder.unserved or (None, None)
        return ModelInfo(
            registry_champion=self.holder.registry_champion,
            warning=None if unserved is None else f"the registry's champion {unserved} is not serving: {why}",
            version=model.version,
            tag=model.tag,
            runtime=model.runtime_name,
            feature_names=list(model.feature_names),
            class_names=list(model.class_names),
            max_batch_size=CONFIG.max_batch_size,
            dispatch="direct" if _calls_directly(model) else "batched",
            row_latency_ms=round(model.row_latency_ms, 4),
        )


def _published_spec(spec: dict) -> dict:
    """The OpenAPI spec for the model being served (request bodies and errors as the service checks them)."""
    try:
        model = bentoml.get_current_service().holder.current
    except (bentoml.exceptions.BentoMLException, AttributeError):  # not started yet: BentoML's generic spec
        return spec
    return exact_spec(
        spec,
        feature_names=model.feature_names,
        feature_ranges=model.feature_ranges,
        class_names=model.class_names,
        max_batch_size=CONFIG.max_batch_size,
        model_version=model.version,
    )


JSON_ROUTES = ("/predict", "/infer", "/feedback")
LABELLERS = LabellerCredential.from_env()  # who may POST /feedback (off without PRUNEGATE_LABELLER_TOKEN)
GUARD = {
    "routes": JSON_ROUTES,
    "max_body_bytes": CONFIG.max_body_bytes,
    "body_timeout_s": CONFIG.body_timeout_s,
    "header_checks": (LABELLERS.problem,),
    "known_keys": {  # each route's top-level keys, from its request model
        api.route: tuple(api.input_spec.model_fields)
        for api in PrunegateService.apis.values()
        if api.route in JSON_ROUTES
    },
}
if not bentoml_patches.guard_requests(**GUARD):  # in front of the concurrency limit, or else inside it
    PrunegateService.add_asgi_middleware(RequestGuard, **GUARD)
PrunegateService.add_asgi_middleware(OpenAPISpecRewrite, rewrite=_published_spec)


def _holder_or_stop(packaged_tag: str | None) -> ModelHolder:
    """The model to serve; when there is none, the whole server stops with the reason in one log line.

    BentoML restarts a worker whose startup fails, forever, with the port open and ``/readyz`` silent.
    Nothing changes between two tries (the registry needs a person), so the worker asks the server
    process (its parent, BentoML's arbiter) to shut down, and exits without a traceback.
    ``prunegate serve`` makes the same check before it starts the server, and exits non-zero.
    """
    try:
        return serving_holder(CONFIG, packaged_tag)
    except CANNOT_SERVE as error:
        logger.critical("cannot serve: %s. Stopping the server.", error)
        if bentoml.server_context.worker_index is not None:  # a worker of `bentoml serve`
            os.kill(os.getppid(), signal.SIGTERM)
        logging.shutdown()
        os._exit(EXIT_CANNOT_SERVE)


def _calls_directly(model: LoadedModel) -> bool:
    """Whether ``/predict`` calls ``model`` in the request rather than through adaptive batching."""
    return CONFIG.calls_directly(model.row_latency_ms)


def _client_error(route: str, error: RequestValidationError) -> JSONResponse:
    logger.info("rejected request to %s: %s", route, error)
    return JSONResponse(error.to_dict(), status_code=error.status)
