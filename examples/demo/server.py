"""Start a local HTTP server (``bentoml serve`` or uvicorn) on a free loopback port, and always stop it.

:class:`ServerProcess` is a context manager: on entry it starts the command in its own process group,
waits (bounded) for the readiness path to answer 200, and on exit terminates that process group
(SIGTERM, then SIGKILL after a grace period), whatever happened inside the block. Output goes to a
log file, never to a pipe that nobody reads (a full pipe would block the server).

Why not the handle ``bentoml.serve()`` returns (BentoML 1.4.40, ``bentoml.server.Server.start``): it
merges ``os.environ`` *over* the environment it is given (``env.update(os.environ.copy())``), so a test
cannot unset or override a variable its own process has (``PRUNEGATE_MODEL_PATH``); it reads the
server's output through pipes unless told otherwise; when a stop times out it kills the main process
alone, which can leave its workers running; and it sets ``BENTOML_SERVE_FROM_SERVER_API`` in this
process's own environment.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

__all__ = [
    "LOOPBACK",
    "ServerError",
    "ServerProcess",
    "bentoml_serve_command",
    "free_port",
    "uvicorn_command",
]

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
SERVICE_IMPORT = "prunegate.serving.service:PrunegateService"
READY_TIMEOUT_S = 90.0  # `bentoml serve` answered /readyz after ~8 s here; a slow CI machine gets margin
STOP_GRACE_S = 15.0  # after SIGTERM, this long before SIGKILL
_POLL_S = 0.25
_PROBE_TIMEOUT_S = 2.0
_HTTP_OK = 200
_LOG_TAIL_CHARS = 3000


class ServerError(RuntimeError):
    """The server exited early or did not become ready in time (the message holds its log's tail)."""


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port free on ``host`` right now (bound to port 0, read back, released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def bentoml_serve_command(port: int, host: str = LOOPBACK) -> list[str]:
    """``bentoml serve`` of the prunegate service, with this interpreter's ``bentoml``."""
    bentoml = str(Path(sys.executable).parent / "bentoml")
    return [bentoml, "serve", SERVICE_IMPORT, "--host", host, "--port", str(port)]


def uvicorn_command(
    app: str, port: int, host: str = LOOPBACK, *, factory: bool = False, access_log: bool = False
) -> list[str]:
    """One uvicorn worker serving ``app`` (``module:attribute``, or a factory with ``factory``).

    With ``access_log`` it logs one line per request, as ``bentoml serve`` does by default.
    """
    logging_args = ["--log-level", "info"] if access_log else ["--no-access-log", "--log-level", "warning"]
    factory_args = ["--factory"] if factory else []
    address = ["--host", host, "--port", str(port), "--workers", "1"]
    return [sys.executable, "-m", "uvicorn", *factory_args, app, *address, *logging_args]


class ServerProcess:
    """A server subprocess that is ready inside the ``with`` block and stopped after it.

    Args:
        command: the command line (its host must be loopback).
        port: the port the command listens on.
        cwd: working directory of the server.
        env: the full environment of the server.
        log_path: where its stdout and stderr go.
        ready_path: answered with 200 once the server can take requests.
        ready_timeout_s: the longest wait for readiness.
        cpus: CPU ids the server (and every process it starts) may run on; ``None``: any.
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        port: int,
        cwd: Path,
        env: Mapping[str, str],
        log_path: Path,
        ready_path: str = "/readyz",
        ready_timeout_s: float = READY_TIMEOUT_S,
        cpus: frozenset[int] | None = None,
    ) -> None:
        self.command = list(command)
        self.url = f"http://{LOOPBACK}:{port}"
        self.cwd = Path(cwd)
        self.env = dict(env)
        self.log_path = Path(log_path)
        self.ready_path = ready_path
        self.ready_timeout_s = ready_timeout_s
        self.cpus = cpus
        self.process: subprocess.Popen | None = None
        self.startup_s: float | None = None

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the command and wait for readiness; on any failure it is stopped before raising."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: workers are stopped with it
                preexec_fn=None if self.cpus is None else self._pin,  # inherited by its workers
            )
        try:
            self._wait_ready(started)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - started
        logger.info("server ready at %s after %.1f s (pid %d)", self.url, self.startup_s, self.process.pid)

    def _pin(self) -> None:
        os.sched_setaffinity(0, self.cpus)

    def _wait_ready(self, started: float) -> None:
        deadline = started + self.ready_timeout_s
        with httpx.Client(timeout=_PROBE_TIMEOUT_S) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise ServerError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    if client.get(self.url + self.ready_path).status_code == _HTTP_OK:
                        return
                except httpx.TransportError:
                    pass  # not listening yet
                time.sleep(_POLL_S)
        raise ServerError(
            f"{self.url}{self.ready_path} not ready after {self.ready_timeout_s:.0f} s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Terminate the server's process group (SIGTERM, then SIGKILL after the grace period)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        group = os.getpgid(process.pid)  # == process.pid: started with start_new_session
        os.killpg(group, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            logger.warning("server pid %d ignored SIGTERM for %.0f s: killing it", process.pid, STOP_GRACE_S)
            os.killpg(group, signal.SIGKILL)
            process.wait(timeout=STOP_GRACE_S)
        else:
            with contextlib.suppress(ProcessLookupError):  # workers left in the group after the parent exited
                os.killpg(group, signal.SIGKILL)

    def log_tail(self) -> str:
        """The end of the server's log (for error messages)."""
        if not self.log_path.is_file():
            return ""
        return self.log_path.read_text(errors="replace")[-_LOG_TAIL_CHARS:]
