"""`kedro run` of ingestion + validation + training on the real digits, and a bad file stopping it."""

import importlib.metadata
import json
import sys

import pandas as pd
import pytest
from packaging.requirements import Requirement
from tests.e2e.conftest import run

from prunegate.core.serialization import load_artifact
from prunegate.reporting.measured import read_measured_json

pytestmark = pytest.mark.slow

FAST_TRAINING = (
    "training.epochs=6,training.show_progress=false,pruning.finetune.epochs=3,"
    "distillation.epochs=3,profiling.repeats=5,pruning_sweep.reductions=[0.5]"
)


def test_kedro_run_trains_a_model_on_digits(project):
    # the user's own out-of-distribution rows: inverted digits, an extra column, features in another order
    digits = pd.read_csv(project / "data/01_raw/digits.csv").drop(columns="target").head(60)
    inverted = (16 - digits)[digits.columns[::-1]].assign(note="inverted")
    inverted.to_csv(project / "data/01_raw/ood/ood.csv", index=False)
    result = run(["kedro", "run", "--params", FAST_TRAINING], project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "data/01_raw/digits.csv").is_file()
    # not a terminal: one plain line per message, no progress-bar frames, no wrapping at 80 columns
    log = result.stdout + result.stderr
    assert "\r" not in log
    assert max(len(line) for line in log.splitlines()) < 600
    assert any(" INFO prunegate.core.training: train dense: best epoch " in line for line in log.splitlines())
    metrics = json.loads((project / "data/08_reporting/dense_metrics.json").read_text())
    assert metrics["accuracy"] > 0.9
    artifact = load_artifact(project / "data/06_models/dense.pt")
    assert artifact.metadata["metrics"]["accuracy"] == metrics["accuracy"]
    assert "Data validation passed" in (project / "data/08_reporting/validation_report.md").read_text()
    pruned = load_artifact(project / "data/06_models/pruned.pt")
    assert pruned.pruning_history  # structured: the dense architecture, cut by the recorded history
    assert pruned.build_module().hidden_layers[0].out_features < artifact.spec.hidden[0]
    pruned_metrics = json.loads((project / "data/08_reporting/pruned_metrics.json").read_text())
    assert set(pruned_metrics) >= set(metrics) - {"best_epoch"}
    assert pruned_metrics["macs"] * 5 < metrics["macs"]
    assert (project / "data/06_models/distilled.pt").is_file()
    assert (project / "data/08_reporting/sweep_accuracy_vs_macs.png").stat().st_size > 0
    evaluation = read_measured_json(project / "data/08_reporting/evaluation.json")
    assert all(
        0.0 <= evaluation[name]["ood_auroc_msp_user"] <= 1.0 for name in ("dense", "pruned", "distilled")
    )


def test_bad_data_stops_the_run_names_failures_and_keeps_the_previous_model(project):
    good = run(["kedro", "run", "--params", FAST_TRAINING], project)
    assert good.returncode == 0, good.stderr
    model = project / "data/06_models/dense.pt"
    before = model.read_bytes()

    raw = project / "data/01_raw/digits.csv"
    lines = raw.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("pixel_3_3")] = "dark"  # a string in a numeric column
    row[header.index("target")] = "11"  # a label outside the set
    raw.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")

    bad = run(["kedro", "run", "--params", FAST_TRAINING], project)
    assert bad.returncode != 0
    output = bad.stdout + bad.stderr
    assert "pixel_3_3" in output
    assert "target" in output
    report = (project / "data/08_reporting/validation_report.md").read_text()
    assert "pixel_3_3" in report
    assert model.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"pixel_0_0,target\n", "no data rows"), (b"pixel_0_0,target\n1,2\n3", "truncated")],
)
def test_unusable_raw_file_fails_with_a_clear_message(project, content, message):
    (project / "data/01_raw/digits.csv").write_bytes(content)
    result = run(["kedro", "run", "--pipelines", "ingestion"], project)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


@pytest.mark.parametrize("pipelines", [[], ["--pipelines", "ingestion"]])
def test_unknown_parameter_key_fails_before_any_node_runs(project, pipelines):
    """Also when the run names a pipeline that does not read the section (a DVC stage runs one)."""
    params = project / "conf/base/parameters_training.yml"
    params.write_text(params.read_text().replace("  epochs: 80", "  epochs: 80\n  epoch: 3"))
    result = run(["kedro", "run", *pipelines], project)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert output.count("training.epoch: unknown key") == 1  # said once: not also Kedro's ERROR line
    assert "Parameter validation failed" not in output and "Failed to instantiate" not in output
    assert "Traceback" not in result.stderr
    assert not (project / "data/05_model_input/train.parquet").exists()


def test_missing_raw_file_names_the_command_that_writes_it(project):
    (project / "data/01_raw/digits.csv").unlink()
    result = run(["kedro", "run", "--pipelines", "ingestion"], project)
    assert result.returncode != 0
    assert "prunegate data init" in result.stdout + result.stderr


