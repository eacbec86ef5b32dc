"""One configuration of the compression benchmark, measured against one seed's dense teacher.

Every function here returns flat metrics (plain numbers and strings) for one row of the benchmark;
:func:`run_configuration` turns a failure into a row with an ``error`` string instead of a crash.
Latency speedups are paired: the teacher is re-measured right before the compressed model, so a load
change on the machine between configurations does not show up as a speedup or a slowdown.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from prunegate.core.distillation import distill
from prunegate.core.efficiency import ProfileSettings, artifact_sizes, measure_model
from prunegate.core.models import ModelSpec, build_model
from prunegate.core.pruning.history import PruningHistory, fresh_pruned_model
from prunegate.core.pruning.layers import prunable_layers
from prunegate.core.pruning.structured_recipe import run_structured_pruning
from prunegate.core.pruning.unstructured import sparsity_of
from prunegate.core.pruning.unstructured_recipe import run_unstructured_pruning
from prunegate.core.quantization import quantize_dynamic_int8, quantized_size_bytes
from prunegate.core.serialization import ModelArtifact
from prunegate.core.training import (
    TrainConfig,
    copy_standardization,
    predict_logits,
    seed_everything,
    train_model,
)
from prunegate.data.features import PreparedSplits
from prunegate.params import DistillationParams, PruningParams, parse_params

__all__ = [
    "PrunedModel",
    "SeedContext",
    "distillation_metrics",
    "float_model_metrics",
    "quantized_metrics",
    "run_configuration",
    "structured_metrics",
    "unstructured_metrics",
]

logger = logging.getLogger(__name__)

_PERCENT = 100.0


@dataclass(frozen=True)
class SeedContext:
    """Everything one benchmark seed shares: the splits, its dense teacher and the parameter dicts."""

    seed: int
    data: PreparedSplits
    teacher: nn.Module
    spec: ModelSpec
    dense: dict[str, Any]  # the teacher's test metrics and artifact sizes
    pruning: dict[str, Any]  # params:pruning (any benchmark overrides applied)
    distillation: dict[str, Any]  # params:distillation (idem)
    from_scratch: TrainConfig  # the dense training recipe (snip prunes at init, then trains with it)
    profiling: ProfileSettings

    @property
    def calibration(self) -> tuple[torch.Tensor, torch.Tensor]:
        rows = self.pruning["calibration_rows"]
        return self.data.train[0][:rows], self.data.train[1][:rows]

    def pruning_params(self, **overrides: Any) -> PruningParams:
        """``params:pruning`` with ``overrides`` and this seed, validated like the pipeline does."""
        return parse_params(PruningParams, {**self.pruning, **overrides, "seed": self.seed}, "pruning")

    def measure(self, module: nn.Module) -> dict[str, Any]:
        return measure_model(module, self.data.test, self.spec.num_classes, self.profiling)


@dataclass(frozen=True)
class PrunedModel:
    """A structured-pruned model kept for distillation (its widths) and quantization (its weights)."""

    label: str
    module: nn.Module
    spec: ModelSpec
    history: PruningHistory
    val_accuracy: float


def run_configuration(
    seed: int, labels: dict[str, Any], work: Callable[[], tuple[dict[str, Any], Any]]
) -> tuple[dict[str, Any], Any]:
    """Run ``work`` (seeded) and return its row and whatever it keeps; a failure becomes an error row."""
    seed_everything(seed)
    started = time.perf_counter()
    try:
        metrics, kept = work()
        error = None
    except Exception as exc:  # one impossible configuration must not lose the others' results
        metrics, kept, error = {}, None, f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - started
    row = {"seed": seed, **labels, **metrics, "error": error, "seconds": seconds}
    where = f"seed {seed} {labels['section']} {labels['method']} @ {labels.get('target')}"
    if error:
        logger.warning("%s: FAILED %s (%.1f s)", where, error, seconds)
    else:
        logger.info(
            "%s: accuracy %.4f, drop %.2f pp (%.1f s)",
            where,
            metrics["accuracy"],
            metrics["accuracy_drop_pp"],
            seconds,
        )
    return row, kept


def _accuracy(module: nn.Module, split: tuple[torch.Tensor, torch.Tensor]) -> float:
    return (predict_logits(module, split[0]).argmax(1) == split[1]).float().mean().item()


def _versus_dense(
    ctx: SeedContext, measured: dict[str, Any], dense_now: dict[str, Any] | None
) -> dict[str, Any]:
    """Accuracy drop, MAC and parameter ratios, and (with a fresh dense timing) speedups per batch."""
    metrics = {
        "accuracy": measured["accuracy"],
        "accuracy_drop_pp": (ctx.dense["accuracy"] - measured["accuracy"]) * _PERCENT,
        "params": measured["params"],
        "macs": measured["macs"],
    }
    if dense_now is not None:
        for batch in ctx.profiling.latency_batches:
            key = f"latency_ms_p50_b{batch}"
            metrics[key] = measured[key]
            metrics[f"dense_{key}"] = dense_now[key]
            metrics[f"speedup_b{batch}"] = dense_now[key] / measured[key]
    return metrics


def _structural_ratios(ctx: SeedContext, metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        "mac_ratio": ctx.dense["macs"] / metrics["macs"],
        "param_ratio": ctx.dense["params"] / metrics["params"],
    }


def _widths(module: nn.Module) -> str:
    """Output channels / neurons of every prunable layer, in registration order (e.g. ``16-32-64``)."""
    return "-".join(str(layer.weight.shape[0]) for layer in prunable_layers(module).values())


def unstructured_metrics(ctx: SeedContext, criterion: str, sparsity: float) -> tuple[dict[str, Any], None]:
    """Global unstructured pruning to ``sparsity`` with the pipeline's schedule and fine-tuning."""
    config = ctx.pruning_params(
        granularity="unstructured", budget="sparsity", criterion=criterion, scope="global", reduction=sparsity
    )
    outcome = run_unstructured_pruning(
        ctx.teacher,
        ctx.spec,
        ctx.data.train,
        ctx.data.val,
        config.unstructured_recipe(show_progress=False),
        calibration=ctx.calibration,
        from_scratch=ctx.from_scratch,
    )
    measured = ctx.measure(outcome.module)
    sizes = artifact_sizes(ModelArtifact.from_module(outcome.module, ctx.spec))
    metrics = _versus_dense(ctx, measured, dense_now=None)
    metrics.update(
        sparsity=sparsity_of(outcome.module)["overall"],
        overall_sparsity=1.0 - measured["nonzero_params"] / measured["params"],
        nonzero_params=measured["nonzero_params"],
        size_bytes_zlib=sizes["size_bytes_zlib"],
        zlib_size_ratio=ctx.dense["size_bytes_zlib"] / sizes["size_bytes_zlib"],
    )
    return metrics, None


