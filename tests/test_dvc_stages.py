"""dvc.yaml names only paths that exist, so no stage fails on a dependency that was moved or renamed."""

import re
import shutil
import subprocess

import pytest
import yaml
from tests.conftest import PROJECT_ROOT

STAGES = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["stages"]
CODE_AND_CONFIG = ("src/", "conf/", "examples/", "bentofile.yaml", "champion")


def _deps(stage: dict) -> list[str]:
    return [dep for dep in stage.get("deps", []) if not re.search(r"\$\{", dep)]


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_code_and_config_dependency_exists(name):
    missing = [
        dep
        for dep in _deps(STAGES[name])
        if dep.startswith(CODE_AND_CONFIG) and not (PROJECT_ROOT / dep).exists()
    ]
    assert not missing, f"stage {name!r} depends on paths that do not exist: {missing}"


def test_the_raw_data_is_a_dependency_never_an_output():
    raw = "${raw_data.path}"
    assert raw in STAGES["ingest"]["deps"]
    assert raw in STAGES["validate"]["deps"]
    outputs = [
        next(iter(out)) if isinstance(out, dict) else out
        for stage in STAGES.values()
        for out in stage.get("outs", [])
    ]
    assert not any(out.startswith("data/01_raw") for out in outputs)


def test_every_stage_runs_the_projects_kedro_with_or_without_an_active_venv(tmp_path):
    stages = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["stages"]
    assert all(stage["cmd"].startswith("scripts/kedro run --pipelines ") for stage in stages.values())
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy2(PROJECT_ROOT / "scripts/kedro", project / "scripts/kedro")
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no venv active, no kedro on PATH
    missing = subprocess.run(["scripts/kedro", "run"], cwd=project, env=bare, capture_output=True, text=True)
    assert missing.returncode == 127 and "run `make install`" in missing.stderr
    fake = project / ".venv/bin/kedro"
    fake.parent.mkdir(parents=True)
    fake.write_text('#!/bin/sh\necho "args=$* path=$PATH"\n')
    fake.chmod(0o755)
    found = subprocess.run(
        ["scripts/kedro", "run", "-p", "x"], cwd=project, env=bare, capture_output=True, text=True
    )
    assert found.stdout.strip() == f"args=run -p x path={project}/.venv/bin:/usr/bin:/bin"


def test_the_committed_lock_records_only_what_make_run_reproduces():
    """Issue 25 item 13: dvc.lock recorded the sweep's outputs, which `make run` never makes, so a
    colleague's `dvc pull` failed on outputs no one had pushed."""
    lock = yaml.safe_load((PROJECT_ROOT / "dvc.lock").read_text())["stages"]
    upstream, todo = set(), ["package"]
    produced_by = {
        (next(iter(out)) if isinstance(out, dict) else out): name
        for name, stage in STAGES.items()
        for out in [*stage.get("outs", []), *stage.get("metrics", []), *stage.get("plots", [])]
        if isinstance(out, str | dict)
    }
    while todo:
        name = todo.pop()
        if name in upstream:
            continue
        upstream.add(name)
        todo += [produced_by[dep] for dep in _deps(STAGES[name]) if dep in produced_by]
    assert set(lock) <= upstream, f"dvc.lock records stages `make run` does not run: {set(lock) - upstream}"


def test_every_stage_runs_with_the_same_kernels_and_threads_whatever_the_machine(tmp_path):
    """Issue 25 item 9: thread count and AVX-512 vs AVX2 kernels each changed dense.pt's bytes."""
    import platform

    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy2(PROJECT_ROOT / "scripts/kedro", project / "scripts/kedro")
    fake = project / ".venv/bin/kedro"
    fake.parent.mkdir(parents=True)
    shown = "$OMP_NUM_THREADS $MKL_NUM_THREADS ${ATEN_CPU_CAPABILITY:-} ${MKL_CBWR:-}"
    fake.write_text(f'#!/bin/sh\necho "{shown}"\n')
    fake.chmod(0o755)
    machine = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "16", "ATEN_CPU_CAPABILITY": "avx512"}
    seen = subprocess.run(["scripts/kedro"], cwd=project, env=machine, capture_output=True, text=True)
    expected = "2 2 avx2 AVX2" if platform.machine() == "x86_64" else "2 2 avx512"
    assert seen.stdout.strip() == expected
    mine = {**machine, "PRUNEGATE_THREADS": "8", "PRUNEGATE_CPU_ISA": "native"}  # one's own machine, faster
    seen = subprocess.run(["scripts/kedro"], cwd=project, env=mine, capture_output=True, text=True)
    assert seen.stdout.strip() == "8 8 avx512"
