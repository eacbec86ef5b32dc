"""Nodes of the pruning pipeline."""

from __future__ import annotations

import logging
from typing import Any

from prunegate.core.distributed import run_distributed
from prunegate.core.efficiency import artifact_sizes, measure_model, reproducible_metrics
from prunegate.core.pruning.budget import cost_unit
from prunegate.core.pruning.structured_recipe import check_structured_budget, run_structured_pruning
from prunegate.core.pruning.unstructured import sparsity_of
from prunegate.core.pruning.unstructured_recipe import run_unstructured_pruning
from prunegate.core.serialization import ModelArtifact
from prunegate.params import (
    ConfigError,
    ProfilingParams,
    PruningParams,
    TrainingParams,
)
from prunegate.pipelines.model_inputs import ModelInputs
from prunegate.reporting.markdown import markdown_table

logger = logging.getLogger(__name__)


def _check_feasible(config: PruningParams, artifact: ModelArtifact) -> None:
    """Fail before any work when the model cannot be pruned as asked."""
    if config.granularity != "structured":
        return
    recipe = config.structured_recipe(show_progress=False)
    try:
        check_structured_budget(artifact.build_module(), artifact.spec, recipe)
    except ValueError as error:
        if str(error).startswith("nothing prunable"):
            message = f"pruning.granularity: structured pruning is impossible here: {error}"
            raise ConfigError(message) from None
        raise ConfigError(f"pruning.reduction: {error}") from None


def allocation_markdown(rows: list[dict[str, str]]) -> str:
    """The per-layer allocation as a markdown table (empty when the recipe allocated nothing)."""
    if not rows:
        return ""
    return "\n".join(markdown_table(list(rows[0]), [list(row.values()) for row in rows]))


def prune_dense_model(
    dense_model: ModelArtifact,
    data: ModelInputs,
    config: PruningParams,
    training: TrainingParams,
    profiling: ProfilingParams,
) -> tuple[ModelArtifact, dict[str, float], dict[str, Any]]:
    """Prune the dense model as ``params:pruning`` says, fine-tune it, and measure it like the dense one.

    Returns:
        The pruned artifact (spec + pruning history + state dict), its metrics
        (same keys as the dense model's) and a report of every step (ratios, costs, accuracies).
    """
    _check_feasible(config, dense_model)

    teacher = dense_model.build_module()
    calibration = (data.train[0][: config.calibration_rows], data.train[1][: config.calibration_rows])
    from_scratch = training.train_config()
    show = training.show_progress
    # with finetune.distributed, every rank prunes the same way and the fine-tuning is data-parallel
    ranks = config.finetune.distributed.settings(config.finetune.device)
    if config.granularity == "structured":
        run, recipe = run_structured_pruning, config.structured_recipe(show)
        unit = cost_unit(recipe.budget, recipe.latency_probe)
    else:
        run, recipe, unit = run_unstructured_pruning, config.unstructured_recipe(show), None
    outcome = run_distributed(
        run,
        teacher,
        dense_model.spec,
        data.train,
        data.val,
        recipe,
        calibration=calibration,
        from_scratch=from_scratch,
        settings=ranks,
    )
    module, spec = outcome.module, outcome.spec
    table = allocation_markdown(outcome.allocation)

    metrics = measure_model(module, data.test, spec.num_classes, profiling.settings())
    metrics["sparsity"] = sparsity_of(module)["overall"]
    metadata = {
        **dense_model.metadata,
        "role": "pruned",
        "pruning": config.model_dump(mode="json"),
        "metrics": reproducible_metrics(metrics),
    }
    artifact = ModelArtifact.from_module(module, spec, metadata, outcome.history)
    metrics.update(artifact_sizes(artifact))
    report = {
        "method": config.model_dump(mode="json"),
        "steps": outcome.steps,
        "cost_unit": unit,  # of each step's cost and target_cost
        "allocation_table": table,
        "left_dense": outcome.left_dense,  # layers with parameters the structured pruning engine cannot cut
    }
    logger.info("pruned model: test accuracy %.4f, %d MACs", metrics["accuracy"], metrics["macs"])
    if table:
        logger.info("per-layer allocation:\n%s", table)
    return artifact, metrics, report
