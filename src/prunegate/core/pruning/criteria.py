"""Importance criteria: how much each weight and each unit (neuron / conv channel) matters.

Every criterion scores the weights of the prunable layers (:func:`prunable_layers`); a higher score means
more important. Criteria are injected into the pruner by the caller, usually by name via
:func:`get_criterion`. Criteria that need data take a calibration batch ``(inputs, targets)``; they run the
model in eval mode, never change its weights, and leave no ``.grad`` or hooks behind (gradients come from
``torch.autograd.grad`` / ``torch.func``, which do not populate ``.grad``).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch.func import functional_call, grad, vmap
from torch.nn import functional as F

from prunegate.core.pruning.layers import prunable_layers
from prunegate.core.pruning.names import NameTable

__all__ = [
    "CRITERIA",
    "SNIP",
    "ActivationMean",
    "Calibration",
    "ImportanceCriterion",
    "LayerwiseRelevance",
    "MagnitudeL1",
    "MagnitudeL2",
    "OptimalBrainDamage",
    "TaylorFirstOrder",
    "get_criterion",
    "prunes_at_initialisation",
]

logger = logging.getLogger(__name__)

Calibration = tuple[Tensor, Tensor]

_NAMES: NameTable[type[ImportanceCriterion]] = NameTable("criterion", "criteria")
CRITERIA: dict[str, type[ImportanceCriterion]] = _NAMES.entries


class ImportanceCriterion(ABC):
    """Scores prunable weights and units; higher means more important."""

    name: ClassVar[str] = "criterion"
    # scores a model at initialisation, so the recipe prunes before training, not after (SNIP)
    prunes_at_initialisation: ClassVar[bool] = False

    @abstractmethod
    def weight_scores(self, model: nn.Module, calibration: Calibration | None = None) -> dict[str, Tensor]:
        """One score per weight, shaped like each prunable layer's weight, keyed by layer name."""

    def unit_scores(self, model: nn.Module, calibration: Calibration | None = None) -> dict[str, Tensor]:
        """One score per output unit (row of a Linear weight, filter of a Conv2d weight).

        The default sums the unit's weight scores; subclasses override it where their paper defines the
        unit (group) score differently.
        """
        return {
            name: _per_unit(scores).sum(dim=1)
            for name, scores in self.weight_scores(model, calibration).items()
        }


def _per_unit(tensor: Tensor) -> Tensor:
    """View a weight-shaped tensor as ``units x weights_per_unit``."""
    return tensor.reshape(tensor.shape[0], -1)


def _unit_scores_per_weight(model: nn.Module, units: dict[str, Tensor]) -> dict[str, Tensor]:
    """Every weight scores its unit's score (for criteria defined on units, not weights)."""
    return {
        name: units[name].view(-1, *[1] * (weight.dim() - 1)).expand_as(weight).clone()
        for name, weight in _weights(model).items()
    }


