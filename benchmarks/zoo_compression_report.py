"""Aggregate and render :mod:`benchmarks.zoo_compression`: mean ± std, and issue 9's targets."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from benchmarks.common import mean_std, paired_interval
from prunegate.reporting.markdown import markdown_table

__all__ = ["render_report", "summarise"]

TP_DEFAULT = "torch-pruning default"
FROM_SCRATCH = "best widths from scratch"
_MAX_LOSS_PP = {0.75: 0.5, 0.9: 1.5}  # target 1: accuracy loss vs dense at 4x / 10x fewer MACs
_SCRATCH_MARGIN_PP = 2.0  # target 1: pruned beats its widths from scratch at 10x by this much
_PP = 100.0


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per (method, reduction): accuracy, loss vs dense and MAC ratio, mean ± std over seeds; and targets."""
    dense = {row["seed"]: row for row in rows if row["method"] == "dense"}
    cells: dict[tuple[str, float], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["method"] != "dense":
            cells[(row["method"], row["reduction"])].append(row)
    table = []
    for (method, reduction), members in sorted(cells.items(), key=lambda item: (item[0][1], item[0][0])):
        accuracy = mean_std([r["accuracy"] for r in members])
        losses = [(dense[r["seed"]]["accuracy"] - r["accuracy"]) * _PP for r in members]
        loss = mean_std(losses)
        _, low, high = paired_interval(losses)
        ratio = mean_std([dense[r["seed"]]["macs"] / r["macs"] for r in members])
        table.append(
            {
                "method": method,
                "reduction": reduction,
                "accuracy": accuracy,
                "loss_pp": loss,
                "loss_within_noise": low <= 0.0 <= high,  # 95 % t-interval of the paired loss holds 0
                "mac_ratio": ratio,
                "val_accuracy": mean_std([r["val_accuracy"] for r in members]),
                "seeds": len(members),
            }
        )
    dense_accuracy = mean_std([row["accuracy"] for row in dense.values()])
    return {"dense_accuracy": dense_accuracy, "table": table, "targets": _targets(rows, table)}


def _best_by_validation(table: list[dict[str, Any]], reduction: float) -> dict[str, Any] | None:
    ours = [r for r in table if r["reduction"] == reduction and r["method"] not in (TP_DEFAULT, FROM_SCRATCH)]
    return max(ours, key=lambda r: r["val_accuracy"][0]) if ours else None


def _cell(table: list[dict[str, Any]], method: str, reduction: float) -> dict[str, Any] | None:
    return next((r for r in table if r["method"] == method and r["reduction"] == reduction), None)


def _targets(rows: list[dict[str, Any]], table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    targets = []
    for reduction in sorted({r["reduction"] for r in table}):
        best = _best_by_validation(table, reduction)
        if best is None:
            continue
        limit = _MAX_LOSS_PP.get(reduction)
        if limit is not None:
            targets.append(
                _target(
                    f"best recipe ({best['method']}) loses <= {limit} pp at {1 / (1 - reduction):.0f}x",
                    best["loss_pp"][0],
                    limit,
                    "<=",
                )
            )
        tp = _cell(table, TP_DEFAULT, reduction)
        if tp is not None:
            targets.append(
                _target(
                    f"best recipe >= Torch-Pruning default at {1 / (1 - reduction):.0f}x (pp)",
                    (best["accuracy"][0] - tp["accuracy"][0]) * _PP,
                    0.0,
                    ">=",
                )
            )
        scratch = _cell(table, FROM_SCRATCH, reduction)
        if scratch is not None and reduction == max(_MAX_LOSS_PP):
            targets.append(
                _target(
                    "pruned beats its widths from scratch at 10x (pp)",
                    (best["accuracy"][0] - scratch["accuracy"][0]) * _PP,
                    _SCRATCH_MARGIN_PP,
                    ">=",
                )
            )
    targets.append(_allocation_target(table))
    return targets


def _allocation_target(table: list[dict[str, Any]]) -> dict[str, Any]:
    """Target 2: global or sensitivity beats uniform (mean test accuracy) in most (criterion, budget)
    pairs."""
    wins, pairs = 0, 0
    for row in table:
        criterion, _, allocation = row["method"].partition(" ")
        if allocation != "uniform":
            continue
        others = [
            _cell(table, f"{criterion} {other}", row["reduction"]) for other in ("global", "sensitivity")
        ]
        others = [other for other in others if other is not None]
        if others:
            pairs += 1
            wins += max(other["accuracy"][0] for other in others) > row["accuracy"][0]
    return {
        "target": f"global or sensitivity beats uniform in most pairs ({wins} of {pairs})",
        "value": wins,
        "limit": pairs / 2,
        "met": pairs > 0 and wins > pairs / 2,
    }


def _target(name: str, value: float, limit: float, comparison: str) -> dict[str, Any]:
    met = value <= limit if comparison == "<=" else value >= limit
    return {"target": name, "value": round(value, 3), "limit": limit, "met": met}


def render_report(config: Any, summary: dict[str, Any]) -> str:
    """Markdown: the configuration, the table (mean ± std over seeds) and every target, met or not."""
    dense_mean, dense_std = summary["dense_accuracy"]
    lines = [
        f"# Structured pruning on `{config.dataset}` ({len(config.seeds)} seeds)",
        "",
        f"Dense model test accuracy {dense_mean:.4f} ± {dense_std:.4f}; {config.dense_epochs} dense epochs, "
        f"{config.finetune_epochs} fine-tuning epochs for every pruned model (scratch: the dense recipe). "
        "*within noise*: the 95 % t-interval of the loss, paired per seed, contains 0.",
        "",
        *markdown_table(
            ["reduction", "method", "MAC ratio", "test accuracy", "loss vs dense (pp)", "val accuracy"],
            [
                [
                    f"{row['reduction']:g}",
                    row["method"],
                    f"{row['mac_ratio'][0]:.1f}x",
                    f"{row['accuracy'][0]:.4f} ± {row['accuracy'][1]:.4f}",
                    f"{row['loss_pp'][0]:+.2f} ± {row['loss_pp'][1]:.2f}"
                    + (" (within noise)" if row["loss_within_noise"] else ""),
                    f"{row['val_accuracy'][0]:.4f}",
                ]
                for row in summary["table"]
            ],
            ["right", "left", "right", "right", "right", "right"],
        ),
        "",
        "## Targets (issue 9)",
        "",
        *markdown_table(
            ["target", "value", "limit", "met"],
            [
                [target["target"], target["value"], target["limit"], "yes" if target["met"] else "NO"]
                for target in summary["targets"]
            ],
            ["left", "right", "right", "left"],
        ),
    ]
    return "\n".join(lines) + "\n"
