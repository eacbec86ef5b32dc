"""Serving runtimes (torch eager, TorchScript, ONNX Runtime float and static int8) behind one interface,
chosen by measurement.

Every runtime maps ``float32 N x D`` features to ``N x C`` class probabilities (softmax included, so an
ONNX-served model needs no torch for inference). :func:`select_runtime` times each runtime on one thread
(warm-up first, median of ``repeats`` calls per batch size) and picks the fastest eligible one. The exact
runtimes (eager, TorchScript, ONNX) are eligible when their probabilities match eager within
``tolerance`` on the whole sample. Static int8 (:mod:`prunegate.serving.static_int8`, calibrated on
training rows) cannot match to 1e-5 by construction: it is eligible when its accuracy on labelled rows
(the test split) is at most ``max_accuracy_drop`` below the float model's, and is only offered when such
rows are given. "Fastest" is the geometric mean over the batch sizes of the median latency relative to
eager, so batch-1 latency and batch-32 throughput count equally whatever their absolute scale.

int8 artifacts (``metadata["quantization"]``): only eager is valid, the others are skipped and reported.
ONNX cannot export ``quantized::linear_dynamic`` (``UnsupportedOperatorError``); tracing the int8 module
does work in torch 2.13, but the project keeps quantized models on the eager path.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from prunegate.core.profiling import median_latency_ms
from prunegate.core.quantization import QUANTIZATION_KEY, build_module_for
from prunegate.core.serialization import ModelArtifact, load_artifact
from prunegate.serving.static_int8 import STATIC_INT8_FILE, quantize_static_int8

__all__ = [
    "EAGER",
    "EXACT_RUNTIMES",
    "ONNX",
    "ONNX_FILE",
    "ONNX_INT8",
    "RUNTIMES",
    "RUNTIME_FILES",
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

EAGER, TORCHSCRIPT, ONNX, ONNX_INT8 = "eager", "torchscript", "onnx", "onnx_int8"
RUNTIMES = (EAGER, TORCHSCRIPT, ONNX, ONNX_INT8)
EXACT_RUNTIMES = (EAGER, TORCHSCRIPT, ONNX)  # same probabilities as eager, up to float rounding
ONNX_FILE = "model.onnx"
RUNTIME_FILES = {ONNX: ONNX_FILE, ONNX_INT8: STATIC_INT8_FILE}  # what a stored version needs besides model.pt
MODEL_FILE = "model.pt"
ONNX_OPSET = 17
_ACCURACY_EPSILON = 1e-9  # accuracies are ratios of row counts: compare them without float noise
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

    def __init__(self, onnx_path: Path, name: str = ONNX) -> None:
        self.name = name
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
        FileNotFoundError: an ONNX runtime was asked for but its file is missing.
    """
    if name not in RUNTIMES:
        raise ValueError(f"unknown runtime {name!r}; known runtimes: {list(RUNTIMES)}")
    if name in RUNTIME_FILES:
        onnx_path = Path(model_dir) / RUNTIME_FILES[name]
        if not onnx_path.is_file():
            raise FileNotFoundError(f"runtime {name} needs {onnx_path}, which does not exist")
        return OnnxRuntime(onnx_path, name)
    artifact = artifact if artifact is not None else load_artifact(Path(model_dir) / MODEL_FILE)
    if name != EAGER and artifact.metadata.get(QUANTIZATION_KEY) is not None:
        raise ValueError(f"runtime {name} is not valid for an int8 artifact: only eager is")
    module = build_module_for(artifact)
    if name == TORCHSCRIPT:
        return TorchScriptRuntime(module, artifact.spec.in_features)
    return EagerRuntime(module)


@dataclass
class RuntimeChoice:
    """The chosen runtime and the evidence: per-runtime median latencies (ms), parity with eager, and for
    static int8 the accuracy on labelled rows against the float model's."""

    name: str
    latency_ms: dict[str, dict[int, float]] = field(default_factory=dict)
    max_abs_diff: dict[str, float] = field(default_factory=dict)
    tolerance: float = 0.0
    accuracy: dict[str, float] = field(default_factory=dict)
    max_accuracy_drop: float = 0.0
    skipped: dict[str, str] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def eligible(self, runtime: str) -> bool:
        """Exact runtimes: probabilities within ``tolerance`` of eager; int8: accuracy within the bound."""
        if runtime in self.skipped or runtime not in self.max_abs_diff:
            return False
        if runtime in EXACT_RUNTIMES:
            return self.max_abs_diff[runtime] <= self.tolerance
        return self.accuracy_drop(runtime) <= self.max_accuracy_drop + _ACCURACY_EPSILON

    def accuracy_drop(self, runtime: str) -> float:
        """Float (eager) accuracy minus ``runtime``'s on the labelled rows (positive: worse)."""
        return self.accuracy[EAGER] - self.accuracy[runtime]

    @property
    def stored_file(self) -> Path | None:
        """The file the chosen runtime needs in the store besides ``model.pt`` (``None`` for torch)."""
        return self.files.get(self.name)

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
                if runtime in EXACT_RUNTIMES:
                    row["matches"] = self.eligible(runtime)
                if runtime in self.accuracy:
                    row["accuracy"] = self.accuracy[runtime]
                if runtime == ONNX_INT8:
                    row["accuracy_drop"] = self.accuracy_drop(runtime)
                row["eligible"] = self.eligible(runtime)
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


def _median_ms(runtime: Runtime, sample: np.ndarray, size: int, timing_s: float) -> float:
    """Median latency of ``predict_proba`` on ``size`` rows (the sample tiled if it is smaller)."""
    batch = np.ascontiguousarray(np.resize(sample, (size, sample.shape[1])))
    return median_latency_ms(lambda: runtime.predict_proba(batch), min_run_time_s=timing_s, threads=1)


