import re
import shutil
import sys
from pathlib import Path

import bentoml
import pytest
import torch

from prunegate.core.models import MLPSpec, build_model
from prunegate.core.serialization import ModelArtifact, ModelArtifactError, save_artifact
from prunegate.registry.store import (
    RegistryError,
    history,
    load_version,
    model_path,
    promote_version,
    read_pointer,
    register_model,
    rollback,
)

pytestmark = pytest.mark.usefixtures("tmp_bentoml_home")


def _register(tmp_path, seed: int) -> str:
    torch.manual_seed(seed)
    spec = MLPSpec(in_features=4, num_classes=2, hidden=(3,))
    path = tmp_path / f"model{seed}.pt"
    save_artifact(ModelArtifact.from_module(build_model(spec), spec, {"seed": seed}), path)
    return register_model(path, labels={"model": "test"}, metadata={"seed": seed})


def test_promote_and_rollback_move_champion_and_previous_with_history(tmp_path):
    registry = tmp_path / "registry"
    first, second, third = (_register(tmp_path, seed) for seed in (1, 2, 3))
    promote_version(registry, first, reason="first", by="ci")
    promote_version(registry, second, reason="better", by="ci")
    promote_version(registry, third, reason="newest", by="ci")
    assert (read_pointer(registry).champion, read_pointer(registry).previous) == (third, second)

    pointer = rollback(registry, reason="live accuracy fell", by="monitor")
    assert (pointer.champion, pointer.previous) == (second, first)
    assert (registry / "champion_model.pt").read_bytes() == model_path(second).read_bytes()
    assert (registry / "previous_model.pt").read_bytes() == model_path(first).read_bytes()
    events = history(registry)
    assert [e["event"] for e in events] == ["promote", "promote", "promote", "rollback"]
    assert events[-1]["rolled_back"] == third
    assert events[-1]["by"] == "monitor"


def test_rollback_without_a_previous_champion_is_refused(tmp_path):
    registry = tmp_path / "registry"
    promote_version(registry, _register(tmp_path, 1), reason="only one")
    with pytest.raises(RegistryError, match="no previous champion"):
        rollback(registry, reason="x")


def test_a_corrupted_model_is_never_promoted_or_rolled_back_to(tmp_path):
    registry = tmp_path / "registry"
    first, second = _register(tmp_path, 1), _register(tmp_path, 2)
    promote_version(registry, first, reason="a")
    promote_version(registry, second, reason="b")
    stored = model_path(first)
    data = bytearray(stored.read_bytes())
    data[-200] ^= 0xFF
    stored.write_bytes(bytes(data))
    with pytest.raises((RegistryError, ModelArtifactError), match=r"checksum|corrupt|unreadable"):
        rollback(registry, reason="x")
    assert read_pointer(registry).champion == second  # unchanged
    with pytest.raises((RegistryError, ModelArtifactError), match=r"checksum|corrupt|unreadable"):
        promote_version(registry, first, reason="y")


def test_promoting_a_new_model_over_a_corrupt_champion_recovers_and_records_it(tmp_path):
    """The recovery the serving error message advises: the move happens, is recorded, and says why the
    corrupt one can no longer be rolled back to (found in a new-user trial: it reported a failure after
    moving the pointer, and the registry history lost the event)."""
    registry = tmp_path / "registry"
    broken, fixed = _register(tmp_path, 1), _register(tmp_path, 2)
    promote_version(registry, broken, reason="first")
    stored = model_path(broken)
    stored.write_bytes(stored.read_bytes()[:100])
    pointer = promote_version(registry, fixed, reason="recover")
    assert (pointer.champion, pointer.previous) == (fixed, broken)
    events = history(registry)
    assert [event["event"] for event in events] == ["promote", "promote"]
    assert broken in events[-1]["warnings"][0] and "rollback to it is refused" in events[-1]["warnings"][0]
    assert (registry / "champion_model.pt").read_bytes() == model_path(fixed).read_bytes()
    assert not (registry / "previous_model.pt").exists()
    with pytest.raises((RegistryError, ModelArtifactError)):
        rollback(registry, reason="x")
    assert read_pointer(registry).champion == fixed


