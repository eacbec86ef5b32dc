"""The model holder: hot swap on a pointer change, refusal of a broken champion, clear startup errors."""

import json
import logging
import time
from pathlib import Path

import numpy as np
import pytest
from tests.serving.conftest import held_out_rows, register, variant

from prunegate.core.serialization import save_artifact
from prunegate.registry.store import promote_version
from prunegate.serving.model_holder import ModelHolder, ModelLoadError, NoChampionError, load_model_file

LONG_INTERVAL_S = 3600.0  # checks only happen when forced
SHORT_INTERVAL_S = 0.05
WAIT_S = 5.0


@pytest.fixture(scope="module")
def stored(mlp_artifact, digits, tmp_path_factory):
    """Stored versions: ``a`` (ONNX runtime), ``b`` (eager), ``c`` (file garbled), ``d`` (file replaced)."""
    import bentoml

    folder = tmp_path_factory.mktemp("holder-models")
    tags = {"a": register(mlp_artifact, digits, folder / "a", runtime="onnx")}
    for index, name in enumerate("bcd", start=1):
        tags[name] = register(variant(mlp_artifact, index), digits, folder / name)
    (Path(bentoml.models.get(tags["c"]).path) / "model.pt").write_bytes(b"not a model")
    # d: a valid artifact, but not the one whose checksum the store recorded
    save_artifact(variant(mlp_artifact, len(tags)), Path(bentoml.models.get(tags["d"]).path) / "model.pt")
    return tags


def _point_to(registry: Path, *lineage: str) -> None:
    """Write the pointer directly (``promote_version`` would refuse a corrupt model, as it should)."""
    registry.mkdir(parents=True, exist_ok=True)
    temp = registry / ".pointer.json.tmp"
    temp.write_text(json.dumps({"lineage": list(lineage), "updated_at": None}))
    temp.replace(registry / "pointer.json")


def test_a_new_pointer_is_served_at_the_next_check(stored, tmp_path, digits):
    registry = tmp_path / "registry"
    promote_version(registry, stored["a"], reason="first")
    holder = ModelHolder.from_registry(registry, reload_interval_s=LONG_INTERVAL_S)
    first = holder.current
    assert first.tag == stored["a"] and first.runtime_name == "onnx"
    assert first.predict_proba(held_out_rows(digits, 3)).shape == (3, 10)
    promote_version(registry, stored["b"], reason="second")
    assert holder.check_for_update() is False  # within the interval: the file is not even looked at
    assert holder.check_for_update(force=True) is True
    assert holder.current.tag == stored["b"] and holder.current.version != first.version
    assert holder.current.runtime_name == "eager"
    assert holder.check_for_update(force=True) is False  # unchanged pointer: nothing to do


@pytest.mark.parametrize(
    ("broken", "reason"), [("c", "model.pt: checksum differs"), ("d", "checksum differs")]
)
def test_a_broken_champion_is_refused_and_the_current_model_keeps_serving(
    stored, tmp_path, caplog, digits, broken, reason
):
    registry = tmp_path / "registry"
    _point_to(registry, stored["a"])
    holder = ModelHolder.from_registry(registry, reload_interval_s=LONG_INTERVAL_S)
    before = holder.current.predict_proba(held_out_rows(digits, 2))
    _point_to(registry, stored["a"], stored[broken])
    with caplog.at_level(logging.ERROR, logger="prunegate.serving.model_holder"):
        assert holder.check_for_update(force=True) is False
    assert holder.current.tag == stored["a"]
    np.testing.assert_array_equal(holder.current.predict_proba(held_out_rows(digits, 2)), before)
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"could not load new champion {stored[broken]}" in record.getMessage()
    assert reason in record.getMessage() and "still serving" in record.getMessage()
    caplog.clear()
    assert holder.check_for_update(force=True) is False  # not retried until the pointer changes again
    assert not caplog.records


def test_the_background_thread_follows_the_pointer(stored, tmp_path):
    registry = tmp_path / "registry"
    promote_version(registry, stored["a"], reason="first")
    holder = ModelHolder.from_registry(registry, reload_interval_s=SHORT_INTERVAL_S)
    holder.start()
    try:
        promote_version(registry, stored["b"], reason="second")
        deadline = time.monotonic() + WAIT_S
        while holder.current.tag != stored["b"] and time.monotonic() < deadline:
            time.sleep(SHORT_INTERVAL_S)
        assert holder.current.tag == stored["b"]
    finally:
        holder.stop()


def test_startup_without_a_champion_is_a_clear_error(tmp_path):
    with pytest.raises(NoChampionError, match=r"no champion in .*pointer\.json: promote a model first"):
        ModelHolder.from_registry(tmp_path / "registry", reload_interval_s=LONG_INTERVAL_S)


