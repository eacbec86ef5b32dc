import io

import pytest
import torch
from torch import nn
from torch.ao.nn.quantized import dynamic as quantized_dynamic

from prunegate.core.models import CNNSpec, MLPSpec, build_model
from prunegate.core.profiling import serialized_size_bytes
from prunegate.core.quantization import (
    DYNAMIC_INT8,
    QUANTIZATION_KEY,
    build_module_for,
    is_dynamic_quantized,
    load_quantized,
    quantize_dynamic_int8,
    quantized_artifact,
    quantized_size_bytes,
)
from prunegate.core.serialization import ModelArtifact, load_artifact, save_artifact
from prunegate.core.training import (
    TrainConfig,
    fit_standardization,
    predict_logits,
    seed_everything,
    train_model,
)

NUM_CLASSES = 3
NUM_FEATURES = 64
MLP = MLPSpec(NUM_FEATURES, NUM_CLASSES, hidden=(128, 64))
CNN = CNNSpec(in_shape=(1, 8, 8), num_classes=NUM_CLASSES, channels=(4,), hidden=(32,))
MAX_LOGIT_DIFF = 0.25  # absolute; the trained toy models' logits reach ~12 (mlp) and ~2.5 (cnn)
MIN_ARGMAX_AGREEMENT = 0.95


def _blobs(seed: int, rows: int):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, NUM_CLASSES, (rows,), generator=generator)
    centres = 2.0 * torch.randn(NUM_CLASSES, NUM_FEATURES, generator=torch.Generator().manual_seed(99))
    return centres[labels] + torch.randn(rows, NUM_FEATURES, generator=generator), labels


@pytest.fixture(scope="module", params=[MLP, CNN], ids=["mlp", "cnn"])
def trained(request):
    spec = request.param
    train, val = _blobs(1, rows=240), _blobs(2, rows=90)
    seed_everything(0)
    model = build_model(spec)
    fit_standardization(model, train[0])
    config = TrainConfig(epochs=5, batch_size=32, seed=0, show_progress=False)
    train_model(model, train, val, config)
    return ModelArtifact.from_module(model, spec, {"classes": ["a", "b", "c"]}), model


def test_linear_layers_become_dynamic_int8_and_convs_stay_float(trained):
    _, model = trained
    quantized = quantize_dynamic_int8(model)
    layers = [*quantized.hidden_layers, quantized.classifier]
    assert all(isinstance(layer, quantized_dynamic.Linear) for layer in layers)
    assert all(layer.weight().dtype == torch.qint8 for layer in layers)
    assert not any(isinstance(module, nn.Linear) for module in quantized.modules())
    assert all(isinstance(conv, nn.Conv2d) for conv in getattr(quantized, "conv_layers", []))
    assert not quantized.training
    # the float model is untouched
    assert isinstance(model.classifier, nn.Linear) and not is_dynamic_quantized(model)


def test_quantized_outputs_stay_close_to_float(trained):
    _, model = trained
    quantized = quantize_dynamic_int8(model)
    inputs = _blobs(3, rows=200)[0]
    float_logits, int8_logits = predict_logits(model, inputs), predict_logits(quantized, inputs)
    agreement = (float_logits.argmax(1) == int8_logits.argmax(1)).float().mean().item()
    assert (float_logits - int8_logits).abs().max().item() < MAX_LOGIT_DIFF
    assert agreement >= MIN_ARGMAX_AGREEMENT


def test_save_and_load_rebuilds_a_bit_identical_quantized_model(trained, tmp_path):
    artifact, model = trained
    in_memory = quantize_dynamic_int8(model)
    flagged = quantized_artifact(artifact)
    save_artifact(flagged, tmp_path / "model.pt")

    loaded = load_artifact(tmp_path / "model.pt")
    rebuilt = build_module_for(loaded)

    inputs = torch.randn(64, NUM_FEATURES, generator=torch.Generator().manual_seed(4))
    assert loaded.metadata == {"classes": ["a", "b", "c"], QUANTIZATION_KEY: DYNAMIC_INT8}
    assert is_dynamic_quantized(rebuilt)
    assert torch.equal(predict_logits(rebuilt, inputs), predict_logits(in_memory, inputs))


def test_quantized_artifact_copies_and_keeps_float_weights(trained):
    artifact, _ = trained
    flagged = quantized_artifact(artifact)
    assert QUANTIZATION_KEY not in artifact.metadata
    assert flagged.checksum != artifact.checksum
    assert all(torch.equal(flagged.state_dict[key], value) for key, value in artifact.state_dict.items())
    assert quantized_artifact(flagged).metadata == flagged.metadata


def test_unflagged_artifact_builds_the_float_model(trained):
    artifact, _ = trained
    assert not is_dynamic_quantized(build_module_for(artifact))
    with pytest.raises(ValueError, match="no metadata"):
        load_quantized(artifact)


def test_unknown_quantization_scheme_raises(trained):
    artifact, _ = trained
    with pytest.raises(ValueError, match="unknown quantization scheme"):
        quantized_artifact(artifact, scheme="int4")
    bogus = ModelArtifact(artifact.spec, artifact.state_dict, {QUANTIZATION_KEY: "int4"})
    with pytest.raises(ValueError, match="unknown quantization scheme"):
        build_module_for(bogus)


def test_quantized_weights_are_smaller_than_the_float_model(trained):
    artifact, model = trained
    int8_bytes = quantized_size_bytes(quantize_dynamic_int8(model))
    float_state = io.BytesIO()
    torch.save(model.state_dict(), float_state)
    assert int8_bytes < float_state.getbuffer().nbytes
    assert int8_bytes < serialized_size_bytes(artifact)


def test_size_of_a_float_model_is_refused(trained):
    _, model = trained
    with pytest.raises(ValueError, match="quantize it first"):
        quantized_size_bytes(model)
