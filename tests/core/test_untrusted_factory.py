"""A model file cannot make the loader import and call code it names (issue 25, item 2)."""

from __future__ import annotations

import re

import pytest
import torch

from prunegate.core.models import FactorySpec, build_model
from prunegate.core.models.factory import check_factory_reference
from prunegate.core.serialization import ModelArtifact, ModelArtifactError, load_artifact, save_artifact

SIGNAL_NET = FactorySpec(
    "examples.models.signal_net:build", in_features=48, num_classes=3, in_shape=(1, 48), kwargs={"width": 4}
)


def _file_naming(tmp_path, factory: str, kwargs: dict) -> tuple:
    """A well-formed model file (valid checksum) whose spec names ``factory`` with ``kwargs``."""
    artifact = ModelArtifact.from_module(build_model(SIGNAL_NET), SIGNAL_NET)
    artifact.spec = FactorySpec(factory, in_features=48, num_classes=3, in_shape=(1, 48), kwargs=kwargs)
    path = tmp_path / "crafted.pt"
    save_artifact(artifact, path)
    return path


def test_a_model_file_naming_os_system_is_refused_before_anything_runs(tmp_path):
    marker = tmp_path / "ran"
    path = _file_naming(tmp_path, "os:system", {"command": f"touch {marker}"})
    with pytest.raises(ModelArtifactError, match=re.escape("model factory 'os:system'")) as refused:
        load_artifact(path).build_module()
    assert "refusing to import it" in str(refused.value)
    assert not marker.exists()


@pytest.mark.parametrize(
    "factory",
    [
        "subprocess:run",  # the standard library
        "torch.nn:Identity",  # an installed package
        "prunegate.commands:main",  # the pipeline's own code
        "src.prunegate.commands:main",  # ... reached through the project folder
        "builtins:exec",  # built in
        "no_such_module_anywhere:build",
    ],
)
def test_code_outside_the_project_or_inside_prunegate_is_refused_naming_it(tmp_path, factory):
    path = _file_naming(tmp_path, factory, {})
    with pytest.raises(ModelArtifactError, match=re.escape(f"model factory {factory!r}")):
        load_artifact(path)


def test_a_module_of_the_project_loads_and_builds(tmp_path):
    path = tmp_path / "model.pt"
    model = build_model(SIGNAL_NET)
    save_artifact(ModelArtifact.from_module(model, SIGNAL_NET), path)
    rebuilt = load_artifact(path).build_module()
    assert torch.equal(rebuilt(torch.ones(2, 48)), model.eval()(torch.ones(2, 48)))


def test_a_stored_model_imports_only_its_own_code(tmp_path):
    code = tmp_path / "code"
    (code / "own_nets").mkdir(parents=True)
    (code / "own_nets" / "__init__.py").write_text("")
    check_factory_reference("own_nets:build", code_dir=code)
    with pytest.raises(ModelArtifactError, match=r"'examples' is not in the code stored with the model"):
        load_artifact(_file_naming(tmp_path, "examples.models.signal_net:build", {"width": 4}), code_dir=code)
