"""Pure parts of the compression benchmark: mean ± std per configuration, and the target checks.

Rows are flat dicts (one per seed and configuration, see :mod:`benchmarks.compression_runs`);
a row with an ``error`` is counted as a failure and contributes no numbers. Targets are checked on the
means over seeds, and a target nothing measured is NOT met.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from benchmarks.common import mean_std
from benchmarks.compression_grid import Targets

__all__ = ["GROUP_KEYS", "TargetCheck", "aggregate", "check_targets", "metric_mean", "metric_std"]

GROUP_KEYS = ("section", "method", "target")
_NOT_AGGREGATED = {*GROUP_KEYS, "seed", "error"}
_TIE = 1e-12


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def aggregate(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (section, method, target), in first-seen order.

    Each entry has the group keys, ``seeds`` (those that succeeded), ``n_ok``, ``n_failed``, ``errors``
    (``"seed N: message"``), ``metrics`` (name -> ``{"mean", "std", "n"}`` over the successful rows) and
    ``labels`` (every other field: one value, or the list of distinct values when seeds differ).
    """
    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(key) for key in GROUP_KEYS), []).append(row)
    return [_summarise(dict(zip(GROUP_KEYS, key, strict=True)), members) for key, members in groups.items()]


def _summarise(entry: dict[str, Any], members: list[Mapping[str, Any]]) -> dict[str, Any]:
    ok = [row for row in members if not row.get("error")]
    entry.update(
        seeds=[row.get("seed") for row in ok],
        n_ok=len(ok),
        n_failed=len(members) - len(ok),
        errors=[f"seed {row.get('seed')}: {row['error']}" for row in members if row.get("error")],
    )
    names = [name for row in members for name in row if name not in _NOT_AGGREGATED]
    metrics: dict[str, dict[str, float]] = {}
    labels: dict[str, Any] = {}
    for name in dict.fromkeys(names):
        values = [row[name] for row in ok if name in row]
        numbers = [value for value in values if _is_number(value)]
        if numbers and len(numbers) == len(values):
            mean, std = mean_std([float(value) for value in numbers])
            metrics[name] = {"mean": mean, "std": std, "n": len(numbers)}
        elif values or any(name in row for row in members):
            distinct = list(dict.fromkeys(row[name] for row in members if name in row))
            labels[name] = distinct[0] if len(distinct) == 1 else distinct
    entry.update(metrics=metrics, labels=labels)
    return entry


def metric_mean(entry: Mapping[str, Any], name: str) -> float | None:
    stats = entry["metrics"].get(name)
    return None if stats is None else stats["mean"]


def metric_std(entry: Mapping[str, Any], name: str) -> float | None:
    stats = entry["metrics"].get(name)
    return None if stats is None else stats["std"]


@dataclass(frozen=True)
class TargetCheck:
    """One target's verdict with the numbers behind it (``details``: one line per comparison)."""

    key: str
    title: str
    met: bool
    summary: str
    details: tuple[str, ...] = ()


def _describe(entry: Mapping[str, Any]) -> str:
    return f"{entry['section']} {entry['method']} @ {entry['target']:g}"


def _drop(entry: Mapping[str, Any]) -> str:
    return f"{metric_mean(entry, 'accuracy_drop_pp'):.2f} ± {metric_std(entry, 'accuracy_drop_pp'):.2f} pp"


def _mac_target(aggregates: list[dict[str, Any]], targets: Targets) -> TargetCheck:
    title = f"≥ {targets.min_mac_ratio:g}x fewer MACs at ≤ {targets.max_drop_pp:g} pp accuracy loss"
    candidates = [
        entry
        for entry in aggregates
        if (metric_mean(entry, "mac_ratio") or 0.0) >= targets.min_mac_ratio
        and metric_mean(entry, "accuracy_drop_pp") is not None
    ]
    if not candidates:
        return TargetCheck(
            "a", title, False, f"no model with ≥ {targets.min_mac_ratio:g}x fewer MACs measured"
        )
    candidates.sort(key=lambda entry: metric_mean(entry, "accuracy_drop_pp"))
    best = candidates[0]
    within = [e for e in candidates if metric_mean(e, "accuracy_drop_pp") <= targets.max_drop_pp]
    summary = (
        f"best: {_describe(best)}, {metric_mean(best, 'mac_ratio'):.2f}x fewer MACs, drop {_drop(best)}; "
        f"{len(within)} of {len(candidates)} models with ≥ {targets.min_mac_ratio:g}x fewer MACs are within "
        f"{targets.max_drop_pp:g} pp"
    )
    details = tuple(f"{_describe(e)}: {metric_mean(e, 'mac_ratio'):.2f}x, drop {_drop(e)}" for e in within)
    return TargetCheck(
        "a", title, metric_mean(best, "accuracy_drop_pp") <= targets.max_drop_pp, summary, details
    )


