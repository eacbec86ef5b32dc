"""Size, compute and latency profile shared by every model (dense, pruned, distilled).

MACs come from torch's own FLOP counter (``torch.utils.flop_counter.FlopCounterMode``), which counts
matmuls and convolutions (2 FLOPs per multiply-accumulate; bias adds, activations and pooling are not
counted). Latency is wall-clock time of eager forward passes under ``torch.inference_mode`` with a fixed
thread count, reported as percentiles. Batch-1 latency of small models is dominated by per-call overhead,
so structured pruning typically shows its speedup at larger batches.

Two kinds of timing, for two questions:

- *a median* (which runtime is fastest, how long one served row takes, a layer's latency cost):
  :func:`median_latency_ms`, torch's own ``torch.utils.benchmark.Timer.blocked_autorange`` (blocks of
  calls sized by the timer, GC off while timing, the accelerator synchronised, median over blocks);
- *the reported metrics* ``latency_ms_p50`` / ``p95``: :func:`measure_latency` and
  :func:`measure_latency_paired` time each call on its own, because p95 is a per-call tail that a block
  average hides, and the paired form interleaves several models call by call so that load on a shared
  machine falls on all of them alike (the Timer times one statement at a time).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.benchmark import Timer
from torch.utils.flop_counter import FlopCounterMode

from prunegate.core.serialization import ModelArtifact, save_artifact

__all__ = [
    "DEFAULT_LATENCY_BATCHES",
    "DEFAULT_REPEATS",
    "DEFAULT_WARMUP",
    "count_macs",
    "count_macs_by_module",
    "count_nonzero_params",
    "count_params",
    "measure_latency",
    "measure_latency_paired",
    "median_latency_ms",
    "median_model_latency_ms",
    "profile_model",
    "serialized_size_bytes",
]

logger = logging.getLogger(__name__)

DEFAULT_WARMUP = 10
DEFAULT_REPEATS = 50
DEFAULT_LATENCY_BATCHES: tuple[int, ...] = (1, 256)
_FLOPS_PER_MAC = 2
_NS_PER_MS = 1e6
_INPUT_SEED = 0


def count_params(model: nn.Module) -> int:
    """Number of parameter elements (buffers such as standardisation statistics are not counted)."""
    return sum(parameter.numel() for parameter in model.parameters())


def count_nonzero_params(model: nn.Module) -> int:
    """Number of parameter elements that are not exactly zero (buffers not counted)."""
    return sum(int(torch.count_nonzero(parameter.detach())) for parameter in model.parameters())


def count_macs(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-accumulates of one forward pass at batch 1, from ``FlopCounterMode`` (FLOPs / 2)."""
    counter = _run_flop_counter(model, input_shape)
    return counter.get_total_flops() // _FLOPS_PER_MAC


def count_macs_by_module(model: nn.Module, input_shape: Sequence[int]) -> dict[str, int]:
    """MACs at batch 1 per leaf-level qualified module name (e.g. ``conv_layers.0``, ``classifier``).

    Useful as per-layer costs for budget allocation. Only modules that run counted ops appear.
    """
    counter = _run_flop_counter(model, input_shape)
    root = type(model).__name__
    names = {name for name, _ in model.named_modules() if name}
    macs: dict[str, int] = {}
    for scope, counts in counter.get_flop_counts().items():
        name = scope.removeprefix(f"{root}.")
        if name in names and not any(other.startswith(f"{name}.") for other in names):
            macs[name] = sum(counts.values()) // _FLOPS_PER_MAC
    return macs


