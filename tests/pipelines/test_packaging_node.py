"""Packaging stores the blessed model with its full metrics, so a rollback can restore champion/ with them."""

import json
from pathlib import Path

import pytest
import torch

from prunegate.core.models import MLPSpec, build_model
from prunegate.core.serialization import ModelArtifact
from prunegate.errors import NotBlessedError
from prunegate.pipelines.packaging.nodes import package_model
from prunegate.registry.store import METRICS_FILE, model_metadata, model_path

FEATURES = ["a", "b", "c"]
PARAMS = {
    "runtime_batch_sizes": [1],
    "runtime_repeats": 2,
    "parity_tolerance": 1.0e-5,
    "build_bento": False,
    "bentofile": "bentofile.yaml",
}


pytestmark = pytest.mark.usefixtures("tmp_bentoml_home")


@pytest.fixture
def blessed_model() -> ModelArtifact:
    torch.manual_seed(0)
    spec = MLPSpec(in_features=len(FEATURES), num_classes=2, hidden=(4,))
    metadata = {"blessed": True, "feature_names": FEATURES, "class_names": ["no", "yes"]}
    return ModelArtifact.from_module(build_model(spec), spec, metadata)


SCHEMA = {"feature_columns": {name: {"min": 0.0, "max": 1.0} for name in FEATURES}}
METRICS = {
    "model": "pruned",
    "accuracy": 0.97,
    "macs": 12,
    "slices": {"class=yes": {"accuracy": 0.95}},
    "test_split_fingerprint": "abc123",
}


def test_the_stored_version_holds_the_full_metrics_and_the_scalar_metadata(blessed_model):
    blessing = {"blessed": True, "candidate": "pruned"}
    packaged = package_model(blessed_model, blessing, METRICS, SCHEMA, PARAMS)
    tag = packaged["model_tag"]
    stored = Path(model_path(tag)).parent / METRICS_FILE
    assert json.loads(stored.read_text()) == METRICS
    assert model_metadata(tag)["metrics"] == {"accuracy": 0.97, "macs": 12}
    assert packaged["bento_tag"] is None


def test_a_model_that_is_not_blessed_is_not_stored(blessed_model):
    with pytest.raises(NotBlessedError, match="not blessed"):
        package_model(blessed_model, {"blessed": False, "candidate": "pruned"}, METRICS, SCHEMA, PARAMS)
