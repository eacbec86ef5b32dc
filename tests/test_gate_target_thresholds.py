"""Issue 25 item 12: a pull request that loosens the gate's thresholds no longer passes its own gate.

Reproduced: a pull request sets ``max_worsening_abs: 1.0`` and ``lower_bound: 0.0`` (an 85 pp worse model
was then BLESSED and the job green). ``prunegate gate --base-ref <target>`` judges it with the target
branch's thresholds and fails unless the change is approved.
"""

import shutil
import subprocess
from pathlib import Path

import pytest
from tests.conftest import PROJECT_ROOT

from prunegate import commands

GATE_FILE = "conf/base/parameters_gate.yml"
REPORT = Path("data/08_reporting/gate_report.md")
NOTE = Path("data/08_reporting/gate_thresholds.md")


def _git(cwd: Path, *arguments: str) -> str:
    return subprocess.run(["git", *arguments], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repository(tmp_path, monkeypatch):
    """A project whose ``main`` holds the shipped thresholds, checked out on a pull request branch."""
    shutil.copytree(PROJECT_ROOT / "conf/base", tmp_path / "conf/base")
    shutil.copy2(PROJECT_ROOT / "dvc.yaml", tmp_path / "dvc.yaml")
    (tmp_path / "data/08_reporting").mkdir(parents=True)
    (tmp_path / "conf/local").mkdir()
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "conf", "dvc.yaml")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "main")
    _git(tmp_path, "checkout", "-qb", "pull-request")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _pull_request_edits(repository: Path, *edits: tuple[str, str]) -> str:
    path = repository / GATE_FILE
    text = path.read_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text)
    _git(repository, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "pull request")
    return text


LOOSENED = (
    ("max_worsening_abs: 0.005      # at most", "max_worsening_abs: 1.0      # at most"),
    ("lower_bound: 0.95", "lower_bound: 0.0"),
)


def _dvc_recording_thresholds(monkeypatch, seen: list):
    def dvc(*arguments):
        seen.append((Path.cwd() / GATE_FILE).read_text())
        REPORT.write_text("# Gate report\n\n✅ BLESSED\n")
        return 0

    monkeypatch.setattr(commands, "_dvc", dvc)


def test_loosened_thresholds_are_not_applied_and_the_gate_fails(repository, monkeypatch, capsys):
    loosened = _pull_request_edits(repository, *LOOSENED)
    seen: list = []
    _dvc_recording_thresholds(monkeypatch, seen)
    assert commands.main(["gate", "--base-ref", "main"]) == 1  # the model was blessed, the change was not
    assert seen == [_git(repository, "show", f"main:{GATE_FILE}")]  # judged by the target's thresholds
    assert (repository / GATE_FILE).read_text() == loosened  # the pull request's file put back
    note = NOTE.read_text()
    assert "changes the gate's thresholds, so the gate fails** whatever the verdict below" in note
    assert "judged with the target branch's thresholds (`main`), not with this pull request's" in note
    assert (
        "- changed: `compression: accuracy higher: confidence=0.95, max_worsening_abs=0.005 -> "
        "confidence=0.95, max_worsening_abs=1`" in note
    )
    assert "lower_bound=0.95, max_worsening_abs=0.005 -> confidence=0.95, lower_bound=0, max_w" in note
    assert "removed" not in note and "added" not in note  # an edited check is one change, not two
    assert f"`{GATE_FILE}`" in note  # a gate file changed: its owners review it
    printed = capsys.readouterr()
    assert "so the gate fails" in printed.out and "gate-change-approved" in printed.err


def test_an_approved_change_applies_the_pull_requests_thresholds_and_says_so(repository, monkeypatch):
    loosened = _pull_request_edits(repository, *LOOSENED)
    seen: list = []
    _dvc_recording_thresholds(monkeypatch, seen)
    assert commands.main(["gate", "--base-ref", "main", "--allow-gate-change"]) == 0
    assert seen == [loosened]
    assert "changes the gate's thresholds**, approved (`--allow-gate-change`" in NOTE.read_text()


def test_unchanged_thresholds_and_comment_edits_change_nothing(repository, monkeypatch):
    _pull_request_edits(repository, ("# The gate (TFX Evaluator style).", "# The gate, TFX style."))
    seen: list = []
    _dvc_recording_thresholds(monkeypatch, seen)
    assert commands.main(["gate", "--base-ref", "main"]) == 0
    assert seen == [(repository / GATE_FILE).read_text()]
    assert NOTE.read_text().startswith("Thresholds: the target branch's (`main`); this pull request does not")


def test_a_target_branch_with_the_old_gates_file_still_judges(repository, monkeypatch):
    """The first pull request after the move: main still has conf/base/gates.yml."""
    import yaml

    _git(repository, "checkout", "-q", "main")
    section = yaml.safe_load((repository / GATE_FILE).read_text())["gate"]
    _git(repository, "rm", "-q", GATE_FILE)
    (repository / "conf/base/gates.yml").write_text(yaml.safe_dump(section))
    _git(repository, "add", "conf/base/gates.yml")
    _git(repository, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "old layout")
    _git(repository, "checkout", "-q", "pull-request")  # branched before the old layout: the new one
    seen: list = []
    _dvc_recording_thresholds(monkeypatch, seen)
    assert commands.main(["gate", "--base-ref", "main"]) == 0
    assert "does not change them" in NOTE.read_text()


def test_an_unknown_target_branch_runs_nothing(repository, monkeypatch, capsys):
    seen: list = []
    _dvc_recording_thresholds(monkeypatch, seen)
    assert commands.main(["gate", "--base-ref", "origin/nope"]) == 1
    assert seen == []
    assert "--base-ref origin/nope: no such commit here" in capsys.readouterr().err
