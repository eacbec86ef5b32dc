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


WORKFLOWS = ("ci.yml", "pr-gate.yml", "pr-gate-report.yml")


def _steps(workflow: str, job: str) -> dict:
    return {
        step.get("name", step.get("uses", step.get("run"))): step
        for step in _workflow(workflow)["jobs"][job]["steps"]
    }


def test_a_pull_request_runs_the_tests_once_and_the_pipeline_once_and_every_job_is_bounded():
    """Issue 25 item 14: a same-repo push ran the tests twice and the pipeline three times."""
    workflows = {name: _workflow(name) for name in WORKFLOWS}
    assert workflows["ci.yml"][True]["push"] == {"branches": ["main"]}  # `on:` reads as True in YAML 1.1

    def runs(event: str, command: str) -> int:
        count = 0
        for workflow in workflows.values():
            if event not in workflow[True]:
                continue
            for job in workflow["jobs"].values():
                if "push" in job.get("if", "") and event != "push":
                    continue
                count += sum(command in step.get("run", "").splitlines() for step in job["steps"])
        return count

    assert runs("pull_request", "make test") == runs("pull_request", "make test-e2e") == 1  # once each
    pipeline_runs = runs("pull_request", "make run") + runs("pull_request", 'make gate GATE_ARGS="$args"')
    assert pipeline_runs == 1 and runs("push", "make run") == 1
    for name, workflow in workflows.items():
        assert workflow["concurrency"]["cancel-in-progress"] is (name != "pr-gate-report.yml"), name
        for job_name, job in workflow["jobs"].items():
            assert job["timeout-minutes"] <= 45, (name, job_name)
            if any(step.get("uses", "").startswith("actions/checkout@") for step in job["steps"]):
                caches = [step for step in job["steps"] if step.get("uses", "").startswith("actions/cache@")]
                assert any(".venv" in step["with"]["path"] for step in caches), (name, job_name)


def test_every_action_is_pinned_to_a_commit_with_its_version_named():
    import re

    for name in WORKFLOWS:
        text = (PROJECT_ROOT / ".github" / "workflows" / name).read_text()
        uses = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", text, re.M)
        assert uses, name
        for reference, comment in uses:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", reference), (name, reference)
            assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), (name, reference, comment)


def test_the_workflows_pass_zizmor():
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", str(PROJECT_ROOT / ".github" / "workflows")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_what_the_workflows_used_to_do(tmp_path):
    """The check can fail: the old gate workflow's unpinned actions and persisted write token."""
    old = tmp_path / "old.yml"
    old.write_text(
        "on: pull_request\npermissions:\n  pull-requests: write\njobs:\n  gate:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n      - run: echo ${{ github.head_ref }}\n"
    )
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", str(old)], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout and "artipacked" in result.stdout


