"""``make bench-serving``: throughput and latency of the prunegate service under concurrent load.

For each server setup, a server is started on a free loopback port (``bentoml serve`` of the real
service, or uvicorn with the bare FastAPI baseline of :mod:`benchmarks.bare_fastapi`),
then loaded by :mod:`benchmarks.load` at each client count for a fixed time, then stopped:

- the prunegate service serving the dense model (``data/06_models/dense.pt``) and the compressed,
  shipped model (``data/06_models/shipped.pt``) through ``PRUNEGATE_MODEL_PATH``, each with prediction
  logging on and off (a temporary serving config through ``PRUNEGATE_SERVING_CONFIG``);
- the bare FastAPI app with the same models, logging as shipped (on).

Each model is served with the runtime packaging would choose for it (:func:`select_runtime` with the
packaging parameters: the fastest of eager / TorchScript / ONNX Runtime that matches eager), by both
servers alike.

With two or more CPUs the server (and its workers) runs on the last CPU and the load generator on the
others (``--no-pin`` to turn it off). Both servers follow the project's serving config for the access log
(``access_log``; ``--access-log`` / ``--no-access-log`` override it for both) and the service for
``dispatch`` and Prometheus ``metrics`` (``--dispatch``, ``--metrics`` / ``--no-metrics`` override them;
``--dispatch batched`` measures adaptive batching). Every request is one
row of the test split (``{"rows": [[...64 values...]]}``). Prints a markdown table and the targets
(:mod:`benchmarks.serving_report`) and writes ``data/08_reporting/bench_serving.json``.
Run ``make run`` first.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from examples.demo.server import ServerProcess, bentoml_serve_command, free_port, uvicorn_command

from benchmarks.common import write_json
from benchmarks.load import LoadSettings, run_load
from benchmarks.serving_report import (
    BARE,
    BENTOML,
    COMPRESSED,
    DENSE,
    check_targets,
    markdown_table,
    targets_text,
)
from prunegate.core.serialization import load_artifact, save_artifact
from prunegate.serving.config import (
    CONFIG_ENV,
    DEFAULT_CONFIG,
    MODEL_PATH_ENV,
    ROOT_ENV,
    SECTION,
    load_serving_config,
)
from prunegate.serving.runtimes import select_runtime

__all__ = ["ServerSetup", "main", "server_setups", "split_cpus"]

logger = logging.getLogger(__name__)

MODEL_FILES = {DENSE: "data/06_models/dense.pt", COMPRESSED: "data/06_models/shipped.pt"}
TEST_SPLIT = "data/05_model_input/test.parquet"
PACKAGING_PARAMETERS = "conf/base/parameters_packaging.yml"
OUTPUT = "data/08_reporting/bench_serving.json"
BARE_APP = "benchmarks.bare_fastapi:create_app"
DEFAULT_CLIENTS = (16, 32)
DEFAULT_DURATION_S = 15.0
DEFAULT_WARMUP_S = 3.0
DEFAULT_MAX_REQUESTS = 200_000  # per run: far above what one core serves in the duration
DEFAULT_TIMEOUT_S = 10.0
MIN_CPUS_TO_PIN = 2  # one for the server, at least one for the load generator


@dataclass(frozen=True)
class ServerSetup:
    """One server to start: which framework, which model, prediction logging on or off."""

    server: str
    model: str
    log_predictions: bool

    @property
    def label(self) -> str:
        return f"{self.server}-{self.model}-log-{'on' if self.log_predictions else 'off'}"


def server_setups() -> list[ServerSetup]:
    """The BentoML service for both models, logging on and off; the bare app for both, logging on."""
    setups = [ServerSetup(BENTOML, model, log) for model in (DENSE, COMPRESSED) for log in (True, False)]
    return setups + [ServerSetup(BARE, model, True) for model in (DENSE, COMPRESSED)]


def _test_rows(project: Path) -> np.ndarray:
    """The test split's features in the model's order (``float64 N x D``)."""
    features = load_artifact(project / MODEL_FILES[COMPRESSED]).metadata["feature_names"]
    return pd.read_parquet(project / TEST_SPLIT)[features].to_numpy(dtype=float)


def _payloads(rows: np.ndarray) -> list[bytes]:
    """One request body per test row."""
    return [json.dumps({"rows": [row]}).encode() for row in rows.tolist()]


def prepare_models(project: Path, rows: np.ndarray, scratch: Path) -> dict[str, tuple[Path, str]]:
    """Each model file copied into ``scratch`` with the runtime packaging would choose (ONNX file included).

    Returns:
        ``{model: (model file, runtime name)}``.
    """
    packaging = yaml.safe_load((project / PACKAGING_PARAMETERS).read_text())["packaging"]
    prepared = {}
    for name, relative in MODEL_FILES.items():
        folder = scratch / f"model-{name}"
        folder.mkdir()
        artifact = load_artifact(project / relative)
        save_artifact(artifact, folder / "model.pt")
        choice = select_runtime(
            artifact,
            rows.astype(np.float32),
            batch_sizes=tuple(packaging["runtime_batch_sizes"]),
            timing_s=packaging["runtime_timing_s"],
            tolerance=packaging["parity_tolerance"],
            work_dir=folder,
        )
        prepared[name] = (folder / "model.pt", choice.name)
        sys.stdout.write(f"  {name}: runtime {choice.name}\n")
    return prepared


def _serving_config(project: Path, setup: ServerSetup, scratch: Path, overrides: dict[str, Any]) -> Path:
    """The project's serving config with ``log_predictions`` and ``overrides`` set, the log in ``scratch``."""
    config = yaml.safe_load((project / DEFAULT_CONFIG).read_text())
    config[SECTION].update(
        log_predictions=setup.log_predictions,
        monitoring_dir=str(scratch / f"monitoring-{setup.label}"),
        **overrides,
    )
    path = scratch / f"serving-{setup.label}.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def _environment(
    project: Path, setup: ServerSetup, scratch: Path, overrides: dict[str, Any], model_file: Path
) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("BENTOML_HOME", str(project / "bentoml_home"))
    env.update(
        BENTOML_DO_NOT_TRACK="True",
        **{
            CONFIG_ENV: str(_serving_config(project, setup, scratch, overrides)),
            MODEL_PATH_ENV: str(model_file),
            ROOT_ENV: str(project),
        },
    )
    return env


