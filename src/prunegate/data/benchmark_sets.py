"""Harder built-in benchmark sets, generated offline and deterministically (no download).

Digits cannot tell pruning methods apart: a small dense network trained from scratch ties every method on
them. These sets are big and varied enough that capacity matters:

- ``digits_affine_32``: scikit-learn's 8x8 digits upsampled to 32x32 (bilinear), each drawn several times
  under a random affine transform (rotation, scale, shear, translation) with Gaussian pixel noise; an
  image task for ``resnet`` / ``mobilenet`` (``input_shape: [1, 32, 32]``), in the spirit of the
  "affNIST"-style augmented digit benchmarks.
- ``signal_templates``: 1-D signals of ``length`` samples, one class per template shape (sine burst,
  chirp, square pulse train, sawtooth, damped oscillation, double Gaussian bump, ...), each drawn with a
  random time shift, amplitude, time stretch, baseline drift and noise; a signal task for ``resnet1d`` /
  ``gru`` (``input_shape: [1, length]``), built like the synthetic control / shapelet sets of the UCR
  time-series archive.

Both return a DataFrame of float32 feature columns and an integer ``target``; the same seed gives the
same bytes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

__all__ = ["digits_affine_32", "signal_templates"]

_DIGITS_SIDE = 8


def digits_affine_32(copies: int = 3, side: int = 32, noise: float = 0.08, seed: int = 0) -> pd.DataFrame:
    """``copies`` random affine views of each of the 1,797 digits at ``side`` x ``side`` pixels in [0, 1]."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0  # N x 1 x 8 x 8
    images = F.interpolate(images, size=(side, side), mode="bilinear", align_corners=False)
    generator = torch.Generator().manual_seed(seed)
    views, labels = [], []
    for _ in range(copies):
        count = len(images)
        angle = (torch.rand(count, generator=generator) - 0.5) * math.radians(40)
        scale = 0.8 + 0.35 * torch.rand(count, generator=generator)
        shear = (torch.rand(count, generator=generator) - 0.5) * 0.4
        shift = (torch.rand(count, 2, generator=generator) - 0.5) * 0.3
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        theta = torch.stack(
            [torch.stack([cos, -sin + shear, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
        )
        grid = F.affine_grid(theta, list(images.shape), align_corners=False)
        warped = F.grid_sample(images, grid, padding_mode="zeros", align_corners=False)
        warped = warped + noise * torch.randn(warped.shape, generator=generator)
        views.append(warped.clamp(0.0, 1.0).flatten(1))
        labels.append(torch.tensor(bunch.target))
    pixels = torch.cat(views).numpy().round(4).astype(np.float32)
    columns = [f"pixel_{row}_{col}" for row in range(side) for col in range(side)]
    frame = pd.DataFrame(pixels, columns=columns)
    frame["target"] = torch.cat(labels).numpy()
    return frame


def _template(kind: int, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Class ``kind``'s waveform on ``t`` in [0, 1) (already shifted and stretched)."""
    window = np.exp(-(((t - 0.5) / 0.18) ** 2))
    shapes = [
        lambda: np.sin(2 * np.pi * 8 * t) * window,  # sine burst
        lambda: np.sin(2 * np.pi * (2 + 14 * t) * t) * window,  # up-chirp
        lambda: np.sign(np.sin(2 * np.pi * 5 * t)) * window,  # square pulse train
        lambda: (2 * ((6 * t) % 1.0) - 1) * window,  # sawtooth
        lambda: np.exp(-6 * np.clip(t - 0.3, 0, None)) * np.sin(2 * np.pi * 10 * np.clip(t - 0.3, 0, None)),
        lambda: np.exp(-(((t - 0.35) / 0.05) ** 2)) + np.exp(-(((t - 0.65) / 0.05) ** 2)),  # two bumps
        lambda: np.exp(-(((t - 0.5) / 0.05) ** 2)) - 0.6 * np.exp(-(((t - 0.58) / 0.05) ** 2)),  # bump, dip
        lambda: (
            np.sin(2 * np.pi * 8 * t) * window * (1 + 0.8 * np.sin(2 * np.pi * 2 * t + rng.uniform(0, 0.3)))
        ),
    ]
    return shapes[kind]()


def signal_templates(
    classes: int = 8, per_class: int = 600, length: int = 128, noise: float = 0.35, seed: int = 0
) -> pd.DataFrame:
    """``classes`` x ``per_class`` noisy, shifted, scaled and stretched signals of ``length`` samples."""
    if not 2 <= classes <= 8:
        raise ValueError(f"classes must be between 2 and 8 (there are 8 templates), got {classes}")
    rng = np.random.default_rng(seed)
    base = np.linspace(0.0, 1.0, length, endpoint=False)
    rows, labels = [], []
    for kind in range(classes):
        for _ in range(per_class):
            stretch = rng.uniform(0.8, 1.25)
            shift = rng.uniform(-0.25, 0.25)
            t = (base - 0.5 - shift) / stretch + 0.5
            signal = rng.uniform(0.5, 1.5) * _template(kind, t, rng)
            drift = rng.uniform(-0.3, 0.3) * (base - 0.5) + rng.uniform(-0.3, 0.3)
            rows.append(signal + drift + noise * rng.standard_normal(length))
            labels.append(kind)
    order = rng.permutation(len(rows))
    values = np.asarray(rows, dtype=np.float32)[order].round(4)
    frame = pd.DataFrame(values, columns=[f"t_{index:03d}" for index in range(length)])
    frame["target"] = np.asarray(labels)[order]
    return frame
