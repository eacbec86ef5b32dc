"""Seeded, deterministic training loop: AdamW, cosine learning-rate decay, early stopping on val loss.

The loop is shared by training, fine-tuning after pruning and distillation; the hooks are the only
difference between them:

- ``loss_fn(logits, targets, inputs)`` replaces cross-entropy (distillation adds the teacher's soft loss);
- ``regularizer(model)`` is added to the loss (L1 / group-lasso sparsity regularisation);
- ``after_step(model)`` runs after every optimiser step (re-applying pruning masks).

Early stopping keeps the weights of the epoch with the lowest validation loss (Prechelt, 1998,
"Early Stopping - But When?").

Inside a process group of several ranks (:mod:`prunegate.core.distributed`) the same loop is data-parallel:
the model is wrapped in ``DistributedDataParallel``, each rank trains on its ``DistributedSampler`` shard of
the rows with ``batch_size / world_size`` rows per step (so the global batch, and the learning rate that
suits it, stay those of one process), and the early-stopping decision and the kept weights are rank 0's.

``TrainConfig.device`` moves the work to a GPU (:mod:`prunegate.core.devices`): the model and the rows go
to the device for the loop and the model comes back to the CPU with its kept weights.
"""

from __future__ import annotations

import logging
import math
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler
from tqdm.auto import tqdm

from prunegate.core.devices import training_device
from prunegate.core.distributed import broadcast_from_rank0, process_group_world

__all__ = [
    "DEFAULT_MIN_STD_RATIO",
    "TrainConfig",
    "TrainResult",
    "copy_standardization",
    "cosine_learning_rate",
    "fit_standardization",
    "predict_logits",
    "seed_everything",
    "split_accuracy",
    "train_model",
]

logger = logging.getLogger(__name__)

LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TrainConfig:
    """Tunables of one training run (validated upstream, at the node boundary)."""

    epochs: int = 60
    batch_size: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    warmup_epochs: int = 0
    patience: int = 10
    min_delta: float = 1e-4
    seed: int = 0
    show_progress: bool = True
    device: str = "cpu"  # cpu | cuda | auto (prunegate.core.devices)


@dataclass
class TrainResult:
    """What happened: per-epoch history, the epoch whose weights were kept, and whether it stopped early."""

    best_epoch: int
    best_val_loss: float
    stopped_early: bool
    history: list[dict[str, float]] = field(default_factory=list)


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch and make torch deterministic on CPU; returns a seeded generator."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


def cosine_learning_rate(epoch: int, base_lr: float, total_epochs: int, warmup_epochs: int = 0) -> float:
    """Linear warm-up then cosine decay to zero (Loshchilov & Hutter, 2017, SGDR), per epoch."""
    if warmup_epochs and epoch < warmup_epochs:
        return base_lr * (epoch + 1) / warmup_epochs
    progress = (epoch - warmup_epochs) / max(1, total_epochs - warmup_epochs)
    return 0.5 * base_lr * (1.0 + math.cos(math.pi * min(1.0, progress)))


DEFAULT_MIN_STD_RATIO = 0.5
_CONSTANT_STD = 1e-6  # below this a column is constant: it is centred and left unscaled (std 1)


def fit_standardization(
    model: nn.Module, features: torch.Tensor, min_std_ratio: float = DEFAULT_MIN_STD_RATIO
) -> None:
    """Set the model's input standardisation buffers from training features.

    Constant columns get std 1. Near-constant columns are divided by a floor, ``min_std_ratio`` times the
    median std of the non-constant columns, instead of their own tiny std: otherwise a feature that barely
    varies in training (a border pixel of the digits) is amplified up to 1/std, and input noise the model
    never saw becomes huge activations. Measured on the digits (dense MLP, 3 seeds, test split): accuracy
    under Gaussian pixel noise sigma=2 goes from 0.28 +/- 0.03 without a floor to 0.96 +/- 0.00 with 0.5,
    clean accuracy 0.979 +/- 0.004 vs 0.977 +/- 0.008 (one test row is 0.0037). ``0`` turns it off.
    """
    if min_std_ratio < 0:
        raise ValueError(f"min_std_ratio must be >= 0, got {min_std_ratio}")
    mean = features.mean(dim=0)
    std = features.std(dim=0, unbiased=False)
    varying = std > _CONSTANT_STD
    if min_std_ratio > 0 and bool(varying.any()):
        std = torch.where(varying, std.clamp(min=min_std_ratio * float(std[varying].median())), std)
    std = torch.where(varying, std, torch.ones_like(std))
    model.standardize.input_mean.copy_(mean)
    model.standardize.input_std.copy_(std)


@torch.no_grad()
def copy_standardization(source: nn.Module, target: nn.Module) -> None:
    """Give ``target`` the input standardisation of ``source`` (a student sees inputs as its teacher does)."""
    target.standardize.input_mean.copy_(source.standardize.input_mean)
    target.standardize.input_std.copy_(source.standardize.input_std)