def serialized_size_bytes(artifact_or_path: ModelArtifact | str | os.PathLike[str]) -> int:
    """Bytes on disk of a saved artifact file, or of ``artifact`` once saved with ``save_artifact``."""
    if isinstance(artifact_or_path, ModelArtifact):
        with tempfile.TemporaryDirectory() as directory:
            target = Path(directory) / "model.pt"
            save_artifact(artifact_or_path, target)
            return target.stat().st_size
    path = Path(artifact_or_path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {path} does not exist")
    return path.stat().st_size


def median_latency_ms(
    call: Callable[[], object], *, min_run_time_s: float, threads: int | None = None
) -> float:
    """Median wall time of one ``call()`` in milliseconds, by ``Timer.blocked_autorange``.

    The timer first sizes a block of calls (those calls warm the callable up), then times blocks until
    ``min_run_time_s`` has passed, and returns the median of the per-call times of the blocks.

    Args:
        call: what to time, with no arguments (a model on a fixed batch, a runtime's ``predict_proba``).
        min_run_time_s: how long to keep timing; a longer run gives a steadier median.
        threads: torch's intra-op threads while timing; the current count when omitted (the Timer's own
            default is 1).
    """
    if min_run_time_s <= 0:
        raise ValueError(f"min_run_time_s must be > 0, got {min_run_time_s!r}")
    timer = Timer(stmt="call()", globals={"call": call}, num_threads=threads or torch.get_num_threads())
    return timer.blocked_autorange(min_run_time=min_run_time_s).median * 1e3


def median_model_latency_ms(
    model: nn.Module,
    input_shape: Sequence[int],
    batch_size: int,
    *,
    min_run_time_s: float,
    threads: int = 1,
) -> float:
    """Median forward-pass time of ``model`` on a fixed random batch (eval and inference mode), in ms."""
    inputs = _example_input(model, input_shape, batch_size)
    with _eval_mode(model), torch.inference_mode():
        return median_latency_ms(lambda: model(inputs), min_run_time_s=min_run_time_s, threads=threads)


def measure_latency(
    model: nn.Module,
    input_shape: Sequence[int],
    batch_size: int,
    *,
    warmup: int = DEFAULT_WARMUP,
    repeats: int = DEFAULT_REPEATS,
    threads: int = 1,
) -> dict[str, float]:
    """Forward-pass latency in milliseconds: ``p50_ms``, ``p95_ms``, ``mean_ms`` over ``repeats`` runs.

    Runs in eval mode under ``torch.inference_mode`` with ``torch.set_num_threads(threads)``; the
    previous thread count and train/eval mode are restored afterwards. ``warmup`` runs are not timed.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0, got {warmup!r}")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats!r}")
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads!r}")
    inputs = _example_input(model, input_shape, batch_size)
    timings_ns = np.empty(repeats, dtype=np.float64)
    with _num_threads(threads), _eval_mode(model), torch.inference_mode():
        for _ in range(warmup):
            model(inputs)
        for index in range(repeats):
            start = time.perf_counter_ns()
            model(inputs)
            timings_ns[index] = time.perf_counter_ns() - start
    return _latency_summary(timings_ns)


def measure_latency_paired(
    models: Mapping[str, nn.Module],
    input_shape: Sequence[int],
    batch_size: int,
    *,
    warmup: int = DEFAULT_WARMUP,
    repeats: int = DEFAULT_REPEATS,
    threads: int = 1,
) -> dict[str, dict[str, float]]:
    """Latency of several models timed interleaved: ``{name: {p50_ms, p95_ms, mean_ms}}``.

    Each of the ``repeats`` rounds times one forward pass of every model, in an order that rotates from
    round to round, so a burst of load on a shared machine falls on all of them alike. Models timed one
    after the other, seconds apart, are not comparable on such a machine: two identical models measured
    in two separate passes differed by 81 % (0.137 vs 0.248 ms at batch 256) in one CI run. Same
    settings and contract as :func:`measure_latency`.
    """
    if not models:
        raise ValueError("measure_latency_paired needs at least one model")
    if batch_size < 1 or warmup < 0 or repeats < 1 or threads < 1:
        raise ValueError(
            f"batch_size, repeats and threads must be >= 1 and warmup >= 0, got {batch_size!r}, "
            f"{repeats!r}, {threads!r} and {warmup!r}"
        )
    names = list(models)
    inputs = {name: _example_input(models[name], input_shape, batch_size) for name in names}
    timings_ns = {name: np.empty(repeats, dtype=np.float64) for name in names}
    with ExitStack() as stack:
        stack.enter_context(_num_threads(threads))
        for model in models.values():
            stack.enter_context(_eval_mode(model))
        stack.enter_context(torch.inference_mode())
        for _ in range(warmup):
            for name in names:
                models[name](inputs[name])
        for index in range(repeats):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                start = time.perf_counter_ns()
                models[name](inputs[name])
                timings_ns[name][index] = time.perf_counter_ns() - start
    return {name: _latency_summary(timings_ns[name]) for name in names}


def _latency_summary(timings_ns: np.ndarray) -> dict[str, float]:
    timings_ms = timings_ns / _NS_PER_MS
    return {
        "p50_ms": float(np.percentile(timings_ms, 50)),
        "p95_ms": float(np.percentile(timings_ms, 95)),
        "mean_ms": float(timings_ms.mean()),
    }


def profile_model(
    model: nn.Module,
    input_shape: Sequence[int],
    *,
    latency_batches: Sequence[int] = DEFAULT_LATENCY_BATCHES,
    warmup: int = DEFAULT_WARMUP,
    repeats: int = DEFAULT_REPEATS,
    threads: int = 1,
    artifact: ModelArtifact | str | os.PathLike[str] | None = None,
) -> dict[str, float | int]:
    """Flat, stable-keyed profile: ``params``, ``nonzero_params``, ``macs``,
    ``latency_ms_p50_b{batch}``, ``latency_ms_p95_b{batch}`` per batch, and ``size_bytes`` if ``artifact``
    (an artifact or a saved file) is given.
    """
    profile: dict[str, float | int] = {
        "params": count_params(model),
        "nonzero_params": count_nonzero_params(model),
        "macs": count_macs(model, input_shape),
    }
    for batch in latency_batches:
        latency = measure_latency(model, input_shape, batch, warmup=warmup, repeats=repeats, threads=threads)
        profile[f"latency_ms_p50_b{batch}"] = latency["p50_ms"]
        profile[f"latency_ms_p95_b{batch}"] = latency["p95_ms"]
    if artifact is not None:
        profile["size_bytes"] = serialized_size_bytes(artifact)
    logger.info("model profile: %s", profile)
    return profile


def _run_flop_counter(model: nn.Module, input_shape: Sequence[int]) -> FlopCounterMode:
    inputs = _example_input(model, input_shape, batch_size=1)
    counter = FlopCounterMode(display=False)
    with _eval_mode(model), torch.inference_mode(), counter:
        model(inputs)
    return counter


def _example_input(model: nn.Module, input_shape: Sequence[int], batch_size: int) -> torch.Tensor:
    reference = next(iter(model.parameters()), None)
    generator = torch.Generator().manual_seed(_INPUT_SEED)
    inputs = torch.randn((batch_size, *input_shape), generator=generator)
    if reference is not None:
        inputs = inputs.to(device=reference.device, dtype=reference.dtype)
    return inputs


@contextmanager
def _num_threads(threads: int) -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training
