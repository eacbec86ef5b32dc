"""Kedro hooks: every parameters section is validated before any node of any pipeline runs.

Every section a node reads (``params:training`` ...) is validated by Kedro itself, from the node's type
hint (Kedro 1.7, "Parameter validation"; :mod:`prunegate.params.base`). Only ``serving`` is read by no
node (the service reads it): a bad serving key must still stop ``kedro run`` rather than be ignored.
"""

from __future__ import annotations

import logging

from kedro.framework.hooks import hook_impl

from prunegate.params import parse_params
from prunegate.serving.config import ServingConfig

logger = logging.getLogger(__name__)

NODELESS_SECTIONS = {"serving": ServingConfig}  # section -> its typed model


class ValidateParametersHook:
    """Fail a run with a bad parameters section before any node of any pipeline runs."""

    @hook_impl
    def after_context_created(self, context) -> None:
        # Kedro validates only the pipelines a run names (`--pipelines ingestion` would not see a bad
        # `training` key, and DVC runs one pipeline per stage): its validator over every registered
        # pipeline stops the run before ingestion writes anything, whichever pipelines it runs.
        from kedro.validation import ParameterValidator

        from prunegate.pipeline_registry import every_pipeline

        params = context.params  # with the runtime --params; typed for the pipelines this run names
        ParameterValidator(every_pipeline()).validate_raw_params(params)
        for section, model in NODELESS_SECTIONS.items():
            if section in params:
                parse_params(model, params[section], section)
        logger.debug("parameters validated")
