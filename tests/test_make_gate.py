"""`make gate` never shows the verdict of an earlier run (issue 11 item 6)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.conftest import PROJECT_ROOT

OLD_VERDICT = "# Gate report\n\n✅ BLESSED (an earlier run)\n"


def _project_with_fake_dvc(tmp_path: Path, dvc_script: str) -> Path:
    """A copy of the Makefile with an installed-looking venv whose `dvc` is the given script."""
    project = tmp_path / "project"
    bin_dir = project / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "Makefile", project / "Makefile")
    shutil.copy(PROJECT_ROOT / "pyproject.toml", project / "pyproject.toml")
    (bin_dir / "python").symlink_to(shutil.which("python3") or "/usr/bin/python3")
    dvc = bin_dir / "dvc"
    dvc.write_text("#!/bin/bash\n" + dvc_script)
    dvc.chmod(0o755)
    stamp = project / ".venv" / ".prunegate-installed"
    stamp.touch()
    later = (project / "pyproject.toml").stat().st_mtime + 10
    os.utime(stamp, (later, later))
    reporting = project / "data" / "08_reporting"
    reporting.mkdir(parents=True)
    (reporting / "gate_report.md").write_text(OLD_VERDICT)
    return project


def _make_gate(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "gate"], cwd=project, capture_output=True, text=True, timeout=60
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_a_run_that_stops_before_the_gate_shows_no_earlier_verdict(tmp_path):
    project = _project_with_fake_dvc(tmp_path, 'echo "ERROR: training failed" >&2; exit 1\n')
    result = _make_gate(project)
    assert result.returncode != 0
    assert "BLESSED" not in result.stdout
    assert "no gate report: the run stopped before the gate" in result.stdout
    assert not (project / "data" / "08_reporting" / "gate_report.md").exists()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_the_report_this_run_wrote_is_shown_with_its_exit_status(tmp_path):
    script = (
        'printf "# Gate report\\n\\nNOT BLESSED (this run)\\n" > data/08_reporting/gate_report.md; exit 1\n'
    )
    project = _project_with_fake_dvc(tmp_path, script)
    result = _make_gate(project)
    assert result.returncode != 0
    assert "NOT BLESSED (this run)" in result.stdout
    assert "an earlier run" not in result.stdout
