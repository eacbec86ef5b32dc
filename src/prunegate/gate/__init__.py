"""The gate: pure checks of a candidate's metrics against a baseline's, and the markdown report.

``(candidate metrics, baseline metrics, checks) -> GateResult``; ``bless`` combines the gates into the
blessing and ``render_gate_report`` turns it into a PR comment. Threshold semantics follow the TFX
Evaluator (TFX Model Analysis ``MetricThreshold``), failing closed on anything missing.
"""

from prunegate.gate.compare import (
    NO_BASELINE_REASON,
    CheckRow,
    GateResult,
    bless,
    compare_to_baseline,
    describe_threshold,
)
from prunegate.gate.config import ALL_SLICES, GateConfig, MetricCheck, load_gate_config, parse_gate_config
from prunegate.gate.report import REPORT_MARKER, format_number, render_gate_report

__all__ = [
    "ALL_SLICES",
    "NO_BASELINE_REASON",
    "REPORT_MARKER",
    "CheckRow",
    "GateConfig",
    "GateResult",
    "MetricCheck",
    "bless",
    "compare_to_baseline",
    "describe_threshold",
    "format_number",
    "load_gate_config",
    "parse_gate_config",
    "render_gate_report",
]
