"""Estimated energy of one inference, layer by layer, from published per-operation energies.

The model follows Yang et al., 2017, "Designing Energy-Efficient Convolutional Neural Networks Using
Energy-Aware Pruning" (CVPR): a layer's energy is its computation plus its data movement, and data
movement is charged by the level of the memory hierarchy it comes from, because a DRAM access costs two
orders of magnitude more than a multiply-accumulate. The per-operation energies are Horowitz's 45 nm
figures (Horowitz, 2014, "Computing's Energy Problem (and what we can do about it)", ISSCC), which Yang
et al. also build on:

- a 32-bit float multiply-accumulate: 3.7 pJ (multiply) + 0.9 pJ (add) = 4.6 pJ;
- a 32-bit DRAM read: 640 pJ (160 pJ per byte);
- a 32-bit read from an 8 KB on-chip SRAM: 5 pJ (1.25 pJ per byte).

At batch 1 (a served request) no weight is reused across rows, so every weight of a layer is read from
DRAM once per inference; a layer's input and output activations move through the on-chip cache when
they fit in ``cache_bytes``, else through DRAM. This is coarser than Yang et al.'s dataflow model
(which counts reuse inside a row-stationary array), but it keeps what makes energy differ from MACs: a
fully connected layer touches each weight for one MAC and is dominated by DRAM traffic, a convolution
reuses each weight over the whole feature map and is dominated by computation. So an energy budget
prunes different layers than a MAC budget.

The estimate is a model, not a measurement: where the machine exposes a power meter, measure it
(:func:`rapl_energy_available`); this project's CI machine has none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from prunegate.core.profiling import count_macs_by_module

__all__ = ["EnergyCosts", "EnergyEstimate", "estimate_energy", "measure_rapl_joules", "rapl_energy_available"]

PICO = 1e-12
RAPL_ROOT = Path("/sys/class/powercap")


@dataclass(frozen=True)
class EnergyCosts:
    """Per-operation energies in picojoules (Horowitz, 2014, 45 nm) and the on-chip cache size."""

    mac_pj: float = 4.6
    dram_pj_per_byte: float = 160.0
    cache_pj_per_byte: float = 1.25
    cache_bytes: int = 1 << 20
    bytes_per_value: int = 4  # float32 weights and activations


@dataclass(frozen=True)
class EnergyEstimate:
    """Joules of one inference (batch 1): the total, its three parts, and each layer's total."""

    total_joules: float
    compute_joules: float
    weight_joules: float
    activation_joules: float
    per_layer: dict[str, float] = field(default_factory=dict)


def _leaf_traffic(model: nn.Module, example: torch.Tensor) -> dict[str, tuple[int, int, int]]:
    """Per leaf module with parameters: (weight values, input values, output values) at batch 1."""
    traffic: dict[str, tuple[int, int, int]] = {}
    handles = []
    for name, module in model.named_modules():
        if not name or any(True for _ in module.children()):
            continue
        weights = sum(p.numel() for p in module.parameters(recurse=False))
        if weights == 0:
            continue

        def record(mod, inputs, output, name=name, weights=weights):
            first = inputs[0] if inputs else None
            values_in = first.numel() if isinstance(first, torch.Tensor) else 0
            values_out = output.numel() if isinstance(output, torch.Tensor) else 0
            previous = traffic.get(name, (weights, 0, 0))
            traffic[name] = (weights, previous[1] + values_in, previous[2] + values_out)

        handles.append(module.register_forward_hook(record))
    try:
        with torch.inference_mode():
            model(example)
    finally:
        for handle in handles:
            handle.remove()
    return traffic


def estimate_energy(
    model: nn.Module, input_shape: Sequence[int], costs: EnergyCosts | None = None
) -> EnergyEstimate:
    """The estimated energy of one forward pass of ``model`` on one row of ``input_shape``.

    Args:
        model: a float module (its training/eval mode is restored afterwards).
        input_shape: one row's shape without the batch axis, e.g. ``(64,)``.
        costs: per-operation energies; Horowitz's 45 nm figures by default.

    Returns:
        The estimate: computation (MACs), weights (read from DRAM once) and activations (each layer's
        input and output through the cache, or DRAM when they do not fit), in joules, and per layer.
    """
    costs = costs or EnergyCosts()
    was_training = model.training
    model.eval()
    try:
        example = torch.zeros(1, *input_shape)
        macs = count_macs_by_module(model, tuple(input_shape))
        traffic = _leaf_traffic(model, example)
    finally:
        model.train(was_training)
    compute = weights_j = activations = 0.0
    per_layer: dict[str, float] = {}
    for name in sorted(set(macs) | set(traffic)):
        weight_values, values_in, values_out = traffic.get(name, (0, 0, 0))
        layer_compute = macs.get(name, 0) * costs.mac_pj
        layer_weights = weight_values * costs.bytes_per_value * costs.dram_pj_per_byte
        moved = (values_in + values_out) * costs.bytes_per_value
        per_byte = costs.cache_pj_per_byte if moved <= costs.cache_bytes else costs.dram_pj_per_byte
        layer_activations = moved * per_byte
        compute += layer_compute
        weights_j += layer_weights
        activations += layer_activations
        per_layer[name] = (layer_compute + layer_weights + layer_activations) * PICO
    return EnergyEstimate(
        total_joules=(compute + weights_j + activations) * PICO,
        compute_joules=compute * PICO,
        weight_joules=weights_j * PICO,
        activation_joules=activations * PICO,
        per_layer=per_layer,
    )


def _rapl_counters(root: Path) -> list[Path]:
    """The package-level RAPL counters (``intel-rapl:N/energy_uj``) that can be read, or none."""
    counters = []
    for path in sorted(root.glob("intel-rapl:*/energy_uj")):
        try:
            int(path.read_text())
        except (OSError, ValueError):
            continue
        counters.append(path)
    return counters


def rapl_energy_available(root: Path = RAPL_ROOT) -> bool:
    """Whether this machine exposes Intel RAPL energy counters that this process can read."""
    return bool(_rapl_counters(root))


def measure_rapl_joules(run: Callable[[], object], calls: int, root: Path = RAPL_ROOT) -> float | None:
    """Measured joules per call of ``run`` from the RAPL package counters, or ``None`` without them.

    The counters cover the whole CPU package (other processes included) and wrap around at
    ``max_energy_range_uj``; a wrapped counter is unwrapped once.

    Args:
        run: one inference.
        calls: how many times to call it between the two readings.
        root: the powercap folder (``/sys/class/powercap``).
    """
    counters = _rapl_counters(root)
    if not counters:
        return None
    before = [int(path.read_text()) for path in counters]
    for _ in range(calls):
        run()
    total = 0
    for path, start in zip(counters, before, strict=True):
        end = int(path.read_text())
        if end < start:
            limit = path.with_name("max_energy_range_uj")
            end += int(limit.read_text()) if limit.is_file() else 0
        total += end - start
    return total * 1e-6 / calls
