"""Serving runtimes (torch eager, TorchScript, ONNX Runtime) behind one interface, chosen by measurement.

Every runtime maps ``float32 N x D`` features to ``N x C`` class probabilities (softmax included, so an
ONNX-served model needs no torch for inference). :func:`select_runtime` times each runtime on one thread
(warm-up first, median of ``repeats`` calls per batch size), checks that its probabilities match eager
within ``tolerance`` on the whole sample, and picks the fastest runtime that matches. "Fastest" is the
geometric mean over the batch sizes of the median latency relative to eager, so batch-1 latency and
batch-32 throughput count equally whatever their absolute scale.

int8 artifacts (``metadata["quantization"]``): only eager is valid, the others are skipped and reported.
ONNX cannot export ``quantized::linear_dynamic`` (``UnsupportedOperatorError``); tracing the int8 module
does work in torch 2.13, but the project keeps quantized models on the eager path.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import statistics
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from prunegate.core.quantization import QUANTIZATION_KEY, build_module_for
from prunegate.core.serialization import ModelArtifact, load_artifact

__all__ = [
    "EAGER",
    "ONNX",
    "ONNX_FILE",
    "RUNTIMES",
    "TORCHSCRIPT",
    "EagerRuntime",
    "OnnxRuntime",
    "Runtime",
    "RuntimeChoice",
    "TorchScriptRuntime",
    "export_onnx",
    "load_runtime",
    "select_runtime",
]

logger = logging.getLogger(__name__)

EAGER, TORCHSCRIPT, ONNX = "eager", "torchscript", "onnx"
RUNTIMES = (EAGER, TORCHSCRIPT, ONNX)
ONNX_FILE = "model.onnx"
MODEL_FILE = "model.pt"
DEFAULT_WARMUP = 10  # calls per runtime and batch size before timing starts
ONNX_OPSET = 17
_MS_PER_S = 1000.0
_TRACE_DEPRECATED = r"`torch\.jit\.trace(_method)?` is deprecated"
# The TorchScript-based ONNX exporter (dynamo=False, the path verified here) is deprecated in torch 2.13
# but works; its two known notices are silenced around the call.
_LEGACY_EXPORT = (r"You are using the legacy TorchScript-based ONNX export", r"The feature will be removed")


class Runtime(Protocol):
    """Anything that turns ``float32 N x D`` features into ``N x C`` probabilities (rows sum to 1)."""

    name: str

    def predict_proba(self, features: np.ndarray) -> np.ndarray: ...


class _Probabilities(nn.Module):
    """The model followed by a softmax: the graph that TorchScript and ONNX see."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(x), dim=1)


class EagerRuntime:
    """The torch module as built from the artifact (int8-aware), under ``torch.inference_mode``."""

    name = EAGER

    def __init__(self, module: nn.Module) -> None:
        self._module = _Probabilities(module).eval()

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return self._module(torch.from_numpy(features)).numpy()


class TorchScriptRuntime:
    """``torch.jit.trace`` of the float module (with softmax); tracing is deterministic, nothing is stored.

    torch 2.13 deprecates ``torch.jit.trace`` (in favour of ``torch.compile``/``torch.export``) but it
    works; that one known warning is silenced here.
    """

    name = TORCHSCRIPT

    def __init__(self, module: nn.Module, in_features: int) -> None:
        example = torch.zeros(1, in_features)
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", _TRACE_DEPRECATED, DeprecationWarning)
            self._traced = torch.jit.trace(_Probabilities(module).eval(), example, check_trace=False)

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return self._traced(torch.from_numpy(features)).numpy()


class OnnxRuntime:
    """An ``onnxruntime.InferenceSession`` on one intra-op thread; no torch at inference time."""

    name = ONNX

    def __init__(self, onnx_path: Path) -> None:
        from prunegate.serving.no_telemetry import turn_off_telemetry

        turn_off_telemetry()  # before the first import of onnxruntime, which reads it once
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input: features})[0]