def test_unknown_model_is_refused(tmp_path):
    with pytest.raises(RegistryError, match="not in the store"):
        promote_version(tmp_path / "registry", "prunegate-model:doesnotexist", reason="x")


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_a_tampered_onnx_file_in_the_store_is_refused_naming_it(tmp_path, damage):
    from prunegate.serving.runtimes import export_onnx

    torch.manual_seed(0)
    spec = MLPSpec(in_features=4, num_classes=2, hidden=(3,))
    artifact = ModelArtifact.from_module(build_model(spec), spec)
    save_artifact(artifact, tmp_path / "model.pt")
    onnx_file = export_onnx(artifact.build_module(), 4, tmp_path / "model.onnx")
    tag = register_model(tmp_path / "model.pt", labels={}, metadata={}, extra_files=[onnx_file])
    stored = model_path(tag).parent / "model.onnx"
    data = bytearray(stored.read_bytes())
    if damage == "flip":
        data[len(data) // 2 : len(data) // 2 + 4] = b"\x00\x00\x80\x7f"
        stored.write_bytes(bytes(data))
    elif damage == "truncate":
        stored.write_bytes(bytes(data[: len(data) // 2]))
    else:
        stored.unlink()
    with pytest.raises(RegistryError, match=r"stored file model\.onnx(: checksum differs| is missing)"):
        model_path(tag)


_USER_MODEL = """
from torch import nn


def build(num_classes, width=3):
    return nn.Sequential(nn.Linear(4, width), nn.ReLU(), nn.Linear(width, num_classes))
"""


def _register_user_model(tmp_path, monkeypatch, package: str) -> str:
    """A factory model from a package in a 'repository' that is gone when the stored version is loaded."""
    from prunegate.core.models import FactorySpec
    from prunegate.core.models.factory import factory_source_files

    repository = tmp_path / "repository"
    (repository / package / "nets").mkdir(parents=True)
    (repository / package / "__init__.py").write_text("")
    (repository / package / "nets" / "__init__.py").write_text("")
    (repository / package / "nets" / "tiny.py").write_text(_USER_MODEL)
    monkeypatch.syspath_prepend(str(repository))
    spec = FactorySpec(
        factory=f"{package}.nets.tiny:build", in_features=4, num_classes=2, kwargs={"width": 5}
    )
    code = factory_source_files(spec)
    assert sorted(code) == [
        f"{package}/__init__.py",
        f"{package}/nets/__init__.py",
        f"{package}/nets/tiny.py",
    ]
    path = tmp_path / "user_model.pt"
    save_artifact(ModelArtifact.from_module(build_model(spec), spec), path)
    tag = register_model(path, labels={"model": "test"}, metadata={}, code_files=code)
    for name in [name for name in sys.modules if name.split(".")[0] == package]:
        del sys.modules[name]
    shutil.rmtree(repository)
    return tag


def test_a_user_model_is_rebuilt_from_the_code_stored_with_it(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    tag = _register_user_model(tmp_path, monkeypatch, "stored_code_pkg_a")
    model = load_version(tag)[1].build_module()
    assert model(torch.zeros(3, 4)).shape == (3, 2)
    assert "stored_code_pkg_a" in sys.modules


def test_tampered_model_code_in_the_store_is_refused_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    tag = _register_user_model(tmp_path, monkeypatch, "stored_code_pkg_b")
    stored = Path(bentoml.models.get(tag).path) / "code" / "stored_code_pkg_b" / "nets" / "tiny.py"
    stored.write_text(stored.read_text() + "\nimport os  # injected\n")
    with pytest.raises(
        RegistryError, match=re.escape("stored file code/stored_code_pkg_b/nets/tiny.py: checksum differs")
    ):
        model_path(tag)
