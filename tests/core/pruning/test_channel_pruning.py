"""Structured pruning of any graph (Torch-Pruning) for every zoo architecture and the example user model."""

import pytest
import torch
from tests.core.models.zoo_specs import NUM_CLASSES, ZOO

from prunegate.core.models import MLPSpec, build_model
from prunegate.core.profiling import count_macs, count_params
from prunegate.core.pruning.allocation import ChannelGroup, global_allocation, uniform_allocation
from prunegate.core.pruning.channel_pruning import (
    channel_groups,
    prune_channels,
    prune_channels_to_budget,
    rounds_group,
)
from prunegate.core.pruning.criteria import CRITERIA, get_criterion
from prunegate.core.serialization import ModelArtifact, load_artifact, save_artifact

BUDGET_TOLERANCE = 0.05


def _setup(name):
    spec = ZOO[name]
    torch.manual_seed(0)
    model = build_model(spec).eval()
    generator = torch.Generator().manual_seed(1)
    inputs = torch.randn(24, spec.in_features, generator=generator)
    targets = torch.randint(0, NUM_CLASSES, (24,), generator=generator)
    return spec, model, (inputs, targets), torch.zeros(1, spec.in_features)


def _budget(name, spec):
    """MACs at 1/4 of dense; the GRU's recurrent layer stays dense, so it gets a parameter budget."""
    if name == "gru":
        return count_params, 0.75
    return (lambda module: count_macs(module, (spec.in_features,))), 0.25


# every architecture with global allocation; uniform on the residual ones (where its groups are coupled)
CASES = [(name, "global") for name in sorted(ZOO)] + [("resnet", "uniform"), ("user_model", "uniform")]


@pytest.mark.parametrize(("name", "allocation"), CASES)
def test_pruned_to_the_budget_smaller_same_outputs_after_save_and_load(tmp_path, name, allocation):
    spec, model, calibration, example = _setup(name)
    cost, fraction = _budget(name, spec)
    target = cost(model) * fraction
    result = prune_channels_to_budget(
        model, example, get_criterion("taylor"), calibration, cost, target, allocation=allocation
    )
    assert result.cost <= target
    assert result.cost >= target * (1 - BUDGET_TOLERANCE), f"{result.cost} vs target {target}"
    assert count_params(result.module) < count_params(model)
    assert result.left_dense == (["gru"] if name == "gru" else [])
    pruned_outputs = result.module(calibration[0])
    assert pruned_outputs.shape == (24, NUM_CLASSES)

    artifact = ModelArtifact.from_module(result.module, spec, {"note": "pruned"}, result.history)
    save_artifact(artifact, tmp_path / "model.pt")
    loaded = load_artifact(tmp_path / "model.pt").build_module()
    assert torch.equal(loaded(calibration[0]), pruned_outputs)
    assert all(not isinstance(value, torch.nn.Module) for value in torch.load(tmp_path / "model.pt").values())


@pytest.mark.parametrize("name", sorted(ZOO))
def test_pruned_model_exports_to_onnx_with_the_same_probabilities(tmp_path, name):
    from prunegate.serving.runtimes import OnnxRuntime, export_onnx

    spec, model, calibration, example = _setup(name)
    scores = get_criterion("magnitude_l2").weight_scores(model)
    groups = channel_groups(model, example, scores)
    pruned = prune_channels(model, example, scores, uniform_allocation(groups, 0.5, 0.9)).module
    export_onnx(pruned, spec.in_features, tmp_path / "model.onnx")
    onnx_probabilities = OnnxRuntime(tmp_path / "model.onnx").predict_proba(calibration[0].numpy())
    with torch.no_grad():
        torch_probabilities = torch.softmax(pruned(calibration[0]), dim=1).numpy()
    assert abs(onnx_probabilities - torch_probabilities).max() <= 1e-5


@pytest.mark.parametrize("criterion", sorted(CRITERIA))
def test_every_criterion_scores_residual_groups(criterion):
    spec, model, calibration, example = _setup("resnet")
    cost = lambda module: count_macs(module, (spec.in_features,))  # noqa: E731
    result = prune_channels_to_budget(
        model, example, get_criterion(criterion), calibration, cost, cost(model) * 0.5, allocation="global"
    )
    assert result.cost <= cost(model) * 0.5
    assert result.module(calibration[0]).shape == (24, NUM_CLASSES)


def test_group_score_adds_the_units_row_and_the_next_layers_column():
    torch.manual_seed(0)
    spec = MLPSpec(in_features=5, num_classes=2, hidden=(4, 3))
    model = build_model(spec)
    scores = get_criterion("magnitude_l1").weight_scores(model)
    groups = {group.name: group for group in channel_groups(model, torch.zeros(1, 5), scores)}
    first, second = model.hidden_layers[0].weight.abs(), model.hidden_layers[1].weight.abs()
    expected = (first.sum(dim=1) + second.sum(dim=0)) / 2
    assert torch.allclose(groups["hidden_layers.0"].scores, expected / expected.mean())
    assert "classifier" not in groups


def test_global_allocation_cuts_the_lowest_scores_across_groups_and_keeps_a_channel():
    groups = [
        ChannelGroup("a", 4, torch.tensor([0.1, 0.2, 0.3, 0.4])),
        ChannelGroup("b", 4, torch.tensor([5.0, 6.0, 7.0, 8.0])),
    ]
    ratios = global_allocation(groups, 0.5, max_ratio=0.9)
    assert ratios["b"] == 0.0
    assert 0.74 < ratios["a"] < 0.75  # all four are lowest, but one channel is always kept


def test_unknown_allocation_lists_the_known_ones():
    _, model, _, example = _setup("mlp")
    with pytest.raises(ValueError, match="unknown allocation 'random'; known allocations: global, uniform"):
        prune_channels_to_budget(
            model, example, get_criterion("magnitude_l1"), None, count_params, 1.0, allocation="random"
        )


def test_a_budget_that_cannot_be_met_says_what_was_reached():
    _, model, _, example = _setup("mlp")
    with pytest.raises(ValueError, match="pruning budget cannot be met"):
        prune_channels_to_budget(model, example, get_criterion("magnitude_l1"), None, count_params, 10.0)


def test_round_to_keeps_channel_counts_multiples_of_it_and_never_empties_a_group():
    spec, model, _, example = _setup("resnet")
    cost = lambda module: count_macs(module, (spec.in_features,))  # noqa: E731
    result = prune_channels_to_budget(
        model, example, get_criterion("magnitude_l2"), None, cost, cost(model) * 0.5, round_to=8
    )
    assert result.cost <= cost(model) * 0.5
    before = [layer.out_channels for layer in model.modules() if isinstance(layer, torch.nn.Conv2d)]
    after = [layer.out_channels for layer in result.module.modules() if isinstance(layer, torch.nn.Conv2d)]
    wide = [width for width, original in zip(after, before, strict=True) if rounds_group(original, 8)]
    assert wide and all(width % 8 == 0 and width > 0 for width in wide), (before, after)
    assert all(width > 0 for width in after)


def test_round_to_leaves_narrow_groups_unrounded_so_a_tight_budget_stays_reachable():
    """16 channels rounded to 8 could only be 8 or 16: a 5x MAC budget would be out of reach."""
    spec, model, _, example = _setup("resnet")
    cost = lambda module: count_macs(module, (spec.in_features,))  # noqa: E731
    result = prune_channels_to_budget(
        model, example, get_criterion("magnitude_l2"), None, cost, cost(model) * 0.2, round_to=8
    )
    assert result.cost <= cost(model) * 0.2
    assert not rounds_group(16, 8) and rounds_group(32, 8)
