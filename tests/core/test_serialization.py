import pytest
import torch

from prunegate.core.models import CNNSpec, MLPSpec, build_model
from prunegate.core.serialization import ModelArtifact, ModelArtifactError, load_artifact, save_artifact


@pytest.fixture
def artifact():
    torch.manual_seed(0)
    spec = MLPSpec(in_features=6, num_classes=3, hidden=(5,))
    return ModelArtifact.from_module(build_model(spec), spec, {"class_names": ["a", "b", "c"]})


def test_round_trip_keeps_spec_weights_metadata_and_outputs(tmp_path, artifact):
    path = tmp_path / "model.pt"
    checksum = save_artifact(artifact, path)
    loaded = load_artifact(path)
    assert loaded.spec == artifact.spec
    assert loaded.metadata == artifact.metadata
    assert loaded.checksum == checksum
    inputs = torch.randn(4, 6)
    assert torch.equal(loaded.build_module()(inputs), artifact.build_module()(inputs))


def test_cnn_round_trip(tmp_path):
    spec = CNNSpec(in_shape=(1, 4, 4), num_classes=2, channels=(3,), hidden=(4,))
    original = ModelArtifact.from_module(build_model(spec), spec)
    save_artifact(original, tmp_path / "cnn.pt")
    assert load_artifact(tmp_path / "cnn.pt").checksum == original.checksum


def test_file_loads_with_weights_only(tmp_path, artifact):
    save_artifact(artifact, tmp_path / "model.pt")
    payload = torch.load(tmp_path / "model.pt", weights_only=True)
    assert set(payload) == {"format_version", "spec", "state_dict", "metadata", "pruning_history", "checksum"}


def test_changed_weight_is_refused_as_checksum_mismatch(tmp_path, artifact):
    path = tmp_path / "model.pt"
    save_artifact(artifact, path)
    payload = torch.load(path, weights_only=True)
    payload["state_dict"]["classifier.bias"][0] += 1.0
    torch.save(payload, path)
    with pytest.raises(ModelArtifactError, match="checksum mismatch"):
        load_artifact(path)


def test_truncated_file_is_refused_clearly(tmp_path, artifact):
    path = tmp_path / "model.pt"
    save_artifact(artifact, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ModelArtifactError, match=r"\(200 bytes\) is unreadable or corrupt \(truncated.*: \S"):
        load_artifact(path)  # a reason after the colon, never a blank
    path.write_bytes(b"")
    with pytest.raises(ModelArtifactError, match=r"is empty \(0 bytes\)"):
        load_artifact(path)


def test_missing_file_and_foreign_file_are_refused(tmp_path):
    with pytest.raises(ModelArtifactError, match="does not exist"):
        load_artifact(tmp_path / "absent.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "foreign.pt")
    with pytest.raises(ModelArtifactError, match="not a prunegate artifact"):
        load_artifact(tmp_path / "foreign.pt")


def test_failed_write_leaves_previous_file_intact(tmp_path, artifact, monkeypatch):
    path = tmp_path / "model.pt"
    save_artifact(artifact, path)
    before = path.read_bytes()

    def broken_replace(*_args):
        raise OSError("disk full")

    monkeypatch.setattr("prunegate.core.serialization.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        save_artifact(artifact, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def _pruned_resnet_artifact():
    from prunegate.core.models import ResNetSpec
    from prunegate.core.pruning.allocation import uniform_allocation
    from prunegate.core.pruning.channel_pruning import channel_groups, prune_channels
    from prunegate.core.pruning.criteria import get_criterion

    torch.manual_seed(0)
    spec = ResNetSpec(in_shape=(1, 8, 8), num_classes=3, widths=(8, 16), blocks=(1, 1))
    model = build_model(spec).eval()
    example = torch.zeros(1, spec.in_features)
    scores = get_criterion("magnitude_l1").weight_scores(model)
    ratios = uniform_allocation(channel_groups(model, example, scores), 0.5, 0.9)
    result = prune_channels(model, example, scores, ratios)
    return ModelArtifact.from_module(result.module, spec, {}, result.history), result.module


def test_pruned_model_of_any_architecture_saves_as_spec_history_and_weights(tmp_path):
    artifact, pruned = _pruned_resnet_artifact()
    assert artifact.pruning_history
    save_artifact(artifact, tmp_path / "model.pt")
    payload = torch.load(tmp_path / "model.pt", weights_only=True)
    assert payload["spec"]["widths"] == [8, 16]  # the original architecture: the history makes it smaller
    inputs = torch.randn(3, 64)
    assert torch.equal(load_artifact(tmp_path / "model.pt").build_module()(inputs), pruned(inputs))


def test_tampered_pruning_history_is_refused(tmp_path):
    artifact, _ = _pruned_resnet_artifact()
    save_artifact(artifact, tmp_path / "model.pt")
    payload = torch.load(tmp_path / "model.pt", weights_only=True)
    payload["pruning_history"][0][2] = payload["pruning_history"][0][2][1:]
    torch.save(payload, tmp_path / "model.pt")
    with pytest.raises(ModelArtifactError, match="checksum mismatch"):
        load_artifact(tmp_path / "model.pt")


def test_malformed_pruning_history_is_an_invalid_layout(tmp_path):
    artifact, _ = _pruned_resnet_artifact()
    save_artifact(artifact, tmp_path / "model.pt")
    payload = torch.load(tmp_path / "model.pt", weights_only=True)
    payload["pruning_history"] = [["stem.0", "yes", [1]]]
    torch.save(payload, tmp_path / "model.pt")
    with pytest.raises(ModelArtifactError, match=r"invalid layout: pruning history step 0"):
        load_artifact(tmp_path / "model.pt")


def test_format_1_files_without_history_still_load(tmp_path, artifact):
    save_artifact(artifact, tmp_path / "model.pt")
    payload = torch.load(tmp_path / "model.pt", weights_only=True)
    payload["format_version"] = 1
    del payload["pruning_history"]
    torch.save(payload, tmp_path / "model.pt")
    assert load_artifact(tmp_path / "model.pt").checksum == artifact.checksum


def test_a_saved_model_gets_the_permissions_of_an_ordinary_new_file(tmp_path, artifact):
    """The atomic write's temporary file is 0600; the model must not stay unreadable to the group."""
    import os

    previous = os.umask(0o022)
    try:
        save_artifact(artifact, tmp_path / "model.pt")
    finally:
        os.umask(previous)
    assert (tmp_path / "model.pt").stat().st_mode & 0o777 == 0o644
