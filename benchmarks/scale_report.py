"""Aggregate and render :mod:`benchmarks.scale`: time growth, peak memory and the targets."""

from __future__ import annotations

from typing import Any

from prunegate.reporting.markdown import markdown_table

__all__ = ["DRIFT_LIMIT_S", "GROWTH_LIMIT", "RSS_LIMIT_MB", "render_report", "summarise"]

GROWTH_LIMIT = 1.1  # ingestion + validation: at most 1.1x linear growth (110x from 10k to 1M rows)
RSS_LIMIT_MB = 4096.0  # every stage at the largest size
DRIFT_LIMIT_S = 10.0  # the drift check on the 100k-row window


def _work(results: list[dict[str, Any]], rows: int, stages: tuple[str, ...]) -> float:
    return sum(r["work_s"] for r in results if r["rows"] == rows and r["stage"] in stages)


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The targets, judged on the smallest and the largest size measured."""
    sizes = sorted({r["rows"] for r in results})
    smallest, largest = sizes[0], sizes[-1]
    targets: list[dict[str, Any]] = []
    if largest > smallest:
        growth = _work(results, largest, ("ingest", "validate")) / _work(
            results, smallest, ("ingest", "validate")
        )
        limit = GROWTH_LIMIT * largest / smallest
        targets.append(
            {
                "target": f"ingest + validate time, {largest:,} / {smallest:,} rows",
                "value": round(growth, 1),
                "limit": f"<= {limit:g}x",
                "met": growth <= limit,
            }
        )
    peak = max(r["peak_rss_mb"] for r in results if r["rows"] == largest)
    targets.append(
        {
            "target": f"peak RSS of any stage at {largest:,} rows (MB)",
            "value": round(peak),
            "limit": f"<= {RSS_LIMIT_MB:g}",
            "met": peak <= RSS_LIMIT_MB,
        }
    )
    checks = [r for r in results if r["stage"] == "drift"]
    slowest = max(checks, key=lambda r: r["work_s"])
    targets.append(
        {
            "target": f"read + drift check of {slowest.get('window_rows', 0):,} logged rows against "
            f"{_reference(slowest)} (s)",
            "value": round(slowest["work_s"], 2),
            "limit": f"<= {DRIFT_LIMIT_S:g}",
            "met": slowest["work_s"] <= DRIFT_LIMIT_S,
        }
    )
    return {"sizes": sizes, "targets": targets}


def _reference(check: dict[str, Any]) -> str:
    """``"a 700,000-row reference, both sides tested on 20,000-row samples"`` (or on every row)."""
    if "reference_rows" not in check:  # a result file written before the stage reported its rows
        return "the largest reference"
    tested = (check["tested_reference_rows"], check["tested_window_rows"])
    sampled = tested != (check["reference_rows"], check["window_rows"])
    how = f"tested on samples of {tested[0]:,} and {tested[1]:,} rows" if sampled else "every row tested"
    return f"a {check['reference_rows']:,}-row reference, {how}"


def render_report(summary: dict[str, Any], results: list[dict[str, Any]]) -> str:
    """Markdown: one row per size and stage, what each drift check compared, then the targets."""
    stages = markdown_table(
        ["rows", "stage", "work s", "imports s", "wall s", "peak RSS MB"],
        [
            [
                f"{r['rows']:,}",
                r["stage"],
                f"{r['work_s']:.2f}",
                f"{r['import_s']:.1f}",
                f"{r['wall_s']:.1f}",
                f"{r['peak_rss_mb']:.0f}",
            ]
            for r in results
        ],
        ["right", "left", "right", "right", "right", "right"],
    )
    checks = [r for r in results if r["stage"] == "drift" and "reference_rows" in r]
    drift = markdown_table(
        ["rows", "reference rows", "tested", "logged rows", "tested", "work s"],
        [
            [
                f"{r['rows']:,}",
                f"{r['reference_rows']:,}",
                f"{r['tested_reference_rows']:,}",
                f"{r['window_rows']:,}",
                f"{r['tested_window_rows']:,}",
                f"{r['work_s']:.2f}",
            ]
            for r in checks
        ],
        ["right"] * 6,
    )
    targets = markdown_table(
        ["target", "value", "limit", "met"],
        [[t["target"], t["value"], t["limit"], "met" if t["met"] else "NOT met"] for t in summary["targets"]],
        ["left", "right", "right", "left"],
    )
    lines = [
        "# Rows at scale (synthetic, one process per stage)",
        "",
        "Work seconds exclude the one-off heavy imports (shown apart); peak RSS is the stage process's.",
        "",
        *stages,
    ]
    if checks:
        lines += [
            "",
            "## The drift check",
            "",
            "The reference is the train split of each size; the logged rows are test rows drawn with "
            "replacement. Each side is tested on a seeded sample of at most `monitoring.drift_sample_rows` "
            'rows (as shipped); "tested" is how many rows the test saw.',
            "",
            *drift,
        ]
    lines += ["", "## Targets", "", *targets]
    return "\n".join(lines) + "\n"
