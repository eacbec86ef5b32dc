import json

import pytest
import torch

from prunegate.core.models import MLPSpec, build_model
from prunegate.core.serialization import ModelArtifact, load_artifact, save_artifact
from prunegate.registry import PromotionError, promote


@pytest.fixture
def run_outputs(tmp_path):
    reporting = tmp_path / "reporting"
    reporting.mkdir()
    spec = MLPSpec(in_features=4, num_classes=2, hidden=(3,))
    torch.manual_seed(0)
    model = tmp_path / "shipped.pt"
    save_artifact(ModelArtifact.from_module(build_model(spec), spec), model)
    (reporting / "candidate_metrics.json").write_text(json.dumps({"model": "pruned", "accuracy": 0.98}))
    (reporting / "blessing.json").write_text(json.dumps({"blessed": True, "candidate": "pruned"}))
    return reporting, model, tmp_path / "champion"


def test_promote_writes_metrics_record_and_appends_history(run_outputs):
    reporting, model, champion = run_outputs
    first = promote(reporting, model, champion, reason="first", by="tester")
    second = promote(reporting, model, champion, reason="again", by="tester")
    assert json.loads((champion / "metrics.json").read_text())["accuracy"] == 0.98
    assert json.loads((champion / "model.json").read_text())["reason"] == "again"
    assert second["previous_checksum"] == first["checksum"]
    history = [json.loads(line) for line in (champion / "history.jsonl").read_text().splitlines()]
    assert [entry["reason"] for entry in history] == ["first", "again"]


def test_a_candidate_that_was_not_blessed_cannot_be_promoted(run_outputs):
    reporting, model, champion = run_outputs
    (reporting / "blessing.json").write_text(json.dumps({"blessed": False, "candidate": "pruned"}))
    with pytest.raises(PromotionError, match="NOT BLESSED"):
        promote(reporting, model, champion, reason="x")
    assert not champion.exists()


def test_mismatched_or_missing_outputs_are_refused(run_outputs):
    reporting, model, champion = run_outputs
    (reporting / "blessing.json").write_text(json.dumps({"blessed": True, "candidate": "distilled"}))
    with pytest.raises(PromotionError, match="different candidates"):
        promote(reporting, model, champion, reason="x")
    (reporting / "blessing.json").unlink()
    with pytest.raises(PromotionError, match=r"blessing\.json is missing"):
        promote(reporting, model, champion, reason="x")


def test_promote_keeps_a_verified_copy_of_the_model(run_outputs, tmp_path):
    reporting, model, champion = run_outputs
    record = promote(reporting, model, champion, reason="first", by="tester")
    copied = load_artifact(champion / "model.pt")
    assert copied.checksum == record["checksum"] == load_artifact(model).checksum
    assert (champion / "model.pt").read_bytes() == model.read_bytes()
    assert record["file"] == "model.pt"
    # a second promotion replaces it, and no temporary file is left behind
    spec = MLPSpec(in_features=4, num_classes=2, hidden=(5,))
    save_artifact(ModelArtifact.from_module(build_model(spec), spec), model)
    second = promote(reporting, model, champion, reason="wider", by="tester")
    assert load_artifact(champion / "model.pt").spec == spec
    assert second["checksum"] != record["checksum"]
    assert sorted(path.name for path in champion.iterdir()) == [
        "history.jsonl",
        "metrics.json",
        "model.json",
        "model.pt",
    ]


def test_a_corrupt_shipped_model_is_not_promoted(run_outputs):
    reporting, model, champion = run_outputs
    payload = torch.load(model, weights_only=True)
    payload["checksum"] = "0" * 64
    torch.save(payload, model)
    with pytest.raises(PromotionError, match=r"checksum mismatch for .*shipped\.pt"):
        promote(reporting, model, champion, reason="x")
    assert not (champion / "model.pt").exists()
