"""``make simulate-drift``: served traffic drifts, a bad model is promoted, and monitoring acts on both.

In a temporary git copy of the project, with the real commands and a real ``bentoml serve``:

1. ``dvc repro package`` and ``prunegate promote --reason "first champion"``; the service starts;
2. held-out digits (the test split) are replayed with their labels -> ``prunegate monitor --act``
   decides ``none``;
3. the same digits, shifted (brighter, noisy, a few dead pixels) -> ``retrain``: the drift summary, and
   the retraining it triggers (original data + labelled feedback, through the gate);
4. a model with most weights zeroed is registered and promoted, the service hot-swaps to it, labelled
   traffic follows -> ``rollback``: the service serves the previous champion again, and the requests
   sent throughout both swaps are counted, failures included;
5. the registry history.

Exits non-zero when a decision is not the expected one, the rollback does not restore the previous
champion, or a request failed during a swap.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from examples.demo.drift_scenario import (
    PhaseResult,
    ScenarioSettings,
    Service,
    bad_promotion_phase,
    drift_phase,
    held_out_data,
    held_out_phase,
    prepare,
)
from examples.demo.regression import FAST
from examples.demo.server import ServerProcess, bentoml_serve_command, free_port
from examples.demo.service_sandbox import ServiceSandbox

__all__ = ["ScenarioResult", "main", "run_scenario"]

logger = logging.getLogger(__name__)

TOP_DRIFTED_COLUMNS = 5
MAX_REASON_CHARS = 240  # a drift reason lists every drifted column: cut it when printing
EXPECTED_DECISIONS = ("none", "retrain", "rollback")
MONITORING_DIR = "monitoring"  # the sandbox's serving config: monitoring_dir
Writer = Callable[[str], None]


@dataclass
class ScenarioResult:
    """The phases in order, the registry's final state, and whether everything went as expected."""

    phases: list[PhaseResult] = field(default_factory=list)
    registry: str = ""
    seconds: float = 0.0

    @property
    def decisions(self) -> list[str]:
        return [phase.monitor.decision for phase in self.phases]

    @property
    def ok(self) -> bool:
        if self.decisions != list(EXPECTED_DECISIONS):
            return False
        rollback = self.phases[-1]
        restored = rollback.numbers.get("served_after") == rollback.numbers.get("previous_tag")
        return restored and rollback.failed_during_swap == 0


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _short(text: str) -> str:
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


def _fmt(value: float | None, pattern: str = "{:.3f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def _phase_text(number: int, phase: PhaseResult) -> str:
    monitor, traffic = phase.monitor, phase.traffic
    mark = "as expected" if phase.ok else f"EXPECTED {phase.expected!r}"
    lines = [
        f"\n=== step {number}: {phase.name} ===",
        f"traffic: {traffic.requests} requests, {traffic.rows} rows, {traffic.failed} failed; "
        f"served accuracy {_fmt(traffic.accuracy)}; versions {dict(traffic.versions)}",
        f"decision: {monitor.decision} ({mark}); action: {monitor.action} [monitor {monitor.seconds:.0f} s]",
        *[f"  - {_short(reason)}" for reason in monitor.reasons],
    ]
    return "\n".join(lines) + "\n"


def _drift_text(numbers: dict) -> str:
    top = ", ".join(f"{name} ({_fmt(score)})" for name, score in numbers["top_drifted"])
    return (
        f"drift: {_fmt(numbers['drift_share'], '{:.1%}')} of {numbers['tested_columns']} tested columns "
        f"drifted (threshold {_fmt(numbers['drift_threshold'], '{:.0%}')}); top: {top}\n"
        f"drift report: {numbers['report']} (in the sandbox: keep it with --workdir DIR)\n"
        + "".join(f"  gate: {failure}\n" for failure in numbers["gate_failures"])
        + f"retrained model blessed by the gate: {numbers['blessed']}; promoted: {numbers['promoted']} "
        f"(champion {numbers['champion_before']} -> {numbers['champion_after']})"
        + (
            f"; service serves {numbers['served_after']} after {numbers['swap_s']:.1f} s"
            if "swap_s" in numbers
            else ""
        )
        + "\n"
    )


def _rollback_text(numbers: dict, phase: PhaseResult) -> str:
    return (
        f"bad model {numbers['bad_tag']} (version {numbers['bad_version']}) served after "
        f"{numbers['bad_swap_s']:.1f} s\n"
        f"live accuracy on {numbers['labelled_rows']} labelled rows: champion "
        f"{_fmt(numbers['champion_accuracy'])} vs previous champion {_fmt(numbers['previous_accuracy'])}\n"
        f"after rollback the service serves {numbers['served_after']} (version "
        f"{numbers['served_version_after']}) {_fmt(numbers['rollback_swap_s'], '{:.1f} s')} after "
        "`monitor --act` returned; previous champion was "
        f"{numbers['previous_tag']}\n"
        f"requests during the two swaps: {numbers['swap_requests']}, failed requests in the phase: "
        f"{phase.failed_during_swap}"
        + (f" {numbers['swap_errors']}" if numbers["swap_errors"] else "")
        + "\n"
    )


def run_scenario(
    source: Path,
    root: Path,
    *,
    settings: ScenarioSettings | None = None,
    edits: Sequence[tuple[str, str, str]] = tuple(FAST),
    write: Writer = _stdout,
) -> ScenarioResult:
    """Run the whole scenario of this module's docstring in a sandbox created at ``root``."""
    settings = settings or ScenarioSettings()
    started = time.perf_counter()
    result = ScenarioResult()
    sandbox = ServiceSandbox.create(source, root)
    timings = prepare(sandbox, settings, edits)
    held_out = held_out_data(sandbox)
    write(f"step 1: chain (dvc repro package) {timings['chain_s']:.0f} s; first champion promoted\n")
    port = free_port()
    server = ServerProcess(
        bentoml_serve_command(port),
        port=port,
        cwd=sandbox.root,
        env=sandbox.env(),
        log_path=sandbox.root / "logs" / "service.log",
    )
    with server:
        write(f"service ready at {server.url} after {server.startup_s:.1f} s\n")
        service = Service(server.url, sandbox.root / MONITORING_DIR)
        result.phases.append(held_out_phase(sandbox, service, held_out, settings))
        write(_phase_text(2, result.phases[-1]))
        result.phases.append(drift_phase(sandbox, service, held_out, settings, TOP_DRIFTED_COLUMNS))
        write(_phase_text(3, result.phases[-1]) + _drift_text(result.phases[-1].numbers))
        result.phases.append(bad_promotion_phase(sandbox, service, held_out, settings))
        write(
            _phase_text(4, result.phases[-1]) + _rollback_text(result.phases[-1].numbers, result.phases[-1])
        )
    result.registry = sandbox.run("prunegate", "registry").stdout
    result.seconds = time.perf_counter() - started
    write(f"\n=== step 5: registry ===\n{result.registry}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep the sandbox here (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
    with tempfile.TemporaryDirectory(prefix="prunegate-drift-") as scratch:
        root = (args.workdir or Path(scratch)) / "project"
        result = run_scenario(args.project.resolve(), root)
    verdict = "as expected" if result.ok else "NOT as expected"
    _stdout(f"\ndecisions: {' -> '.join(result.decisions)} ({verdict}); {result.seconds:.0f} s in total\n")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
