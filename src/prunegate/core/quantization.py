"""Post-training dynamic int8 quantization of ``nn.Linear`` layers.

Weights are stored as int8 with one affine scale/zero-point per tensor, and activations are quantized on
the fly per batch, so ``y = s_w * s_x * (W_q - z_w)(x_q - z_x) + b`` runs in integer arithmetic (Jacob et
al., 2018, "Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only
Inference"). Conv layers, pooling and the input standardisation stay float; no calibration data is needed.

Backend: ``torch.ao.quantization.quantize_dynamic``. In torch 2.13 it still works but emits a
``DeprecationWarning`` pointing to torchao's ``quantize_`` (a separate package, not part of torch) and a
``UserWarning`` that quantized tensor creation functions are deprecated. Those two known warnings are
silenced around the call and reported once through ``logging`` instead.

Saving: the artifact keeps the *float* spec and state dict plus ``metadata["quantization"] =
"dynamic_int8"``, and :func:`load_quantized` re-quantizes on load. Dynamic quantization is a pure function
of the float weights (per-tensor min/max observer), so the rebuilt module is bit-identical to the one
quantized at save time (same torch version and quantized engine). Measured in torch 2.13 (CPU, x86
engine): ``torch.save(quantized.state_dict())`` followed by ``torch.load(..., weights_only=True)`` *does*
work (the qint8 tensors and packed-params tuples are on the allowlist, and loading them into a freshly
quantized module reproduces the outputs), but the packed params are a tuple holding a quantized tensor,
which the checksummed, plain-tensor ``ModelArtifact`` format does not describe, and the float weights are
the better source of truth anyway (they can be re-quantized with another scheme later). The int8 size is
still measured honestly by :func:`quantized_size_bytes`.
"""

from __future__ import annotations

import copy
import functools
import io
import logging
import warnings
from collections.abc import Callable
from dataclasses import replace

import torch
from torch import nn
from torch.ao.nn.quantized import dynamic as quantized_dynamic
from torch.ao.quantization import quantize_dynamic

from prunegate.core.serialization import ModelArtifact

__all__ = [
    "DYNAMIC_INT8",
    "QUANTIZATION_KEY",
    "build_module_for",
    "is_dynamic_quantized",
    "load_quantized",
    "quantize_dynamic_int8",
    "quantized_artifact",
    "quantized_size_bytes",
]

logger = logging.getLogger(__name__)

QUANTIZATION_KEY = "quantization"
DYNAMIC_INT8 = "dynamic_int8"

# Known torch 2.13 deprecation notices raised by the eager-mode quantization API (see module docstring).
_KNOWN_WARNINGS: tuple[tuple[type[Warning], str], ...] = (
    (DeprecationWarning, r"torch\.ao\.quantization is deprecated"),
    (UserWarning, r"torch\.quantize_per_tensor.*deprecated"),
)


@functools.cache
def _note_deprecation_once() -> None:
    logger.info(
        "torch %s: torch.ao.quantization.quantize_dynamic is deprecated in favour of torchao's quantize_ "
        "(not installed, not part of torch); it still works and is used here",
        torch.__version__,
    )


def quantize_dynamic_int8(model: nn.Module) -> nn.Module:
    """A dynamically int8-quantized copy of ``model`` (Jacob et al., 2018); ``model`` is left untouched.

    Every ``nn.Linear`` becomes a ``torch.ao.nn.quantized.dynamic.Linear`` with per-tensor qint8 weights;
    everything else (convolutions, buffers such as the input standardisation) stays float.

    Args:
        model: a float model.

    Returns:
        The quantized copy, in eval mode (inference only: it has no trainable Linear weights).
    """
    float_copy = copy.deepcopy(model).eval()
    with warnings.catch_warnings():
        for category, message in _KNOWN_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=category)
        quantized = quantize_dynamic(float_copy, {nn.Linear}, dtype=torch.qint8, inplace=True)
    _note_deprecation_once()
    return quantized.eval()


def is_dynamic_quantized(model: nn.Module) -> bool:
    """Whether ``model`` contains at least one dynamically quantized Linear layer."""
    return any(isinstance(module, quantized_dynamic.Linear) for module in model.modules())


_QUANTIZERS: dict[str, Callable[[nn.Module], nn.Module]] = {DYNAMIC_INT8: quantize_dynamic_int8}


def _quantizer_for(scheme: object) -> Callable[[nn.Module], nn.Module]:
    if scheme not in _QUANTIZERS:
        raise ValueError(f"unknown quantization scheme {scheme!r}; known schemes: {sorted(_QUANTIZERS)}")
    return _QUANTIZERS[scheme]


def quantized_artifact(float_artifact: ModelArtifact, scheme: str = DYNAMIC_INT8) -> ModelArtifact:
    """A copy of ``float_artifact`` flagged ``metadata["quantization"] = scheme``.

    The float spec and weights are kept as they are (cloned); quantization happens when the module is
    built (:func:`build_module_for`), which is deterministic.

    Args:
        float_artifact: the trained float model.
        scheme: the quantization to apply on load; only ``"dynamic_int8"`` exists.

    Returns:
        The flagged artifact (a new object; the input is not modified).

    Raises:
        ValueError: on an unknown scheme, or if the artifact is already flagged with a different one.
    """
    _quantizer_for(scheme)
    existing = float_artifact.metadata.get(QUANTIZATION_KEY)
    if existing is not None and existing != scheme:
        raise ValueError(
            f"artifact is already flagged {QUANTIZATION_KEY}={existing!r}, cannot mark {scheme!r}"
        )
    return replace(
        float_artifact,
        state_dict={key: value.detach().clone() for key, value in float_artifact.state_dict.items()},
        metadata={**copy.deepcopy(float_artifact.metadata), QUANTIZATION_KEY: scheme},
    )


def load_quantized(artifact: ModelArtifact) -> nn.Module:
    """Rebuild the float model from ``artifact`` and re-apply its flagged quantization.

    Args:
        artifact: an artifact made by :func:`quantized_artifact` (possibly saved and loaded since).

    Returns:
        The quantized module in eval mode, bit-identical to quantizing the float module directly.

    Raises:
        ValueError: if the artifact carries no quantization flag or an unknown one.
    """
    scheme = artifact.metadata.get(QUANTIZATION_KEY)
    if scheme is None:
        raise ValueError(
            f"artifact has no metadata[{QUANTIZATION_KEY!r}]; use artifact.build_module() for a float model"
        )
    return _quantizer_for(scheme)(artifact.build_module())


def build_module_for(artifact: ModelArtifact) -> nn.Module:
    """The servable module of ``artifact``: quantized if it is flagged, else ``artifact.build_module()``."""
    if artifact.metadata.get(QUANTIZATION_KEY) is None:
        return artifact.build_module()
    return load_quantized(artifact)


def quantized_size_bytes(model: nn.Module) -> int:
    """Bytes of ``torch.save(model.state_dict())`` for a quantized model: the int8 weights as stored.

    Comparable with the float artifact's size (``profiling.serialized_size_bytes``); float layers that
    are not quantized (convolutions, standardisation buffers) are included at their float size.

    Args:
        model: the output of :func:`quantize_dynamic_int8`.

    Raises:
        ValueError: if ``model`` has no dynamically quantized layer (a float model was passed).
    """
    if not is_dynamic_quantized(model):
        raise ValueError("model has no dynamically quantized Linear layer; quantize it first")
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes
