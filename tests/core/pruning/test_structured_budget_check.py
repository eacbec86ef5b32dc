"""The structured budget check refuses a target no allocation can reach, in the budget's own unit."""

from __future__ import annotations

import pytest
from tests.core.pruning.conftest import MLP_SPEC

from prunegate.core.pruning.structured_recipe import StructuredRecipe, check_structured_budget
from prunegate.core.training import TrainConfig


def _recipe(budget: str, reduction: float) -> StructuredRecipe:
    return StructuredRecipe(
        criterion="magnitude_l1",
        budget=budget,
        reduction=reduction,
        allocation="uniform",
        schedule="one_shot",
        steps=1,
        scan_ratios=(0.5,),
        min_units=1,
        finetune=TrainConfig(epochs=1),
    )


@pytest.mark.parametrize(
    ("budget", "unit"),
    [("macs", "MACs"), ("params", "parameters"), ("latency", "ms per batch of 256")],  # fixed call overhead
)
def test_an_unreachable_budget_names_the_budget_its_unit_and_the_key_to_lower(mlp, budget, unit):
    with pytest.raises(ValueError, match=rf"^{budget} budget cannot be met") as raised:
        check_structured_budget(mlp, MLP_SPEC, _recipe(budget, 0.99))
    message = str(raised.value)
    assert message.count(f" {unit}") == 3  # reached, target and dense cost, each with its unit
    assert "reduction 0.99" in message and "lower pruning.reduction" in message


def test_a_reachable_budget_returns_the_dense_cost(mlp):
    dense_params = sum(p.numel() for p in mlp.parameters())
    assert check_structured_budget(mlp, MLP_SPEC, _recipe("params", 0.1)) == dense_params
