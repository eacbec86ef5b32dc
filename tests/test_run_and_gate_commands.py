"""`prunegate run` / `prunegate gate` (what `make run` / `make gate` call): DVC, then the summary or the
gate report of this run, never an earlier run's verdict (issue 11 item 6)."""

import re
import shutil
from pathlib import Path

import pytest
from tests.conftest import PROJECT_ROOT

from prunegate import commands

OLD_VERDICT = "# Gate report\n\n✅ BLESSED (an earlier run)\n"
REPORT = "data/08_reporting/gate_report.md"


@pytest.fixture
def project(tmp_path, monkeypatch):
    shutil.copytree(PROJECT_ROOT / "conf/base", tmp_path / "conf/base")
    (tmp_path / "conf/local").mkdir()
    (tmp_path / "data/08_reporting").mkdir(parents=True)
    (tmp_path / REPORT).write_text(OLD_VERDICT)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _fake_dvc(monkeypatch, calls: list, status: int, report: str | None = None):
    def dvc(*arguments):
        calls.append(arguments)
        if report is not None:
            (Path.cwd() / REPORT).write_text(report)
        return status

    monkeypatch.setattr(commands, "_dvc", dvc)


def test_a_run_that_stops_before_the_gate_shows_no_earlier_verdict(project, monkeypatch, capsys):
    calls: list = []
    _fake_dvc(monkeypatch, calls, status=1)
    assert commands.main(["gate"]) == 1
    out = capsys.readouterr().out
    assert calls == [("repro", "gate")]
    assert "BLESSED" not in out and "no gate report: the run stopped before the gate" in out
    assert not (project / REPORT).exists()


def test_the_report_this_run_wrote_is_shown_with_its_exit_status(project, monkeypatch, capsys):
    _fake_dvc(monkeypatch, [], status=1, report="# Gate report\n\nNOT BLESSED (this run)\n")
    assert commands.main(["gate"]) == 1
    out = capsys.readouterr().out
    assert "NOT BLESSED (this run)" in out and "an earlier run" not in out


def test_run_writes_the_bundled_data_reproduces_the_chain_and_prints_the_summary(
    project, monkeypatch, capsys
):
    calls: list = []
    _fake_dvc(monkeypatch, calls, status=0)
    assert commands.main(["run"]) == 0
    assert calls == [("repro", "package")]
    assert (project / "data/01_raw/digits.csv").is_file()  # `prunegate data init` first
    assert "## prunegate run summary" in capsys.readouterr().out
    calls.clear()
    assert commands.main(["run", "--force", "--target", "train"]) == 0
    assert calls == [("repro", "--force", "train")]


def test_a_failed_run_prints_no_summary_and_keeps_dvcs_status(project, monkeypatch, capsys):
    _fake_dvc(monkeypatch, [], status=3)
    assert commands.main(["run"]) == 3
    printed = capsys.readouterr()
    assert "run summary" not in printed.out
    assert "undo the change, and `make run` again" in printed.err
    assert (
        "`.venv/bin/dvc checkout --with-deps --force package` puts back what dvc.lock records" in printed.err
    )


def test_a_run_the_gate_refused_prints_the_summary_and_says_to_undo_not_checkout(
    project, monkeypatch, capsys
):
    """A `dvc checkout` after a refusal would restore the last blessed verdict beside this run's models."""

    def refused(*arguments):
        (project / "data/08_reporting/blessing.json").write_text('{"blessed": false, "candidate": "pruned"}')
        return 1

    monkeypatch.setattr(commands, "_dvc", refused)
    assert commands.main(["run"]) == 1
    printed = capsys.readouterr()
    assert "## prunegate run summary" in printed.out and "NOT BLESSED (not shipped)" in printed.out
    assert (
        "the gate did not bless the candidate" in printed.err
        and "undo the change and `make run`" in printed.err
    )
    assert "dvc checkout --with-deps" not in printed.err


def test_an_earlier_runs_refusal_is_not_taken_for_this_runs(project, monkeypatch, capsys):
    import os

    blessing = project / "data/08_reporting/blessing.json"
    blessing.write_text('{"blessed": false, "candidate": "pruned"}')
    os.utime(blessing, (1_000_000_000, 1_000_000_000))
    _fake_dvc(monkeypatch, [], status=1)  # stopped before the gate this time
    assert commands.main(["run"]) == 1
    assert "the run stopped" in capsys.readouterr().err


