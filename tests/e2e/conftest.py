"""End-to-end fixtures: a temporary copy of the project (config and metadata; code is the installed one)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import PROJECT_ROOT

from prunegate.data.raw_source import ensure_raw_data

BIN = Path(sys.executable).parent
COPIED = [
    "pyproject.toml",
    ".gitignore",  # what git and DVC see as tracked depends on it (DVC reads it to find .dvc files)
    ".telemetry",
    "conf",
    "dvc.yaml",
    ".dvcignore",
    "src",
    "examples",
    "champion",
    "bentofile.yaml",
    "scripts",
]


LENIENT_GATES = """
gate:
  compression:
    - {metric: accuracy, direction: higher, lower_bound: 0.5}
  regression:
    - {metric: accuracy, direction: higher, lower_bound: 0.5}
"""


@pytest.fixture
def project(tmp_path) -> Path:
    """A fresh project folder as a new clone has it after `prunegate data init` (raw data, no outputs)."""
    root = tmp_path / "project"
    root.mkdir()
    for name in COPIED:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, root / name)
    for layer in (PROJECT_ROOT / "data").iterdir():
        if layer.is_dir():
            (root / "data" / layer.name).mkdir(parents=True)
    for kept in ("feedback", "ood"):  # folders that are dvc.yaml deps, kept by a .gitkeep
        (root / "data/01_raw" / kept).mkdir()
        (root / "data/01_raw" / kept / ".gitkeep").touch()
    for tracked in (PROJECT_ROOT / "data/01_raw").glob("*.dvc"):  # the raw file's DVC tracking
        shutil.copy2(tracked, root / "data/01_raw" / tracked.name)
    ensure_raw_data(root)  # what `make run` does first (`prunegate data init`)
    for promoted in ("metrics.json", "model.json", "model.pt", "history.jsonl"):  # start with no champion
        (root / "champion" / promoted).unlink(missing_ok=True)
    # these tests are about running the chain; the gate's thresholds have tests of their own
    (root / "conf/base/parameters_gate.yml").write_text(LENIENT_GATES)
    return root


def run(
    command: list[str], cwd: Path, timeout: int = 600, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run a project command with the venv's tools first on PATH and telemetry off (plus ``extra_env``)."""
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "KEDRO_DISABLE_TELEMETRY": "1",
        "DO_NOT_TRACK": "1",
        "DVC_NO_ANALYTICS": "1",
        "COLUMNS": "200",
        "BENTOML_HOME": str(Path(cwd) / "bentoml_home"),  # the copy's store, never the checkout's
        **(extra_env or {}),
    }
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def fast_dvc_project(project: Path) -> None:
    """``project`` as a git and DVC repository (the committed .dvc config), with short training runs."""
    shutil.copytree(PROJECT_ROOT / ".dvc", project / ".dvc", ignore=shutil.ignore_patterns("tmp", "cache"))
    params = project / "conf/base/parameters_training.yml"
    params.write_text(
        params.read_text()
        .replace("epochs: 80", "epochs: 5")
        .replace("show_progress: true", "show_progress: false")
    )
    for name, old, new in [
        ("pruning", "epochs: 60", "epochs: 3"),
        ("pruning", "reductions: [0.5, 0.75, 0.9]", "reductions: [0.5]"),
        ("distillation", "epochs: 150", "epochs: 3"),
        ("profiling", "repeats: 50", "repeats: 5"),
    ]:
        path = project / f"conf/base/parameters_{name}.yml"
        path.write_text(path.read_text().replace(old, new))
    assert run(["git", "init", "-q"], project).returncode == 0
