"""Kedro hooks: every parameters section is validated before any node of any pipeline runs.

Every section a node reads (``params:training`` ...) is validated by Kedro itself, from the node's type
hint (Kedro 1.7, "Parameter validation"; :mod:`prunegate.params.base`). Only ``serving`` is read by no
node (the service reads it): a bad serving key must still stop ``kedro run`` rather than be ignored.
"""

from __future__ import annotations

import difflib
import logging
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from prunegate.params import ConfigError, parse_params
from prunegate.serving.config import ServingConfig

__all__ = [
    "NODELESS_SECTIONS",
    "ValidateParametersHook",
    "validate_parameters",
    "validate_project_parameters",
]

logger = logging.getLogger(__name__)

NODELESS_SECTIONS = {"serving": ServingConfig}  # section -> its typed model


def validate_parameters(params: dict[str, Any]) -> None:
    """Validate every section of ``params`` that a node of any pipeline reads, and ``serving``.

    Kedro validates only the pipelines a run names (``--pipelines ingestion`` would not see a bad
    ``training`` key, and DVC runs one pipeline per stage): its own validator over every pipeline of the
    project stops a run before ingestion writes anything, whichever pipelines it runs.

    Raises:
        kedro.validation.ParameterValidationError: a typed section is invalid (every bad key named).
        prunegate.params.ConfigError: the serving section is invalid.
    """
    from kedro.validation import ParameterValidator

    from prunegate.pipeline_registry import every_pipeline

    pipelines = every_pipeline()
    _refuse_unknown_sections(params, pipelines)
    ParameterValidator(pipelines).validate_raw_params(params)
    for section, model in NODELESS_SECTIONS.items():
        if section in params:
            parse_params(model, params[section], section)


def _refuse_unknown_sections(params: dict[str, Any], pipelines: dict[str, Any]) -> None:
    """A top-level section nothing reads (``trainng:``) is a typo that would silently change nothing."""
    from kedro.validation import TypeExtractor

    read_by_nodes = TypeExtractor(pipelines).extract_types_from_pipelines()
    known = sorted({*read_by_nodes, *NODELESS_SECTIONS})
    unknown = sorted(set(params) - set(known))
    if unknown:
        lines = []
        for section in unknown:
            meant = difflib.get_close_matches(section, known, n=1)
            hint = f"; did you mean '{meant[0]}'?" if meant else ""
            lines.append(f"  {section}: unknown parameters section{hint}")
        raise ConfigError(
            "invalid parameters (sections):\n" + "\n".join(lines) + f"\n  known sections: {', '.join(known)}"
        )


def validate_project_parameters(project: Path) -> None:
    """Validate ``project``'s parameters (conf/base with conf/local over it) as ``kedro run`` would."""
    from kedro.config import OmegaConfigLoader

    from prunegate.settings import CONFIG_LOADER_ARGS

    try:
        params = OmegaConfigLoader(conf_source=str(project / "conf"), **CONFIG_LOADER_ARGS)["parameters"]
    except Exception as error:  # Kedro's errors for unreadable YAML, duplicate keys, bad interpolation
        raise ConfigError(f"{project / 'conf'}: the parameters cannot be read: {error}") from None
    validate_parameters(params)


class ValidateParametersHook:
    """Fail a run with a bad parameters section before any node of any pipeline runs."""

    @hook_impl
    def after_context_created(self, context) -> None:
        validate_parameters(context.params)  # with the runtime --params; typed for the pipelines run
        logger.debug("parameters validated")
        from prunegate.core.models.factory import allow_factory_modules

        # the configured factory may be an installed package: model files of this run may name it
        allow_factory_modules([_configured_factory(context.params.get("training"))])


def _configured_factory(training: Any) -> str | None:
    """``training.model.factory``, from the raw section or the typed one (Kedro validated it already)."""
    model = training.get("model") if isinstance(training, dict) else getattr(training, "model", None)
    return model.get("factory") if isinstance(model, dict) else getattr(model, "factory", None)