def test_a_fixed_model_file_is_served_with_its_own_metadata(mlp_artifact, tmp_path, digits):
    save_artifact(mlp_artifact, tmp_path / "model.pt")
    holder = ModelHolder.fixed(load_model_file(tmp_path / "model.pt"))
    model = holder.current
    assert model.version == mlp_artifact.checksum[:12] and model.tag is None
    assert model.feature_names[0] == "pixel_0_0" and model.class_names == tuple(str(c) for c in range(10))
    assert holder.check_for_update(force=True) is False
    holder.start()  # no-op without a registry
    holder.stop()


class _SlowRuntime:
    """Wraps a runtime and adds a fixed delay per call, like a bigger model would."""

    def __init__(self, runtime, delay_s: float) -> None:
        self.runtime, self.delay_s, self.name = runtime, delay_s, runtime.name

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        time.sleep(self.delay_s)
        return self.runtime.predict_proba(features)


def test_the_one_row_latency_is_measured_when_a_model_is_loaded(mlp_artifact, tmp_path, monkeypatch):
    import prunegate.serving.model_holder as holder_module

    save_artifact(mlp_artifact, tmp_path / "model.pt")
    fast = load_model_file(tmp_path / "model.pt").row_latency_ms
    real_load_runtime = holder_module.load_runtime
    delay_s = 0.004
    monkeypatch.setattr(
        holder_module, "load_runtime", lambda *args: _SlowRuntime(real_load_runtime(*args), delay_s)
    )
    slow = load_model_file(tmp_path / "model.pt").row_latency_ms
    assert 0 < fast < delay_s * 1000 <= slow


def test_a_broken_champion_at_startup_serves_the_previous_one_or_fails_at_once(stored, tmp_path, caplog):
    """No loop of failed startups with the port open: the previous champion serves, or a clear error."""
    registry = tmp_path / "registry"
    _point_to(registry, stored["a"], stored["c"])
    with caplog.at_level(logging.ERROR, logger="prunegate.serving.model_holder"):
        holder = ModelHolder.from_registry(registry, reload_interval_s=LONG_INTERVAL_S)
    assert holder.current.tag == stored["a"]
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"the champion {stored['c']} cannot be loaded" in record.getMessage()
    assert f"serving the previous champion {stored['a']} instead" in record.getMessage()
    caplog.clear()
    assert holder.check_for_update(force=True) is False and not caplog.records  # not retried in a loop
    _point_to(registry, stored["c"])
    with pytest.raises(
        ModelLoadError, match=r"cannot be loaded \(RegistryError: .*checksum differs.*no previous"
    ):
        ModelHolder.from_registry(registry, reload_interval_s=LONG_INTERVAL_S)


def test_a_version_carries_its_stored_model_card_or_none(mlp_artifact, digits, tmp_path):
    from prunegate.registry.store import MODEL_CARD_FILE, RegistryError, model_path
    from prunegate.serving.model_holder import load_store_model

    card = "<!DOCTYPE html><title>card</title>"
    with_card = register(variant(mlp_artifact, 7), digits, tmp_path / "with", card=card)
    without = register(variant(mlp_artifact, 8), digits, tmp_path / "without")
    assert load_store_model(with_card).card_html == card
    assert load_store_model(without).card_html is None
    (Path(model_path(with_card)).parent / MODEL_CARD_FILE).write_text("<p>edited</p>")
    with pytest.raises(RegistryError, match=MODEL_CARD_FILE):  # checksummed like every served file
        load_store_model(with_card)


def test_a_champion_that_does_not_serve_is_named_with_why_until_one_loads(stored, tmp_path):
    """Issue 25 item 11: the service served the previous champion while nothing said the champion did not."""
    registry = tmp_path / "registry"
    _point_to(registry, stored["a"], stored["c"])
    holder = ModelHolder.from_registry(registry, reload_interval_s=LONG_INTERVAL_S)
    unserved, why = holder.unserved
    assert (unserved, holder.current.tag) == (stored["c"], stored["a"]) and "checksum differs" in why
    assert holder.registry_champion == stored["c"]
    _point_to(registry, stored["a"], stored["c"], stored["d"])  # a hot reload that fails says so too
    time.sleep(0.01)
    assert holder.check_for_update(force=True) is False and holder.unserved[0] == stored["d"]
    _point_to(registry, stored["a"], stored["b"])
    time.sleep(0.01)
    assert holder.check_for_update(force=True) is True and holder.unserved is None


def test_the_registry_view_says_which_version_really_serves(stored, tmp_path, capsys):
    from prunegate.commands import main

    registry = tmp_path / "registry"
    _point_to(registry, stored["a"], stored["c"])
    assert main(["registry", "--registry-dir", str(registry)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"WARNING: the champion {stored['c']} fails its check (")
    assert f"the service serves the previous champion {stored['a']} instead" in out
    assert f"a service started now serves: {stored['a']} (model checksum" in out
    assert f"champion: {stored['c']}" in out
    _point_to(registry, stored["c"], stored["a"])
    assert main(["registry", "--registry-dir", str(registry)]) == 0
    out = capsys.readouterr().out
    assert "WARNING" not in out and f"a service started now serves: {stored['a']}" in out
