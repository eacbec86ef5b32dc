"""Sensitivity scan and budgeted ratio allocation."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from prunegate.core.models import CNNSpec, build_model
from prunegate.core.profiling import count_macs, count_macs_by_module
from prunegate.core.pruning.channel_pruning import channel_groups, prune_channels, sensitivity_scan
from prunegate.core.pruning.sensitivity import (
    allocate_ratios,
    allocation_rows,
    linear_cost_model,
)

RATIOS = (0.25, 0.5, 0.75, 0.9)
BASELINE = 0.9
# "fragile" loses a lot of accuracy when pruned, "robust" almost none.
SCAN = {
    "fragile": {0.25: 0.80, 0.5: 0.60, 0.75: 0.40, 0.9: 0.20},
    "robust": {0.25: 0.899, 0.5: 0.898, 0.75: 0.89, 0.9: 0.88},
}
COSTS = {"fragile": 100.0, "robust": 100.0}


def test_allocation_meets_budget_and_spares_the_sensitive_layer() -> None:
    cost_of = linear_cost_model(COSTS)

    allocation = allocate_ratios(SCAN, BASELINE, COSTS, cost_of, target_cost=100.0, ratios=RATIOS)

    assert cost_of(allocation) <= 100.0
    assert allocation["fragile"] < allocation["robust"]
    assert set(allocation.values()) <= {0.0, *RATIOS}


def test_no_pruning_when_already_within_budget() -> None:
    allocation = allocate_ratios(SCAN, BASELINE, COSTS, None, target_cost=250.0)

    assert allocation == {"fragile": 0.0, "robust": 0.0}


def test_lower_is_better_metrics_are_supported() -> None:
    losses = {layer: {ratio: -metric for ratio, metric in row.items()} for layer, row in SCAN.items()}

    allocation = allocate_ratios(losses, -BASELINE, COSTS, None, 100.0, RATIOS, higher_is_better=False)

    assert allocation["fragile"] < allocation["robust"]


def test_impossible_budget_raises() -> None:
    with pytest.raises(ValueError, match="cannot be met"):
        allocate_ratios(SCAN, BASELINE, COSTS, linear_cost_model(COSTS), target_cost=10.0, ratios=RATIOS)


def test_unscanned_ratio_and_missing_cost_raise() -> None:
    with pytest.raises(ValueError, match="not scanned"):
        allocate_ratios(SCAN, BASELINE, COSTS, None, 100.0, ratios=(0.3,))
    with pytest.raises(ValueError, match="no entry for scanned layer"):
        allocate_ratios(SCAN, BASELINE, {"fragile": 1.0}, None, 1.0, ratios=RATIOS)


def test_scan_and_exact_macs_allocation_on_a_real_model() -> None:
    torch.manual_seed(0)
    spec = CNNSpec(in_shape=(1, 6, 6), num_classes=3, channels=(4, 6), hidden=(8,))
    model = build_model(spec).eval()
    example = torch.zeros(1, 36)
    inputs = torch.randn(32, 36)
    with torch.no_grad():
        reference = model(inputs)
    scores = {
        name: torch.rand_like(layer.weight)
        for name, layer in model.named_modules()
        if hasattr(layer, "weight")
    }
    groups = channel_groups(model, example, scores)

    def evaluate(pruned: nn.Module) -> float:
        assert not pruned.training
        with torch.no_grad():
            return -float(torch.mean((pruned(inputs) - reference) ** 2))

    scan = sensitivity_scan(model, example, scores, groups, (0.5, 0.75), evaluate)
    assert sorted(scan) == ["conv_layers.0", "conv_layers.1", "hidden_layers.0"]
    assert all(set(row) == {0.5, 0.75} for row in scan.values())

    def pruned_macs(ratios: dict[str, float]) -> float:
        return count_macs(prune_channels(model, example, scores, ratios).module, (36,))

    dense_macs = count_macs(model, (36,))
    target = 0.7 * dense_macs
    layer_costs = count_macs_by_module(model, (36,))
    allocation = allocate_ratios(scan, 0.0, layer_costs, pruned_macs, target, (0.5, 0.75))
    assert pruned_macs(allocation) <= target


def test_allocation_table_lists_every_layer() -> None:
    allocation = {"fragile": 0.25, "robust": 0.9}

    rows = allocation_rows(allocation, SCAN, BASELINE, COSTS)

    assert rows[0] == {"layer": "fragile", "ratio": "0.25", "predicted drop": "0.1", "cost": "100"}
    assert [row["layer"] for row in rows] == ["fragile", "robust"]
    assert list(allocation_rows(allocation)[1]) == ["layer", "ratio"]  # no scan, no costs: two columns
