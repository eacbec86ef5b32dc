"""A registry rollback makes the version serving again the git champion, so PRs keep the higher bar."""

import json

import pytest
import torch

from prunegate.core.models import MLPSpec, build_model
from prunegate.core.serialization import ModelArtifact, load_artifact, save_artifact
from prunegate.registry import promote, restore_champion
from prunegate.registry.champion import SCALAR_METRICS_FALLBACK
from prunegate.registry.store import (
    METRICS_FILE,
    RegistryError,
    model_path,
    promote_version,
    register_model,
    rollback,
)

pytestmark = pytest.mark.usefixtures("tmp_bentoml_home")


def _metrics(name: str, accuracy: float) -> dict:
    """Full metrics as the evaluation writes them: nested slices and the test split fingerprint included."""
    return {
        "model": name,
        "accuracy": accuracy,
        "slices": {"class=0": {"accuracy": accuracy - 0.01}},
        "test_split_fingerprint": f"split-of-{name}",
    }


def _promote(tmp_path, seed: int, metrics: dict, champion, registry) -> str:
    """``prunegate promote`` of a blessed run: champion/ from the run, a store version with metrics.json."""
    run = tmp_path / f"run{seed}"
    run.mkdir()
    torch.manual_seed(seed)
    spec = MLPSpec(in_features=4, num_classes=2, hidden=(3,))
    shipped = run / "shipped.pt"
    save_artifact(ModelArtifact.from_module(build_model(spec), spec), shipped)
    (run / "candidate_metrics.json").write_text(json.dumps(metrics))
    (run / "blessing.json").write_text(json.dumps({"blessed": True, "candidate": metrics["model"]}))
    (run / METRICS_FILE).write_text(json.dumps(metrics))
    tag = register_model(
        shipped, labels={}, metadata={"model": metrics["model"]}, extra_files=[run / METRICS_FILE]
    )
    promote(run, shipped, champion, reason=f"promote {metrics['model']}", by="tester")
    promote_version(registry, tag, reason=f"promote {metrics['model']}", by="tester")
    return tag


def _history(champion) -> list[dict]:
    return [json.loads(line) for line in (champion / "history.jsonl").read_text().splitlines()]


def test_after_a_rollback_the_git_champion_is_the_model_serving_again(tmp_path):
    champion, registry = tmp_path / "champion", tmp_path / "registry"
    metrics_a, metrics_b = _metrics("a", 0.97), _metrics("b", 0.90)
    tag_a = _promote(tmp_path, 1, metrics_a, champion, registry)
    tag_b = _promote(tmp_path, 2, metrics_b, champion, registry)
    checksum_a, checksum_b = (load_artifact(model_path(tag)).checksum for tag in (tag_a, tag_b))
    assert load_artifact(champion / "model.pt").checksum == checksum_b

    pointer = rollback(registry, reason="b is worse live", by="oncall")
    record = restore_champion(champion, pointer.champion, reason="b is worse live", by="oncall")

    assert load_artifact(champion / "model.pt").checksum == checksum_a
    assert (champion / "model.pt").read_bytes() == model_path(tag_a).read_bytes()
    assert json.loads((champion / "metrics.json").read_text()) == metrics_a
    assert json.loads((champion / "model.json").read_text()) == record
    assert record["event"] == "rollback"
    assert (record["model"], record["registry_tag"], record["metrics_source"]) == ("a", tag_a, "store")
    assert record["previous_checksum"] == checksum_b
    assert (record["reason"], record["promoted_by"]) == ("b is worse live", "oncall")
    history = _history(champion)
    assert [entry["event"] for entry in history] == ["promote", "promote", "rollback"]
    assert history[-1] == record
    assert not [path.name for path in champion.iterdir() if path.name.startswith(".")]  # no temp files


def test_a_version_packaged_without_metrics_json_falls_back_to_its_scalar_metrics(tmp_path):
    champion = tmp_path / "champion"
    torch.manual_seed(3)
    spec = MLPSpec(in_features=4, num_classes=2, hidden=(3,))
    model = tmp_path / "old.pt"
    save_artifact(ModelArtifact.from_module(build_model(spec), spec), model)
    metadata = {"model": "pruned", "metrics": {"accuracy": 0.96, "macs": 120}}
    tag = register_model(model, labels={}, metadata=metadata)

    record = restore_champion(champion, tag, reason="rollback to an old version", by="oncall")

    assert json.loads((champion / "metrics.json").read_text()) == {
        "model": "pruned",
        "accuracy": 0.96,
        "macs": 120,
    }
    assert record["metrics_source"] == SCALAR_METRICS_FALLBACK
    assert "scalar metrics only" in json.loads((champion / "model.json").read_text())["metrics_source"]
    assert load_artifact(champion / "model.pt").checksum == load_artifact(model).checksum
    assert _history(champion)[-1]["event"] == "rollback"


def test_an_unknown_version_leaves_the_champion_unchanged(tmp_path):
    champion, registry = tmp_path / "champion", tmp_path / "registry"
    _promote(tmp_path, 1, _metrics("a", 0.97), champion, registry)
    before = {path.name: path.read_bytes() for path in champion.iterdir()}
    with pytest.raises(RegistryError, match="not in the store"):
        restore_champion(champion, "prunegate-model:doesnotexist", reason="x")
    assert {path.name: path.read_bytes() for path in champion.iterdir()} == before
