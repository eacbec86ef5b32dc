"""Static post-training int8 quantization of an exported ONNX model (ONNX Runtime's QDQ format).

Weights are int8 with one scale per output channel (Krishnamoorthi, 2018, "Quantizing deep convolutional
networks for efficient inference: A whitepaper", which shows per-channel weights keep the accuracy that
per-tensor scales lose), activations are uint8 with scales fixed ahead of time from calibration rows
(min/max over the rows), so every layer runs in integer arithmetic end to end (Jacob et al., 2018,
"Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only Inference"). This is
what makes int8 faster on a CPU: the project's dynamic int8 (:mod:`prunegate.core.quantization`)
quantizes activations per batch and leaves convolutions float, and was measured slower than float.

Backend: ``onnxruntime.quantization`` (``quant_pre_process`` for shape inference and graph fusion, then
``quantize_static`` with ``QuantFormat.QDQ``). ONNX Runtime fuses the QuantizeLinear/DequantizeLinear
pairs into ``QLinearConv``, ``QGemm``, ``QLinearAdd`` ... when the session is created. uint8 activations
with int8 weights (U8S8) is the combination ONNX Runtime recommends on x86; the final softmax is kept
float so the served probabilities are not rounded to 1/256. Convolutions with fewer than
:data:`MIN_INT8_CHANNELS` output channels stay float too: ONNX Runtime's int8 convolution is an im2col
GEMM that gains nothing on a handful of output channels, while its float convolution uses blocked
(NCHWc) kernels. Measured on a 10x-pruned zoo ResNet at 32x32 (5- and 8-channel early layers, one
thread, batch 32): all convolutions int8 0.84x the float speed, those with 16+ channels only 2.3x.

Whether int8 is worth serving is measured, not assumed: :func:`prunegate.serving.runtimes.select_runtime`
checks its accuracy against the float model on labelled rows and times it like every other runtime.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["CALIBRATION_BATCH", "MIN_INT8_CHANNELS", "STATIC_INT8_FILE", "quantize_static_int8"]

logger = logging.getLogger(__name__)

STATIC_INT8_FILE = "model.int8.onnx"
CALIBRATION_BATCH = 32
MIN_INT8_CHANNELS = 16
_FLOAT_OPS = ("Softmax",)  # kept float: probabilities must not be rounded to uint8 steps


def _onnx_quantization():
    """``onnxruntime.quantization``, imported with telemetry off (it imports onnxruntime)."""
    from prunegate.serving.no_telemetry import turn_off_telemetry

    turn_off_telemetry()
    from onnxruntime import quantization

    return quantization


def quantize_static_int8(
    float_onnx: Path, calibration: np.ndarray, out: Path, *, min_channels: int = MIN_INT8_CHANNELS
) -> Path:
    """Write the static int8 (QDQ, per-channel weights) version of ``float_onnx`` to ``out``.

    Args:
        float_onnx: a float model exported with input ``features`` (``N x D`` float32).
        calibration: ``float32 N x D`` rows whose activation ranges fix the scales (training rows: the
            test rows must not tune anything that is then scored on them).
        out: the file to write (its folder is created).
        min_channels: convolutions with fewer output channels stay float.

    Returns:
        ``out``.

    Raises:
        ValueError: if ``calibration`` is empty or not two-dimensional.
    """
    rows = np.ascontiguousarray(calibration, dtype=np.float32)
    if rows.ndim != 2 or len(rows) == 0:
        raise ValueError(f"calibration needs at least one row of N x D features, got shape {rows.shape}")
    quantization = _onnx_quantization()
    import onnx

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    starts = range(0, len(rows), CALIBRATION_BATCH)
    batches = [{"features": rows[start : start + CALIBRATION_BATCH]} for start in starts]

    class _Rows(quantization.CalibrationDataReader):
        def __init__(self) -> None:
            self._batches = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._batches, None)

    with tempfile.TemporaryDirectory(prefix="prunegate-int8-") as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        quantization.shape_inference.quant_pre_process(str(float_onnx), str(prepared))
        graph = onnx.load(str(prepared)).graph
        float_ops = _float_nodes(graph, min_channels)
        quantization.quantize_static(
            str(prepared),
            str(out),
            _Rows(),
            quant_format=quantization.QuantFormat.QDQ,
            per_channel=True,
            activation_type=quantization.QuantType.QUInt8,
            weight_type=quantization.QuantType.QInt8,
            nodes_to_exclude=float_ops,
            calibrate_method=quantization.CalibrationMethod.MinMax,
        )
    logger.info("static int8 model written to %s (%d calibration rows)", out, len(rows))
    return out


def _float_nodes(graph, min_channels: int) -> list[str]:
    """Nodes kept float: the softmax, and convolutions with fewer than ``min_channels`` output channels."""
    weights = {initializer.name: initializer for initializer in graph.initializer}
    kept = []
    for node in graph.node:
        narrow = (
            node.op_type == "Conv"
            and len(node.input) > 1
            and node.input[1] in weights
            and weights[node.input[1]].dims[0] < min_channels
        )
        if node.op_type in _FLOAT_OPS or narrow:
            kept.append(node.name)
    return kept
