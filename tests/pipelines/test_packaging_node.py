"""Packaging stores the blessed model with its full metrics, so a rollback can restore champion/ with them."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from tests.conftest import shipped_params
from tests.pipelines.conftest import inputs_of

from prunegate.core.models import MLPSpec, build_model
from prunegate.core.serialization import ModelArtifact
from prunegate.data.tables import table_fingerprint
from prunegate.errors import NotBlessedError
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.packaging.nodes import package_model
from prunegate.registry.store import METRICS_FILE, MODEL_CARD_FILE, model_metadata, model_path
from prunegate.reporting.model_card import card_model_checksum
from prunegate.serving.runtimes import ONNX_INT8
from prunegate.serving.static_int8 import STATIC_INT8_FILE

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
package_model = as_kedro_node(package_model)

FEATURES = ["a", "b", "c"]
PARAMS = {
    "runtime_batch_sizes": [1],
    "runtime_timing_s": 0.01,
    "parity_tolerance": 1.0e-5,
    "static_int8": False,
    "build_bento": False,
    "bentofile": "bentofile.yaml",
    "model_card": {"intended_use": "Testing the packaging node.", "limitations": "Random weights."},
}


pytestmark = pytest.mark.usefixtures("tmp_bentoml_home")


@pytest.fixture
def blessed_model() -> ModelArtifact:
    torch.manual_seed(0)
    spec = MLPSpec(in_features=len(FEATURES), num_classes=2, hidden=(4,))
    metadata = {"blessed": True, "feature_names": FEATURES, "class_names": ["no", "yes"]}
    return ModelArtifact.from_module(build_model(spec), spec, metadata)


INGESTION = {
    **shipped_params("ingestion"),
    "target_column": "label",
    "feature_columns": FEATURES,
    "input_shape": None,
}


def _table(rows: int, seed: int) -> pd.DataFrame:
    features = np.random.default_rng(seed).uniform(0, 1, size=(rows, len(FEATURES)))
    table = pd.DataFrame(features, columns=FEATURES)
    table["label"] = np.where(features[:, 0] > 0.5, "yes", "no")
    return table


@pytest.fixture
def splits() -> dict:
    """Validated train/val/test tables as the catalog gives them to the node."""
    tables = {"train": _table(200, 0), "val": _table(50, 1), "test": _table(100, 2)}
    certificate = {"passed": True, "fingerprints": {k: table_fingerprint(t) for k, t in tables.items()}}
    return inputs_of((tables["train"], tables["val"], tables["test"], certificate), INGESTION)


def _package(model, blessing, splits, params=PARAMS):
    dense = {"dense": {"accuracy": 0.95, "macs": 120}}
    return package_model(model, blessing, METRICS, dense, SCHEMA, splits, config=params)


SCHEMA = {"feature_columns": {name: {"min": 0.0, "max": 1.0} for name in FEATURES}}
METRICS = {
    "model": "pruned",
    "accuracy": 0.97,
    "macs": 12,
    "slices": {"class=yes": {"accuracy": 0.95}},
    "test_split_fingerprint": "abc123",
}


def test_the_stored_version_holds_the_full_metrics_and_the_scalar_metadata(blessed_model, splits):
    blessing = {"blessed": True, "candidate": "pruned"}
    packaged, card = _package(blessed_model, blessing, splits)
    tag = packaged["model_tag"]
    stored = Path(model_path(tag)).parent / METRICS_FILE
    assert json.loads(stored.read_text()) == METRICS
    assert model_metadata(tag)["metrics"] == {"accuracy": 0.97, "macs": 12}
    assert packaged["bento_tag"] is None
    stored_card = Path(model_path(tag)).parent / MODEL_CARD_FILE
    assert stored_card.read_text(encoding="utf-8") == card
    assert "Testing the packaging node." in card and "10.0x" in card  # dense 120 MACs / 12
    assert card_model_checksum(card) == blessed_model.checksum  # which model it describes, read back


def test_a_model_that_is_not_blessed_is_not_stored(blessed_model, splits):
    with pytest.raises(NotBlessedError, match="not blessed"):
        _package(blessed_model, {"blessed": False, "candidate": "pruned"}, splits)


def test_static_int8_is_measured_on_the_test_split_and_stored_when_chosen(blessed_model, splits):
    params = {**PARAMS, "static_int8": True, "int8_calibration_rows": 64, "int8_max_accuracy_drop": 1.0}
    packaged, _ = _package(blessed_model, {"blessed": True, "candidate": "pruned"}, splits, params)
    rows = {row["runtime"]: row for row in packaged["runtimes"]}
    assert rows[ONNX_INT8]["eligible"] and "accuracy_drop" in rows[ONNX_INT8]
    stored = Path(model_path(packaged["model_tag"])).parent
    metadata = model_metadata(packaged["model_tag"])
    assert metadata["runtime"] == packaged["runtime"]
    assert (stored / STATIC_INT8_FILE).is_file() == (packaged["runtime"] == ONNX_INT8)
    if packaged["runtime"] == ONNX_INT8:
        assert metadata["runtime_accuracy_drop"] == rows[ONNX_INT8]["accuracy_drop"]