def export_onnx(module: nn.Module, in_features: int, path: Path) -> Path:
    """Export ``module`` + softmax to ONNX (TorchScript exporter, dynamic batch axis) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        for message in _LEGACY_EXPORT:
            warnings.filterwarnings("ignore", message, DeprecationWarning)
        torch.onnx.export(
            _Probabilities(module).eval(),
            (torch.zeros(1, in_features),),
            str(path),
            input_names=["features"],
            output_names=["probabilities"],
            dynamic_axes={"features": {0: "batch"}, "probabilities": {0: "batch"}},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    return path


def load_runtime(name: str, model_dir: Path, artifact: ModelArtifact | None = None) -> Runtime:
    """Build runtime ``name`` from a store directory (``model.pt``, and ``model.onnx`` for ONNX).

    Args:
        name: one of :data:`RUNTIMES`.
        model_dir: the stored version's folder.
        artifact: the already loaded (verified) ``model.pt``; loaded from ``model_dir`` when omitted.

    Raises:
        ValueError: on an unknown runtime name, or a non-eager runtime for an int8 artifact.
        FileNotFoundError: ONNX was asked for but ``model.onnx`` is missing.
    """
    if name not in RUNTIMES:
        raise ValueError(f"unknown runtime {name!r}; known runtimes: {list(RUNTIMES)}")
    if name == ONNX:
        onnx_path = Path(model_dir) / ONNX_FILE
        if not onnx_path.is_file():
            raise FileNotFoundError(f"runtime onnx needs {onnx_path}, which does not exist")
        return OnnxRuntime(onnx_path)
    artifact = artifact if artifact is not None else load_artifact(Path(model_dir) / MODEL_FILE)
    if name != EAGER and artifact.metadata.get(QUANTIZATION_KEY) is not None:
        raise ValueError(f"runtime {name} is not valid for an int8 artifact: only eager is")
    module = build_module_for(artifact)
    if name == TORCHSCRIPT:
        return TorchScriptRuntime(module, artifact.spec.in_features)
    return EagerRuntime(module)


@dataclass
class RuntimeChoice:
    """The chosen runtime and the evidence: per-runtime median latencies (ms) and parity with eager."""

    name: str
    latency_ms: dict[str, dict[int, float]] = field(default_factory=dict)
    max_abs_diff: dict[str, float] = field(default_factory=dict)
    tolerance: float = 0.0
    skipped: dict[str, str] = field(default_factory=dict)
    onnx_path: Path | None = None

    def report(self) -> list[dict[str, Any]]:
        """One row per runtime, for a table: latencies per batch size, parity, chosen or why skipped."""
        rows = []
        for runtime in RUNTIMES:
            row: dict[str, Any] = {"runtime": runtime, "chosen": runtime == self.name}
            if runtime in self.skipped:
                row["skipped"] = self.skipped[runtime]
            else:
                row.update({f"latency_ms_b{b}": ms for b, ms in self.latency_ms[runtime].items()})
                row["max_abs_diff"] = self.max_abs_diff[runtime]
                row["matches"] = self.max_abs_diff[runtime] <= self.tolerance
            rows.append(row)
        return rows


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _median_ms(runtime: Runtime, sample: np.ndarray, size: int, repeats: int, warmup: int) -> float:
    """Median latency of ``predict_proba`` on ``size`` rows (the sample tiled if it is smaller)."""
    batch = np.ascontiguousarray(np.resize(sample, (size, sample.shape[1])))
    for _ in range(warmup):
        runtime.predict_proba(batch)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        runtime.predict_proba(batch)
        timings.append((time.perf_counter() - start) * _MS_PER_S)
    return statistics.median(timings)


def _candidates(artifact: ModelArtifact, module: nn.Module, work_dir: Path) -> tuple[dict, dict, Path | None]:
    runtimes: dict[str, Runtime] = {EAGER: EagerRuntime(module)}
    if artifact.metadata.get(QUANTIZATION_KEY) is not None:
        reason = f"int8 ({artifact.metadata[QUANTIZATION_KEY]}) artifact: only eager is valid"
        return runtimes, {TORCHSCRIPT: reason, ONNX: reason}, None
    runtimes[TORCHSCRIPT] = TorchScriptRuntime(module, artifact.spec.in_features)
    onnx_path = export_onnx(module, artifact.spec.in_features, work_dir / ONNX_FILE)
    runtimes[ONNX] = OnnxRuntime(onnx_path)
    return runtimes, {}, onnx_path


def _speed_score(latency: dict[int, float], eager: dict[int, float]) -> float:
    ratios = [latency[size] / eager[size] for size in latency]
    return float(np.exp(np.mean(np.log(ratios))))


def select_runtime(
    artifact: ModelArtifact,
    sample: np.ndarray,
    *,
    batch_sizes: Sequence[int] = (1, 32),
    repeats: int,
    tolerance: float = 1e-5,
    warmup: int = DEFAULT_WARMUP,
    work_dir: Path | None = None,
) -> RuntimeChoice:
    """Benchmark every valid runtime on one thread and pick the fastest whose probabilities match eager.

    Args:
        artifact: the model to serve.
        sample: ``float32 N x D`` representative inputs (parity is checked on all of them; timing batches
            are its first rows, tiled when the sample is smaller than a batch).
        batch_sizes: batch sizes to time.
        repeats: timed calls per runtime and batch size (the median is kept).
        tolerance: largest allowed max-abs difference of probabilities against eager.
        warmup: untimed calls before timing.
        work_dir: where ``model.onnx`` is exported (a new temporary folder when omitted; not deleted, the
            caller copies it into the store).

    Returns:
        The choice, with per-runtime latencies, parity numbers, skipped runtimes and the ONNX file path
        (``None`` unless ONNX was chosen).
    """
    features = np.ascontiguousarray(sample, dtype=np.float32)
    folder = Path(work_dir) if work_dir is not None else Path(tempfile.mkdtemp(prefix="prunegate-onnx-"))
    module = build_module_for(artifact)
    runtimes, skipped, onnx_path = _candidates(artifact, module, folder)
    with _one_thread():
        reference = runtimes[EAGER].predict_proba(features)
        choice = RuntimeChoice(name=EAGER, tolerance=tolerance, skipped=skipped)
        for name, runtime in runtimes.items():
            choice.max_abs_diff[name] = float(np.max(np.abs(runtime.predict_proba(features) - reference)))
            choice.latency_ms[name] = {
                size: _median_ms(runtime, features, size, repeats, warmup) for size in batch_sizes
            }
    eager = choice.latency_ms[EAGER]
    matching = [name for name in runtimes if choice.max_abs_diff[name] <= tolerance]
    choice.name = min(matching, key=lambda name: _speed_score(choice.latency_ms[name], eager))
    for name in set(runtimes) - set(matching):
        logger.warning("runtime %s differs from eager by %.1e: not eligible", name, choice.max_abs_diff[name])
    choice.onnx_path = onnx_path if choice.name == ONNX else None
    if choice.onnx_path is None and work_dir is None:
        shutil.rmtree(folder, ignore_errors=True)  # our own scratch folder, nothing in it is needed
    logger.info("serving runtime: %s (%s)", choice.name, choice.report())
    return choice
