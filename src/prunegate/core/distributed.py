"""Data-parallel training with PyTorch DDP, launched by torchrun's own launcher (``torch.distributed.run``).

Every process (rank) runs the same function on the same inputs (SPMD), as a script under ``torchrun`` does:
it builds the same model from the same seed, prunes it with the same decisions, and trains it with
:func:`~prunegate.core.training.train_model`, which sees the process group and wraps the model in
``DistributedDataParallel`` (Li et al., 2020, "PyTorch Distributed: Experiences on Accelerating Data Parallel
Training") with a ``DistributedSampler`` shard of the training rows per rank. Gradients are averaged across
ranks, so the weights stay the same on every rank; the early-stopping decision and the kept weights are rank
0's, broadcast to all. Only the launching process returns a result, so the Kedro node around it writes each
artifact once.

The launch uses ``torch.distributed.launcher.api.elastic_launch``, the API behind the ``torchrun`` command:
one node by default (``rdzv_endpoint`` ``localhost:0``, as ``torchrun --standalone``), several when every
host runs the same command with the same ``rdzv_endpoint`` and ``run_id``.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, record
from torch.distributed.elastic.rendezvous.api import RendezvousError

__all__ = [
    "DistributedLaunchError",
    "DistributedSettings",
    "broadcast_from_rank0",
    "process_group_world",
    "run_distributed",
]

logger = logging.getLogger(__name__)

ResultT = TypeVar("ResultT")


class DistributedLaunchError(RuntimeError):
    """A worker of a distributed run failed; the message names the rank and its error."""


@dataclass(frozen=True)
class DistributedSettings:
    """How many processes train together.

    ``nproc_per_node`` processes on each of ``nnodes`` hosts; one process (the default) runs in this process
    with no process group at all. ``backend`` is ``gloo`` when the ranks train on CPUs and ``nccl`` on GPUs,
    one GPU per rank (:func:`prunegate.core.devices.collective_backend`).
    """

    nproc_per_node: int = 1
    nnodes: int = 1
    rdzv_endpoint: str | None = None  # host:port of the rendezvous, for more than one host
    run_id: str | None = None  # the same on every host of one run; one per launch when None
    backend: str = "gloo"

    @property
    def world_size(self) -> int:
        return self.nproc_per_node * self.nnodes


def process_group_world() -> tuple[int, int] | None:
    """``(rank, world_size)`` inside a process group of more than one process, else ``None``."""
    if not (dist.is_available() and dist.is_initialized()):
        return None
    world_size = dist.get_world_size()
    return (dist.get_rank(), world_size) if world_size > 1 else None


def broadcast_from_rank0(values: list[torch.Tensor]) -> None:
    """Overwrite ``values`` in place with rank 0's (a no-op outside a process group)."""
    if process_group_world() is None:
        return
    for value in values:
        dist.broadcast(value, src=0)


def _worker_threads(nproc_per_node: int) -> int:
    return max(1, (os.cpu_count() or 1) // nproc_per_node)


def _configure_worker_logging(rank: int) -> None:
    """Rank 0 logs like the launching process, each line marked ``[rank 0]``; the other ranks only warn.

    A spawned rank may already have the launcher's handlers (importing Kedro configures logging): they
    are kept and their lines get the rank.
    """
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
        root.setLevel(logging.INFO)
    for handler in root.handlers:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s [rank {rank}] %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
        )
    if rank != 0:
        logging.disable(logging.INFO)  # INFO and below: rank 0 already says it


@record  # a failing rank writes its error where the launcher reads it
def _worker(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    backend: str,
    threads: int,
    error_dir: str,
) -> Any:
    """One rank: join the process group, run ``fn``, and hand the result back from local rank 0 only.

    A rank that fails writes its error, with the time, to ``error_dir``: when one rank raises, the others
    fail too (their peer is gone), and the earliest error is the cause the launcher reports.
    """
    rank = int(os.environ["RANK"])
    _configure_worker_logging(rank)
    torch.set_num_threads(threads)
    if backend == "nccl":  # one GPU per rank on this host: NCCL's collectives run on the current device
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
    dist.init_process_group(backend=backend)
    try:
        result = fn(*args, **kwargs)
        dist.barrier()
    except BaseException as error:
        failure = {
            "rank": rank,
            "time_ns": time.time_ns(),
            "error": f"{type(error).__name__}: {error}",
            "traceback": traceback.format_exc(),
        }
        (Path(error_dir) / f"rank{rank}.json").write_text(json.dumps(failure))
        raise
    dist.destroy_process_group()
    return result if int(os.environ["LOCAL_RANK"]) == 0 else None