@torch.no_grad()
def predict_logits(model: nn.Module, features: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Logits for ``features`` in eval mode; restores the module's previous train/eval mode."""
    was_training = model.training
    model.eval()
    outputs = [model(features[start : start + batch_size]) for start in range(0, len(features), batch_size)]
    model.train(was_training)
    return torch.cat(outputs) if outputs else torch.empty(0)


def split_accuracy(model: nn.Module, split: tuple[torch.Tensor, torch.Tensor]) -> float:
    """Top-1 accuracy of ``model`` on a ``(features, targets)`` split, in eval mode."""
    features, targets = split
    return (predict_logits(model, features).argmax(1) == targets).float().mean().item()


def _cross_entropy(logits: torch.Tensor, targets: torch.Tensor, _inputs: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits, targets)


class _EpochOrder:
    """The order of the training rows each epoch: a seeded permutation, or this rank's sampler shard."""

    def __init__(self, rows: int, batch_size: int, seed: int, generator: torch.Generator) -> None:
        self.generator = generator
        self.rows = rows
        world = process_group_world()
        self.sampler = None
        self.batch_size = batch_size
        if world is not None:
            rank, world_size = world
            self.sampler = DistributedSampler(range(rows), num_replicas=world_size, rank=rank, seed=seed)
            self.batch_size = max(1, math.ceil(batch_size / world_size))

    def indices(self, epoch: int) -> torch.Tensor:
        if self.sampler is None:
            return torch.randperm(self.rows, generator=self.generator)
        self.sampler.set_epoch(epoch)
        return torch.tensor(list(self.sampler), dtype=torch.long)


def _collective_device(device: torch.device) -> torch.device:
    """Where tensors sent between ranks live: NCCL only moves GPU tensors, gloo CPU ones."""
    return device if device.type == "cuda" else torch.device("cpu")


def _sum_across_ranks(*values: float, device: torch.device) -> list[float]:
    if process_group_world() is None:
        return list(values)
    total = torch.tensor(values, dtype=torch.float64, device=_collective_device(device))
    torch.distributed.all_reduce(total)
    return total.tolist()


def _wrap_for_ranks(model: nn.Module, device: torch.device) -> nn.Module:
    """The module the forward pass goes through: the model, or its DDP wrapper inside a process group."""
    if process_group_world() is None:
        return model
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def train_model(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    config: TrainConfig,
    *,
    loss_fn: LossFn | None = None,
    regularizer: Callable[[nn.Module], torch.Tensor] | None = None,
    after_step: Callable[[nn.Module], None] | None = None,
    description: str = "train",
) -> TrainResult:
    """Train ``model`` in place and leave it holding the weights of its best validation epoch."""
    generator = seed_everything(config.seed)
    loss_fn = loss_fn or _cross_entropy
    device = training_device(config.device)
    if config.device != "cpu":  # say where `auto` or `cuda` trains
        logger.info("%s: on %s (device %s)", description, device, config.device)
    home = next((parameter.device for parameter in model.parameters()), torch.device("cpu"))
    model.to(device)
    features, targets = (tensor.to(device) for tensor in train)
    val_features, val_targets = (tensor.to(device) for tensor in val)
    # under DDP the forward pass goes through the wrapper (it averages gradients across ranks); the hooks,
    # validation and the kept weights use the module itself
    forward = _wrap_for_ranks(model, device)
    epoch_order = _EpochOrder(len(features), config.batch_size, config.seed, generator)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    best_state = {key: value.detach().clone() for key, value in model.state_dict().items()}
    best_loss, best_epoch, stale_epochs = math.inf, -1, 0
    history: list[dict[str, float]] = []
    stopped_early = False

    # a progress bar only on a terminal: elsewhere (CI, a piped log) its frames pile up in the log
    shown = config.show_progress and sys.stderr.isatty()
    progress = tqdm(range(config.epochs), desc=description, disable=not shown, leave=False)
    for epoch in progress:
        lr = cosine_learning_rate(epoch, config.learning_rate, config.epochs, config.warmup_epochs)
        for group in optimizer.param_groups:
            group["lr"] = lr
        model.train()
        order = epoch_order.indices(epoch)
        epoch_loss = 0.0
        for start in range(0, len(order), epoch_order.batch_size):
            batch = order[start : start + epoch_order.batch_size]
            inputs, labels = features[batch], targets[batch]
            loss = loss_fn(forward(inputs), labels, inputs)
            if regularizer is not None:
                loss = loss + regularizer(model)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if after_step is not None:
                after_step(model)
            epoch_loss += loss.item() * len(batch)

        val_logits = predict_logits(model, val_features)
        measured = torch.tensor(
            [
                F.cross_entropy(val_logits, val_targets).item(),
                (val_logits.argmax(1) == val_targets).float().mean().item(),
            ],
            dtype=torch.float64,
            device=_collective_device(device),
        )
        broadcast_from_rank0([measured])  # every rank stops, and keeps weights, as rank 0 decides
        val_loss, val_accuracy = measured.tolist()
        epoch_loss, rows_seen = _sum_across_ranks(epoch_loss, float(len(order)), device=device)
        history.append(
            {
                "epoch": epoch,
                "lr": lr,
                "train_loss": epoch_loss / max(1.0, rows_seen),
                "val_loss": val_loss,
                "val_accuracy": val_accuracy,
            }
        )
        progress.set_postfix(val_loss=f"{val_loss:.4f}", val_acc=f"{val_accuracy:.4f}")

        # Keep the best weights; stop when the val loss has not improved for `patience` epochs.
        if val_loss < best_loss - config.min_delta:
            best_loss, best_epoch, stale_epochs = val_loss, epoch, 0
            best_state = {key: value.detach().clone() for key, value in model.state_dict().items()}
        else:
            stale_epochs += 1
            if stale_epochs >= config.patience:
                stopped_early = True
                break

    progress.close()
    model.load_state_dict(best_state)
    broadcast_from_rank0(list(model.state_dict().values()))
    model.to(home)
    model.eval()
    logger.info(
        "%s: best epoch %d of %d, val loss %.4f%s",
        description,
        best_epoch + 1,
        len(history),
        best_loss,
        " (early stop)" if stopped_early else "",
    )
    return TrainResult(
        best_epoch=best_epoch, best_val_loss=best_loss, stopped_early=stopped_early, history=history
    )
