"""Sparsity penalties match their formulas on hand cases and plug into train_model."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from prunegate.core.models import MLPSpec, build_model
from prunegate.core.pruning import (
    REGULARIZERS,
    get_regularizer,
    group_lasso_penalty,
    l1_penalty,
    prunable_layers,
)
from prunegate.core.training import TrainConfig, train_model

STRENGTH = 0.1


def _set_hand_weights(model: nn.Module) -> None:
    """hidden_layers.0 rows: unit 0 = [3, -4, 0...], others zero; hidden_layers.1 = all ones (4 x 6)."""
    with torch.no_grad():
        model.hidden_layers[0].weight.zero_()
        model.hidden_layers[0].weight[0, :2] = torch.tensor([3.0, -4.0])
        model.hidden_layers[1].weight.fill_(1.0)
        model.classifier.weight.fill_(100.0)  # never penalised


def test_l1_penalty_is_strength_times_sum_abs(mlp: nn.Module) -> None:
    _set_hand_weights(mlp)
    # |3| + |-4| + 24 ones.
    assert l1_penalty(STRENGTH)(mlp).item() == pytest.approx(STRENGTH * 31.0)


def test_group_lasso_is_strength_times_sum_of_unit_norms(mlp: nn.Module) -> None:
    _set_hand_weights(mlp)
    # hidden_layers.0: ||[3, -4]|| = 5, the other five rows 0; hidden_layers.1: four rows of sqrt(6).
    expected = STRENGTH * (5.0 + 4 * 6**0.5)
    assert group_lasso_penalty(STRENGTH)(mlp).item() == pytest.approx(expected)


def test_group_lasso_gradient_is_zero_for_all_zero_unit(mlp: nn.Module) -> None:
    _set_hand_weights(mlp)
    group_lasso_penalty(STRENGTH)(mlp).backward()
    gradient = mlp.hidden_layers[0].weight.grad
    assert torch.isfinite(gradient).all()
    assert torch.all(gradient[1:] == 0)
    # d/dw ||w|| = w / ||w||: unit 0 is pushed towards zero along its own direction.
    torch.testing.assert_close(gradient[0, :2], STRENGTH * torch.tensor([0.6, -0.8]))


def test_group_lasso_covers_conv_filters(cnn: nn.Module) -> None:
    expected = sum(
        torch.linalg.vector_norm(layer.weight.flatten(1), dim=1).sum()
        for layer in prunable_layers(cnn).values()
    )
    assert group_lasso_penalty(1.0)(cnn).item() == pytest.approx(expected.item())


def test_registry_and_errors(mlp: nn.Module) -> None:
    assert sorted(REGULARIZERS) == ["group_lasso", "l1", "none"]
    assert get_regularizer("none", 0.0)(mlp).item() == 0.0
    assert get_regularizer("l1", 2.0)(mlp).item() == pytest.approx(2 * l1_penalty(1.0)(mlp).item())
    with pytest.raises(
        ValueError, match="unknown regularizer 'l2'; known regularizers: group_lasso, l1, none"
    ):
        get_regularizer("l2", 1.0)
    with pytest.raises(ValueError, match="must be non-negative"):
        l1_penalty(-1.0)


def test_l1_regulariser_shrinks_weights_in_training(mlp_batch) -> None:
    config = TrainConfig(epochs=5, batch_size=8, learning_rate=1e-2, weight_decay=0.0, show_progress=False)
    norms = {}
    for name, strength in [("none", 0.0), ("l1", 0.05)]:
        torch.manual_seed(0)
        model = build_model(MLPSpec(in_features=8, num_classes=3, hidden=(6, 4)))
        train_model(model, mlp_batch, mlp_batch, config, regularizer=get_regularizer(name, strength))
        norms[name] = l1_penalty(1.0)(model).item()
    assert norms["l1"] < norms["none"]