def _launch_config(settings: DistributedSettings):
    from torch.distributed.launcher.api import LaunchConfig

    single_host = settings.nnodes == 1 and settings.rdzv_endpoint is None
    return LaunchConfig(
        min_nodes=settings.nnodes,
        max_nodes=settings.nnodes,
        nproc_per_node=settings.nproc_per_node,
        run_id=settings.run_id or f"prunegate-{uuid.uuid4().hex[:12]}",
        rdzv_backend="c10d",
        rdzv_endpoint="localhost:0" if single_host else str(settings.rdzv_endpoint),
        max_restarts=0,  # a failed rank fails the run: a retry would train the same thing again
        start_method="spawn",
    )


def _first_error(error_dir: Path) -> dict[str, Any] | None:
    """The earliest error a rank wrote (the cause; the others' are the lost connection to it)."""
    failures = [json.loads(path.read_text()) for path in sorted(error_dir.glob("rank*.json"))]
    return min(failures, key=lambda failure: failure["time_ns"]) if failures else None


def _failure_message(error: Exception) -> str:
    failures = getattr(error, "failures", {})
    lines = []
    for rank, failure in sorted(failures.items()):
        message = getattr(failure, "message", None) or f"exit code {getattr(failure, 'exitcode', '?')}"
        if isinstance(message, dict):  # the error file of a @record-ed worker
            message = message.get("message", message)
        lines.append(f"rank {rank}: {message}")
    return "; ".join(lines) or str(error)


def run_distributed(
    fn: Callable[..., ResultT], *args: Any, settings: DistributedSettings, **kwargs: Any
) -> ResultT:
    """Run ``fn(*args, **kwargs)`` on ``settings.world_size`` processes and return local rank 0's result.

    With one process it is a plain call. ``fn`` and its arguments must be picklable (a module-level
    function; tensors, modules and dataclasses are): each rank gets its own copy.
    """
    if settings.world_size == 1:
        return fn(*args, **kwargs)
    from torch.distributed.launcher.api import elastic_launch

    threads = _worker_threads(settings.nproc_per_node)
    logger.info(
        "DDP: %d process(es) x %d host(s), backend %s, %d thread(s) each",
        settings.nproc_per_node,
        settings.nnodes,
        settings.backend,
        threads,
    )
    launcher_logs = logging.getLogger("torch.distributed.elastic")
    level = launcher_logs.level
    launcher_logs.setLevel(logging.CRITICAL)  # a failed rank's traceback: at DEBUG below, not as errors
    try:
        with tempfile.TemporaryDirectory(prefix="prunegate-ddp-") as error_dir:
            try:
                results = elastic_launch(_launch_config(settings), _worker)(
                    fn, args, kwargs, settings.backend, threads, error_dir
                )
            except RendezvousError as error:  # another host never came, or the endpoint is unreachable
                raise DistributedLaunchError(
                    f"the ranks could not meet at {settings.rdzv_endpoint or 'localhost'} (run_id "
                    f"{settings.run_id}): {type(error).__name__}: {error}. Check that every host runs the "
                    "same command with the same rdzv_endpoint and run_id, and that its port is reachable"
                ) from None
            except ChildFailedError as error:
                cause = _first_error(Path(error_dir))
                if cause is None:  # killed (a signal, out of memory): only the launcher knows
                    raise DistributedLaunchError(
                        f"distributed run failed: {_failure_message(error)}"
                    ) from None
                logger.debug("rank %d failed:\n%s", cause["rank"], cause["traceback"])
                raise DistributedLaunchError(
                    f"distributed run failed on rank {cause['rank']}: {cause['error']}"
                ) from None
    finally:
        launcher_logs.setLevel(level)
    returned = [value for _rank, value in sorted(results.items()) if value is not None]
    if not returned:
        raise DistributedLaunchError("distributed run returned no result from this host's local rank 0")
    return returned[0]
