"""Parameters reach nodes through Kedro's own typed validation: one hop from YAML to use."""

import inspect
import typing

import pytest
import yaml
from kedro.validation import ParameterValidationError, TypeExtractor
from tests.conftest import PROJECT_ROOT, shipped_params

from prunegate.errors import user_message
from prunegate.gate import GateConfig
from prunegate.hooks import ValidateParametersHook
from prunegate.params import SECTION_MODELS
from prunegate.params.base import StrictParams
from prunegate.pipeline_registry import every_pipeline


class _Context:
    def __init__(self, params: dict) -> None:
        self.params = params


def _project_params() -> dict:
    """Every section of conf/base/parameters_*.yml, as Kedro's config loader merges them."""
    params: dict = {}
    for path in sorted((PROJECT_ROOT / "conf/base").glob("parameters_*.yml")):
        params.update(yaml.safe_load(path.read_text()))
    return params


def test_every_section_a_node_reads_is_typed_so_kedro_validates_it():
    requirements = TypeExtractor(every_pipeline()).extract_types_from_pipelines()
    assert requirements == {**SECTION_MODELS, GateConfig.section: GateConfig}


def test_no_node_parses_its_parameters_itself():
    for pipeline in every_pipeline().values():
        for node in pipeline.nodes:
            source = inspect.getsource(node.func)
            assert "parse_params" not in source, node.name
            hints = typing.get_type_hints(node.func)
            for dataset, argument in zip(node.inputs, inspect.signature(node.func).parameters, strict=False):
                if dataset.startswith("params:"):
                    assert issubclass(hints[argument], StrictParams), (node.name, argument)


def test_the_hook_refuses_a_bad_section_of_a_pipeline_this_run_does_not_name():
    params = _project_params()
    ValidateParametersHook().after_context_created(_Context(params))  # the shipped sections pass
    params["training"] = {**params["training"], "learning_rte": 0.1}
    params["distillation"] = {**params["distillation"], "alpha": 2}
    with pytest.raises(ParameterValidationError) as raised:
        ValidateParametersHook().after_context_created(_Context(params))
    message = user_message(raised.value)
    assert "training.learning_rte: unknown key (got 0.1)" in message
    assert "distillation.alpha: Input should be less than or equal to 1" in message  # every bad section
    assert "Failed to instantiate" not in message
    assert message.startswith("invalid parameters (")  # Kedro's header and list bullets removed
    assert "Parameter validation failed" not in message and "\n- " not in message


def test_a_section_already_typed_by_kedro_passes_through_unchanged():
    typed = SECTION_MODELS["training"].model_validate(shipped_params("training"))
    assert SECTION_MODELS["training"].model_validate(typed) is typed
