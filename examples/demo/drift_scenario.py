"""The phases of ``make simulate-drift``: real traffic, real monitoring decisions, real actions.

In a :class:`~examples.demo.service_sandbox.ServiceSandbox` with the service running:

1. :func:`prepare`: ``dvc repro package`` (ingest .. gate, packaging into the sandbox's store) and
   ``prunegate promote``;
2. :func:`held_out_phase`: the test split replayed with its labels -> ``monitor --act`` says ``none``;
3. :func:`drift_phase`: the same rows shifted (brighter, noisy, dead pixels) -> ``retrain``, which runs
   the chain again on the original data plus the labelled feedback, through the gate;
4. :func:`bad_promotion_phase`: a model with most weights zeroed is promoted, the service hot-swaps to
   it, labelled traffic follows -> ``rollback``; requests keep flowing through both swaps and every
   failure is counted.

Each phase's traffic is the only traffic its monitor call sees: the prediction log is archived and
truncated after every phase (:func:`~examples.demo.traffic_replay.clear_prediction_log`).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from examples.demo.monitor_run import GATE_REPORT, MonitorOutcome, gate_failures, run_monitor, top_drifted
from examples.demo.service_sandbox import ServiceSandbox
from examples.demo.traffic_replay import (
    ReplayStats,
    Shift,
    SteadyTraffic,
    clear_prediction_log,
    count_feedback_lines,
    get_model,
    replay,
    shift_rows,
    wait_for_logs,
    wait_for_model,
)

from prunegate.core.serialization import load_artifact
from prunegate.registry.store import read_pointer

__all__ = [
    "HeldOut",
    "PhaseResult",
    "ScenarioSettings",
    "Service",
    "bad_promotion_phase",
    "drift_phase",
    "held_out_data",
    "held_out_phase",
    "prepare",
]

BLESSING = "data/08_reporting/blessing.json"
DRIFT_REPORT = "data/08_reporting/drift_report.html"
TEST_SPLIT = "data/05_model_input/test.parquet"
CHAMPION_MODEL = "registry/champion_model.pt"
FEEDBACK_FILE = "feedback.jsonl"
# brighter by 4 of 16 levels, Gaussian noise, 5% dead pixels; digits pixels are 0..16
DEFAULT_SHIFT = Shift(brightness=4.0, noise_sigma=1.0, dead_pixel_fraction=0.05, low=0.0, high=16.0)


@dataclass(frozen=True)
class ScenarioSettings:
    """Sizes, thresholds and timeouts of the scenario (the defaults are what ``make simulate-drift`` uses)."""

    batch_rows: int = 10  # rows per /predict request of a replay
    monitoring: dict[str, Any] = field(  # fits one phase's traffic: the test split (~270 rows) + a swap's
        default_factory=lambda: {"window_rows": 2000, "min_rows": 200, "min_labelled_rows": 100}
    )
    shift: Shift = field(default_factory=lambda: DEFAULT_SHIFT)
    seed: int = 0
    bad_weight_fraction: float = 0.9  # share of every weight matrix zeroed (test accuracy ~0.6)
    log_timeout_s: float = 30.0  # the service flushes its log every 0.5 s
    swap_timeout_s: float = 30.0  # the service looks at the registry pointer every 2 s
    steady_interval_s: float = 0.05  # background traffic during a swap: ~15 requests/s
    steady_max_requests: int = 5000
    after_swap_s: float = 3.0  # background traffic continues this long after the rollback is served


@dataclass(frozen=True)
class HeldOut:
    """Held-out rows (``N x D``) and their class names."""

    rows: np.ndarray
    labels: list[str]


@dataclass
class Service:
    """The running service as the phases see it."""

    url: str
    monitoring_dir: Path


@dataclass
class PhaseResult:
    """One phase: its traffic, its monitoring outcome and the numbers worth printing."""

    name: str
    expected: str
    monitor: MonitorOutcome
    traffic: ReplayStats
    numbers: dict[str, Any] = field(default_factory=dict)
    failed_during_swap: int = 0

    @property
    def ok(self) -> bool:
        return self.monitor.decision == self.expected


def prepare(sandbox: ServiceSandbox, settings: ScenarioSettings, edits=()) -> dict[str, float]:
    """Faster params, a monitoring window that fits the traffic, the chain, and the first champion."""
    for relative, old, new in edits:
        sandbox.edit(relative, old, new)
    sandbox.set_params("monitoring", settings.monitoring)
    sandbox.commit("simulate-drift settings")
    started = time.perf_counter()
    sandbox.run("dvc", "repro", "package")
    chain_s = time.perf_counter() - started
    sandbox.run("prunegate", "promote", "--reason", "first champion", "--by", "demo")
    sandbox.commit("promote the first champion")
    return {"chain_s": chain_s}


def held_out_data(sandbox: ServiceSandbox) -> HeldOut:
    """The first chain's test split: features (model order) and class names, as the champion names them.

    Read once, before any retraining: a retrained chain splits the data again (feedback included).
    """
    metadata = load_artifact(sandbox.root / CHAMPION_MODEL).metadata
    table = pd.read_parquet(sandbox.root / TEST_SPLIT)
    name_of = dict(zip(metadata["class_values"], metadata["class_names"], strict=True))
    labels = [str(name_of[value]) for value in table[metadata["target_column"]].tolist()]
    return HeldOut(table[metadata["feature_names"]].to_numpy(dtype=np.float64), labels)


def _replay_and_flush(
    service: Service, rows: np.ndarray, labels: list[str], settings: ScenarioSettings, logged_before: int = 0
) -> ReplayStats:
    feedback_before = count_feedback_lines(service.monitoring_dir / FEEDBACK_FILE)
    stats = replay(service.url, rows, labels, batch_rows=settings.batch_rows)
    wait_for_logs(
        service.monitoring_dir,
        prediction_rows=logged_before + stats.rows,
        feedback_lines=feedback_before + stats.rows,
        timeout_s=settings.log_timeout_s,
    )
    return stats


def _rotate(service: Service, phase: str) -> None:
    clear_prediction_log(
        service.monitoring_dir / "predictions", service.monitoring_dir / "archive" / f"{phase}.jsonl"
    )


def held_out_phase(
    sandbox: ServiceSandbox, service: Service, held_out: HeldOut, settings: ScenarioSettings
) -> PhaseResult:
    """Held-out digits with their labels: the traffic looks like training data -> ``none``."""
    rows, labels = held_out.rows, held_out.labels
    stats = _replay_and_flush(service, rows, labels, settings)
    outcome = run_monitor(sandbox)
    _rotate(service, "1-held-out")
    return PhaseResult("held-out traffic", "none", outcome, stats)


def drift_phase(
    sandbox: ServiceSandbox, service: Service, held_out: HeldOut, settings: ScenarioSettings, top_columns: int
) -> PhaseResult:
    """Shifted traffic with labels -> ``retrain`` (the chain on original + feedback data, gated)."""
    rows, labels = held_out.rows, held_out.labels
    shifted = shift_rows(rows, settings.shift, np.random.default_rng(settings.seed))
    champion_before = read_pointer(sandbox.root / "registry").champion
    stats = _replay_and_flush(service, shifted, labels, settings)
    outcome = run_monitor(sandbox)
    _rotate(service, "2-shifted")
    drift = outcome.summary.get("drift", {})
    champion_after = read_pointer(sandbox.root / "registry").champion
    blessing_path = sandbox.root / BLESSING
    numbers = {
        "drift_share": drift.get("drift_share"),
        "drift_threshold": drift.get("drift_share_threshold"),
        "drifted_columns": len(drift.get("drifted_columns") or []),
        "tested_columns": len(drift.get("per_column") or {}),
        "top_drifted": top_drifted(drift, top_columns),
        "report": str(sandbox.root / DRIFT_REPORT),
        "gate_failures": gate_failures(sandbox.root / GATE_REPORT),
        "blessed": json.loads(blessing_path.read_text()).get("blessed") if blessing_path.is_file() else None,
        "promoted": champion_after != champion_before,
        "champion_before": champion_before,
        "champion_after": champion_after,
    }
    if numbers["promoted"]:
        info, seconds = wait_for_model(service.url, champion_after, settings.swap_timeout_s)
        numbers.update(served_after=info["tag"], swap_s=seconds)
    return PhaseResult("shifted traffic", "retrain", outcome, stats, numbers)


def bad_promotion_phase(
    sandbox: ServiceSandbox, service: Service, held_out: HeldOut, settings: ScenarioSettings
) -> PhaseResult:
    """A bad model promoted and hot-swapped in; labelled traffic -> ``rollback`` to the previous champion."""
    rows, labels = held_out.rows, held_out.labels
    previous = read_pointer(sandbox.root / "registry").champion
    steady = {"interval_s": settings.steady_interval_s, "max_requests": settings.steady_max_requests}
    feedback_before = count_feedback_lines(service.monitoring_dir / FEEDBACK_FILE)
    with SteadyTraffic(service.url, rows, labels, **steady) as to_bad:
        result = sandbox.run(
            sys.executable,
            "-m",
            "examples.demo.bad_model",
            "--fraction",
            str(settings.bad_weight_fraction),
            "--reason",
            "demo: a bad promotion",
        )
        bad_tag = result.stdout.strip().splitlines()[-1]
        bad_info, to_bad_s = wait_for_model(service.url, bad_tag, settings.swap_timeout_s)
    logged = to_bad.stats.rows
    wait_for_logs(
        service.monitoring_dir,
        prediction_rows=logged,
        feedback_lines=feedback_before + logged,
        timeout_s=settings.log_timeout_s,
    )
    stats = _replay_and_flush(service, rows, labels, settings, logged_before=logged)
    with SteadyTraffic(service.url, rows, labels, **steady) as to_previous:
        outcome = run_monitor(sandbox)
        if outcome.decision == "rollback":
            final_info, back_s = wait_for_model(service.url, previous, settings.swap_timeout_s)
            time.sleep(settings.after_swap_s)  # a little traffic after the swap, too
        else:  # reported as a wrong decision by the caller, not as a time-out here
            final_info, back_s = get_model(service.url), None
    _rotate(service, "3-bad-promotion")
    swap_stats = (to_bad.stats, to_previous.stats)
    live = outcome.summary.get("live", {})
    numbers = {
        "bad_tag": bad_tag,
        "bad_version": bad_info["version"],
        "bad_swap_s": to_bad_s,
        "previous_tag": previous,
        "champion_accuracy": live.get("champion_accuracy"),
        "previous_accuracy": live.get("previous_accuracy"),
        "labelled_rows": live.get("labelled_rows"),
        "served_after": final_info["tag"],
        "served_version_after": final_info["version"],
        "rollback_swap_s": back_s,
        "swap_requests": sum(s.requests for s in swap_stats),
        "swap_errors": [error for s in swap_stats for error in s.errors],
    }
    failed = sum(s.failed for s in swap_stats) + stats.failed
    return PhaseResult("bad promotion", "rollback", outcome, stats, numbers, failed_during_swap=failed)
