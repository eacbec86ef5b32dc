"""Aggregate and render :mod:`benchmarks.scale`: time growth, peak memory and the targets."""

from __future__ import annotations

from typing import Any

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
    drift = max(r["work_s"] for r in checks)
    window = max(r.get("window_rows", 0) for r in checks)
    targets.append(
        {
            "target": f"read + drift check of {window:,} logged rows, largest reference (s)",
            "value": round(drift, 2),
            "limit": f"<= {DRIFT_LIMIT_S:g}",
            "met": drift <= DRIFT_LIMIT_S,
        }
    )
    return {"sizes": sizes, "targets": targets}


def render_report(summary: dict[str, Any], results: list[dict[str, Any]]) -> str:
    """Markdown: one row per size and stage, then the targets."""
    lines = [
        "# Rows at scale (synthetic, one process per stage)",
        "",
        "Work seconds exclude the one-off heavy imports (shown apart); peak RSS is the stage process's.",
        "",
        "| rows | stage | work s | imports s | wall s | peak RSS MB |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['rows']:,} | {r['stage']} | {r['work_s']:.2f} | {r['import_s']:.1f} | {r['wall_s']:.1f} "
        f"| {r['peak_rss_mb']:.0f} |"
        for r in results
    ]
    lines += ["", "## Targets", "", "| target | value | limit | met |", "|---|---:|---:|---|"]
    lines += [
        f"| {t['target']} | {t['value']} | {t['limit']} | {'met' if t['met'] else 'NOT met'} |"
        for t in summary["targets"]
    ]
    return "\n".join(lines) + "\n"