def test_the_gate_job_runs_the_pull_request_read_only_and_judges_with_the_target_branch():
    gate = _workflow("pr-gate.yml")
    assert gate["permissions"] == {"contents": "read"} and "permissions" not in gate["jobs"]["gate"]
    assert {"labeled", "unlabeled"} <= set(
        gate[True]["pull_request"]["types"]
    )  # the approval label re-runs it
    steps = _steps("pr-gate.yml", "gate")
    checkout = next(step for step in steps.values() if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
    judged = steps["reproduce and gate"]
    assert judged["id"] == "gate" and judged["continue-on-error"] is True
    assert "--base-ref origin/${BASE_REF}" in judged["run"] and "--allow-gate-change" in judged["run"]
    assert "'gate-change-approved'" in judged["env"]["APPROVED"]
    upload = steps["upload the gate report"]
    assert upload["if"] == "always()" and "gate_thresholds.md" in upload["with"]["path"]
    verdict = steps["pass or fail on the gate's verdict"]
    assert verdict["if"] == "always()" and "steps.gate.outcome" in verdict["env"]["GATE_OUTCOME"]
    assert "NOT BLESSED" in verdict["run"] and "no gate verdict" in verdict["run"]


def test_the_report_is_commented_by_a_job_that_runs_no_code_of_the_pull_request():
    report = _workflow("pr-gate-report.yml")
    assert report[True] == {"workflow_run": {"workflows": ["gate"], "types": ["completed"]}}
    assert report["permissions"] == {}
    job = report["jobs"]["report"]
    assert set(job["permissions"]) == {"actions", "pull-requests", "statuses"}
    uses = [step.get("uses", "") for step in job["steps"]]
    assert not any(use.startswith("actions/checkout@") for use in uses) and not any(
        "run" in s for s in job["steps"]
    )


def _report_script() -> str:
    return _workflow("pr-gate-report.yml")["jobs"]["report"]["steps"][1]["with"]["script"]


def test_the_protected_paths_are_the_same_in_the_workflow_the_cli_and_codeowners():
    import re

    from prunegate.target_thresholds import PROTECTED_PATHS

    listed = re.search(r"const protectedPaths = \[(.*?)\];", _report_script(), re.S).group(1)
    assert re.findall(r"'([^']+)'", listed) == list(PROTECTED_PATHS)
    owners = (PROJECT_ROOT / ".github" / "CODEOWNERS").read_text().split()
    assert all(f"/{path}" in owners for path in PROTECTED_PATHS)


_HARNESS = """
const fs = require('fs');
const [files, labels, comments] = JSON.parse(process.env.FAKE_PULL_REQUEST);
const calls = [];
const github = {
  paginate: async (method, args) => method(args),
  rest: {
    pulls: {
      list: () => [{ number: 7, head: { sha: 'abc' }, labels: labels.map((name) => ({ name })) }],
      listFiles: () => files.map((filename) => ({ filename })),
    },
    repos: { createCommitStatus: async (args) => calls.push(['status', args]) },
    issues: {
      listComments: () => comments,
      updateComment: async (args) => calls.push(['update', args]),
      createComment: async (args) => calls.push(['create', args]),
    },
  },
};
const context = { repo: { owner: 'o', repo: 'r' } };
const core = { info: () => {} };
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', fs.readFileSync(0, 'utf8'))(
  require, github, context, core).then(() => console.log(JSON.stringify(calls)));
"""


def _run_report_script(tmp_path, files, labels=(), comments=()) -> list:
    import json
    import shutil

    node = shutil.which("node")
    if node is None:
        import pytest

        pytest.skip("no Node.js here to run the workflow's script (the CI machine has it)")
    (tmp_path / "gate-report").mkdir()
    (tmp_path / "gate-report/gate_report.md").write_text("# Gate report\n\n✅ BLESSED\n")
    env = {"PATH": "/usr/bin:/bin", "HEAD_SHA": "abc", "RUN_URL": "https://run"}
    env["FAKE_PULL_REQUEST"] = json.dumps([list(files), list(labels), list(comments)])
    result = subprocess.run(
        [node, "-e", _HARNESS],
        input=_report_script(),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_a_pull_request_that_changes_the_gate_without_approval_fails_the_integrity_status(tmp_path):
    calls = _run_report_script(tmp_path, ["src/model.py", "conf/base/parameters_gate.yml"])
    (_, status), (kind, comment) = calls
    assert (status["state"], status["context"], status["sha"]) == (
        "failure",
        "prunegate/gate-integrity",
        "abc",
    )
    assert kind == "create" and comment["issue_number"] == 7
    assert "`conf/base/parameters_gate.yml`" in comment["body"] and "✅ BLESSED" in comment["body"]
    assert "<!-- prunegate-gate-report -->" in comment["body"]


def test_an_approved_or_unrelated_change_passes_and_the_comment_is_updated_in_place(tmp_path):
    old = [{"id": 3, "body": "<!-- prunegate-gate-report -->\nolder"}]
    calls = _run_report_script(tmp_path, [".github/workflows/pr-gate.yml"], ["gate-change-approved"], old)
    assert calls[0][1]["state"] == "success" and calls[1][0] == "update" and calls[1][1]["comment_id"] == 3
    calls = _run_report_script(
        tmp_path / "x" if (tmp_path / "x").mkdir() is None else tmp_path, ["src/model.py"]
    )
    assert calls[0][1]["state"] == "success" and "changes files that decide" not in calls[1][1]["body"]


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
