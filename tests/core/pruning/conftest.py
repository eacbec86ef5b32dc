"""Tiny seeded models and calibration batches shared by the pruning tests."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from prunegate.core.models import CNNSpec, MLPSpec, build_model

SEED = 0
BATCH = 32
NUM_CLASSES = 3
MLP_SPEC = MLPSpec(in_features=8, num_classes=NUM_CLASSES, hidden=(6, 4))
CNN_SPEC = CNNSpec(in_shape=(1, 4, 4), num_classes=NUM_CLASSES, channels=(2, 3), hidden=(5,))


def _batch(in_features: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(BATCH, in_features, generator=generator)
    targets = torch.randint(0, NUM_CLASSES, (BATCH,), generator=generator)
    return inputs, targets


@pytest.fixture
def mlp() -> nn.Module:
    torch.manual_seed(SEED)
    return build_model(MLP_SPEC)


@pytest.fixture
def cnn() -> nn.Module:
    torch.manual_seed(SEED)
    return build_model(CNN_SPEC)


@pytest.fixture
def mlp_batch() -> tuple[torch.Tensor, torch.Tensor]:
    return _batch(MLP_SPEC.in_features, SEED)


@pytest.fixture
def cnn_batch() -> tuple[torch.Tensor, torch.Tensor]:
    return _batch(CNN_SPEC.in_features, SEED)
