"""Run the DVC command line of this environment (``python -m dvc``) with analytics off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["DvcCommandError", "run_dvc"]


class DvcCommandError(RuntimeError):
    """A DVC command exited non-zero; the message holds the command and what DVC printed."""


def run_dvc(project: Path, *arguments: str) -> str:
    """``dvc <arguments>`` in ``project``; returns its standard output.

    Raises:
        DvcCommandError: DVC exited non-zero.
    """
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *arguments], cwd=project, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip() or f"exit status {result.returncode}"
        raise DvcCommandError(f"`dvc {' '.join(arguments)}` failed: {said}")
    return result.stdout
