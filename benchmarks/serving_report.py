"""The tables and the targets of ``make bench-serving``: pure functions of the measured runs.

A run is a dict: ``server`` (``bentoml`` | ``bare``), ``model`` (``dense`` | ``compressed``),
``log_predictions`` (bool) and the load summary (``clients``, ``req_per_s``, ``p50_ms``, ``p99_ms``,
``errors``, ``requests``). Every target is checked on every combination it applies to and is met only
when all of them meet it; each line states the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from prunegate.reporting import markdown

__all__ = ["TargetCheck", "Targets", "check_targets", "markdown_table", "targets_text"]

BENTOML, BARE = "bentoml", "bare"
DENSE, COMPRESSED = "dense", "compressed"


@dataclass(frozen=True)
class Targets:
    """The bars (never lowered to fit a result)."""

    compressed_speedup: float = 1.5  # compressed req/s >= 1.5 x dense req/s
    bentoml_vs_bare: float = 0.7  # BentoML req/s >= 0.7 x bare FastAPI req/s
    monitoring_cost: float = 0.10  # logging predictions costs <= 10% of req/s
    p99_ms: float = 20.0  # p99 latency at p99_clients
    p99_clients: int = 16
    errors: int = 0


@dataclass(frozen=True)
class TargetCheck:
    """One target: met or not, and the numbers behind it."""

    name: str
    met: bool
    details: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _find(runs: Sequence[dict], server: str, model: str, logging: bool, clients: int) -> dict | None:
    for run in runs:
        if (run["server"], run["model"], run["log_predictions"], run["clients"]) == (
            server,
            model,
            logging,
            clients,
        ):
            return run
    return None


def _ratio_check(name: str, pairs: list[tuple[str, dict | None, dict | None]], bar: float) -> TargetCheck:
    """``numerator req/s >= bar x denominator req/s`` for each labelled pair."""
    details, met = [], bool(pairs)
    for label, numerator, denominator in pairs:
        if numerator is None or denominator is None or not denominator["req_per_s"]:
            details.append(f"{label}: not measured")
            met = False
            continue
        ratio = numerator["req_per_s"] / denominator["req_per_s"]
        ok = ratio >= bar
        met &= ok
        details.append(
            f"{label}: {numerator['req_per_s']:.0f} / {denominator['req_per_s']:.0f} req/s = {ratio:.2f}x "
            f"({'met' if ok else 'NOT met'}, needs >= {bar}x)"
        )
    return TargetCheck(name, met, details)


def check_targets(runs: Sequence[dict], targets: Targets = Targets()) -> list[TargetCheck]:
    """Each target of :class:`Targets` against the runs (see the module docstring)."""
    clients = sorted({run["clients"] for run in runs})
    bento_logging = sorted({run["log_predictions"] for run in runs if run["server"] == BENTOML})
    checks = [
        _ratio_check(
            f"compressed >= {targets.compressed_speedup}x dense throughput (BentoML)",
            [
                (
                    f"{n} clients, logging {'on' if log else 'off'}",
                    _find(runs, BENTOML, COMPRESSED, log, n),
                    _find(runs, BENTOML, DENSE, log, n),
                )
                for n in clients
                for log in bento_logging
            ],
            targets.compressed_speedup,
        )
    ]
    bare = [run for run in runs if run["server"] == BARE]
    checks.append(
        _ratio_check(
            f"BentoML >= {targets.bentoml_vs_bare}x bare FastAPI throughput (same model, same logging)",
            [
                (
                    _label(run).removeprefix(f"{BARE} "),
                    _find(runs, BENTOML, run["model"], run["log_predictions"], run["clients"]),
                    run,
                )
                for run in bare
            ],
            targets.bentoml_vs_bare,
        )
    )
    checks.append(_monitoring_check(runs, clients, targets))
    checks.append(_p99_check(runs, targets))
    errors = [run for run in runs if run["errors"] > targets.errors]
    details = [f"{_label(run)}: {run['errors']} errors {run['error_examples'][:1]}" for run in errors]
    checks.append(
        TargetCheck(
            f"{targets.errors} errors",
            not errors,
            details or [f"0 errors in {sum(run['requests'] for run in runs)} requests"],
        )
    )
    return checks


def _monitoring_check(runs: Sequence[dict], clients: list[int], targets: Targets) -> TargetCheck:
    details, met = [], True
    for model in (DENSE, COMPRESSED):
        for n in clients:
            on, off = _find(runs, BENTOML, model, True, n), _find(runs, BENTOML, model, False, n)
            if on is None or off is None or not off["req_per_s"]:
                details.append(f"{model}, {n} clients: not measured")
                met = False
                continue
            cost = 1 - on["req_per_s"] / off["req_per_s"]
            ok = cost <= targets.monitoring_cost
            met &= ok
            details.append(
                f"{model}, {n} clients: {off['req_per_s']:.0f} -> {on['req_per_s']:.0f} req/s with logging, "
                f"cost {cost:+.1%} ({'met' if ok else 'NOT met'}, needs <= {targets.monitoring_cost:.0%})"
            )
    return TargetCheck(f"monitoring costs <= {targets.monitoring_cost:.0%} of throughput", met, details)


def _p99_check(runs: Sequence[dict], targets: Targets) -> TargetCheck:
    measured = [r for r in runs if r["server"] == BENTOML and r["clients"] == targets.p99_clients]
    details, met = [], bool(measured)
    for run in measured:
        ok = run["p99_ms"] is not None and run["p99_ms"] <= targets.p99_ms
        met &= ok
        shown = "n/a" if run["p99_ms"] is None else f"{run['p99_ms']:.1f} ms"
        details.append(f"{_label(run)}: p99 {shown} ({'met' if ok else 'NOT met'})")
    name = f"p99 <= {targets.p99_ms:.0f} ms at {targets.p99_clients} clients (BentoML)"
    return TargetCheck(name, met, details or ["not measured"])


def _label(run: dict) -> str:
    logging = "logging on" if run["log_predictions"] else "logging off"
    return f"{run['server']} {run['model']} ({logging}), {run['clients']} clients"


def _number(value: float | None, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def markdown_table(runs: Sequence[dict]) -> str:
    """One row per run: server, model, runtime, logging, clients, req/s, p50, p99, errors, requests."""
    lines = markdown.markdown_table(
        [
            "server",
            "model",
            "runtime",
            "logging",
            "clients",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "requests",
        ],
        [
            [
                run["server"],
                run["model"],
                run.get("runtime", "n/a"),
                "on" if run["log_predictions"] else "off",
                run["clients"],
                f"{run['req_per_s']:.0f}",
                _number(run["p50_ms"], "{:.1f}"),
                _number(run["p99_ms"], "{:.1f}"),
                run["errors"],
                run["requests"],
            ]
            for run in runs
        ],
        ["left"] * 4 + ["right"] * 6,
    )
    return "\n".join(lines) + "\n"


def targets_text(checks: Sequence[TargetCheck]) -> str:
    """The targets section: one heading line per target (met / NOT met), its numbers below."""
    lines = ["## Targets", ""]
    for check in checks:
        lines.append(f"- {'met' if check.met else 'NOT met'}: {check.name}")
        lines += [f"  - {detail}" for detail in check.details]
    return "\n".join(lines) + "\n"
