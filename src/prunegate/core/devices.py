"""Where a training loop runs: the CPU, or a CUDA GPU (one per process under DDP).

``device`` is ``cpu`` (the default), ``cuda`` or ``auto`` (CUDA when this torch sees a GPU, else the CPU).
Under DDP on GPUs every process trains on its own GPU, ``cuda:<LOCAL_RANK>``, and the processes talk over
NCCL; on the CPU they talk over gloo (PyTorch's recommendation for each, "torch.distributed" docs).

Only training moves to the device: a model leaves :func:`~prunegate.core.training.train_model` on the CPU
again, since pruning, measurement, export and serving all run on the CPU.
"""

from __future__ import annotations

import os

import torch

__all__ = ["DEVICES", "check_device", "collective_backend", "resolve_device", "training_device"]

DEVICES = ("cpu", "cuda", "auto")


def check_device(device: str, processes: int = 1) -> None:
    """Refuse a device this machine cannot give ``processes`` processes (one GPU each on CUDA).

    On the CPU each process needs a core of its own.

    Raises:
        ValueError: an unknown name, more processes than CPU cores, ``cuda`` without a GPU (or on a
            CPU-only torch), or fewer GPUs than processes.
    """
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; known: {', '.join(DEVICES)}")
    if resolve_device_name(device) == "cpu":
        cores = os.cpu_count() or 1
        if processes > cores:
            raise ValueError(f"nproc_per_node {processes} is more than this machine's {cores} CPU cores")
        return
    if not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
        raise ValueError(
            f"device 'cuda' needs a GPU, and this torch ({torch.__version__}, {build}) sees none; "
            "'auto' takes a GPU only when there is one"
        )
    gpus = torch.cuda.device_count()
    if processes > gpus:
        raise ValueError(f"{processes} processes on device 'cuda' need a GPU each; this machine has {gpus}")


def resolve_device_name(device: str) -> str:
    """``cpu`` or ``cuda``: what ``auto`` means on this machine (not checked)."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def resolve_device(device: str) -> str:
    """``cpu`` or ``cuda``: what ``auto`` means on this machine (checked with :func:`check_device`)."""
    check_device(device)
    return resolve_device_name(device)


def collective_backend(device: str) -> str:
    """The process-group backend for training on ``device``: NCCL between GPUs, gloo between CPUs."""
    return "nccl" if resolve_device(device) == "cuda" else "gloo"


def training_device(device: str) -> torch.device:
    """The device this process trains on: ``cuda:<LOCAL_RANK>`` on GPUs (0 outside torchrun), or the CPU."""
    if resolve_device(device) == "cpu":
        return torch.device("cpu")
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
