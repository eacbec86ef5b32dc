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
    assert set(payload) == {"format_version", "spec", "state_dict", "metadata", "checksum"}


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
    with pytest.raises(ModelArtifactError, match="unreadable or corrupt"):
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