def _sparsity_target(aggregates: list[dict[str, Any]], targets: Targets) -> TargetCheck:
    title = (
        f"unstructured ≥ {targets.min_sparsity:.0%} sparsity at ≤ {targets.max_drop_pp:g} pp accuracy loss"
    )
    candidates = [
        entry
        for entry in aggregates
        if entry["section"] == "unstructured"
        and (metric_mean(entry, "sparsity") or 0.0) >= targets.min_sparsity
        and metric_mean(entry, "accuracy_drop_pp") is not None
    ]
    if not candidates:
        return TargetCheck(
            "b", title, False, f"no unstructured model with ≥ {targets.min_sparsity:.0%} measured"
        )
    details = tuple(
        f"{_describe(e)}: sparsity {metric_mean(e, 'sparsity'):.4f}, drop {_drop(e)}" for e in candidates
    )
    best = min(candidates, key=lambda entry: metric_mean(entry, "accuracy_drop_pp"))
    met = metric_mean(best, "accuracy_drop_pp") <= targets.max_drop_pp
    summary = f"best: {_describe(best)}, sparsity {metric_mean(best, 'sparsity'):.4f}, drop {_drop(best)}"
    return TargetCheck("b", title, met, summary, details)


def _speedup_target(aggregates: list[dict[str, Any]], targets: Targets) -> TargetCheck:
    batch, need = targets.speedup_batch, targets.min_speedup_per_mac_ratio
    title = f"measured batch-{batch} speedup ≥ {need:g} × MAC ratio (structured)"
    by_target: dict[float, list[dict[str, Any]]] = {}
    for entry in aggregates:
        speedup = metric_mean(entry, f"speedup_b{batch}")
        if entry["section"] == "structured" and speedup is not None:
            by_target.setdefault(entry["target"], []).append(entry)
    if not by_target:
        return TargetCheck("c", title, False, f"no structured model with a batch-{batch} speedup measured")
    details, verdicts = [], []
    for target, entries in sorted(by_target.items()):
        speedup = statistics.fmean(metric_mean(e, f"speedup_b{batch}") for e in entries)
        ratio = statistics.fmean(metric_mean(e, "mac_ratio") for e in entries)
        efficiency = speedup / ratio
        verdicts.append(efficiency >= need)
        details.append(
            f"reduction {target:g}: speedup {speedup:.2f}x / MAC ratio {ratio:.2f}x = {efficiency:.2f} "
            f"(need ≥ {need:g}, mean of {len(entries)} configurations) {'met' if verdicts[-1] else 'NOT met'}"
        )
    summary = f"{sum(verdicts)} of {len(verdicts)} MAC budgets reach {need:g} × the MAC ratio"
    return TargetCheck("c", title, all(verdicts), summary, tuple(details))


def _allocation_target(aggregates: list[dict[str, Any]]) -> TargetCheck:
    title = "sensitivity allocation beats uniform at the same MAC budget"
    structured = [entry for entry in aggregates if entry["section"] == "structured"]
    uniform = {
        (e["labels"].get("criterion"), e["target"]): e
        for e in structured
        if e["labels"].get("allocation") == "uniform"
    }
    wins = ties = losses = 0
    details = []
    for entry in structured:
        key = (entry["labels"].get("criterion"), entry["target"])
        if entry["labels"].get("allocation") != "sensitivity" or key not in uniform:
            continue
        sensitivity, baseline = metric_mean(entry, "accuracy"), metric_mean(uniform[key], "accuracy")
        if sensitivity is None and baseline is None:
            continue
        if sensitivity is None or baseline is None:
            won = sensitivity is not None
            outcome, difference = ("win" if won else "loss"), "the other allocation failed"
        else:
            gap = (sensitivity - baseline) * 100.0
            outcome = "tie" if abs(gap) <= _TIE else ("win" if gap > 0 else "loss")
            difference = f"{sensitivity:.4f} vs {baseline:.4f} ({gap:+.2f} pp)"
        wins, ties, losses = (
            wins + (outcome == "win"),
            ties + (outcome == "tie"),
            losses + (outcome == "loss"),
        )
        details.append(f"{key[0]} @ {key[1]:g}: {outcome}, accuracy {difference}")
    pairs = wins + ties + losses
    summary = f"sensitivity wins {wins} of {pairs} (criterion, budget) pairs, ties {ties}, loses {losses}"
    return TargetCheck("d", title, pairs > 0 and wins * 2 > pairs, summary, tuple(details))


def check_targets(aggregates: list[dict[str, Any]], targets: Targets) -> list[TargetCheck]:
    """Verdicts (a) MACs at low loss, (b) unstructured sparsity at low loss, (c) speedup vs MAC ratio,
    (d) sensitivity vs uniform allocation (met when it wins a strict majority of the pairs)."""
    return [
        _mac_target(aggregates, targets),
        _sparsity_target(aggregates, targets),
        _speedup_target(aggregates, targets),
        _allocation_target(aggregates),
    ]