def split_cpus(pin: bool) -> tuple[frozenset[int] | None, frozenset[int] | None]:
    """The CPUs of the server and of the load generator: the last one, and the others.

    The load generator (httpx) needs about a core of its own at these rates; pinned apart, neither steals
    the other's time. ``(None, None)`` when not pinning or with a single CPU.
    """
    available = sorted(os.sched_getaffinity(0))
    if not pin or len(available) < MIN_CPUS_TO_PIN:
        return None, None
    return frozenset(available[-1:]), frozenset(available[:-1])


def _measure(
    project: Path,
    setup: ServerSetup,
    payloads: list[bytes],
    settings: list[LoadSettings],
    scratch: Path,
    server_cpus: frozenset[int] | None,
    overrides: dict[str, Any],
    model: tuple[Path, str],
) -> list[dict]:
    """Start the server of ``setup`` with ``model`` (file, runtime) and the serving config with
    ``overrides``, run every load setting against it, stop it."""
    model_file, runtime = model
    overrides = {**overrides, "runtime": runtime}
    port = free_port()
    command = (
        bentoml_serve_command(port)
        if setup.server == BENTOML
        else uvicorn_command(BARE_APP, port, factory=True, access_log=overrides["access_log"])
    )
    server = ServerProcess(
        command,
        port=port,
        cwd=project,
        env=_environment(project, setup, scratch, overrides, model_file),
        log_path=scratch / f"{setup.label}.log",
        cpus=server_cpus,
    )
    runs = []
    with server:
        for load in settings:
            result = run_load(f"{server.url}/predict", payloads, load)
            runs.append(
                {
                    **asdict(setup),
                    "runtime": runtime,
                    **result.summary(),
                    "startup_s": round(server.startup_s, 1),
                }
            )
            _progress(runs[-1])
    return runs


