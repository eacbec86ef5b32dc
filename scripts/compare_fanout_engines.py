"""Dask vs Ray for the sweep's fan-out: local 2-worker cluster start, 4 small torch tasks, shutdown.

The measurement behind choosing Dask (src/prunegate/fanout.py). Ray is not a dependency of prunegate:
run this in a separate virtualenv,

    python3 -m venv /tmp/engines && /tmp/engines/bin/pip install torch==2.13.0 ray dask[distributed]
    RAY_USAGE_STATS_ENABLED=0 /tmp/engines/bin/python scripts/compare_fanout_engines.py dask ray dask ray

Measured on the 2-core CI machine (ray 2.60.0, dask/distributed 2026.8.0): dask start 1.0-1.1 s, tasks
2.0-2.5 s, total 4.2-4.4 s; ray start 3.1-4.3 s, tasks 3.4-10.8 s, total 8.8-15.2 s; installed size
24 MB (dask + distributed) vs 240 MB (ray).
"""

from __future__ import annotations

import sys
import time


def small_torch_task(value: int) -> float:
    import torch

    return float(torch.ones(3).sum()) + value


def _dask() -> tuple[float, float, float]:
    from distributed import Client, LocalCluster

    started = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    ready = time.perf_counter()
    client.gather(client.map(small_torch_task, range(4)))
    done = time.perf_counter()
    client.close()
    cluster.close()
    return ready - started, done - ready, time.perf_counter() - started


def _ray() -> tuple[float, float, float]:
    import ray

    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ready = time.perf_counter()
    remote = ray.remote(num_cpus=1)(small_torch_task)
    ray.get([remote.remote(value) for value in range(4)])
    done = time.perf_counter()
    ray.shutdown()
    return ready - started, done - ready, time.perf_counter() - started


if __name__ == "__main__":
    for engine in sys.argv[1:] or ["dask", "ray"]:
        start, tasks, total = {"dask": _dask, "ray": _ray}[engine]()
        sys.stdout.write(f"{engine}: start {start:.1f} s, 4 tasks {tasks:.1f} s, total {total:.1f} s\n")
