"""The shipped structured-pruning recipe (``conf/base/parameters_pruning.yml``) as benchmarks vary it."""

from __future__ import annotations

from typing import Any

from prunegate.core.pruning.structured_recipe import StructuredRecipe
from prunegate.core.training import TrainConfig
from prunegate.params.pruning import FinetuneParams

__all__ = ["shipped_recipe"]


def shipped_recipe(
    pruning: dict[str, Any], *, reduction: float, finetune_epochs: int, seed: int, **overrides: Any
) -> StructuredRecipe:
    """The recipe of ``params:pruning`` at ``reduction``, with ``overrides`` of any recipe field.

    Args:
        pruning: the ``pruning`` section of the parameters.
        reduction: the fraction of the budget removed.
        finetune_epochs: the fine-tuning budget (total over all steps).
        seed: the fine-tuning seed.
        overrides: e.g. ``budget="energy"``, ``allocation="sensitivity"``, ``schedule="one_shot"``,
            ``soft_targets=SoftTargets()`` (a one-shot schedule takes one step).
    """
    finetune = pruning["finetune"]
    fields: dict[str, Any] = {
        "criterion": pruning["criterion"],
        "budget": "macs",
        "allocation": pruning["allocation"],
        "schedule": pruning["schedule"],
        "steps": pruning["steps"],
        "soft_targets": FinetuneParams(**finetune).soft_targets(),
        **overrides,
    }
    if fields["schedule"] == "one_shot":
        fields["steps"] = 1
    return StructuredRecipe(
        reduction=reduction,
        scan_ratios=tuple(pruning["scan_ratios"]),
        min_units=pruning["min_units"],
        round_to=pruning["round_to"],
        finetune=TrainConfig(
            epochs=finetune_epochs,
            batch_size=finetune["batch_size"],
            learning_rate=finetune["learning_rate"],
            weight_decay=finetune["weight_decay"],
            patience=finetune["patience"],
            seed=seed,
            show_progress=False,
        ),
        **fields,
    )
