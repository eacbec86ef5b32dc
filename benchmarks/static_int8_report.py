"""Aggregate and render :mod:`benchmarks.static_int8`: mean ± std over seeds, and the targets."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from benchmarks.common import mean_std
from prunegate.reporting.markdown import markdown_table

__all__ = ["MAX_EXTRA_LOSS_PP", "MIN_SPEEDUP_B32", "render_report", "summarise"]

MAX_EXTRA_LOSS_PP = 0.5  # int8 on the pruned model loses at most this much more accuracy than float
MIN_SPEEDUP_B32 = 1.5  # and is at least this much faster at batch 32 (ONNX Runtime, one thread)
_MEASURES = (
    "float_accuracy",
    "int8_accuracy",
    "extra_loss_pp",
    "float_ms_b1",
    "int8_ms_b1",
    "speedup_b1",
    "float_ms_b32",
    "int8_ms_b32",
    "speedup_b32",
    "macs",
)


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per (model, stage): every measure as (mean, std) over seeds; and per model the two targets."""
    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        cells[(row["model"], row["stage"])].append(row)
    table = [
        {
            "model": model,
            "dataset": members[0]["dataset"],
            "stage": stage,
            "seeds": len(members),
            "test_rows": members[0]["test_rows"],
            **{name: mean_std([float(r[name]) for r in members]) for name in _MEASURES},
        }
        for (model, stage), members in cells.items()
    ]
    targets = []
    for entry in (e for e in table if e["stage"] == "pruned"):
        loss, speedup = entry["extra_loss_pp"][0], entry["speedup_b32"][0]
        targets.append(
            {
                "model": entry["model"],
                "extra_loss_pp": entry["extra_loss_pp"],
                "loss_met": loss <= MAX_EXTRA_LOSS_PP,
                "speedup_b32": entry["speedup_b32"],
                "speedup_met": speedup >= MIN_SPEEDUP_B32,
            }
        )
    return {"table": table, "targets": targets}


def _pm(value: tuple[float, float], digits: int = 2) -> str:
    return f"{value[0]:.{digits}f} ± {value[1]:.{digits}f}"


def render_report(config: Any, summary: dict[str, Any]) -> str:
    """Markdown: one row per model and stage, then the targets, met or not."""
    lines = [
        "# Static int8 (ONNX Runtime QDQ) on top of pruning",
        "",
        f"Mean ± std over seeds {list(config.seeds)}; pruned to {1 / (1 - config.reduction):.0f}x fewer MACs "
        "with the shipped recipe; latency is the median on one ONNX Runtime thread, float and int8 timed "
        "in interleaved rounds. Extra loss = float accuracy minus int8 accuracy on the test split.",
        "",
        *markdown_table(
            [
                "model",
                "data",
                "stage",
                "MACs",
                "float acc",
                "int8 acc",
                "extra loss (pp)",
                "float ms b1",
                "int8 ms b1",
                "speedup b1",
                "float ms b32",
                "int8 ms b32",
                "speedup b32",
            ],
            [
                [
                    e["model"],
                    e["dataset"],
                    e["stage"],
                    f"{e['macs'][0]:,.0f}",
                    _pm(e["float_accuracy"], 4),
                    _pm(e["int8_accuracy"], 4),
                    _pm(e["extra_loss_pp"]),
                    _pm(e["float_ms_b1"], 3),
                    _pm(e["int8_ms_b1"], 3),
                    _pm(e["speedup_b1"]),
                    _pm(e["float_ms_b32"], 3),
                    _pm(e["int8_ms_b32"], 3),
                    _pm(e["speedup_b32"]),
                ]
                for e in summary["table"]
            ],
            ["left"] * 3 + ["right"] * 10,
        ),
    ]
    test_rows = {e["model"]: e["test_rows"] for e in summary["table"]}
    lines += [
        "",
        f"## Targets (pruned model): extra loss ≤ {MAX_EXTRA_LOSS_PP} pp, speedup at batch 32 ≥ "
        f"{MIN_SPEEDUP_B32}x",
        "",
        *markdown_table(
            ["model", "extra loss (pp)", "met", "speedup b32", "met"],
            [
                [
                    t["model"],
                    f"{_pm(t['extra_loss_pp'])} (1 row = {100 / test_rows[t['model']]:.2f} pp)",
                    "met" if t["loss_met"] else "NOT met",
                    f"{_pm(t['speedup_b32'])}x",
                    "met" if t["speedup_met"] else "NOT met",
                ]
                for t in summary["targets"]
            ],
            ["left", "right", "left", "right", "left"],
        ),
    ]
    return "\n".join(lines) + "\n"
