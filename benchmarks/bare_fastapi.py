"""The prunegate ``/predict`` endpoint as a bare FastAPI app: the baseline of ``make bench-serving``.

The same model, served the same way as :class:`prunegate.serving.service.PrunegateService` with
``PRUNEGATE_MODEL_PATH``: the same loader and runtime (:func:`~prunegate.serving.model_holder.load_model_file`
with the serving config's ``runtime``), the same request model and row validation
(:func:`~prunegate.serving.schemas.validate_rows`, 400 with the same body on a bad row), the same
prediction log when ``log_predictions`` is on, and the same response (:class:`PredictResponse`). What
it leaves out is BentoML: no adaptive batching, no in-process client hop, no BentoML middleware. The
model call runs inline in the event loop (a batch-1 call of these models takes well under a millisecond).

Run with ``uvicorn --factory benchmarks.bare_fastapi:create_app``; it reads
``PRUNEGATE_MODEL_PATH`` and ``PRUNEGATE_SERVING_CONFIG`` like the service.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import JSONResponse

from prunegate.serving.config import MODEL_PATH_ENV, load_serving_config
from prunegate.serving.model_holder import load_model_file
from prunegate.serving.prediction_log import PredictionLogger
from prunegate.serving.request_ids import RequestIdSigner
from prunegate.serving.responses import prediction_response
from prunegate.serving.schemas import (
    PredictRequest,
    PredictResponse,
    RequestValidationError,
    predict_request_model,
    validate_rows,
)

__all__ = ["create_app"]

BAD_REQUEST = 400  # as the service answers a validation error


def create_app() -> FastAPI:
    """The app: ``POST /predict`` and ``GET /readyz``, serving the file ``PRUNEGATE_MODEL_PATH`` names.

    Raises:
        KeyError: ``PRUNEGATE_MODEL_PATH`` is not set.
    """
    import torch

    config = load_serving_config()
    torch.set_num_threads(config.inference_threads)
    model = load_model_file(Path(os.environ[MODEL_PATH_ENV]), config.runtime)
    request_ids = RequestIdSigner.for_folder(config.path(config.monitoring_dir))
    log = PredictionLogger(config.path(config.monitoring_dir)) if config.log_predictions else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if log is not None:
            log.close()

    app = FastAPI(title="prunegate bare baseline", lifespan=lifespan, docs_url=None, redoc_url=None)
    # no `from __future__ import annotations` in this module: FastAPI must see this class, not a string
    request_model: type[PredictRequest] = predict_request_model(config.max_batch_size)

    @app.post("/predict", response_model=PredictResponse)
    async def predict(request: request_model) -> PredictResponse | JSONResponse:  # type: ignore[valid-type]
        try:
            features = validate_rows(
                request.rows, model.feature_names, model.feature_ranges, config.max_batch_size
            )
        except RequestValidationError as error:
            return JSONResponse(error.to_dict(), status_code=BAD_REQUEST)
        probabilities = model.predict_proba(features)
        return prediction_response(model, features, probabilities, request_ids.issue(len(features)), log)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready", "model_version": model.version}

    return app
