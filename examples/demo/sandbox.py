"""A temporary git copy of the project in which the real commands run (Kedro, DVC, prunegate)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProjectSandbox"]

_COPIED = (
    "pyproject.toml",
    ".telemetry",
    ".dvcignore",
    "dvc.yaml",
    "conf",
    "src",
    "examples",
    "champion",
    ".dvc",
    "bentofile.yaml",
    ".gitignore",
    "scripts",
)
_IGNORED = shutil.ignore_patterns("__pycache__", "*.egg-info", "cache", "tmp", "config.local", "local")


@dataclass
class ProjectSandbox:
    """``root`` is a fresh git repository holding a copy of the project's code and configuration."""

    root: Path

    @classmethod
    def create(cls, source: Path, root: Path) -> ProjectSandbox:
        root.mkdir(parents=True)
        for name in _COPIED:
            path = source / name
            if path.is_dir():
                shutil.copytree(path, root / name, ignore=_IGNORED)
            elif path.is_file():
                shutil.copy2(path, root / name)
        (root / "conf" / "local").mkdir(exist_ok=True)
        for layer in (source / "data").iterdir():
            if layer.is_dir():
                (root / "data" / layer.name).mkdir(parents=True, exist_ok=True)
        for kept in ("feedback", "ood"):  # folders that are dvc.yaml deps, kept by a .gitkeep
            (root / "data/01_raw" / kept).mkdir(exist_ok=True)
            (root / "data/01_raw" / kept / ".gitkeep").touch()
        for tracked in (source / "data/01_raw").glob("*.dvc"):  # the raw data file's DVC tracking
            shutil.copy2(tracked, root / "data/01_raw" / tracked.name)
        for promoted in ("metrics.json", "model.json", "model.pt", "history.jsonl"):  # start with no champion
            (root / "champion" / promoted).unlink(missing_ok=True)
        sandbox = cls(root)
        sandbox.run("prunegate", "data", "init")  # what `make run` does first: the raw data file
        sandbox.run("git", "init", "-q", "-b", "main")
        sandbox.run("git", "config", "user.email", "demo@prunegate.invalid")
        sandbox.run("git", "config", "user.name", "prunegate demo")
        sandbox.commit("project copy")
        return sandbox

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run a command in the sandbox with this interpreter's tools first on PATH and telemetry off."""
        bin_dir = str(Path(sys.executable).parent)
        env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "KEDRO_DISABLE_TELEMETRY": "1",
            "DO_NOT_TRACK": "1",
            "DVC_NO_ANALYTICS": "1",
            "COLUMNS": "200",
        }
        result = subprocess.run(command, cwd=self.root, env=env, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def commit(self, message: str) -> None:
        self.run("git", "add", "-A")
        self.run("git", "commit", "-q", "--allow-empty", "-m", message)

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace ``old`` (which must occur) with ``new`` in a text file of the sandbox."""
        path = self.root / relative
        text = path.read_text()
        if old not in text:
            raise ValueError(f"{relative} does not contain {old!r}")
        path.write_text(text.replace(old, new))

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text()
