"""`prunegate data use`: a user's table becomes the project's raw data in one command, or nothing changes."""

import json
import shutil
import subprocess

import pandas as pd
import pytest
import yaml
from tests.conftest import PROJECT_ROOT

from prunegate.commands import main
from prunegate.core.models import MLPSpec, build_model
from prunegate.core.serialization import ModelArtifact, save_artifact
from prunegate.data.benchmark_sets import signal_templates
from prunegate.data.raw_source import ensure_raw_data
from prunegate.data.tables import DataFileError
from prunegate.data.use_data import use_own_data


@pytest.fixture
def project(tmp_path):
    """The project's configuration and DVC metadata, in a git repository, with the bundled raw data."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("conf", ".dvc", "champion"):
        shutil.copytree(PROJECT_ROOT / name, root / name, ignore=shutil.ignore_patterns("tmp", "cache"))
    shutil.copy2(PROJECT_ROOT / "dvc.yaml", root / "dvc.yaml")
    (root / "data/01_raw").mkdir(parents=True)
    shutil.copy2(PROJECT_ROOT / "data/01_raw/digits.csv.dvc", root / "data/01_raw/digits.csv.dvc")
    for promoted in ("metrics.json", "model.json", "model.pt", "history.jsonl"):
        (root / "champion" / promoted).unlink(missing_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    ensure_raw_data(root)
    return root


@pytest.fixture(scope="module")
def signals():
    frame = signal_templates(per_class=20, length=32).rename(columns={"target": "label"})
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


def _config(project):
    return {path.name: path.read_bytes() for path in sorted((project / "conf/base").iterdir())}


def _yaml(project, name):
    return yaml.safe_load((project / "conf/base" / name).read_text())


def test_a_semicolon_signal_file_becomes_the_raw_data_with_derived_settings(project, signals, tmp_path):
    source = tmp_path / "my signals.csv"
    signals.to_csv(source, sep=";", index=False)
    lines = use_own_data(
        project, source, "label", separator=";", input_shape=[1, 32], architecture="resnet1d"
    )

    raw = "data/01_raw/my signals.csv"
    assert _yaml(project, "globals.yml")["raw_data"] == {"path": raw, "embedded": None}
    pd.testing.assert_frame_equal(pd.read_csv(project / raw), signals, check_dtype=False)  # commas now
    assert (project / f"{raw}.dvc").is_file() and not (project / "data/01_raw/digits.csv.dvc").exists()
    ingestion = _yaml(project, "parameters_ingestion.yml")["ingestion"]
    assert (ingestion["target_column"], ingestion["feature_columns"], ingestion["input_shape"]) == (
        "label",
        None,
        [1, 32],
    )
    assert _yaml(project, "parameters_training.yml")["training"]["architecture"] == "resnet1d"
    evaluation = _yaml(project, "parameters_evaluation.yml")["evaluation"]
    assert (evaluation["perturbation_units"], evaluation["feature_range"]) == ("feature_std", "data")
    regression = _yaml(project, "parameters_gate.yml")["gate"]["regression"]
    metrics = {check["metric"] for check in regression}
    assert {"accuracy_noise_0.25", "accuracy_fgsm_0.1"} <= metrics
    assert not any(m in metrics for m in ("accuracy_noise_2", "accuracy_fgsm_1"))
    assert "lower_bound" not in regression[0]
    assert (
        "# the candidate against the champion" in (project / "conf/base/parameters_gate.yml").read_text()
    )  # comments kept
    schema = _yaml(project, "data_schema.yml")
    first = signals["t_000"]
    span = first.max() - first.min()
    assert schema["feature_columns"]["t_000"]["min"] == pytest.approx(first.min() - 0.1 * span, rel=1e-3)
    assert schema["feature_columns"]["t_000"]["max"] >= first.max() + 0.1 * span
    assert sorted(schema["labels"]) == sorted(signals["label"].unique().tolist())
    assert lines[-1] == "next: make run"
    assert any("one row is" in line for line in lines)


@pytest.mark.parametrize(
    ("change", "arguments", "message"),
    [
        (None, {"target": "lable"}, r"no column 'lable' to predict.*did you mean 'label'"),
        ("semicolons", {}, r"the separator looks like ';'.*pass --sep ';'"),
        ("text column", {}, r"feature columns 'site id' are not numeric.*--ignore 'site id'"),
        (None, {"target": ""}, r"--target is empty"),
        (None, {"separator": ";;"}, r"give one character"),
        ("one class", {}, r"holds one class only"),
        (None, {"input_shape": [1, 30]}, r"holds 30 values, but the file has 32 feature columns"),
        ("only text", {}, r"no numeric feature columns: found"),
    ],
)
def test_a_bad_file_gets_one_clear_message_and_changes_nothing(
    project, signals, tmp_path, change, arguments, message
):
    frame = signals.copy()
    if change == "text column":
        frame["site id"] = "lab-a"
    elif change == "one class":
        frame["label"] = 3
    elif change == "only text":
        frame = pd.DataFrame({"name": ["a", "b"] * 10, "label": [0, 1] * 10})
    source = tmp_path / "mine.csv"
    frame.to_csv(source, sep=";" if change == "semicolons" else ",", index=False)
    before = _config(project)
    with pytest.raises(DataFileError, match=message):
        use_own_data(project, source, arguments.pop("target", "label"), **arguments)
    assert _config(project) == before
    assert not (project / "data/01_raw/mine.csv").exists()
    assert (project / "data/01_raw/digits.csv.dvc").is_file()


def test_a_tab_separated_file_with_sep_as_typed_in_a_shell(project, signals, tmp_path):
    source = tmp_path / "signals.tsv"
    signals.to_csv(source, sep="\t", index=False)
    lines = use_own_data(project, source, "label", separator="\\t")  # the two characters \ and t
    without_sep = tmp_path / "again.tsv"
    shutil.copyfile(source, without_sep)
    assert any(
        line.startswith("raw data: data/01_raw/again.csv")
        for line in use_own_data(project, without_sep, "label")
    )
    assert any(line.startswith("raw data: data/01_raw/signals.csv") for line in lines)
    assert any(line.startswith("commit: conf/base/, data/01_raw/signals.csv.dvc") for line in lines)


def test_a_champion_of_other_features_is_retired_and_the_command_prints_its_choices(
    project, signals, tmp_path, capsys, monkeypatch
):
    spec = MLPSpec(in_features=64, num_classes=10, hidden=(8,))
    names = [f"pixel_{i}" for i in range(64)]
    champion = ModelArtifact.from_module(build_model(spec), spec, {"feature_names": names})
    save_artifact(champion, project / "champion/model.pt")
    (project / "champion/metrics.json").write_text(json.dumps({"accuracy": 0.98}))
    source = tmp_path / "signals.parquet"
    signals.to_parquet(source)
    monkeypatch.chdir(project)
    assert main(["data", "use", str(source), "--target", "label"]) == 0
    out = capsys.readouterr().out
    assert "raw data: data/01_raw/signals.parquet (160 rows" in out
    assert "champion: trained on other features or classes; moved to champion/retired-" in out
    assert not (project / "champion/model.pt").exists()
    retired = next((project / "champion").glob("retired-*"))
    assert sorted(path.name for path in retired.iterdir()) == ["metrics.json", "model.pt"]
    assert main(["data", "use", str(tmp_path / "missing.csv"), "--target", "label"]) == 2


def test_an_accuracy_check_with_only_the_digits_bound_is_removed_not_left_empty(project, signals, tmp_path):
    """A check whose only threshold was the removed lower_bound would be an invalid gate section."""
    from prunegate.gate import load_gate_config

    gate_file = project / "conf/base/parameters_gate.yml"
    check = "{metric: accuracy, direction: higher, lower_bound: 0.5}"
    gate_file.write_text(f"gate:\n  compression: []\n  regression:\n    - {check}\n")
    source = tmp_path / "signals.csv"
    signals.to_csv(source, index=False)
    lines = use_own_data(project, source, "label", input_shape=[1, 32])
    assert load_gate_config(gate_file).regression == []  # valid, and no digits-specific bound left
    assert "gates: regression accuracy check removed (the bound was its only threshold)" in lines
