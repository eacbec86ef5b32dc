"""Importance criteria rank hand-built cases correctly and leave the model untouched."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from prunegate.core.models import MLPSpec, build_model
from prunegate.core.pruning import (
    CRITERIA,
    SNIP,
    ActivationMean,
    MagnitudeL1,
    MagnitudeL2,
    NameTable,
    OptimalBrainDamage,
    TaylorFirstOrder,
    get_criterion,
    prunable_layers,
)

DATA_CRITERIA = ["taylor", "obd", "snip", "activation", "lrp"]
DEAD_UNIT = 2


def _kill_unit(layer: nn.Module, unit: int) -> None:
    """Zero the unit's weights and make its bias negative: zero weights and never active after ReLU."""
    with torch.no_grad():
        layer.weight[unit].zero_()
        layer.bias[unit] = -1.0


def test_prunable_layers_skip_classifier_in_forward_order(mlp: nn.Module, cnn: nn.Module) -> None:
    assert list(prunable_layers(mlp)) == ["hidden_layers.0", "hidden_layers.1"]
    assert list(prunable_layers(cnn)) == ["conv_layers.0", "conv_layers.1", "hidden_layers.0"]
    assert all(layer is not cnn.classifier for layer in prunable_layers(cnn).values())


@pytest.mark.parametrize("name", sorted(CRITERIA))
def test_scores_have_weight_and_unit_shapes(name: str, cnn: nn.Module, cnn_batch) -> None:
    criterion = get_criterion(name)
    weight_scores = criterion.weight_scores(cnn, cnn_batch)
    unit_scores = criterion.unit_scores(cnn, cnn_batch)
    layers = prunable_layers(cnn)
    assert list(weight_scores) == list(layers) == list(unit_scores)
    for layer_name, layer in layers.items():
        assert weight_scores[layer_name].shape == layer.weight.shape
        assert unit_scores[layer_name].shape == (layer.weight.shape[0],)


@pytest.mark.parametrize("name", sorted(CRITERIA))
def test_dead_neuron_scores_lowest(name: str, mlp: nn.Module, mlp_batch) -> None:
    _kill_unit(mlp.hidden_layers[0], DEAD_UNIT)
    scores = get_criterion(name).unit_scores(mlp, mlp_batch)["hidden_layers.0"]
    alive = torch.cat([scores[:DEAD_UNIT], scores[DEAD_UNIT + 1 :]])
    assert scores[DEAD_UNIT] < alive.min()


@pytest.mark.parametrize("name", sorted(CRITERIA))
def test_dead_conv_channel_scores_lowest(name: str, cnn: nn.Module, cnn_batch) -> None:
    _kill_unit(cnn.conv_layers[1], 1)
    scores = get_criterion(name).unit_scores(cnn, cnn_batch)["conv_layers.1"]
    assert scores[1] < torch.cat([scores[:1], scores[2:]]).min()


@pytest.mark.parametrize("criterion", [MagnitudeL1(), MagnitudeL2()])
def test_magnitude_ranks_large_weight_above_small(criterion, mlp: nn.Module) -> None:
    with torch.no_grad():
        mlp.hidden_layers[0].weight[0, 0] = -5.0
        mlp.hidden_layers[0].weight[0, 1] = 0.1
    scores = criterion.weight_scores(mlp, None)["hidden_layers.0"]
    assert scores[0, 0] > scores[0, 1]
    assert scores[0, 0] == pytest.approx(5.0 if isinstance(criterion, MagnitudeL1) else 25.0)


def test_magnitude_unit_scores_are_row_norms(mlp: nn.Module) -> None:
    with torch.no_grad():
        mlp.hidden_layers[1].weight[0] = torch.tensor([3.0, -4.0, 0.0, 0.0, 0.0, 0.0])
    assert MagnitudeL1().unit_scores(mlp)["hidden_layers.1"][0] == pytest.approx(7.0)
    assert MagnitudeL2().unit_scores(mlp)["hidden_layers.1"][0] == pytest.approx(5.0)


def _reference_gradients(model: nn.Module, batch) -> dict[str, torch.Tensor]:
    reference = copy.deepcopy(model).eval()
    inputs, targets = batch
    F.cross_entropy(reference(inputs), targets).backward()
    return {name: layer.weight.grad for name, layer in prunable_layers(reference).items()}


def test_taylor_matches_weight_times_gradient(mlp: nn.Module, mlp_batch) -> None:
    gradients = _reference_gradients(mlp, mlp_batch)
    weight_scores = TaylorFirstOrder().weight_scores(mlp, mlp_batch)
    unit_scores = TaylorFirstOrder().unit_scores(mlp, mlp_batch)
    for name, layer in prunable_layers(mlp).items():
        product = layer.weight.detach() * gradients[name]
        torch.testing.assert_close(weight_scores[name], product.abs())
        # Group score is |sum| (Molchanov et al. 2019), which differs from the sum of |products|.
        torch.testing.assert_close(unit_scores[name], product.sum(dim=1).abs())


