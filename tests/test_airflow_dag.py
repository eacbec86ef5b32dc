"""`make airflow-dag`: the Kedro pipelines as one Airflow DAG, a task per pipeline in the DVC stage order."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from tests.conftest import PROJECT_ROOT

AIRFLOW_PYTHON = PROJECT_ROOT / ".venv-airflow/bin/python"


def _dvc_chain(target: str = "package") -> tuple[dict[str, str], dict[str, set[str]]]:
    """Each stage's pipeline and the stages it needs (an output of one is a dependency of the other),
    for ``target`` and everything upstream of it."""
    stages = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["stages"]
    pipeline = {name: stage["cmd"].split("--pipelines ")[1].split()[0] for name, stage in stages.items()}

    def paths(stage: dict, key: str) -> set[str]:
        return {str(entry) if isinstance(entry, str) else next(iter(entry)) for entry in stage.get(key, [])}

    outs = {
        name: paths(stage, "outs") | paths(stage, "metrics") | paths(stage, "plots")
        for name, stage in stages.items()
    }
    needs = {
        name: {other for other in stages if other != name and outs[other] & paths(stage, "deps")}
        for name, stage in stages.items()
    }
    chain, todo = set(), [target]
    while todo:
        name = todo.pop()
        if name not in chain:
            chain.add(name)
            todo.extend(needs[name])
    return {name: pipeline[name] for name in chain}, {name: needs[name] for name in chain}


@pytest.fixture(scope="module")
def dag_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dags")
    command = [
        sys.executable,
        "-m",
        "kedro",
        "airflow",
        "create",
        "--jinja-file",
        "deploy/airflow/dag_template.j2",
    ]
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    result = subprocess.run(
        [*command, "--target-dir", str(folder)], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return folder / "prunegate_dag.py"


def _stages(dag_file: Path) -> list[str]:
    return json.loads(re.search(r"^STAGES = (\[.*\])$", dag_file.read_text(), re.MULTILINE).group(1))


def test_the_dag_runs_every_pipeline_of_the_dvc_chain_after_the_ones_it_needs(dag_file):
    pipeline, needs = _dvc_chain()
    order = _stages(dag_file)
    assert sorted(order) == sorted(pipeline.values())  # each stage of `dvc repro package`, once
    for stage, upstream in needs.items():
        for before in upstream:
            assert order.index(pipeline[before]) < order.index(pipeline[stage]), (before, stage)
    compile(dag_file.read_text(), str(dag_file), "exec")


def test_the_dag_imports_no_kedro_at_parse_time(dag_file):
    """The scheduler parses DAG files often: Kedro (and the project) load inside the tasks only."""
    top_level = [line for line in dag_file.read_text().splitlines() if line.startswith(("import", "from"))]
    assert not [line for line in top_level if "kedro" in line or "prunegate" in line]


@pytest.mark.slow
def test_airflows_own_dag_loader_loads_the_dag_as_a_chain(dag_file, tmp_path):
    if not AIRFLOW_PYTHON.exists():
        if os.environ.get("PRUNEGATE_REQUIRE_AIRFLOW"):
            pytest.fail(f"{AIRFLOW_PYTHON} is missing: `make airflow-venv` installs Apache Airflow")
        pytest.skip("no Airflow virtualenv: `make airflow-venv` (make test-e2e does it)")
    script = (
        "import json, sys\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        "bag = DagBag(dag_folder=sys.argv[1])\n"
        "dag = bag.dags.get('prunegate')\n"
        "tasks = {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks} if dag else None\n"
        "commands = {t.task_id: t.bash_command for t in dag.tasks} if dag else None\n"
        "errors = {str(k): str(v) for k, v in bag.import_errors.items()}\n"
        "print(json.dumps({'errors': errors, 'tasks': tasks, 'commands': commands}))\n"
    )
    env = {"PATH": os.environ["PATH"], "AIRFLOW_HOME": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run(
        [str(AIRFLOW_PYTHON), "-c", script, str(dag_file.parent)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["errors"] == {}
    order = _stages(dag_file)
    assert loaded["tasks"] == {stage: order[i - 1 : i] for i, stage in enumerate(order)}

    # each task's shell command, run as a worker would, calls the project's scripts/kedro for its pipeline
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    stub = project / "scripts/kedro"
    stub.write_text('#!/bin/sh\necho "$PWD $*" >> "$(dirname "$0")/../calls"\n')
    stub.chmod(0o755)
    for stage in order:
        worker_env = {"PATH": os.environ["PATH"], "PRUNEGATE_PROJECT_PATH": str(project)}
        ran = subprocess.run(["bash", "-c", loaded["commands"][stage]], env=worker_env, cwd=tmp_path)
        assert ran.returncode == 0
    calls = (project / "calls").read_text().splitlines()
    assert calls == [f"{project} run --pipelines {stage} --env local" for stage in order]
