"""`dvc repro` runs the chain once, then nothing; a training param change re-runs only `train`."""

import json
import shutil

import pytest
import yaml
from tests.e2e.conftest import fast_dvc_project, run

pytestmark = pytest.mark.slow


def _stages_run(output: str) -> list[str]:
    return [
        name
        for name in ("ingest", "validate", "train", "prune", "distill", "sweep")
        if f"Running stage '{name}'" in output
    ]


def _hashes(project) -> dict[str, str]:
    """``{path: md5}`` of every dependency and output that dvc.lock records."""
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    return {
        f"{name}: {entry['path']}": entry.get("md5", "")
        for name, stage in lock["stages"].items()
        for entry in [*stage.get("deps", []), *stage.get("outs", [])]
    }


def test_repro_is_incremental(project):
    fast_dvc_project(project)
    params = project / "conf/base/parameters_training.yml"

    first = run(["dvc", "repro"], project)
    assert first.returncode == 0, first.stdout + first.stderr
    assert _stages_run(first.stdout) == ["ingest", "validate", "train", "prune", "distill", "sweep"]

    second = run(["dvc", "repro"], project)
    assert second.returncode == 0, second.stderr
    assert _stages_run(second.stdout) == []

    # the same seed gives the same bytes: re-running training, evaluation and the gate changes no output
    # that DVC hashes (timings go to data/08_reporting/measured/), so dvc.lock stays as it was
    lock = _hashes(project)
    for stage in ("train", "evaluate", "gate"):
        forced = run(["dvc", "repro", "--force", "--single-item", stage], project)
        assert forced.returncode == 0, forced.stdout + forced.stderr
        changed = sorted(path for path, digest in _hashes(project).items() if lock.get(path) != digest)
        assert not changed, f"re-running {stage} changed {changed}"
    assert "latency_ms_p50_b1" in (project / "data/08_reporting/measured/candidate_metrics.json").read_text()

    params.write_text(params.read_text().replace("learning_rate: 0.003", "learning_rate: 0.002"))
    third = run(["dvc", "repro"], project)
    assert third.returncode == 0, third.stderr
    assert _stages_run(third.stdout) == ["train", "prune", "distill", "sweep"]

    metrics = run(["dvc", "metrics", "show", "--json"], project)
    assert "accuracy" in metrics.stdout

    # metrics and plots of another revision load from the cache: diff against the committed run
    assert run(["git", "add", "-A"], project).returncode == 0
    for key, value in (("user.email", "ci@example.com"), ("user.name", "ci")):  # dvc exp commits too
        assert run(["git", "config", key, value], project).returncode == 0
    assert run(["git", "commit", "-qm", "first run"], project).returncode == 0
    params.write_text(params.read_text().replace("learning_rate: 0.002", "learning_rate: 0.001"))
    assert run(["dvc", "repro", "evaluate"], project).returncode == 0
    diff = run(["dvc", "metrics", "diff", "HEAD", "--all", "--json"], project)
    assert diff.returncode == 0 and "failed to load" not in diff.stdout + diff.stderr, diff.stderr
    changed = json.loads(diff.stdout)["data/08_reporting/headline_metrics.json"]
    assert "dense.accuracy" in changed and len(changed) < 60  # a headline, not hundreds of columns
    plots = run(["dvc", "plots", "diff", "HEAD", "--json"], project)
    assert plots.returncode == 0, plots.stderr
    # every plot loads for HEAD but the sweep's: its outputs are not cached (dvc.yaml), so that a colleague's
    # `dvc pull` of a project that never ran the opt-in sweep works; only the workspace's sweep is shown
    failed = {(e["name"], e["rev"]) for e in json.loads(plots.stdout).get("errors", [])}
    assert failed <= {("accuracy vs parameters removed", "HEAD"), ("accuracy vs MACs", "HEAD")}, failed
    page = run(["prunegate", "plots", "--diff", "HEAD"], project)
    assert page.returncode == 0, page.stderr
    html = (project / "data/08_reporting/plots.html").read_text()
    assert html.count("<svg") >= 4 and "<script" not in html  # offline
    assert "only the workspace's sweep can be shown" in html if failed else "Not shown" not in html

    # an experiment with one parameter set on the command line, and the table of what changed
    params.write_text(params.read_text().replace("learning_rate: 0.001", "learning_rate: 0.002"))
    exp = [
        "dvc",
        "exp",
        "run",
        "-S",
        "conf/base/parameters_training.yml:training.learning_rate=0.0015",
        "evaluate",
    ]
    experiment = run(exp, project)
    assert experiment.returncode == 0, experiment.stdout[-2000:] + experiment.stderr[-2000:]
    shown = run(["dvc", "exp", "show", "--only-changed", "--csv", "--no-pager"], project)
    assert shown.returncode == 0, shown.stderr
    header = shown.stdout.splitlines()[0].split(",")
    assert "training.learning_rate" in header and "dense.accuracy" in header and len(header) < 80

    # the default remote is a local folder: push, lose the model and the cache, pull it back
    remote = project.parent / "remote"
    assert run(["dvc", "remote", "modify", "--local", "local", "url", str(remote)], project).returncode == 0
    pushed = run(["dvc", "push"], project)
    assert pushed.returncode == 0, pushed.stderr
    model = project / "data/06_models/dense.pt"
    original = model.read_bytes()
    model.unlink()
    shutil.rmtree(project / ".dvc" / "cache")
    pulled = run(["dvc", "pull", "data/06_models/dense.pt"], project)
    assert pulled.returncode == 0, pulled.stderr
    assert model.read_bytes() == original

    # the raw data is an input that DVC tracks (data/01_raw/digits.csv.dvc), pushed like everything else
    raw = project / "data/01_raw/digits.csv"
    good = raw.read_bytes()
    raw.unlink()
    assert run(["dvc", "pull", "data/01_raw/digits.csv.dvc"], project).returncode == 0
    assert raw.read_bytes() == good

    # a user's bad file re-runs ingest and validate, stops the chain, and is neither replaced nor blessed
    bad = good.replace(b"\n0.0,", b"\n-5.0,", 1)
    raw.write_bytes(bad)
    refused = run(["dvc", "repro"], project)
    assert refused.returncode != 0
    assert "pixel_0_0" in refused.stdout + refused.stderr
    assert _stages_run(refused.stdout) == ["ingest", "validate"]
    assert raw.read_bytes() == bad
    assert model.read_bytes() == original
