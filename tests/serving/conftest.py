"""Serving fixtures: tiny trained models, a temporary BentoML store and registry (never the user's store)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from prunegate.core.models import CNNSpec, MLPSpec, ModelSpec, build_model
from prunegate.core.serialization import ModelArtifact, save_artifact
from prunegate.core.training import TrainConfig, fit_standardization, train_model

TRAIN_ROWS = 1200  # of the 1,797 digits; the rest are held out for the service tests
VARIANT_SHIFT = 0.5
MLP_EPOCHS, CNN_EPOCHS = 10, 3  # ~0.87 and ~0.6 held-out accuracy, in about 1 s each here


@pytest.fixture(scope="session", autouse=True)
def private_bentoml_store(tmp_path_factory):
    """A temporary BentoML store and no tracking for these tests (restored afterwards).

    BentoML resolves its home once per process: if an earlier test already did, that store (also a
    temporary one in this suite) stays in use; :func:`bentoml_home` reports which one it is.
    """
    saved = {key: os.environ.get(key) for key in ("BENTOML_HOME", "BENTOML_DO_NOT_TRACK")}
    os.environ["BENTOML_DO_NOT_TRACK"] = "True"
    os.environ.setdefault("BENTOML_HOME", str(tmp_path_factory.mktemp("bentoml_home")))
    yield bentoml_home()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def bentoml_home() -> Path:
    """The store BentoML really uses in this process (resolved once, possibly by another test module)."""
    from bentoml._internal.configuration.containers import BentoMLContainer

    home = Path(BentoMLContainer.bentoml_home.get())
    assert home != Path.home() / "bentoml", "tests must never use the user's BentoML store"
    return home


def train_artifact(spec: ModelSpec, digits, *, seed: int = 0, epochs: int = MLP_EPOCHS) -> ModelArtifact:
    """A few epochs on digits: enough for non-trivial weights and distinct checksums per seed."""
    features = torch.tensor(digits.drop(columns="target").to_numpy(), dtype=torch.float32)
    targets = torch.tensor(digits["target"].to_numpy(), dtype=torch.long)
    torch.manual_seed(seed)
    model = build_model(spec)
    fit_standardization(model, features[:TRAIN_ROWS])
    config = TrainConfig(epochs=epochs, show_progress=False, seed=seed)
    train_model(
        model,
        (features[:TRAIN_ROWS], targets[:TRAIN_ROWS]),
        (features[TRAIN_ROWS:], targets[TRAIN_ROWS:]),
        config,
    )
    names = [column for column in digits.columns if column != "target"]
    metadata = {"feature_names": names, "class_names": [str(c) for c in range(10)]}
    return ModelArtifact.from_module(model.eval(), spec, metadata)


def variant(artifact: ModelArtifact, index: int) -> ModelArtifact:
    """Another version of a trained model (shifted classifier bias): new weights and checksum, no training."""
    state = {key: value.clone() for key, value in artifact.state_dict.items()}
    state["classifier.bias"] += VARIANT_SHIFT * index
    return ModelArtifact(spec=artifact.spec, state_dict=state, metadata=dict(artifact.metadata))


def feature_ranges(digits) -> dict[str, list[float]]:
    features = digits.drop(columns="target")
    return {name: [float(features[name].min()), float(features[name].max())] for name in features.columns}


def register(
    artifact: ModelArtifact, digits, folder: Path, *, runtime: str = "eager", card: str | None = None
) -> str:
    """Store ``artifact`` as the packaging step does (ONNX file included when ``runtime`` is onnx, and the
    model card when one is given)."""
    from prunegate.registry.store import MODEL_CARD_FILE, register_model
    from prunegate.serving.runtimes import ONNX, ONNX_FILE, export_onnx

    folder.mkdir(parents=True, exist_ok=True)
    model_file = folder / "model.pt"
    save_artifact(artifact, model_file)
    extra = []
    if runtime == ONNX:
        extra = [export_onnx(artifact.build_module(), artifact.spec.in_features, folder / ONNX_FILE)]
    if card is not None:
        (folder / MODEL_CARD_FILE).write_text(card, encoding="utf-8")
        extra.append(folder / MODEL_CARD_FILE)
    metadata = {
        "version": artifact.checksum[:12],
        "feature_names": artifact.metadata["feature_names"],
        "class_names": artifact.metadata["class_names"],
        "feature_ranges": feature_ranges(digits),
        "runtime": runtime,
    }
    return register_model(model_file, labels={"runtime": runtime}, metadata=metadata, extra_files=extra)


def held_out_rows(digits, count: int) -> np.ndarray:
    return digits.drop(columns="target").to_numpy(dtype=np.float32)[TRAIN_ROWS : TRAIN_ROWS + count]


DIGITS_MLP = MLPSpec(in_features=64, num_classes=10, hidden=(16,))
DIGITS_CNN = CNNSpec(in_shape=(1, 8, 8), num_classes=10, channels=(4,), hidden=(16,))


@pytest.fixture(scope="session")
def mlp_artifact(digits) -> ModelArtifact:
    return train_artifact(DIGITS_MLP, digits)


@pytest.fixture(scope="session")
def cnn_artifact(digits) -> ModelArtifact:
    return train_artifact(DIGITS_CNN, digits, epochs=CNN_EPOCHS)
