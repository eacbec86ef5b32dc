"""The efficiency of one model (size, MACs, latency, energy) beside its headline test accuracy.

What each stage (training, pruning, distillation) records for the model it writes, under the same keys
for every model. The gate's fuller view of quality (calibration, robustness, OOD, slices) is
:mod:`prunegate.core.quality`; the evaluation pipeline measures every model with both, once
(:mod:`prunegate.pipelines.evaluation.measure`).

Accuracy comes from :mod:`prunegate.core.metrics`, efficiency from :mod:`prunegate.core.profiling`; the
artifact's bytes on disk are measured raw and zlib-compressed (the latter shows what unstructured
sparsity saves in storage even though the tensors stay dense).
"""

from __future__ import annotations

import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from prunegate.core.energy import estimate_energy, measure_rapl_joules
from prunegate.core.metrics import classification_metrics
from prunegate.core.profiling import profile_model
from prunegate.core.serialization import ModelArtifact, save_artifact
from prunegate.core.training import predict_logits

__all__ = [
    "ProfileSettings",
    "artifact_sizes",
    "energy_metrics",
    "measure_model",
    "reproducible_metrics",
]

_RUN_SPECIFIC_PREFIXES = ("latency_", "measured_")  # timings and metered energy change from run to run
_MICRO = 1e6
_METERED_CALLS = 2000


@dataclass(frozen=True)
class ProfileSettings:
    """How latency is measured: batches, warm-up runs, timed repeats, threads (from parameters)."""

    latency_batches: tuple[int, ...] = (1, 256)
    warmup: int = 10
    repeats: int = 50
    threads: int = 1


def reproducible_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """``metrics`` without the timings and metered energy (``latency_*``, ``measured_*``), which change
    from run to run.

    What goes into a model file must be the same for the same seed and data, so that the file's bytes
    (and DVC's lock file) do not change when nothing did; timings stay in the metrics files.
    """
    return {key: value for key, value in metrics.items() if not key.startswith(_RUN_SPECIFIC_PREFIXES)}


def artifact_sizes(artifact: ModelArtifact) -> dict[str, int]:
    """``size_bytes`` of the saved file and ``size_bytes_zlib`` of its zlib-compressed bytes."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "size_probe.pt"
        save_artifact(artifact, path)
        data = path.read_bytes()
    return {"size_bytes": len(data), "size_bytes_zlib": len(zlib.compress(data, level=9))}


def measure_model(
    module: nn.Module,
    test: tuple[torch.Tensor, torch.Tensor],
    num_classes: int,
    settings: ProfileSettings,
) -> dict[str, float | int]:
    """Test-split quality and the efficiency profile of ``module`` under the same stable keys."""
    features, targets = test
    metrics: dict[str, float | int] = classification_metrics(
        predict_logits(module, features), targets, num_classes
    )
    metrics.update(
        profile_model(
            module,
            (features.shape[1],),
            latency_batches=settings.latency_batches,
            warmup=settings.warmup,
            repeats=settings.repeats,
            threads=settings.threads,
        )
    )
    metrics.update(energy_metrics(module, features.shape[1]))
    metrics["test_rows"] = len(targets)
    return metrics


def energy_metrics(module: nn.Module, in_features: int) -> dict[str, float]:
    """``estimated_energy_uj`` per inference (:mod:`prunegate.core.energy`), and ``measured_energy_uj``
    from the RAPL counters where the machine has them (batch 1, one thread, the whole CPU package).

    A dynamically quantized module's int8 layers are invisible to the estimate (their weights are not
    parameters): estimate the float module instead.
    """
    metrics = {"estimated_energy_uj": estimate_energy(module, (in_features,)).total_joules * _MICRO}
    row = torch.zeros(1, in_features)

    def one_inference() -> None:
        with torch.inference_mode():
            module(row)

    measured = measure_rapl_joules(one_inference, _METERED_CALLS)
    if measured is not None:
        metrics["measured_energy_uj"] = measured * _MICRO
    return metrics
