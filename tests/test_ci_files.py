"""The CI entry point and workflows are what the README promises."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT

BIN = Path(sys.executable).parent


def test_workflows_pass_the_github_workflow_schema():
    workflows = sorted((PROJECT_ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, workflows)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_malformed_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  test:\n    steps:\n      - run: make test\n")  # no runs-on
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    readme = (PROJECT_ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line.strip()]
    assert commands == ["make run", "make test"]
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()


def _workflow(name: str) -> dict:
    import yaml

    return yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / name).read_text())


def test_the_tests_run_once_per_pull_request_and_every_job_is_bounded():
    workflows = {name: _workflow(name) for name in ("ci.yml", "pr-gate.yml")}
    runs = [
        step["run"]
        for workflow in workflows.values()
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if "run" in step
    ]
    assert sum("make test\n" in run + "\n" for run in runs) == 1  # `make test` once, not per workflow
    for name, workflow in workflows.items():
        assert workflow["concurrency"]["cancel-in-progress"] is True, name
        for job_name, job in workflow["jobs"].items():
            assert job["timeout-minutes"] <= 45, (name, job_name)
            caches = [step for step in job["steps"] if step.get("uses", "").startswith("actions/cache@")]
            assert any(".venv" in step["with"]["path"] for step in caches), (name, job_name)


def test_the_gate_passes_or_fails_on_the_verdict_not_on_the_comment():
    steps = {
        step.get("name", step.get("uses", step.get("run"))): step
        for step in _workflow("pr-gate.yml")["jobs"]["gate"]["steps"]
    }
    comment = steps["comment on the pull request (updated in place)"]
    assert comment["continue-on-error"] is True
    assert "github.event.pull_request.head.repo.full_name == github.repository" in comment["if"]  # not forks
    gate = steps["reproduce and gate"]
    assert gate["id"] == "gate" and gate["continue-on-error"] is True
    verdict = steps["pass or fail on the gate's verdict"]
    assert verdict["if"] == "always()" and "steps.gate.outcome" in verdict["env"]["GATE_OUTCOME"]
    assert "NOT BLESSED" in verdict["run"] and "no gate verdict" in verdict["run"]


def test_the_wheel_ships_no_demo_or_benchmark_code():
    from setuptools import find_packages

    packages = find_packages(where=str(PROJECT_ROOT / "src"))
    assert "prunegate.serving" in packages
    assert not [name for name in packages if name.split(".")[1:2] in (["demo"], ["benchmarks"])]
    bentofile = (PROJECT_ROOT / "bentofile.yaml").read_text()
    assert '"src/prunegate/**"' not in bentofile  # the Bento lists what the service needs


def test_the_bentofile_pins_each_package_once_and_leaves_bentoml_to_the_build():
    """`bentoml build` adds the running bentoml version: a pin of ours would be a second, conflicting one."""
    import yaml
    from packaging.requirements import Requirement

    packages = yaml.safe_load((PROJECT_ROOT / "bentofile.yaml").read_text())["python"]["packages"]
    names = [Requirement(line).name.lower() for line in packages]
    assert len(names) == len(set(names)) and "bentoml" not in names


def test_the_bento_includes_every_prunegate_module_the_service_imports():
    """The e2e test imports the service from a built Bento; this finds a missing include in seconds."""
    import fnmatch

    import yaml

    probe = (
        "import sys, prunegate.serving.service\n"
        "for name, module in sorted(sys.modules.items()):\n"
        "    if name.startswith('prunegate') and getattr(module, '__file__', None): print(module.__file__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    files = [Path(line).relative_to(PROJECT_ROOT).as_posix() for line in result.stdout.splitlines()]
    includes = yaml.safe_load((PROJECT_ROOT / "bentofile.yaml").read_text())["include"]
    assert "src/prunegate/serving/service.py" in files
    missing = [file for file in files if not any(fnmatch.fnmatch(file, pattern) for pattern in includes)]
    assert not missing, f"bentofile.yaml does not include {missing}"
