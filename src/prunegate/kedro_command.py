"""The commands that run this project's Kedro and CLI, whether or not its virtualenv is activated."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["kedro_command", "prunegate_command"]


def kedro_command(project: Path) -> list[str]:
    """``scripts/kedro`` of ``project`` (its ``.venv`` first on PATH, for the tools stages call), else the
    Kedro of this interpreter: never a bare ``kedro`` that only an activated environment finds."""
    script = project / "scripts" / "kedro"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "kedro"]


def prunegate_command() -> list[str]:
    """The ``prunegate`` CLI installed beside this interpreter (``python -m prunegate`` is Kedro's)."""
    script = Path(sys.executable).with_name("prunegate")
    return [str(script)] if script.is_file() else ["prunegate"]
