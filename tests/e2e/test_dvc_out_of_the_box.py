"""Issue 25 item 13: DVC's own commands work on the project right after `make run`.

Found by a probe: `prunegate data init` wrote the raw file without putting it in DVC's cache, so
`dvc exp run -S ...` could not check it out and `dvc push` skipped it, and a colleague's `dvc pull`
failed on the sweep's outputs, which `make run` never makes.
"""

import pytest
from tests.e2e.conftest import fast_dvc_project, run

pytestmark = pytest.mark.slow

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
RAW = "data/01_raw/digits.csv"


def test_push_a_colleagues_pull_and_an_experiment_work_after_a_run(project, tmp_path):
    fast_dvc_project(project)
    (project / RAW).unlink()  # as in a fresh clone: only the committed .dvc file
    remote = tmp_path / "remote"
    assert run(["dvc", "remote", "add", "-d", "-f", "local", str(remote)], project).returncode == 0
    first = run(["prunegate", "run"], project, timeout=1200)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert run([*GIT, "add", "-A"], project).returncode == 0
    assert run([*GIT, "commit", "-qm", "a run"], project).returncode == 0

    pushed = run(["dvc", "push"], project)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    clone = tmp_path / "colleague"
    assert run(["git", "clone", "-q", str(project), str(clone)], tmp_path).returncode == 0
    pulled = run(["dvc", "pull"], clone)  # every output of the run, nothing `make run` never makes
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert (clone / RAW).read_bytes() == (project / RAW).read_bytes()
    assert (clone / "data/06_models/shipped.pt").is_file()

    reduction = "conf/base/parameters_pruning.yml:pruning.reduction=0.8"
    experiment = run(["dvc", "exp", "run", "prune", "-S", reduction], clone)
    assert experiment.returncode == 0, experiment.stdout[-3000:] + experiment.stderr[-3000:]
