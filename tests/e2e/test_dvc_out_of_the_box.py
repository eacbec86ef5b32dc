"""Issue 25 item 13: DVC's own commands work on the project right after `make run`.

Found by a probe: `prunegate data init` wrote the raw file without putting it in DVC's cache, so
`dvc exp run -S ...` could not check it out and `dvc push` skipped it, and the committed dvc.lock
recorded sweep outputs that `make run` never makes, so a colleague's `dvc pull` failed.
"""

import pytest
from tests.e2e.conftest import fast_dvc_project, run

pytestmark = pytest.mark.slow

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]


def test_exp_run_push_and_a_colleagues_pull_work_after_a_run(project, tmp_path):
    fast_dvc_project(project)
    (project / "data/01_raw/digits.csv").unlink()  # a fresh clone: only the .dvc file
    remote = tmp_path / "remote"
    assert run(["dvc", "remote", "add", "-d", "-f", "local", str(remote)], project).returncode == 0
    assert run(["dvc", "config", "core.autostage", "false"], project).returncode == 0
    first = run(["prunegate", "run"], project, timeout=1200)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert run([*GIT, "add", "-A"], project).returncode == 0
    assert run([*GIT, "commit", "-qm", "a run"], project).returncode == 0

    experiment = run(
        ["dvc", "exp", "run", "prune", "-S", "conf/base/parameters_pruning.yml:pruning.reduction=0.8"],
        project,
    )
    assert experiment.returncode == 0, experiment.stdout[-3000:] + experiment.stderr[-3000:]
    assert "No such file" not in experiment.stderr

    pushed = run(["dvc", "push"], project)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    clone = tmp_path / "colleague"
    assert run(["git", "clone", "-q", str(project), str(clone)], tmp_path).returncode == 0
    pulled = run(["dvc", "pull"], clone)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert (clone / "data/01_raw/digits.csv").read_bytes() == (
        project / "data/01_raw/digits.csv"
    ).read_bytes()
    assert (clone / "data/06_models/shipped.pt").is_file()