def _candidates(
    artifact: ModelArtifact,
    module: nn.Module,
    work_dir: Path,
    calibration: np.ndarray | None,
    labelled: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[dict[str, Runtime], dict[str, str], dict[str, Path]]:
    runtimes: dict[str, Runtime] = {EAGER: EagerRuntime(module)}
    if artifact.metadata.get(QUANTIZATION_KEY) is not None:
        reason = f"int8 ({artifact.metadata[QUANTIZATION_KEY]}) artifact: only eager is valid"
        return runtimes, {name: reason for name in RUNTIMES if name != EAGER}, {}
    runtimes[TORCHSCRIPT] = TorchScriptRuntime(module, artifact.spec.in_features)
    files = {ONNX: export_onnx(module, artifact.spec.in_features, work_dir / ONNX_FILE)}
    runtimes[ONNX] = OnnxRuntime(files[ONNX])
    skipped = {}
    if calibration is None or labelled is None:
        skipped[ONNX_INT8] = "no calibration and labelled rows were given to check its accuracy"
    else:
        files[ONNX_INT8] = quantize_static_int8(files[ONNX], calibration, work_dir / STATIC_INT8_FILE)
        runtimes[ONNX_INT8] = OnnxRuntime(files[ONNX_INT8], ONNX_INT8)
    return runtimes, skipped, files


def _speed_score(latency: dict[int, float], eager: dict[int, float]) -> float:
    ratios = [latency[size] / eager[size] for size in latency]
    return float(np.exp(np.mean(np.log(ratios))))


def select_runtime(
    artifact: ModelArtifact,
    sample: np.ndarray,
    *,
    batch_sizes: Sequence[int] = (1, 32),
    timing_s: float,
    tolerance: float = 1e-5,
    work_dir: Path | None = None,
    calibration: np.ndarray | None = None,
    labelled: tuple[np.ndarray, np.ndarray] | None = None,
    max_accuracy_drop: float = 0.005,
) -> RuntimeChoice:
    """Benchmark every valid runtime on one thread and pick the fastest eligible one.

    Args:
        artifact: the model to serve.
        sample: ``float32 N x D`` representative inputs (parity is checked on all of them; timing batches
            are its first rows, tiled when the sample is smaller than a batch).
        batch_sizes: batch sizes to time.
        timing_s: how long each runtime is timed at each batch size (``Timer.blocked_autorange``, the
            median over blocks of calls is kept; :func:`prunegate.core.profiling.median_latency_ms`).
        tolerance: largest allowed max-abs difference of probabilities against eager (exact runtimes).
        work_dir: where the ONNX files are written (a new temporary folder when omitted; not deleted, the
            caller copies the chosen runtime's file into the store).
        calibration: training rows that fix static int8's activation scales; static int8 is offered
            only with ``calibration`` and ``labelled``.
        labelled: ``(features, class indices)`` rows on which static int8's accuracy is compared with
            the float model's.
        max_accuracy_drop: largest allowed accuracy drop of static int8 below float (a fraction).

    Returns:
        The choice, with per-runtime latencies, parity and accuracy numbers, skipped runtimes and the file
        the chosen runtime needs (:attr:`RuntimeChoice.stored_file`).
    """
    features = np.ascontiguousarray(sample, dtype=np.float32)
    folder = Path(work_dir) if work_dir is not None else Path(tempfile.mkdtemp(prefix="prunegate-onnx-"))
    module = build_module_for(artifact)
    runtimes, skipped, files = _candidates(artifact, module, folder, calibration, labelled)
    choice = RuntimeChoice(
        name=EAGER, tolerance=tolerance, max_accuracy_drop=max_accuracy_drop, skipped=skipped, files=files
    )
    with _one_thread():
        reference = runtimes[EAGER].predict_proba(features)
        scored = labelled is not None and ONNX_INT8 in runtimes  # accuracy decides int8's eligibility
        if scored:
            rows, targets = np.ascontiguousarray(labelled[0], dtype=np.float32), np.asarray(labelled[1])
        for name, runtime in runtimes.items():
            choice.max_abs_diff[name] = float(np.max(np.abs(runtime.predict_proba(features) - reference)))
            if scored:
                predicted = runtime.predict_proba(rows).argmax(axis=1)
                choice.accuracy[name] = float(np.mean(predicted == targets))
            choice.latency_ms[name] = {
                size: _median_ms(runtime, features, size, timing_s) for size in batch_sizes
            }
    eager = choice.latency_ms[EAGER]
    eligible = [name for name in runtimes if choice.eligible(name)]
    choice.name = min(eligible, key=lambda name: _speed_score(choice.latency_ms[name], eager))
    for name in set(runtimes) - set(eligible):
        if name in EXACT_RUNTIMES:
            logger.warning(
                "runtime %s differs from eager by %.1e: not eligible", name, choice.max_abs_diff[name]
            )
        else:
            logger.warning(
                "runtime %s loses %.2f pp of accuracy (allowed %.2f pp): not eligible",
                name,
                100 * choice.accuracy_drop(name),
                100 * max_accuracy_drop,
            )
    if work_dir is None and choice.stored_file is None:
        shutil.rmtree(folder, ignore_errors=True)  # our own scratch folder, nothing in it is needed
    logger.info("serving runtime: %s", choice.name)
    for row in choice.report():  # one short line per runtime (the full report is in packaging.json)
        timings = ", ".join(
            f"{k.removeprefix('latency_ms_')} {v:.4f} ms" for k, v in row.items() if k.startswith("latency")
        )
        verdict = row.get("skipped") or ("eligible" if row.get("eligible") else "not eligible")
        logger.info("  %s: %s; %s", row["runtime"], timings or "-", verdict)
    return choice
