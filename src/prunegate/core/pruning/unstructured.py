"""Unstructured (per-weight) pruning: masks from scores, applying them, and measuring sparsity.

A mask is a bool tensor shaped like a layer's weight: ``True`` keeps the weight, ``False`` prunes it.
Masks are made permanent by the weights simply being zero: no ``torch.nn.utils.prune``
reparametrisation is left in the module, so the state dict keys are unchanged and a pruned model saves
as a normal spec + state dict. During fine-tuning, :class:`MaskEnforcer` is passed as
``train_model(after_step=...)`` so pruned weights stay zero after every optimiser step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Literal, TypedDict

import torch
from torch import Tensor, nn

from prunegate.core.pruning.criteria import Calibration, ImportanceCriterion, get_criterion
from prunegate.core.pruning.layers import prunable_layers

__all__ = [
    "MaskEnforcer",
    "SparsityReport",
    "apply_masks",
    "global_masks",
    "layerwise_masks",
    "prune_unstructured",
    "sparsity_of",
]

logger = logging.getLogger(__name__)

Masks = dict[str, Tensor]
Scope = Literal["global", "layer"]


class SparsityReport(TypedDict):
    """Fraction of exactly-zero weights among the prunable layers, overall and per layer."""

    overall: float
    per_layer: dict[str, float]


def _check_sparsity(sparsity: float, where: str = "sparsity") -> float:
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"{where} must be in [0, 1], got {sparsity!r}")
    return float(sparsity)


def _lowest_mask(flat_scores: Tensor, sparsity: float) -> Tensor:
    """Flat keep-mask pruning exactly ``round(sparsity * n)`` lowest scores.

    Ties are broken deterministically by position (a stable sort: the earlier weight is pruned first).
    """
    if torch.isnan(flat_scores).any():
        raise ValueError("scores contain NaN; cannot rank weights")
    count = round(sparsity * flat_scores.numel())
    order = torch.argsort(flat_scores, stable=True)
    keep = torch.ones(flat_scores.numel(), dtype=torch.bool, device=flat_scores.device)
    keep[order[:count]] = False
    return keep


def global_masks(scores: Mapping[str, Tensor], sparsity: float) -> Masks:
    """Masks pruning the lowest-scoring weights across all layers with one global threshold.

    Args:
        scores: Layer name -> per-weight scores (higher = more important).
        sparsity: Fraction of all weights to prune, in ``[0, 1]``; exactly ``round(sparsity · n)`` are.

    Returns:
        Layer name -> bool keep-mask shaped like the scores.
    """
    sparsity = _check_sparsity(sparsity)
    if not scores:
        return {}
    flat = torch.cat([value.detach().reshape(-1).double() for value in scores.values()])
    keep = _lowest_mask(flat, sparsity)
    masks: Masks = {}
    offset = 0
    for name, value in scores.items():
        masks[name] = keep[offset : offset + value.numel()].view(value.shape)
        offset += value.numel()
    return masks


def layerwise_masks(scores: Mapping[str, Tensor], sparsity: float | Mapping[str, float]) -> Masks:
    """Masks pruning the lowest-scoring weights of each layer separately.

    Args:
        scores: Layer name -> per-weight scores (higher = more important).
        sparsity: One fraction for every layer, or layer name -> fraction; layers missing from the
            mapping stay dense. Each layer prunes exactly ``round(sparsity · n_layer)`` weights.

    Raises:
        ValueError: If a sparsity is outside ``[0, 1]`` or the mapping names a layer without scores.
    """
    if isinstance(sparsity, Mapping):
        unknown = sorted(set(sparsity) - set(scores))
        if unknown:
            raise ValueError(f"sparsity names unknown layer(s) {unknown}; layers: {list(scores)}")
        targets = {name: _check_sparsity(sparsity.get(name, 0.0), f"sparsity[{name!r}]") for name in scores}
    else:
        value = _check_sparsity(sparsity)
        targets = dict.fromkeys(scores, value)
    return {
        name: _lowest_mask(value.detach().reshape(-1).double(), targets[name]).view(value.shape)
        for name, value in scores.items()
    }


@torch.no_grad()
def apply_masks(model: nn.Module, masks: Mapping[str, Tensor]) -> None:
    """Zero, in place, every prunable weight whose mask entry is ``False``.

    Raises:
        ValueError: If a mask names a layer that is not prunable or its shape differs from the weight's.
    """
    layers = prunable_layers(model)
    for name, mask in masks.items():
        if name not in layers:
            raise ValueError(f"mask for unknown or non-prunable layer {name!r}; prunable: {list(layers)}")
        weight = layers[name].weight
        if mask.shape != weight.shape:
            raise ValueError(f"mask for {name!r} has shape {tuple(mask.shape)}, weight {tuple(weight.shape)}")
        weight.masked_fill_(~mask.to(device=weight.device, dtype=torch.bool), 0.0)


class MaskEnforcer:
    """``after_step`` hook for :func:`~prunegate.core.training.train_model` keeping pruned weights zero.

    Args:
        masks: Layer name -> bool keep-mask (copied).
    """

    def __init__(self, masks: Mapping[str, Tensor]) -> None:
        self.masks: Masks = {name: mask.detach().clone().bool() for name, mask in masks.items()}

    def __call__(self, model: nn.Module) -> None:
        apply_masks(model, self.masks)


def sparsity_of(model: nn.Module) -> SparsityReport:
    """Fraction of exactly-zero weights in each prunable layer and over all of them (biases excluded)."""
    per_layer: dict[str, float] = {}
    zeros, total = 0, 0
    for name, layer in prunable_layers(model).items():
        layer_zeros = int((layer.weight == 0).sum())
        per_layer[name] = layer_zeros / layer.weight.numel()
        zeros += layer_zeros
        total += layer.weight.numel()
    return {"overall": zeros / total if total else 0.0, "per_layer": per_layer}


_SCOPES: dict[str, Callable[..., Masks]] = {"global": global_masks, "layer": layerwise_masks}


def prune_unstructured(
    model: nn.Module,
    criterion: ImportanceCriterion | str,
    sparsity: float | Mapping[str, float],
    *,
    scope: Scope = "global",
    calibration: Calibration | None = None,
) -> Masks:
    """Score, mask and zero the prunable weights of ``model`` in place; returns the masks.

    Weights that are already exactly zero are ranked below every other weight, so pruning again at a
    higher sparsity (an iterative or gradual schedule) extends the previous mask instead of reviving
    pruned weights.

    Args:
        model: Model to prune in place; its classifier is never pruned.
        criterion: An :class:`ImportanceCriterion` or a registered criterion name.
        sparsity: Target fraction of pruned weights (``scope="layer"`` also accepts name -> fraction).
        scope: ``"global"`` (one threshold across layers) or ``"layer"`` (each layer separately).
        calibration: ``(inputs, targets)`` batch for data-driven criteria.

    Raises:
        ValueError: On an unknown scope or criterion, or a per-layer sparsity with global scope.
    """
    if scope not in _SCOPES:
        raise ValueError(f"unknown scope {scope!r}; known scopes: {', '.join(sorted(_SCOPES))}")
    if scope == "global" and isinstance(sparsity, Mapping):
        raise ValueError("a per-layer sparsity mapping needs scope='layer'")
    if isinstance(criterion, str):
        criterion = get_criterion(criterion)
    scores = criterion.weight_scores(model, calibration)
    layers = prunable_layers(model)
    ranked = {
        name: torch.where(layers[name].weight.detach() == 0, -torch.inf, value.double())
        for name, value in scores.items()
    }
    masks = _SCOPES[scope](ranked, sparsity)
    apply_masks(model, masks)
    logger.info(
        "pruned %s (%s scope) to %.4f overall sparsity", criterion.name, scope, sparsity_of(model)["overall"]
    )
    return masks
