"""Structured pruning surgery: removed units that contribute nothing leave outputs unchanged."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from prunegate.core.models import CNNSpec, MLPSpec, build_model
from prunegate.core.pruning.structured import (
    keep_indices_from_scores,
    kept_unit_count,
    prunable_unit_counts,
    prune_structured,
)
from prunegate.core.serialization import ModelArtifact, load_artifact, save_artifact


def _params(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())


def _all_but(units: int, removed: int) -> torch.Tensor:
    return torch.tensor([index for index in range(units) if index != removed], dtype=torch.long)


@pytest.fixture
def mlp() -> tuple[nn.Module, MLPSpec]:
    torch.manual_seed(0)
    spec = MLPSpec(in_features=6, num_classes=3, hidden=(8, 5))
    model = build_model(spec).eval()
    with torch.no_grad():
        model.standardize.input_mean.copy_(torch.linspace(-1.0, 1.0, 6))
        model.standardize.input_std.copy_(torch.linspace(0.5, 2.0, 6))
        # Neuron 3 of the first hidden layer is dead: zero weights and bias give ReLU(0) = 0.
        model.hidden_layers[0].weight[3].zero_()
        model.hidden_layers[0].bias[3] = 0.0
    return model, spec


def _cnn_with_dead_channel(hidden: tuple[int, ...]) -> tuple[nn.Module, CNNSpec]:
    torch.manual_seed(0)
    spec = CNNSpec(in_shape=(2, 6, 6), num_classes=4, channels=(4, 5), hidden=hidden)
    model = build_model(spec).eval()
    with torch.no_grad():
        # Channel 2 of the last conv always outputs ReLU(0) = 0, so its flattened columns carry nothing.
        model.conv_layers[1].weight[2].zero_()
        model.conv_layers[1].bias[2] = 0.0
    return model, spec


def test_pruning_a_dead_mlp_neuron_keeps_outputs(mlp: tuple[nn.Module, MLPSpec]) -> None:
    model, spec = mlp
    inputs = torch.randn(16, 6)

    pruned, new_spec = prune_structured(model, spec, {"hidden_layers.0": _all_but(8, 3)})

    assert new_spec.hidden == (7, 5)
    assert pruned.hidden_layers[0].out_features == 7
    assert pruned.hidden_layers[1].in_features == 7
    assert _params(pruned) < _params(model)
    torch.testing.assert_close(pruned.standardize.input_std, model.standardize.input_std)
    with torch.no_grad():
        assert torch.allclose(pruned(inputs), model(inputs), atol=1e-6)


def test_original_model_is_not_modified(mlp: tuple[nn.Module, MLPSpec]) -> None:
    model, spec = mlp
    before = {key: value.clone() for key, value in model.state_dict().items()}

    prune_structured(model, spec, {"hidden_layers.1": torch.tensor([0, 1])})

    assert model.hidden_layers[1].out_features == 5
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key])


@pytest.mark.parametrize("hidden", [(7,), ()])
def test_pruning_a_dead_conv_channel_keeps_outputs(hidden: tuple[int, ...]) -> None:
    model, spec = _cnn_with_dead_channel(hidden)
    inputs = torch.randn(8, 2 * 6 * 6)

    pruned, new_spec = prune_structured(model, spec, {"conv_layers.1": _all_but(5, 2)})

    assert new_spec.channels == (4, 4)
    assert new_spec.hidden == hidden
    first_dense = pruned.hidden_layers[0] if hidden else pruned.classifier
    assert first_dense.in_features == 4 * 3 * 3
    assert _params(pruned) < _params(model)
    with torch.no_grad():
        assert torch.allclose(pruned(inputs), model(inputs), atol=1e-5)


def test_pruning_every_layer_matches_new_widths() -> None:
    torch.manual_seed(1)
    spec = CNNSpec(in_shape=(1, 4, 4), num_classes=2, channels=(6, 8), hidden=(10, 9), pool=False)
    model = build_model(spec)
    scores = {name: torch.rand(units) for name, units in prunable_unit_counts(spec).items()}
    ratios = dict.fromkeys(scores, 0.5)

    pruned, new_spec = prune_structured(model, spec, keep_indices_from_scores(scores, ratios))

    assert new_spec.channels == (3, 4)
    assert new_spec.hidden == (5, 5)
    assert pruned(torch.randn(3, 16)).shape == (3, 2)
    assert pruned.training  # the mode of the original model is kept


def test_pruned_artifact_round_trips(tmp_path, mlp: tuple[nn.Module, MLPSpec]) -> None:
    model, spec = mlp
    pruned, new_spec = prune_structured(model, spec, {"hidden_layers.0": _all_but(8, 3)})
    path = tmp_path / "pruned.pt"

    save_artifact(ModelArtifact.from_module(pruned, new_spec), path)
    loaded = load_artifact(path)

    assert loaded.spec == new_spec
    inputs = torch.randn(4, 6)
    with torch.no_grad():
        assert torch.equal(loaded.build_module()(inputs), pruned(inputs))


def test_keep_indices_keep_highest_scores_sorted() -> None:
    scores = {"hidden_layers.0": torch.tensor([0.1, 0.9, 0.5, 0.7, 0.2])}

    keep = keep_indices_from_scores(scores, {"hidden_layers.0": 0.4})

    assert keep["hidden_layers.0"].tolist() == [1, 2, 3]
    assert keep["hidden_layers.0"].dtype == torch.long


def test_keep_indices_respect_min_units() -> None:
    scores = {"conv_layers.0": torch.arange(8.0)}

    keep = keep_indices_from_scores(scores, {"conv_layers.0": 1.0}, min_units=2)

    assert keep["conv_layers.0"].tolist() == [6, 7]


def test_kept_unit_count_is_robust_to_float_error() -> None:
    assert kept_unit_count(100, 0.29) == 71
    assert kept_unit_count(10, 0.0) == 10
    with pytest.raises(ValueError, match="ratio must be in"):
        kept_unit_count(10, 1.5)


def test_unknown_layer_is_refused(mlp: tuple[nn.Module, MLPSpec]) -> None:
    model, spec = mlp
    with pytest.raises(ValueError, match=r"unknown layer 'hidden_layers\.7'"):
        prune_structured(model, spec, {"hidden_layers.7": torch.tensor([0])})


def test_classifier_is_refused(mlp: tuple[nn.Module, MLPSpec]) -> None:
    model, spec = mlp
    with pytest.raises(ValueError, match="'classifier' is never pruned"):
        prune_structured(model, spec, {"classifier": torch.tensor([0, 1])})


def test_nothing_prunable_is_refused() -> None:
    spec = MLPSpec(in_features=4, num_classes=2, hidden=())
    with pytest.raises(ValueError, match="nothing prunable"):
        prunable_unit_counts(spec)
    with pytest.raises(ValueError, match="nothing prunable"):
        prune_structured(build_model(spec), spec, {})


def test_invalid_indices_are_refused(mlp: tuple[nn.Module, MLPSpec]) -> None:
    model, spec = mlp
    with pytest.raises(ValueError, match="must be in"):
        prune_structured(model, spec, {"hidden_layers.0": torch.tensor([0, 8])})
    with pytest.raises(ValueError, match="duplicates"):
        prune_structured(model, spec, {"hidden_layers.0": torch.tensor([1, 1])})
    with pytest.raises(ValueError, match="at least one unit"):
        prune_structured(model, spec, {"hidden_layers.0": torch.tensor([], dtype=torch.long)})


def test_model_spec_mismatch_is_refused(mlp: tuple[nn.Module, MLPSpec]) -> None:
    model, _ = mlp
    other = MLPSpec(in_features=6, num_classes=3, hidden=(9, 5))
    with pytest.raises(ValueError, match="does not match spec"):
        prune_structured(model, other, {})


def test_missing_scores_are_refused() -> None:
    with pytest.raises(ValueError, match=r"no unit scores for layer 'hidden_layers\.0'"):
        keep_indices_from_scores({}, {"hidden_layers.0": 0.5})