def test_obd_uses_empirical_fisher(cnn: nn.Module, cnn_batch) -> None:
    inputs, targets = cnn_batch
    squared = {name: torch.zeros_like(layer.weight) for name, layer in prunable_layers(cnn).items()}
    for index in range(len(inputs)):
        sample = (inputs[index : index + 1], targets[index : index + 1])
        for name, gradient in _reference_gradients(cnn, sample).items():
            squared[name] += gradient.pow(2)
    scores = OptimalBrainDamage(microbatch_size=5).weight_scores(cnn, cnn_batch)
    for name, layer in prunable_layers(cnn).items():
        expected = 0.5 * (squared[name] / len(inputs)) * layer.weight.detach().pow(2)
        torch.testing.assert_close(scores[name], expected, rtol=1e-4, atol=1e-9)


def test_snip_is_normalised_connection_sensitivity(mlp: nn.Module, mlp_batch) -> None:
    scores = SNIP().weight_scores(mlp, mlp_batch)
    assert sum(float(value.sum()) for value in scores.values()) == pytest.approx(1.0)
    taylor = TaylorFirstOrder().weight_scores(mlp, mlp_batch)
    total = sum(float(value.sum()) for value in taylor.values())
    for name in scores:
        torch.testing.assert_close(scores[name], taylor[name] / total)


def test_activation_is_mean_post_relu_and_broadcast(mlp: nn.Module, mlp_batch) -> None:
    inputs, _ = mlp_batch
    layer = mlp.hidden_layers[0]
    expected = torch.relu(layer(inputs)).mean(dim=0).detach()
    criterion = ActivationMean()
    torch.testing.assert_close(criterion.unit_scores(mlp, mlp_batch)["hidden_layers.0"], expected)
    weight_scores = criterion.weight_scores(mlp, mlp_batch)["hidden_layers.0"]
    torch.testing.assert_close(weight_scores, expected[:, None].expand(6, 8))


@pytest.mark.parametrize("name", DATA_CRITERIA)
def test_data_criteria_require_calibration(name: str, mlp: nn.Module) -> None:
    criterion = get_criterion(name)
    with pytest.raises(ValueError, match=f"criterion '{name}' needs calibration data"):
        criterion.weight_scores(mlp, None)
    with pytest.raises(ValueError, match="needs calibration data"):
        criterion.unit_scores(mlp, None)


@pytest.mark.parametrize("name", sorted(CRITERIA))
def test_criteria_leave_model_untouched(name: str, cnn: nn.Module, cnn_batch) -> None:
    before = {key: value.clone() for key, value in cnn.state_dict().items()}
    cnn.train()
    criterion = get_criterion(name)
    criterion.weight_scores(cnn, cnn_batch)
    criterion.unit_scores(cnn, cnn_batch)
    assert cnn.training
    for key, value in cnn.state_dict().items():
        torch.testing.assert_close(value, before[key], rtol=0, atol=0)
    assert all(parameter.grad is None for parameter in cnn.parameters())
    assert all(not module._forward_hooks for module in cnn.modules())


def test_registry_names_and_kwargs() -> None:
    assert sorted(CRITERIA) == ["activation", "lrp", "magnitude_l1", "magnitude_l2", "obd", "snip", "taylor"]
    criterion = get_criterion("obd", microbatch_size=7)
    assert isinstance(criterion, OptimalBrainDamage)
    assert criterion.microbatch_size == 7


def test_unknown_criterion_lists_known_names() -> None:
    with pytest.raises(
        ValueError, match=r"unknown criterion 'nope'; known criteria: activation, lrp, magnitude_l1"
    ):
        get_criterion("nope")


def test_registry_rejects_duplicate_names() -> None:
    registry: NameTable[int] = NameTable("widget")
    registry.register("a")(1)
    assert registry.get("a") == 1
    assert "a" in registry
    with pytest.raises(ValueError, match="widget 'a' is already registered"):
        registry.register("a")(2)
    with pytest.raises(ValueError, match="unknown widget 'b'; known widgets: a"):
        registry.get("b")


def test_lrp_relevance_of_a_hidden_unit_is_its_activation_times_its_true_class_weight() -> None:
    torch.manual_seed(0)
    spec = MLPSpec(in_features=5, num_classes=3, hidden=(4,))
    model = build_model(spec)
    inputs, targets = torch.randn(16, 5), torch.randint(0, 3, (16,))
    scores = get_criterion("lrp").unit_scores(model, (inputs, targets))
    with torch.no_grad():
        hidden = model.hidden_layers[0](inputs)  # the layer's output, before its ReLU
        gate = (hidden > 0).float()  # d logit / d output passes the ReLU only where it is open
        relevance = hidden * gate * model.classifier.weight[targets]
    torch.testing.assert_close(scores["hidden_layers.0"], relevance.mean(dim=0).abs())


def test_the_criterion_says_whether_it_prunes_at_initialisation_not_its_name():
    from prunegate.core.pruning.criteria import CRITERIA, prunes_at_initialisation

    at_init = {name for name in CRITERIA if prunes_at_initialisation(name)}
    assert at_init == {"snip"}
    with pytest.raises(ValueError, match="unknown criterion 'snipp'"):
        prunes_at_initialisation("snipp")
