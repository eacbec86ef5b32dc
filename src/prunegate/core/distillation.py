"""Knowledge distillation (Hinton, Vinyals & Dean, 2015, "Distilling the Knowledge in a Neural Network").

A small *student* is trained to match the temperature-softened class distribution of a trained *teacher*
as well as the hard labels. The soft term is scaled by ``T**2`` so its gradients keep the same magnitude
as the hard term's when the temperature changes (section 2 of the paper).

The loss plugs into the shared loop through ``train_model(loss_fn=...)``; early stopping is unchanged and
still selects the student's epoch with the lowest validation cross-entropy.
"""

from __future__ import annotations

import copy
import logging
import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from prunegate.core.training import (
    LossFn,
    TrainConfig,
    TrainResult,
    copy_standardization,
    train_model,
)

__all__ = ["SoftTargets", "distill", "distillation_loss_fn", "kd_loss", "soft_target_loss"]

logger = logging.getLogger(__name__)

_ALPHA_RANGE = (0.0, 1.0)


def _check_hyperparameters(temperature: float, alpha: float) -> None:
    if isinstance(temperature, bool) or not math.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
    low, high = _ALPHA_RANGE
    if isinstance(alpha, bool) or not low <= alpha <= high:
        raise ValueError(f"alpha (the weight of the soft loss) must be in [{low}, {high}], got {alpha!r}")


def kd_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    targets: torch.Tensor,
    *,
    temperature: float,
    alpha: float,
) -> torch.Tensor:
    """Hinton et al. (2015) distillation loss.

    ``alpha * T**2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * CE(student, targets)``
    with the KL divergence averaged over the batch (``batchmean``). The teacher's logits are detached:
    gradients only ever reach the student.

    Args:
        student_logits: ``N x C`` logits of the model being trained.
        teacher_logits: ``N x C`` logits of the fixed teacher on the same inputs.
        targets: ``N`` integer class labels.
        temperature: softening temperature ``T > 0``; ``T = 1`` is the plain softmax.
        alpha: weight of the soft (teacher) loss in ``[0, 1]``; ``0`` is plain cross-entropy.

    Returns:
        The scalar loss.

    Raises:
        ValueError: if ``temperature <= 0``, ``alpha`` is outside ``[0, 1]`` or the logit shapes differ.
    """
    _check_hyperparameters(temperature, alpha)
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            f"student and teacher logits must have the same shape, got {tuple(student_logits.shape)} "
            f"and {tuple(teacher_logits.shape)}"
        )
    hard = F.cross_entropy(student_logits, targets)
    soft = F.kl_div(
        F.log_softmax(student_logits / temperature, dim=1),
        F.log_softmax(teacher_logits.detach() / temperature, dim=1),
        reduction="batchmean",
        log_target=True,
    )
    return alpha * temperature**2 * soft + (1.0 - alpha) * hard


@dataclass(frozen=True)
class SoftTargets:
    """Fine-tune on a teacher's softened predictions as well as the labels (validated upstream).

    Attributes:
        temperature: softening temperature ``T > 0`` (see :func:`kd_loss`).
        alpha: weight of the soft loss in ``[0, 1]``.
    """

    temperature: float = 4.0
    alpha: float = 0.7


def soft_target_loss(teacher: nn.Module, soft_targets: SoftTargets | None) -> LossFn | None:
    """The distillation loss from ``teacher`` for a fine-tuning run, or ``None`` (labels only).

    Pruning followed by fine-tuning with the unpruned model as the teacher recovers more accuracy than
    labels alone in many reports (e.g. Hinton et al., 2015; Mishra & Marr, 2018, "Apprentice"); whether it
    does here is measured by ``make ablation``.
    """
    if soft_targets is None:
        return None
    logger.info(
        "fine-tuning on the dense model's soft targets too (distillation: temperature %g, alpha %g)",
        soft_targets.temperature,
        soft_targets.alpha,
    )
    return distillation_loss_fn(teacher, temperature=soft_targets.temperature, alpha=soft_targets.alpha)


def distillation_loss_fn(teacher: nn.Module, *, temperature: float, alpha: float) -> LossFn:
    """A ``loss_fn(logits, targets, inputs)`` for :func:`~prunegate.core.training.train_model`.

    The teacher is put in eval mode (no dropout) and its logits on ``inputs`` are computed under
    ``torch.no_grad()`` at every step, so the teacher is never updated and costs no activation memory.
    When the student trains on another device (a GPU), a copy of the teacher goes there, taken once; the
    teacher itself stays where it is.

    Args:
        teacher: the trained model whose soft predictions the student learns from.
        temperature: softening temperature ``T > 0`` (see :func:`kd_loss`).
        alpha: weight of the soft loss in ``[0, 1]`` (see :func:`kd_loss`).

    Returns:
        The loss callable.

    Raises:
        ValueError: on an invalid ``temperature`` or ``alpha`` (checked here, not at the first step).
    """
    _check_hyperparameters(temperature, alpha)
    teacher.eval()
    on_device: dict[torch.device, nn.Module] = {}

    def teacher_on(device: torch.device) -> nn.Module:
        home = next((parameter.device for parameter in teacher.parameters()), device)
        if home == device:
            return teacher
        if device not in on_device:
            on_device[device] = copy.deepcopy(teacher).to(device)
        return on_device[device]

    def loss_fn(logits: torch.Tensor, targets: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        model = teacher_on(inputs.device)
        model.eval()  # guard against a caller switching the teacher back to train mode
        with torch.no_grad():
            teacher_logits = model(inputs)
        return kd_loss(logits, teacher_logits, targets, temperature=temperature, alpha=alpha)

    return loss_fn


def distill(
    teacher: nn.Module,
    student: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    config: TrainConfig,
    *,
    temperature: float,
    alpha: float,
) -> TrainResult:
    """Train ``student`` in place from ``teacher`` with the Hinton et al. (2015) loss.

    The student takes the teacher's input standardisation (same statistics, same std floor), so both see
    the same inputs; training then runs the shared loop (AdamW, cosine schedule, early stopping on
    validation cross-entropy), leaving the student with its best validation epoch's weights. The teacher
    is not modified.

    Args:
        teacher: the trained model to distil from (left in eval mode).
        student: the (usually smaller) model to train; like the teacher, it has a ``standardize`` submodule.
        train: ``(features, targets)`` to train on.
        val: ``(features, targets)`` for early stopping.
        config: training hyperparameters.
        temperature: softening temperature ``T > 0``.
        alpha: weight of the soft loss in ``[0, 1]``.

    Returns:
        The training history of the student.
    """
    loss_fn = distillation_loss_fn(teacher, temperature=temperature, alpha=alpha)
    copy_standardization(teacher, student)
    logger.info("distilling with temperature %.3g and soft-loss weight %.3g", temperature, alpha)
    return train_model(student, train, val, config, loss_fn=loss_fn, description="distill")
