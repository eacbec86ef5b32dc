"""The gate: pure checks of a candidate's metrics against a baseline's, and the markdown report.

``(candidate metrics, baseline metrics, checks) -> GateResult``; ``bless`` combines the gates into the
blessing and ``render_gate_report`` turns it into a PR comment; ``choose_regression_baseline`` picks the
champion re-evaluated in this run over the committed metrics. Threshold semantics follow the TFX
Evaluator (TFX Model Analysis ``MetricThreshold``), failing closed on anything missing.
"""

from prunegate.gate.baseline import (
    BASELINE_DESCRIPTIONS,
    TEST_SPLIT_FINGERPRINT,
    RegressionBaseline,
    choose_regression_baseline,
)
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
    "BASELINE_DESCRIPTIONS",
    "NO_BASELINE_REASON",
    "REPORT_MARKER",
    "TEST_SPLIT_FINGERPRINT",
    "CheckRow",
    "GateConfig",
    "GateResult",
    "MetricCheck",
    "RegressionBaseline",
    "bless",
    "choose_regression_baseline",
    "compare_to_baseline",
    "describe_threshold",
    "format_number",
    "load_gate_config",
    "parse_gate_config",
    "render_gate_report",
]
