"""Nodes of the distillation pipeline."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import torch
from torch import nn

from prunegate.core.distillation import distill
from prunegate.core.distributed import run_distributed
from prunegate.core.efficiency import artifact_sizes, measure_model, reproducible_metrics
from prunegate.core.models import ModelSpec, build_model
from prunegate.core.pruning.history import PruningHistory, fresh_pruned_model
from prunegate.core.serialization import ModelArtifact
from prunegate.core.training import copy_standardization, seed_everything, train_model
from prunegate.params import ConfigError, DistillationParams, ProfilingParams
from prunegate.pipelines.model_inputs import ModelInputs

logger = logging.getLogger(__name__)


def _student_architecture(
    config: DistillationParams, dense: ModelArtifact, pruned: ModelArtifact
) -> tuple[ModelSpec, PruningHistory]:
    """The pruned model's architecture (spec + pruning history), or the dense one with other hidden widths."""
    if config.student_architecture == "pruned":
        return pruned.spec, pruned.pruning_history
    if not hasattr(dense.spec, "hidden"):
        raise ConfigError(
            f"distillation.student_hidden: a {dense.spec.kind} model has no hidden widths to set; use "
            "student_architecture: pruned"
        )
    return replace(dense.spec, hidden=tuple(config.student_hidden or ())), []


def _fresh_student(spec: ModelSpec, history: PruningHistory):
    return fresh_pruned_model(build_model(spec), spec.in_features, history)


def train_students(
    teacher: nn.Module,
    spec: ModelSpec,
    history: PruningHistory,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    config: DistillationParams,
) -> tuple[nn.Module, nn.Module | None]:
    """The distilled student and, with ``compare_with_scratch``, the same student trained on labels only.

    Both start from the same seeded initialisation (one rank's work under ``distillation.distributed``).
    """
    train_config = config.train_config(show_progress=False)
    seed_everything(config.seed)
    student = _fresh_student(spec, history)
    distill(teacher, student, train, val, train_config, temperature=config.temperature, alpha=config.alpha)
    if not config.compare_with_scratch:
        return student, None
    seed_everything(config.seed)
    scratch = _fresh_student(spec, history)
    copy_standardization(teacher, scratch)  # as distill() does for the distilled student
    train_model(scratch, train, val, train_config, description="student from scratch")
    return student, scratch


def distill_student(
    dense_model: ModelArtifact,
    pruned_model: ModelArtifact,
    data: ModelInputs,
    config: DistillationParams,
    profiling: ProfilingParams,
) -> tuple[ModelArtifact, dict[str, float], dict[str, Any]]:
    """Train a freshly initialised student with the teacher's soft targets, and the same student without.

    Returns:
        The distilled student, its metrics (same keys as every model's) and a report comparing it with
        the same architecture trained from scratch on the labels only, for the same epochs.
    """
    teacher = (dense_model if config.teacher == "dense" else pruned_model).build_module()
    spec, history = _student_architecture(config, dense_model, pruned_model)
    student, scratch = run_distributed(
        train_students,
        teacher,
        spec,
        history,
        data.train,
        data.val,
        config,
        settings=config.distributed.settings(config.device),
    )
    metrics = measure_model(student, data.test, spec.num_classes, profiling.settings())

    report: dict[str, Any] = {"teacher": config.teacher, "student_spec": spec.__class__.__name__}
    if scratch is not None:
        scratch_metrics = measure_model(scratch, data.test, spec.num_classes, profiling.settings())
        report["scratch"] = {key: scratch_metrics[key] for key in ("accuracy", "f1_macro", "log_loss")}
        metrics["scratch_accuracy"] = scratch_metrics["accuracy"]
    report["distilled"] = {key: metrics[key] for key in ("accuracy", "f1_macro", "log_loss")}

    metadata = {
        **dense_model.metadata,
        "role": "distilled",
        "distillation": config.model_dump(mode="json"),
        "metrics": reproducible_metrics(metrics),
    }
    artifact = ModelArtifact.from_module(student, spec, metadata, history)
    metrics.update(artifact_sizes(artifact))
    logger.info("distilled student: test accuracy %.4f (%s)", metrics["accuracy"], report)
    return artifact, metrics, report
