"""Unstructured masks hit the exact sparsity, spare the classifier and stay applied while training."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from prunegate.core.pruning import (
    ImportanceCriterion,
    MagnitudeL1,
    MaskEnforcer,
    apply_masks,
    global_masks,
    layerwise_masks,
    prunable_layers,
    prune_unstructured,
    sparsity_of,
)
from prunegate.core.training import TrainConfig, train_model

SPARSITIES = [0.0, 0.1, 0.5, 0.73, 0.95, 1.0]
TINY_TRAINING = TrainConfig(epochs=3, batch_size=8, learning_rate=1e-2, patience=10, show_progress=False)


def _pruned(mask: torch.Tensor) -> int:
    return int((~mask).sum())


@pytest.mark.parametrize("sparsity", SPARSITIES)
def test_global_masks_hit_exact_sparsity(sparsity: float, cnn: nn.Module) -> None:
    scores = MagnitudeL1().weight_scores(cnn)
    masks = global_masks(scores, sparsity)
    total = sum(value.numel() for value in scores.values())
    assert sum(_pruned(mask) for mask in masks.values()) == round(sparsity * total)
    assert all(masks[name].shape == scores[name].shape and masks[name].dtype == torch.bool for name in scores)


def test_global_masks_use_one_threshold(cnn: nn.Module) -> None:
    scores = MagnitudeL1().weight_scores(cnn)
    masks = global_masks(scores, 0.6)
    kept = torch.cat([scores[name][masks[name]] for name in scores])
    pruned = torch.cat([scores[name][~masks[name]] for name in scores])
    assert pruned.max() <= kept.min()
    # One threshold, not one per layer: layers end up with different sparsities.
    per_layer = {name: _pruned(mask) / mask.numel() for name, mask in masks.items()}
    assert len({round(value, 6) for value in per_layer.values()}) > 1


@pytest.mark.parametrize("sparsity", SPARSITIES)
def test_layerwise_masks_hit_exact_sparsity_per_layer(sparsity: float, cnn: nn.Module) -> None:
    scores = MagnitudeL1().weight_scores(cnn)
    masks = layerwise_masks(scores, sparsity)
    for name, value in scores.items():
        assert _pruned(masks[name]) == round(sparsity * value.numel())
        if 0 < _pruned(masks[name]) < value.numel():
            assert value[~masks[name]].max() <= value[masks[name]].min()


def test_layerwise_mapping_leaves_missing_layers_dense(mlp: nn.Module) -> None:
    scores = MagnitudeL1().weight_scores(mlp)
    masks = layerwise_masks(scores, {"hidden_layers.1": 0.5})
    assert _pruned(masks["hidden_layers.0"]) == 0
    assert _pruned(masks["hidden_layers.1"]) == 12


def test_ties_are_broken_deterministically() -> None:
    scores = {"a": torch.ones(10), "b": torch.ones(2, 5)}
    first = global_masks(scores, 0.35)
    second = global_masks(scores, 0.35)
    assert sum(_pruned(mask) for mask in first.values()) == 7
    assert all(torch.equal(first[name], second[name]) for name in scores)


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_invalid_sparsity_raises(bad: float) -> None:
    scores = {"a": torch.rand(4)}
    with pytest.raises(ValueError, match=r"sparsity must be in \[0, 1\]"):
        global_masks(scores, bad)
    with pytest.raises(ValueError, match=r"sparsity\['a'\] must be in \[0, 1\]"):
        layerwise_masks(scores, {"a": bad})


def test_bad_masks_and_scores_raise(mlp: nn.Module) -> None:
    with pytest.raises(ValueError, match="unknown layer"):
        layerwise_masks({"a": torch.rand(4)}, {"b": 0.5})
    with pytest.raises(ValueError, match="NaN"):
        global_masks({"a": torch.tensor([1.0, float("nan")])}, 0.5)
    with pytest.raises(ValueError, match="non-prunable layer 'classifier'"):
        apply_masks(mlp, {"classifier": torch.zeros(3, 4, dtype=torch.bool)})
    with pytest.raises(ValueError, match="has shape"):
        apply_masks(mlp, {"hidden_layers.0": torch.zeros(2, 2, dtype=torch.bool)})


@pytest.mark.parametrize("scope", ["global", "layer"])
def test_prune_unstructured_never_touches_classifier(scope: str, cnn: nn.Module) -> None:
    classifier_before = cnn.classifier.weight.detach().clone()
    keys_before = list(cnn.state_dict())
    masks = prune_unstructured(cnn, "magnitude_l1", 0.95, scope=scope)
    assert "classifier" not in masks
    torch.testing.assert_close(cnn.classifier.weight, classifier_before, rtol=0, atol=0)
    assert list(cnn.state_dict()) == keys_before  # no weight_orig / weight_mask reparametrisation
    zeros = sum(int((layer.weight == 0).sum()) for layer in prunable_layers(cnn).values())
    assert zeros == sum(_pruned(mask) for mask in masks.values()) > 0


def test_prune_unstructured_zeroes_exactly_the_masked_weights(mlp: nn.Module, mlp_batch) -> None:
    masks = prune_unstructured(mlp, "taylor", 0.5, scope="layer", calibration=mlp_batch)
    for name, layer in prunable_layers(mlp).items():
        assert torch.all(layer.weight[~masks[name]] == 0)
        assert torch.all(layer.weight[masks[name]] != 0)
    report = sparsity_of(mlp)
    assert report["per_layer"] == {"hidden_layers.0": 0.5, "hidden_layers.1": 0.5}
    assert report["overall"] == 0.5


def test_repeated_pruning_extends_the_previous_mask(mlp: nn.Module, mlp_batch) -> None:
    first = prune_unstructured(mlp, "activation", 0.3, calibration=mlp_batch)
    second = prune_unstructured(mlp, "activation", 0.6, calibration=mlp_batch)
    for name in first:
        assert torch.all(second[name] <= first[name])  # nothing pruned earlier is revived
    assert sparsity_of(mlp)["overall"] == pytest.approx(0.6, abs=0.01)


class _FixedScores(ImportanceCriterion):
    """Scores given up front, to steer which weights a pruning round picks."""

    name = "fixed"

    def __init__(self, scores: dict[str, torch.Tensor]) -> None:
        self.scores = scores

    def weight_scores(self, model: nn.Module, calibration=None) -> dict[str, torch.Tensor]:
        return self.scores


def test_already_zero_weights_rank_lowest(mlp: nn.Module) -> None:
    ascending = {
        name: torch.arange(layer.weight.numel(), dtype=torch.float32).view_as(layer.weight)
        for name, layer in prunable_layers(mlp).items()
    }
    first = prune_unstructured(mlp, _FixedScores(ascending), 0.25, scope="layer")
    # The second round prefers the opposite weights, yet the first round's zeros are pruned first.
    descending = {name: -value for name, value in ascending.items()}
    second = prune_unstructured(mlp, _FixedScores(descending), 0.5, scope="layer")
    for name in first:
        assert torch.all(second[name] <= first[name])
    assert sparsity_of(mlp)["overall"] == 0.5


def test_prune_unstructured_rejects_bad_scope_and_mapping(mlp: nn.Module) -> None:
    with pytest.raises(ValueError, match="unknown scope 'row'; known scopes: global, layer"):
        prune_unstructured(mlp, "magnitude_l1", 0.5, scope="row")
    with pytest.raises(ValueError, match="needs scope='layer'"):
        prune_unstructured(mlp, "magnitude_l1", {"hidden_layers.0": 0.5})


def test_sparsity_of_counts_zero_weights_only(mlp: nn.Module) -> None:
    with torch.no_grad():
        mlp.hidden_layers[0].weight[:3].zero_()  # 24 of 48
        mlp.hidden_layers[0].bias.zero_()  # biases do not count
        mlp.classifier.weight.zero_()  # classifier does not count
    report = sparsity_of(mlp)
    assert report["per_layer"] == {"hidden_layers.0": 0.5, "hidden_layers.1": 0.0}
    assert report["overall"] == pytest.approx(24 / 72)


def _fine_tune(model: nn.Module, batch, after_step=None) -> None:
    train_model(model, batch, batch, TINY_TRAINING, after_step=after_step)


def test_mask_enforcer_keeps_pruned_weights_zero_during_training(mlp: nn.Module, mlp_batch) -> None:
    masks = prune_unstructured(mlp, "magnitude_l1", 0.5)
    _fine_tune(mlp, mlp_batch, after_step=MaskEnforcer(masks))
    for name, layer in prunable_layers(mlp).items():
        assert torch.all(layer.weight[~masks[name]] == 0)
    assert sparsity_of(mlp)["overall"] >= 0.5


def test_without_enforcer_pruned_weights_regrow(mlp: nn.Module, mlp_batch) -> None:
    prune_unstructured(mlp, "magnitude_l1", 0.5)
    _fine_tune(mlp, mlp_batch)
    assert sparsity_of(mlp)["overall"] < 0.5
