"""``make demo-regression``: a champion, a harmful change the gate blocks, a harmless one it blesses.

Runs the real ``dvc repro gate`` three times in a temporary git copy of the project:
1. the default configuration, promoted to champion and committed (no champion yet: blessed);
2. a harmful change: 99% unstructured sparsity and no fine-tuning -> NOT BLESSED, non-zero exit;
3. a harmless change: a measurement setting that re-runs the whole chain -> BLESSED.
Both reports are printed.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from examples.demo.sandbox import ProjectSandbox

__all__ = ["HARMFUL_CHANGE", "HARMLESS_CHANGE", "GateOutcome", "run_gate", "setup_champion"]

logger = logging.getLogger(__name__)

PRUNING = "conf/base/parameters_pruning.yml"
HARMFUL_CHANGE = [
    (PRUNING, "granularity: structured", "granularity: unstructured"),
    (PRUNING, "budget: macs", "budget: sparsity"),
    (PRUNING, "reduction: 0.9 ", "reduction: 0.99 "),
    (PRUNING, "    epochs: 60\n", "    epochs: 0\n"),
]
# re-runs the whole chain (profiling is a parameter of every model's measurement) without changing
# what is learned: the models are the same, only the latency measurements are repeated
HARMLESS_CHANGE = [("conf/base/parameters_profiling.yml", "repeats: 10", "repeats: 12")]
FAST = [
    ("conf/base/parameters_training.yml", "show_progress: true", "show_progress: false"),
    ("conf/base/parameters_profiling.yml", "repeats: 50", "repeats: 10"),
    ("conf/base/parameters_distillation.yml", "epochs: 150", "epochs: 20"),
]


@dataclass
class GateOutcome:
    label: str
    exit_code: int
    report: str
    seconds: float


def run_gate(sandbox: ProjectSandbox, label: str) -> GateOutcome:
    """``dvc repro gate`` in the sandbox; the report is read whatever the outcome."""
    started = time.perf_counter()
    result = sandbox.run("dvc", "repro", "gate", check=False)
    seconds = time.perf_counter() - started
    report_path = sandbox.root / "data/08_reporting/gate_report.md"
    if not report_path.is_file():
        raise RuntimeError(f"{label}: no gate report was written:\n{result.stdout}\n{result.stderr}")
    return GateOutcome(label, result.returncode, report_path.read_text(), seconds)


def setup_champion(source: Path, root: Path, extra_edits=()) -> tuple[ProjectSandbox, GateOutcome]:
    """A sandbox whose default configuration has been gated, promoted and committed as champion."""
    sandbox = ProjectSandbox.create(source, root)
    for relative, old, new in [*FAST, *extra_edits]:
        sandbox.edit(relative, old, new)
    sandbox.commit("demo settings")
    outcome = run_gate(sandbox, "champion")
    if outcome.exit_code != 0:
        raise RuntimeError(f"the default configuration was not blessed:\n{outcome.report}")
    sandbox.run("prunegate", "promote", "--metrics-only", "--reason", "demo: first champion", "--by", "demo")
    sandbox.commit("promote the first champion")
    return sandbox, outcome


def try_change(sandbox: ProjectSandbox, label: str, edits) -> GateOutcome:
    """Apply ``edits`` on a branch of the champion commit and gate the result."""
    sandbox.run("git", "checkout", "-q", "-B", label.replace(" ", "-"), "main")
    for relative, old, new in edits:
        sandbox.edit(relative, old, new)
    sandbox.commit(label)
    return run_gate(sandbox, label)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory(prefix="prunegate-demo-") as scratch:
        sandbox, champion = setup_champion(args.project, Path(scratch) / "project")
        logger.info("champion promoted (gate %.0f s)", champion.seconds)
        harmful = try_change(sandbox, "harmful change", HARMFUL_CHANGE)
        harmless = try_change(sandbox, "harmless change", HARMLESS_CHANGE)
    for outcome in (harmful, harmless):
        header = f"=== {outcome.label}: exit code {outcome.exit_code} ({outcome.seconds:.0f} s) ==="
        sys.stdout.write(f"\n{header}\n{outcome.report}\n")
    ok = harmful.exit_code != 0 and harmless.exit_code == 0
    sys.stdout.write(
        "demo: the harmful change was blocked and the harmless one blessed\n" if ok else "demo FAILED\n"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
