"""One ``prunegate monitor --act`` in a sandbox, and the numbers worth showing from what it wrote."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from examples.demo.service_sandbox import ServiceSandbox

__all__ = ["GATE_REPORT", "MonitorOutcome", "gate_failures", "run_monitor", "top_drifted"]

SUMMARY = "data/08_reporting/monitoring_summary.json"
GATE_REPORT = "data/08_reporting/gate_report.md"
WHY_IT_FAILED = "**Why it failed:**"
_ACTION = "action: "  # the line of `prunegate monitor --act` that says what was done


@dataclass
class MonitorOutcome:
    """What one ``prunegate monitor --act`` decided and did."""

    decision: str
    reasons: list[str]
    action: str | None
    summary: dict[str, Any]
    seconds: float


def run_monitor(sandbox: ServiceSandbox) -> MonitorOutcome:
    """``prunegate monitor --act`` in the sandbox; the decision comes from the summary it wrote."""
    started = time.perf_counter()
    result = sandbox.run("prunegate", "monitor", "--act")
    seconds = time.perf_counter() - started
    summary = json.loads((sandbox.root / SUMMARY).read_text())
    actions = [line.removeprefix(_ACTION) for line in result.stdout.splitlines() if line.startswith(_ACTION)]
    return MonitorOutcome(
        summary["decision"], summary.get("reasons", []), actions[-1] if actions else None, summary, seconds
    )


def top_drifted(drift: dict[str, Any], count: int) -> list[tuple[str, float | None]]:
    """The drifted columns, most drifted first (p-values ascending, distances descending)."""
    per_column = drift.get("per_column") or {}
    drifted = [(name, per_column.get(name, {}).get("score")) for name in drift.get("drifted_columns") or []]
    methods = " ".join(str(values.get("method")) for values in per_column.values()).lower()
    p_values = "p_value" in methods or "ks" in methods.split()
    return sorted(drifted, key=lambda item: (item[1] is None, (item[1] or 0.0) * (1 if p_values else -1)))[
        :count
    ]


def gate_failures(report: Path) -> list[str]:
    """The bullet points under the gate report's "Why it failed" heading (none when blessed)."""
    if not report.is_file():
        return []
    _, found, rest = report.read_text().partition(WHY_IT_FAILED)
    failures: list[str] = []
    for line in rest.splitlines() if found else []:
        if line.startswith("- "):
            failures.append(line[2:])
        elif line.strip() and failures:  # the next section (e.g. the plots) starts
            break
    return failures
