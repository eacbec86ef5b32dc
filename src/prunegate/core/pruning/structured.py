"""Structured pruning surgery: physically remove hidden neurons and conv channels.

Removing output channel ``c`` of a conv layer also removes input channel ``c`` of the next conv, or the
``H*W`` flattened columns it feeds in the first fully connected layer, as in Li et al. 2017, "Pruning
Filters for Efficient ConvNets" (ICLR). Hidden Linear neurons are removed the same way (their row and the
next layer's column). The result is a smaller *dense* model plus a new spec with the new widths, so it
saves and loads as spec + state dict (``weights_only=True``) like every other model.

Which units to keep comes from per-unit scores computed elsewhere, e.g. filter L1 norms (Li et al. 2017)
or first-order Taylor importance (Molchanov et al. 2017, "Pruning Convolutional Neural Networks for
Resource Efficient Inference"; Molchanov et al. 2019, "Importance Estimation for Neural Network
Pruning"). The architectures are sequential, so the dependency graph is a chain and no Torch-Pruning is
needed. The ``classifier`` and the ``standardize`` buffers are never changed.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace

import torch
from torch import nn

from prunegate.core.models import CNNSpec, MLPSpec, ModelSpec, build_model

__all__ = [
    "CLASSIFIER_NAME",
    "keep_indices_from_scores",
    "kept_unit_count",
    "prunable_unit_counts",
    "prune_structured",
    "spec_after_ratios",
]

logger = logging.getLogger(__name__)

CLASSIFIER_NAME = "classifier"
_CONV_PREFIX = "conv_layers"
_HIDDEN_PREFIX = "hidden_layers"
# Guards ``ratio * units`` against float error, e.g. 0.29 * 100 = 28.999999999999996.
_RATIO_EPSILON = 1e-9


def prunable_unit_counts(spec: ModelSpec) -> dict[str, int]:
    """Layer name -> number of prunable units (conv output channels, hidden neurons), in forward order.

    Raises:
        ValueError: if the spec has nothing prunable (an MLP without hidden layers).
    """
    counts: dict[str, int] = {}
    if isinstance(spec, CNNSpec):
        counts.update({f"{_CONV_PREFIX}.{i}": width for i, width in enumerate(spec.channels)})
    elif not isinstance(spec, MLPSpec):
        raise TypeError(f"unknown model spec type {type(spec).__name__}")
    counts.update({f"{_HIDDEN_PREFIX}.{i}": width for i, width in enumerate(spec.hidden)})
    if not counts:
        raise ValueError(
            f"nothing prunable: this {spec.kind} spec has no hidden layers and the "
            f"'{CLASSIFIER_NAME}' is never pruned"
        )
    return counts


def kept_unit_count(units: int, ratio: float, min_units: int = 1) -> int:
    """How many of ``units`` survive pruning a fraction ``ratio`` of them (at least ``min_units``)."""
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"pruning ratio must be in [0, 1], got {ratio!r}")
    if min_units < 1:
        raise ValueError(f"min_units must be >= 1, got {min_units!r}")
    removed = math.floor(ratio * units + _RATIO_EPSILON)
    return min(units, max(min_units, units - removed))


def keep_indices_from_scores(
    unit_scores: dict[str, torch.Tensor], ratios: dict[str, float], min_units: int = 1
) -> dict[str, torch.Tensor]:
    """Indices of the highest-scoring units to keep in each layer named in ``ratios``.

    ``ratios[layer]`` is the fraction of the layer's units to remove. Ties keep the lower index. Returned
    indices are sorted ascending (``torch.long``), ready for :func:`prune_structured`.
    """
    keep: dict[str, torch.Tensor] = {}
    for name, ratio in ratios.items():
        if name not in unit_scores:
            raise ValueError(f"no unit scores for layer '{name}'; scored layers: {sorted(unit_scores)}")
        scores = unit_scores[name].detach().flatten().float().cpu()
        if scores.numel() == 0:
            raise ValueError(f"unit scores for layer '{name}' are empty")
        if torch.isnan(scores).any():
            raise ValueError(f"unit scores for layer '{name}' contain NaN")
        count = kept_unit_count(scores.numel(), ratio, min_units)
        order = torch.argsort(scores, descending=True, stable=True)
        keep[name] = torch.sort(order[:count]).values.to(torch.long)
    return keep


def spec_after_ratios(spec: ModelSpec, ratios: dict[str, float], min_units: int = 1) -> ModelSpec:
    """The spec :func:`prune_structured` would produce when pruning ``ratios`` of each named layer.

    Widths follow :func:`kept_unit_count`, so a cost model can price an allocation without surgery.
    """
    counts = prunable_unit_counts(spec)
    for name in ratios:
        _check_layer_name(name, counts)
    widths = {name: kept_unit_count(n, ratios.get(name, 0.0), min_units) for name, n in counts.items()}
    return _spec_with_widths(spec, widths)


def prune_structured(
    model: nn.Module, spec: ModelSpec, keep: dict[str, torch.Tensor]
) -> tuple[nn.Module, ModelSpec]:
    """A new, smaller model keeping only the units ``keep`` lists per layer, and its spec.

    Layers missing from ``keep`` keep all their units. ``model`` is not modified; the returned model is
    built with ``build_model(new_spec)``, loaded strictly, and left in ``model``'s train/eval mode.

    Raises:
        ValueError: for an unknown layer, the classifier, a spec with nothing prunable, invalid indices,
            or a model whose weights do not match ``spec``.
    """
    counts = prunable_unit_counts(spec)
    keep_indices = {name: _checked_indices(name, indices, counts) for name, indices in keep.items()}
    state = {key: value.detach().clone() for key, value in model.state_dict().items()}
    _check_model_matches(state, counts)

    chain = [*counts, CLASSIFIER_NAME]
    # The first Linear after the convs reads the channel-major flattened feature map.
    first_dense = next(name for name in chain if not name.startswith(_CONV_PREFIX))
    has_convs = isinstance(spec, CNNSpec)
    previous_out: torch.Tensor | None = None  # kept outputs of the previous layer (None = all)
    for name in chain:
        weight_key, bias_key = f"{name}.weight", f"{name}.bias"
        in_index = previous_out
        if in_index is not None and has_convs and name == first_dense:
            in_index = _flattened_columns(in_index, spec)
        out_index = keep_indices.get(name)
        device = state[weight_key].device
        if out_index is not None:
            state[weight_key] = state[weight_key].index_select(0, out_index.to(device))
            state[bias_key] = state[bias_key].index_select(0, out_index.to(device))
        if in_index is not None:
            state[weight_key] = state[weight_key].index_select(1, in_index.to(device))
        previous_out = out_index

    widths = {name: (len(keep_indices[name]) if name in keep_indices else n) for name, n in counts.items()}
    new_spec = _spec_with_widths(spec, widths)
    reference = next(iter(model.parameters()), None)
    pruned = build_model(new_spec)
    if reference is not None:
        pruned = pruned.to(device=reference.device, dtype=reference.dtype)
    pruned.load_state_dict(state, strict=True)
    pruned.train(model.training)
    logger.info(
        "structured pruning: %s -> %s",
        {name: counts[name] for name in keep_indices},
        {name: widths[name] for name in keep_indices},
    )
    return pruned, new_spec


def _check_layer_name(name: str, counts: dict[str, int]) -> None:
    if name == CLASSIFIER_NAME:
        raise ValueError(f"layer '{CLASSIFIER_NAME}' is never pruned (its outputs are the classes)")
    if name not in counts:
        raise ValueError(f"unknown layer '{name}'; prunable layers: {list(counts)}")


def _checked_indices(name: str, indices: torch.Tensor, counts: dict[str, int]) -> torch.Tensor:
    _check_layer_name(name, counts)
    index = torch.as_tensor(indices).detach().flatten().to(device="cpu", dtype=torch.long)
    if index.numel() == 0:
        raise ValueError(f"layer '{name}' must keep at least one unit")
    if index.min() < 0 or index.max() >= counts[name]:
        raise ValueError(f"keep indices for layer '{name}' must be in [0, {counts[name]})")
    if torch.unique(index).numel() != index.numel():
        raise ValueError(f"keep indices for layer '{name}' contain duplicates")
    return torch.sort(index).values


def _check_model_matches(state: dict[str, torch.Tensor], counts: dict[str, int]) -> None:
    for name, units in counts.items():
        weight = state.get(f"{name}.weight")
        if weight is None or weight.shape[0] != units:
            found = None if weight is None else tuple(weight.shape)
            raise ValueError(
                f"model does not match spec: layer '{name}' should have {units} units, found {found}"
            )


def _flattened_columns(channels: torch.Tensor, spec: ModelSpec) -> torch.Tensor:
    """Columns of the channel-major flattened feature map that belong to ``channels``."""
    if not isinstance(spec, CNNSpec):
        raise TypeError("flattened channel columns only exist for CNN specs")
    height, width = spec.spatial_after_conv
    area = height * width
    return (channels.unsqueeze(1) * area + torch.arange(area)).flatten()


def _spec_with_widths(spec: ModelSpec, widths: dict[str, int]) -> ModelSpec:
    hidden = tuple(widths[f"{_HIDDEN_PREFIX}.{i}"] for i in range(len(spec.hidden)))
    if isinstance(spec, CNNSpec):
        channels = tuple(widths[f"{_CONV_PREFIX}.{i}"] for i in range(len(spec.channels)))
        return replace(spec, channels=channels, hidden=hidden)
    return replace(spec, hidden=hidden)