def structured_metrics(
    ctx: SeedContext, criterion: str, allocation: str, reduction: float
) -> tuple[dict[str, Any], PrunedModel]:
    """Structured pruning to ``1 - reduction`` of the dense MACs, fine-tuned with the pipeline's budget."""
    config = ctx.pruning_params(
        granularity="structured",
        budget="macs",
        criterion=criterion,
        allocation=allocation,
        reduction=reduction,
    )
    outcome = run_structured_pruning(
        ctx.teacher,
        ctx.spec,
        ctx.data.train,
        ctx.data.val,
        config.structured_recipe(show_progress=False),
        calibration=ctx.calibration,
        from_scratch=ctx.from_scratch,
    )
    dense_now = ctx.measure(ctx.teacher)
    metrics = _versus_dense(ctx, ctx.measure(outcome.module), dense_now)
    metrics.update(_structural_ratios(ctx, metrics))
    val_accuracy = _accuracy(outcome.module, ctx.data.val)
    metrics.update(val_accuracy=val_accuracy, widths=_widths(outcome.module))
    label = f"{criterion} / {allocation} @ {reduction:g}"
    return metrics, PrunedModel(label, outcome.module, outcome.spec, outcome.history, val_accuracy)


def distillation_metrics(
    ctx: SeedContext, student: PrunedModel | None, *, with_teacher: bool
) -> tuple[dict[str, Any], None]:
    """A fresh student of ``student``'s widths, trained with the dense teacher (Hinton KD) or without.

    Both use the distillation parameters' epochs and optimiser, so the comparison isolates the teacher.
    """
    if student is None:
        raise ValueError("the structured model whose architecture the student takes failed or was not run")
    config = parse_params(DistillationParams, {**ctx.distillation, "seed": ctx.seed}, "distillation")
    train_config = config.train_config(show_progress=False)
    seed_everything(config.seed)
    module = fresh_pruned_model(build_model(student.spec), student.spec.in_features, student.history)
    if with_teacher:
        distill(
            ctx.teacher,
            module,
            ctx.data.train,
            ctx.data.val,
            train_config,
            temperature=config.temperature,
            alpha=config.alpha,
        )
    else:
        copy_standardization(ctx.teacher, module)  # as distill() does for the distilled student
        train_model(module, ctx.data.train, ctx.data.val, train_config, description="student from scratch")
    metrics = _versus_dense(ctx, ctx.measure(module), dense_now=None)
    metrics.update(_structural_ratios(ctx, metrics))
    metrics.update(widths=_widths(module), source=student.label)
    return metrics, None


def _state_dict_bytes(module: nn.Module) -> int:
    """Bytes of ``torch.save(module.state_dict())``, measured like :func:`quantized_size_bytes`."""
    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def float_model_metrics(ctx: SeedContext, source: PrunedModel | None) -> tuple[dict[str, Any], None]:
    """The float structured model that is quantized next, re-measured beside a fresh dense timing."""
    if source is None:
        raise ValueError("no structured model at this reduction succeeded: nothing to quantize")
    dense_now = ctx.measure(ctx.teacher)
    metrics = _versus_dense(ctx, ctx.measure(source.module), dense_now)
    metrics.update(_structural_ratios(ctx, metrics))
    metrics.update(
        state_dict_bytes=_state_dict_bytes(source.module),
        size_ratio=_state_dict_bytes(ctx.teacher) / _state_dict_bytes(source.module),
        widths=_widths(source.module),
        source=source.label,
    )
    return metrics, None


def quantized_metrics(ctx: SeedContext, source: PrunedModel | None) -> tuple[dict[str, Any], None]:
    """Dynamic int8 quantization of ``source``; MACs and params are the float model's (see the notes)."""
    if source is None:
        raise ValueError("no structured model at this reduction succeeded: nothing to quantize")
    quantized = quantize_dynamic_int8(source.module)
    dense_now = ctx.measure(ctx.teacher)
    measured = ctx.measure(quantized)
    float_profile = ctx.measure(source.module)
    # torch's FLOP counter does not see quantized ops: count the float model's MACs and params.
    measured.update(macs=float_profile["macs"], params=float_profile["params"])
    metrics = _versus_dense(ctx, measured, dense_now)
    metrics.update(_structural_ratios(ctx, metrics))
    size = quantized_size_bytes(quantized)
    metrics.update(
        state_dict_bytes=size,
        size_ratio=_state_dict_bytes(ctx.teacher) / size,
        widths=_widths(source.module),
        source=source.label,
    )
    return metrics, None