def test_the_users_own_model_goes_through_the_chain_to_a_packaged_model(project):
    """examples/models/signal_net.py (BatchNorm, a residual add, a concatenation) from YAML to the store."""
    ingestion = project / "conf/base/parameters_ingestion.yml"
    ingestion.write_text(ingestion.read_text().replace("input_shape: [1, 8, 8]", "input_shape: [1, 64]"))
    training = project / "conf/base/parameters_training.yml"
    training.write_text(
        training.read_text()
        .replace("  architecture: mlp", "  architecture: factory")
        .replace("    factory: null", '    factory: "examples.models.signal_net:build"')
        .replace("    kwargs: {}", "    kwargs: {width: 16, hidden: 32}")
    )
    # a few epochs of a tiny model: the gate only asks for better than chance (0.1) here; it has its own tests
    gates = project / "conf/base/parameters_gate.yml"
    gates.write_text(gates.read_text().replace("lower_bound: 0.5", "lower_bound: 0.15"))
    result = run(["kedro", "run", "--to-nodes", "package_model", "--params", FAST_TRAINING], project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    dense = load_artifact(project / "data/06_models/dense.pt")
    assert (dense.spec.kind, dense.spec.factory) == ("factory", "examples.models.signal_net:build")
    pruned = load_artifact(project / "data/06_models/pruned.pt")
    assert pruned.pruning_history, "structured pruning of the user's graph records its cuts"
    assert pruned.build_module().body.stem[0].out_channels < 16
    metrics = json.loads((project / "data/08_reporting/pruned_metrics.json").read_text())
    assert (
        metrics["macs"] * 5
        < json.loads((project / "data/08_reporting/dense_metrics.json").read_text())["macs"]
    )
    packaging = read_measured_json(project / "data/08_reporting/packaging.json")
    assert packaging["model_tag"].startswith("prunegate-model:")
    assert all(row["matches"] for row in packaging["runtimes"] if row.get("runtime") == "onnx")
    # the stored version carries the user's code, so a Bento or container can rebuild the model
    version = packaging["model_tag"].partition(":")[2]
    stored = project / "bentoml_home/models/prunegate-model" / version
    code = stored / "code/examples/models/signal_net.py"
    assert code.read_bytes() == (project / "examples/models/signal_net.py").read_bytes()
    _check_the_bentos_container(project, packaging)


def _check_the_bentos_container(project, packaging):
    """What can be checked without a Docker engine: the generated Dockerfile and its entry point."""
    name, _, version = packaging["bento_tag"].partition(":")
    bento = project / "bentoml_home/bentos" / name / version
    dockerfile = (bento / "env/docker/Dockerfile").read_text()
    assert "THIS IS A GENERATED DOCKERFILE" in dockerfile and "FROM python:3.11" in dockerfile
    assert 'ARG BENTOML_HOST="0.0.0.0"' in dockerfile or "ARG BENTOML_HOST=0.0.0.0" in dockerfile
    assert "ENV BENTOML_HOST=$BENTOML_HOST" in dockerfile  # reachable from outside the container
    assert "ENV BENTOML_DO_NOT_TRACK=$BENTOML_DO_NOT_TRACK" in dockerfile
    assert (
        "EXPOSE 3000" in dockerfile
        and 'ENTRYPOINT [ "/home/bentoml/bento/env/docker/entrypoint.sh" ]' in dockerfile
    )
    entrypoint = (bento / "env/docker/entrypoint.sh").read_text()
    assert 'bentoml serve "$@" "$BENTO_PATH"' in entrypoint  # no arguments: serve the Bento
    requirements = (bento / "env/python/requirements.txt").read_text()
    assert "torch==2.13.0" in requirements and "onnxruntime" in requirements
    names = [Requirement(line).name.lower() for line in requirements.splitlines() if line.strip()]
    assert len(names) == len(set(names)), requirements  # one line per package: nothing pinned twice
    assert f"bentoml=={importlib.metadata.version('bentoml')}" in requirements.splitlines()
    # the service and what it reads are in the Bento, and no pipeline, demo or benchmark code
    assert (bento / "src/prunegate/serving/service.py").is_file()
    assert (bento / "src/conf/base/parameters_serving.yml").is_file()
    shipped = {path.name for path in (bento / "src/prunegate").iterdir() if path.is_dir()} - {"__pycache__"}
    assert shipped == {"core", "registry", "reporting", "serving"}
    # the service imports from the Bento's own code alone (the checkout's prunegate is installed too)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import prunegate.serving.service\n"
        "outside = [m.__file__ for n, m in sys.modules.items() if n.startswith('prunegate') and m.__file__\n"
        "           and not m.__file__.startswith(sys.argv[1])]\n"
        "assert not outside, outside"
    )
    imported = run([sys.executable, "-c", probe, str(bento / "src")], project)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    bento_yaml = (bento / "bento.yaml").read_text()
    assert packaging["model_tag"] in bento_yaml  # the packaged model travels with the Bento
