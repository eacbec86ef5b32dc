"""Sparsity-inducing penalties added to the training loss (``train_model(regularizer=...)``).

Both penalties cover the weights of the prunable layers only (not the classifier, not biases), the
weights pruning later removes.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from prunegate.core.pruning.layers import prunable_layers
from prunegate.core.pruning.names import NameTable

__all__ = [
    "REGULARIZERS",
    "Penalty",
    "get_regularizer",
    "group_lasso_penalty",
    "l1_penalty",
    "no_penalty",
]

Penalty = Callable[[nn.Module], Tensor]

_NAMES: NameTable[Callable[[float], Penalty]] = NameTable("regularizer")
REGULARIZERS: dict[str, Callable[[float], Penalty]] = _NAMES.entries


def _check_strength(strength: float) -> float:
    if strength < 0:
        raise ValueError(f"regularisation strength must be non-negative, got {strength!r}")
    return float(strength)


@_NAMES.register("none")
def no_penalty(strength: float = 0.0) -> Penalty:
    """A penalty that is always zero (``strength`` is accepted for a uniform signature and ignored)."""
    _check_strength(strength)

    def penalty(model: nn.Module) -> Tensor:
        return torch.zeros(())

    return penalty


@_NAMES.register("l1")
def l1_penalty(strength: float) -> Penalty:
    """``strength · Σ |w|`` over prunable weights: drives individual weights to zero.

    Han et al., 2015, "Learning both Weights and Connections for Efficient Neural Networks" (L1
    regularisation before magnitude pruning).
    """
    strength = _check_strength(strength)

    def penalty(model: nn.Module) -> Tensor:
        terms = (layer.weight.abs().sum() for layer in prunable_layers(model).values())
        return strength * sum(terms, start=torch.zeros(()))

    return penalty


@_NAMES.register("group_lasso")
def group_lasso_penalty(strength: float) -> Penalty:
    """``strength · Σ_units ||w_unit||_2``: drives whole neurons / filters to zero.

    Wen et al., 2016, "Learning Structured Sparsity in Deep Neural Networks" (filter-wise / neuron-wise
    group lasso): each group is one output unit's incoming weights (a Linear row, a Conv2d filter). The
    gradient of the norm at an all-zero group is taken as zero (PyTorch's subgradient), so dead units
    stay put.
    """
    strength = _check_strength(strength)

    def penalty(model: nn.Module) -> Tensor:
        norms = (
            torch.linalg.vector_norm(layer.weight.reshape(layer.weight.shape[0], -1), dim=1).sum()
            for layer in prunable_layers(model).values()
        )
        return strength * sum(norms, start=torch.zeros(()))

    return penalty


def get_regularizer(name: str, strength: float) -> Penalty:
    """The penalty registered under ``name`` at ``strength``.

    Raises:
        ValueError: If ``name`` is unknown; the message lists the known regularizers.
    """
    return _NAMES.get(name)(strength)