def _progress(run: dict) -> None:
    sys.stdout.write(
        f"  {run['server']:7} {run['model']:10} logging {'on ' if run['log_predictions'] else 'off'} "
        f"{run['clients']:3} clients: {run['req_per_s']:7.0f} req/s, p50 {run['p50_ms'] or 0:.1f} ms, "
        f"p99 {run['p99_ms'] or 0:.1f} ms, {run['errors']} errors\n"
    )
    sys.stdout.flush()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--clients", type=int, nargs="+", default=list(DEFAULT_CLIENTS))
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION_S, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=DEFAULT_WARMUP_S, help="seconds before each run")
    parser.add_argument("--max-requests", type=int, default=DEFAULT_MAX_REQUESTS, help="cap per run")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="per request, seconds")
    parser.add_argument(
        "--no-pin", action="store_true", help="do not give the server and the load generator their own CPUs"
    )
    parser.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="per-request access log of both servers (default: `access_log` of the serving config)",
    )
    parser.add_argument(
        "--metrics",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the service's Prometheus /metrics (default: `metrics` of the serving config)",
    )
    parser.add_argument(
        "--dispatch",
        choices=["auto", "batched", "direct"],
        default=None,
        help="how the service's /predict reaches the model (default: `dispatch` of the serving config)",
    )
    parser.add_argument("--out", type=Path, default=None, help=f"JSON results (default: <project>/{OUTPUT})")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    project = args.project.resolve()
    missing = [name for name in (*MODEL_FILES.values(), TEST_SPLIT) if not (project / name).is_file()]
    if missing:
        sys.stderr.write(f"missing {missing}: run `make run` first\n")
        return 2
    settings = [
        LoadSettings(n, args.duration, args.warmup, args.max_requests, args.timeout) for n in args.clients
    ]
    rows = _test_rows(project)
    payloads = _payloads(rows)
    server_cpus, load_cpus = split_cpus(not args.no_pin)
    if load_cpus is not None:
        os.sched_setaffinity(0, load_cpus)
    config = load_serving_config(project / DEFAULT_CONFIG)
    overrides = {
        "access_log": config.access_log if args.access_log is None else args.access_log,
        "dispatch": args.dispatch or config.dispatch,
        "metrics": config.metrics if args.metrics is None else args.metrics,
    }
    started = time.perf_counter()
    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="prunegate-bench-serving-") as scratch:
        models = prepare_models(project, rows, Path(scratch))
        for setup in server_setups():
            runs += _measure(
                project, setup, payloads, settings, Path(scratch), server_cpus, overrides, models[setup.model]
            )
    checks = check_targets(runs)
    seconds = time.perf_counter() - started
    sys.stdout.write(f"\n{markdown_table(runs)}\n{targets_text(checks)}")
    report = {
        "settings": {
            **vars(args),
            **overrides,
            "project": str(project),
            "out": None,
            "payload_rows": len(payloads),
        },
        "machine": {
            "cpus": os.cpu_count(),
            "server_cpus": sorted(server_cpus or []),
            "load_generator_cpus": sorted(load_cpus or []),
            "python": platform.python_version(),
        },
        "runs": runs,
        "targets": [check.to_dict() for check in checks],
        "seconds": round(seconds, 1),
    }
    out = args.out or project / OUTPUT
    write_json(report, out)
    sys.stdout.write(f"\n{len(runs)} runs in {seconds:.0f} s; wrote {out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
