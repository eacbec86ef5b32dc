"""Kedro hooks: every parameters section is validated once, before any node runs."""

from __future__ import annotations

import logging

from kedro.framework.hooks import hook_impl

from prunegate.params import (
    DistillationParams,
    EvaluationParams,
    IngestionParams,
    MonitoringParams,
    PackagingParams,
    ProfilingParams,
    PruningParams,
    SweepParams,
    TrainingParams,
    parse_params,
)
from prunegate.serving.config import ServingConfig

logger = logging.getLogger(__name__)

# section of parameters_<section>.yml -> its typed model
PARAMETER_MODELS = {
    "ingestion": IngestionParams,
    "training": TrainingParams,
    "profiling": ProfilingParams,
    "pruning": PruningParams,
    "distillation": DistillationParams,
    "pruning_sweep": SweepParams,
    "evaluation": EvaluationParams,
    "monitoring": MonitoringParams,
    "packaging": PackagingParams,
    "serving": ServingConfig,  # read by the service, not by a node: a bad key must still stop the run
}


class ValidateParametersHook:
    """Fail a run with a bad parameters file before ingestion, training or anything else starts."""

    @hook_impl
    def after_context_created(self, context) -> None:
        params = context.params
        for section, model in PARAMETER_MODELS.items():
            if section in params:
                parse_params(model, params[section], section)
        logger.debug("parameters validated: %s", sorted(PARAMETER_MODELS))
