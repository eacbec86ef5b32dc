"""``prunegate plots``: the project's DVC plots as one HTML page that renders offline.

``dvc plots show`` / ``diff`` write HTML that loads Vega from a CDN, so on a machine without internet (or
behind a strict proxy) the page is blank. Here DVC renders the plots' Vega-Lite specs with their data
(``dvc plots show --json``, or ``diff`` against revisions) and vl-convert (the Vega-Lite compiler and
renderer, bundled in its wheel) turns each into an SVG; the page holds the SVGs inline, no script at all.
"""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path
from typing import Any

from prunegate.dvc_cli import DvcCommandError, run_dvc

__all__ = ["render_plots_page", "write_plots_page"]

logger = logging.getLogger(__name__)


def _dvc_plots_json(project: Path, revisions: list[str]) -> dict[str, Any]:
    command = ["plots", "diff", *revisions] if revisions else ["plots", "show"]
    output = run_dvc(project, *command, "--json")
    if not output.strip():
        raise DvcCommandError(f"`dvc {' '.join(command)} --json` printed nothing")
    return json.loads(output)


def render_plots_page(plots: dict[str, Any], title: str) -> str:
    """HTML with one inline SVG per plot of ``dvc plots ... --json`` output, and what DVC could not load."""
    import vl_convert

    sections = []
    for name, renders in (plots.get("data") or {}).items():
        for render in renders:
            if render.get("type") != "vega":
                continue
            svg = vl_convert.vegalite_to_svg(render["content"])
            revisions = ", ".join(render.get("revisions") or [])
            sections.append(
                f"<section><h2>{html.escape(name)}</h2><p>{html.escape(revisions)}</p>{svg}</section>"
            )
    errors = [
        f"<li>{html.escape(str(e.get('name', '')))} ({html.escape(str(e.get('rev', '')))}): "
        f"{html.escape(str(e.get('msg', e.get('type', ''))))}{_hint(e)}</li>"
        for e in plots.get("errors") or []
    ]
    missing = f"<h2>Not shown</h2><ul>{''.join(errors)}</ul>" if errors else ""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{''.join(sections)}{missing}</body></html>\n"
    )


def _hint(error: dict[str, Any]) -> str:
    """Why a sweep plot is missing: the sweep is opt-in (``make sweep``), and its outputs are not cached
    (so that ``dvc pull`` of a project that never ran it works), so another revision's are not kept."""
    source = str(error.get("source", "")) + str(error.get("msg", ""))
    if "sweep_" not in source:
        return ""
    if str(error.get("rev", "workspace")) != "workspace":
        return " (the sweep's outputs are not cached: only the workspace's sweep can be shown)"
    return " (the pruning sweep is opt-in: run <code>make sweep</code>)"


def write_plots_page(project: Path, out: Path, revisions: list[str]) -> Path:
    """Render the plots of the workspace (or of ``revisions`` against it) to ``out``; returns ``out``."""
    plots = _dvc_plots_json(project, revisions)
    title = f"prunegate plots: {', '.join(revisions)} vs workspace" if revisions else "prunegate plots"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_plots_page(plots, title))
    logger.info("wrote %s", out)
    return out