def _forward_recording_layers(model: nn.Module, inputs: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
    """One forward pass in eval mode; returns the logits and every prunable layer's output (hooks removed)."""
    layers = prunable_layers(model)
    outputs: dict[str, Tensor] = {}
    handles = [
        layer.register_forward_hook(lambda _m, _i, output, name=name: outputs.__setitem__(name, output))
        for name, layer in layers.items()
    ]
    try:
        with _eval_mode(model):
            logits = model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return logits, {name: outputs[name] for name in layers}  # in the layers' order


def _weights(model: nn.Module) -> dict[str, Tensor]:
    return {name: layer.weight.detach() for name, layer in prunable_layers(model).items()}


def _require_calibration(name: str, calibration: Calibration | None) -> Calibration:
    if calibration is None:
        raise ValueError(f"criterion '{name}' needs calibration data (inputs, targets); got None")
    inputs, targets = calibration
    if len(inputs) == 0 or len(inputs) != len(targets):
        raise ValueError(
            f"criterion '{name}' needs a non-empty calibration batch with one target per input; "
            f"got {len(inputs)} inputs and {len(targets)} targets"
        )
    return inputs, targets


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Eval mode (no dropout) for scoring; restores the previous train/eval mode."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def _loss_gradients(model: nn.Module, calibration: Calibration) -> dict[str, Tensor]:
    """dL/dW of the mean cross-entropy over the calibration batch, per prunable layer."""
    inputs, targets = calibration
    layers = prunable_layers(model)
    with _eval_mode(model):
        loss = F.cross_entropy(model(inputs), targets)
        gradients = torch.autograd.grad(loss, [layer.weight for layer in layers.values()])
    return dict(zip(layers, gradients, strict=True))


@_NAMES.register("magnitude_l1")
class MagnitudeL1(ImportanceCriterion):
    """Weight magnitude ``|w|``; a unit scores the L1 norm of its weight row / filter.

    Han et al., 2015, "Learning both Weights and Connections for Efficient Neural Networks" (per weight);
    Li et al., 2017, "Pruning Filters for Efficient ConvNets" (L1 norm of each filter).
    """

    name = "magnitude_l1"

    def weight_scores(self, model: nn.Module, calibration: Calibration | None = None) -> dict[str, Tensor]:
        return {name: weight.abs() for name, weight in _weights(model).items()}


@_NAMES.register("magnitude_l2")
class MagnitudeL2(ImportanceCriterion):
    """Squared weight magnitude ``w²``; a unit scores the L2 norm of its weight row / filter.

    Han et al., 2015, "Learning both Weights and Connections for Efficient Neural Networks"; the L2 filter
    norm is the L2 variant of Li et al., 2017, "Pruning Filters for Efficient ConvNets".
    """

    name = "magnitude_l2"

    def weight_scores(self, model: nn.Module, calibration: Calibration | None = None) -> dict[str, Tensor]:
        return {name: weight.pow(2) for name, weight in _weights(model).items()}

    def unit_scores(self, model: nn.Module, calibration: Calibration | None = None) -> dict[str, Tensor]:
        return {name: torch.linalg.vector_norm(_per_unit(w), dim=1) for name, w in _weights(model).items()}


@_NAMES.register("taylor")
class TaylorFirstOrder(ImportanceCriterion):
    """First-order Taylor estimate of the loss change when a weight is removed: ``|w · dL/dw|``.

    Molchanov et al., 2017, "Pruning Convolutional Neural Networks for Resource Efficient Inference";
    Molchanov et al., 2019, "Importance Estimation for Neural Network Pruning". ``dL/dw`` is the gradient
    of the mean cross-entropy over the calibration batch. A unit scores ``|sum_s w_s · g_s|`` over its
    weights: the first-order estimate of the loss change when the whole group is removed, the group
    criterion of Molchanov et al. 2019 (``I_S = (sum_s g_s w_s)²``, whose square root ranks identically),
    not the sum of per-weight absolute values.
    """

    name = "taylor"

    def _products(self, model: nn.Module, calibration: Calibration | None) -> dict[str, Tensor]:
        gradients = _loss_gradients(model, _require_calibration(self.name, calibration))
        return {name: weight * gradients[name] for name, weight in _weights(model).items()}

    def weight_scores(self, model: nn.Module, calibration: Calibration | None = None) -> dict[str, Tensor]:
        return {name: product.abs() for name, product in self._products(model, calibration).items()}

    def unit_scores(self, model: nn.Module, calibration: Calibration | None = None) -> dict[str, Tensor]:
        products = self._products(model, calibration)
        return {name: _per_unit(product).sum(dim=1).abs() for name, product in products.items()}


@_NAMES.register("obd")
class OptimalBrainDamage(ImportanceCriterion):
    """Optimal Brain Damage saliency ``½ · H_ii · w²`` with a diagonal Hessian.

    LeCun, Denker & Solla, 1990, "Optimal Brain Damage". ``H_ii`` is approximated by the **empirical
    Fisher** diagonal: the mean over calibration samples of the squared per-sample gradient of the
    cross-entropy, ``mean_n (dl_n/dw_i)²``. Per-sample gradients come from ``torch.func`` (``vmap`` of
    ``grad``) over microbatches, so memory stays bounded. Under the diagonal approximation saliencies add
    up, so a unit scores the sum of its weights' saliencies (the default).

    Args:
        microbatch_size: Samples whose per-sample gradients are held in memory at once.
    """

    name = "obd"

    def __init__(self, microbatch_size: int = 256) -> None:
        if microbatch_size <= 0:
            raise ValueError(f"microbatch_size must be positive, got {microbatch_size!r}")
        self.microbatch_size = microbatch_size

    def weight_scores(self, model: nn.Module, calibration: Calibration | None = None) -> dict[str, Tensor]:
        fisher = self.fisher_diagonal(model, calibration)
        return {name: 0.5 * fisher[name] * weight.pow(2) for name, weight in _weights(model).items()}

    def fisher_diagonal(self, model: nn.Module, calibration: Calibration | None) -> dict[str, Tensor]:
        """Empirical Fisher diagonal ``mean_n (dl_n/dW)²`` per prunable layer."""
        inputs, targets = _require_calibration(self.name, calibration)
        keys = {name: f"{name}.weight" for name in prunable_layers(model)}
        params = {key: value.detach() for key, value in model.named_parameters()}
        weights = {key: params.pop(key) for key in keys.values()}
        constants = {**params, **dict(model.named_buffers())}

        def sample_loss(trainable: dict[str, Tensor], x: Tensor, y: Tensor) -> Tensor:
            logits = functional_call(model, {**constants, **trainable}, (x.unsqueeze(0),))
            return F.cross_entropy(logits, y.unsqueeze(0))

        vectorised = vmap(grad(sample_loss), in_dims=(None, 0, 0))
        totals = {key: torch.zeros_like(weight) for key, weight in weights.items()}
        with _eval_mode(model):
            for start in range(0, len(inputs), self.microbatch_size):
                stop = start + self.microbatch_size
                batch = inputs[start:stop], targets[start:stop]
                try:
                    squares = {key: g.pow(2).sum(dim=0) for key, g in vectorised(weights, *batch).items()}
                except RuntimeError as error:  # ops vmap cannot batch (e.g. recurrent layers): one by one
                    logger.debug("obd: per-sample gradients without vmap (%s)", error)
                    squares = _looped_squared_gradients(sample_loss, weights, *batch)
                for key in totals:
                    totals[key] += squares[key]
        return {name: totals[key] / len(inputs) for name, key in keys.items()}


def _looped_squared_gradients(
    sample_loss: Any, weights: dict[str, Tensor], inputs: Tensor, targets: Tensor
) -> dict[str, Tensor]:
    """Sum over samples of squared per-sample gradients, one sample at a time."""
    totals = {key: torch.zeros_like(weight) for key, weight in weights.items()}
    for x, y in zip(inputs, targets, strict=True):
        for key, gradient in grad(sample_loss)(weights, x, y).items():
            totals[key] += gradient.pow(2)
    return totals


@_NAMES.register("snip")
class SNIP(ImportanceCriterion):
    """Connection sensitivity ``|g · w|`` normalised to sum to 1 over all prunable weights.

    Lee, Ajanthan & Torr, 2019, "SNIP: Single-shot Network Pruning based on Connection Sensitivity". The
    sensitivity of the loss to a connection mask ``c`` at ``c = 1`` is ``g · w``; it is meant to be
    computed once, on a model at initialisation, to prune before training.
    """

    name = "snip"
    prunes_at_initialisation = True

    def weight_scores(self, model: nn.Module, calibration: Calibration | None = None) -> dict[str, Tensor]:
        gradients = _loss_gradients(model, _require_calibration(self.name, calibration))
        sensitivities = {name: (weight * gradients[name]).abs() for name, weight in _weights(model).items()}
        total = sum(float(value.sum()) for value in sensitivities.values())
        if total == 0.0:
            logger.warning("snip: every connection sensitivity is zero; returning all-zero scores")
            return sensitivities
        return {name: value / total for name, value in sensitivities.items()}


@_NAMES.register("activation")
class ActivationMean(ImportanceCriterion):
    """Mean post-ReLU activation of each unit over the calibration batch (and spatial positions).

    Activation-based relevance: Hu et al., 2016, "Network Trimming: A Data-Driven Neuron Pruning Approach
    towards Efficient Deep Architectures" (units that rarely activate are redundant); the mean-activation
    criterion of Molchanov et al., 2017, "Pruning Convolutional Neural Networks for Resource Efficient
    Inference". Activations are read with forward hooks on each prunable layer, to which the ReLU that
    follows it in :mod:`prunegate.core.models` is applied. A weight scores its unit's score.
    """

    name = "activation"

    def unit_scores(self, model: nn.Module, calibration: Calibration | None = None) -> dict[str, Tensor]:
        inputs, _ = _require_calibration(self.name, calibration)
        with torch.no_grad():
            _, outputs = _forward_recording_layers(model, inputs)
        return {
            name: torch.relu(output).mean(dim=[0, *range(2, output.dim())])
            for name, output in outputs.items()
        }

    def weight_scores(self, model: nn.Module, calibration: Calibration | None = None) -> dict[str, Tensor]:
        return _unit_scores_per_weight(model, self.unit_scores(model, calibration))


@_NAMES.register("lrp")
class LayerwiseRelevance(ImportanceCriterion):
    """Layer-wise relevance of each unit for the true class: Yeom et al., 2021, "Pruning by Explaining".

    Relevance propagation (Bach et al., 2015) redistributes the true-class logit backwards onto the
    units; a unit's relevance, summed over its positions and averaged over the calibration samples, is
    its importance. The LRP-0 rule is used, computed as ``activation x d logit / d activation`` at each
    layer's output, which equals LRP-0 relevance for networks of linear layers, convolutions and ReLUs
    (Ancona et al., 2018, "Towards better understanding of gradient-based attribution methods"; Montavon
    et al., 2019, "Layer-Wise Relevance Propagation: An Overview") and needs no per-operation rules, so it
    works on any graph. Yeom et al. use the epsilon and alpha-beta rules, which keep relevance
    non-negative; here a unit scores the magnitude of its total relevance. A weight scores its unit's score.
    """

    name = "lrp"

    def unit_scores(self, model: nn.Module, calibration: Calibration | None = None) -> dict[str, Tensor]:
        inputs, targets = _require_calibration(self.name, calibration)
        logits, outputs = _forward_recording_layers(model, inputs)
        true_class = logits.gather(1, targets.view(-1, 1)).sum()
        names = list(outputs)
        gradients = torch.autograd.grad(true_class, [outputs[name] for name in names])
        scores = {}
        for name, gradient in zip(names, gradients, strict=True):
            relevance = outputs[name].detach() * gradient  # N x units (x positions)
            per_unit = relevance.flatten(2).sum(dim=2) if relevance.dim() > 2 else relevance
            scores[name] = per_unit.mean(dim=0).abs()
        return scores

    def weight_scores(self, model: nn.Module, calibration: Calibration | None = None) -> dict[str, Tensor]:
        return _unit_scores_per_weight(model, self.unit_scores(model, calibration))


def prunes_at_initialisation(name: str) -> bool:
    """Whether the criterion registered under ``name`` prunes a model at initialisation (before training)."""
    return _NAMES.get(name).prunes_at_initialisation


def get_criterion(name: str, **kwargs: Any) -> ImportanceCriterion:
    """Instantiate the criterion registered under ``name`` with ``kwargs``.

    Raises:
        ValueError: If ``name`` is unknown; the message lists the known criteria.
    """
    return _NAMES.get(name)(**kwargs)