def test_make_run_and_make_gate_call_the_commands():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert re.search(r"^run: install\n\t\$\(BIN\)/prunegate run\n", makefile, re.MULTILINE)
    assert re.search(r"^gate: install\n\t\$\(BIN\)/prunegate gate \$\(GATE_ARGS\)\n", makefile, re.MULTILINE)


@pytest.mark.parametrize("command", ["run", "gate"])
def test_bad_parameters_stop_the_command_before_dvc_touches_a_stage(project, monkeypatch, capsys, command):
    """DVC deletes a stage's outputs before its kedro run refuses the key: refused first, nothing lost."""
    calls: list = []
    _fake_dvc(monkeypatch, calls, status=0)
    (project / "conf/local/parameters_pruning.yml").write_text("pruning:\n  reduktion: 0.5\n")
    assert commands.main([command]) == 1
    assert calls == []  # dvc never ran
    err = capsys.readouterr().err
    assert "the parameters are invalid; nothing was run" in err
    assert "pruning.reduktion: unknown key" in err and "Traceback" not in err


def test_unreadable_parameters_are_refused_with_the_reason(project, monkeypatch, capsys):
    calls: list = []
    _fake_dvc(monkeypatch, calls, status=0)
    (project / "conf/local/parameters_training.yml").write_text("training: [unclosed\n")
    assert commands.main(["run"]) == 1
    assert calls == []
    assert "the parameters cannot be read" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("max_worsening_abs: 0.005", "max_worsening_abss: 0.005"), "gate.compression.0.max_worsening_abss"),
        (("\ngate:", "\ngates:"), "gates: unknown parameters section; did you mean 'gate'?"),
    ],
    ids=["misspelt threshold", "misspelt section"],
)
@pytest.mark.parametrize("command", ["run", "gate"])
def test_a_gate_typo_stops_the_run_before_dvc_touches_the_last_good_results(
    project, monkeypatch, capsys, caplog, edit, message, command
):
    """Issue 25 item 3: a typo in the gate's thresholds used to reach the gate stage only after DVC had
    removed shipped.pt and blessing.json, so the last blessed model could no longer be promoted."""
    gate_file = project / "conf/base/parameters_gate.yml"
    gate_file.write_text(gate_file.read_text().replace(*edit, 1))
    last_good = {"data/06_models/shipped.pt": "blessed model", "data/08_reporting/blessing.json": "{}"}
    for name, content in last_good.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(content)
    calls: list = []
    _fake_dvc(monkeypatch, calls, status=0)
    assert commands.main([command]) == 1
    assert calls == []  # DVC never started: nothing was removed or overwritten
    assert message in capsys.readouterr().err + caplog.text
    assert {name: (project / name).read_text() for name in last_good} == last_good


@pytest.fixture
def tracked_project(project):
    shutil.copy2(PROJECT_ROOT / "dvc.yaml", project / "dvc.yaml")
    return project


@pytest.mark.parametrize("command", ["run", "gate"])
def test_a_local_override_dvc_would_ignore_stops_the_run_naming_the_key(
    tracked_project, monkeypatch, capsys, command
):
    """Issue 25 item 4: DVC skipped the stage as unchanged, so the override silently did nothing."""
    local = tracked_project / "conf/local"
    (local / "parameters_training.yml").write_text("training:\n  epochs: 3\n  mlp: {dropout: 0.2}\n")
    (local / "globals.yml").write_text("raw_data:\n  path: data/01_raw/mine.csv\n")
    calls: list = []
    _fake_dvc(monkeypatch, calls, status=0)
    assert commands.main([command]) == 1
    assert calls == []
    err = capsys.readouterr().err
    assert (
        "conf/local/parameters_training.yml: training.epochs = 3 (conf/base: 80); to try it: "
        ".venv/bin/dvc exp run -S 'conf/base/parameters_training.yml:training.epochs=3'" in err
    )
    assert "training.mlp.dropout = 0.2" in err and "parameters_training.yml:training.mlp.dropout=0.2'" in err
    assert "conf/local/globals.yml: raw_data.path = 'data/01_raw/mine.csv'" in err
    assert "edit it in conf/base/globals.yml" in err


def test_local_overrides_dvc_does_not_track_or_that_change_nothing_are_fine(
    tracked_project, monkeypatch, capsys
):
    local = tracked_project / "conf/local"
    (local / "parameters_serving.yml").write_text("serving:\n  port: 3999\n")  # no stage reads it
    (local / "parameters_training.yml").write_text("training:\n  epochs: 80\n")  # the base value
    calls: list = []
    _fake_dvc(monkeypatch, calls, status=0)
    assert commands.main(["run"]) == 0
    assert calls == [("repro", "package")]
