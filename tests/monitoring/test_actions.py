import json
import subprocess

import numpy as np
import pandas as pd
import pytest
import torch

from prunegate.core.models import MLPSpec, build_model
from prunegate.core.serialization import ModelArtifact, load_artifact, save_artifact
from prunegate.monitoring.actions import act_on_decision, feedback_as_raw_rows
from prunegate.registry.store import history, model_path, promote_version, read_pointer, register_model


def _window(labels):
    rows = len(labels)
    return pd.DataFrame(
        {
            "request_id": [f"r{i}" for i in range(rows)],
            "a": np.arange(rows, dtype=float),
            "b": np.ones(rows),
            "prediction": ["cat"] * rows,
            "label": labels,
        }
    )


def test_labelled_rows_become_raw_rows_with_original_label_values():
    table = feedback_as_raw_rows(_window(["cat", np.nan, "dog"]), ["a", "b"], "y", ["cat", "dog"], [3, 7])
    assert list(table.columns) == ["a", "b", "y"]
    assert table["y"].tolist() == [3, 7]
    assert table["a"].tolist() == [0.0, 2.0]


def test_an_unknown_feedback_label_is_refused():
    with pytest.raises(ValueError, match="not classes of the model"):
        feedback_as_raw_rows(_window(["cow"]), ["a", "b"], "y", ["cat", "dog"], [3, 7])


@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "bentoml_home"))
    directory = tmp_path / "registry"
    for seed in (1, 2):
        torch.manual_seed(seed)
        spec = MLPSpec(in_features=2, num_classes=2, hidden=(2,))
        path = tmp_path / f"m{seed}.pt"
        save_artifact(ModelArtifact.from_module(build_model(spec), spec), path)
        promote_version(directory, register_model(path, labels={}, metadata={}), reason=f"v{seed}")
    return directory


def test_rollback_decision_switches_to_the_previous_champion_and_is_recorded(registry, tmp_path):
    before = read_pointer(registry)
    summary = {"decision": "rollback", "reasons": ["live accuracy 0.80 < previous 0.97 - 0.02"]}
    outcome = act_on_decision(
        summary, None, project=tmp_path, registry_dir=registry, feedback_path=tmp_path / "f"
    )
    assert read_pointer(registry).champion == before.previous
    assert outcome["action"] == "rolled back"
    events = history(registry)
    assert [e["event"] for e in events][-2:] == ["rollback", "monitor"]
    assert events[-1]["decision"] == "rollback"
    assert events[-1]["git_champion_updated"] is True
    assert "live accuracy" in events[-2]["reason"]
    # the git champion follows: the next pull request is gated against the model serving again
    champion = tmp_path / "champion"
    assert (
        load_artifact(champion / "model.pt").checksum == load_artifact(model_path(before.previous)).checksum
    )
    record = json.loads((champion / "model.json").read_text())
    assert (record["event"], record["registry_tag"], record["promoted_by"]) == (
        "rollback",
        before.previous,
        "monitor",
    )
    assert "live accuracy" in record["reason"]
    assert outcome["git_champion_updated"] is True
    assert f"{champion}/ now holds" in outcome["git_champion"]


def test_a_rollback_stands_and_is_recorded_when_champion_dir_cannot_be_written(registry, tmp_path):
    before = read_pointer(registry)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the champion folder's parent should be")
    outcome = act_on_decision(
        {"decision": "rollback", "reasons": ["live accuracy fell"]},
        None,
        project=tmp_path,
        registry_dir=registry,
        feedback_path=tmp_path / "f",
        champion_dir=blocker / "champion",
    )
    assert read_pointer(registry).champion == before.previous
    assert outcome["action"] == "rolled back"
    assert outcome["git_champion_updated"] is False
    assert "NOT updated" in outcome["git_champion"]
    assert "serving rollback already happened" in outcome["git_champion"]
    events = history(registry)
    assert [e["event"] for e in events][-2:] == ["rollback", "monitor"]
    assert (events[-1]["decision"], events[-1]["git_champion_updated"]) == ("rollback", False)


def test_no_drift_changes_nothing_but_is_recorded(registry, tmp_path):
    before = read_pointer(registry)
    outcome = act_on_decision(
        {"decision": "none", "reasons": []},
        None,
        project=tmp_path,
        registry_dir=registry,
        feedback_path=tmp_path / "f",
    )
    assert outcome["action"] == "nothing"
    assert read_pointer(registry).lineage == before.lineage
    assert history(registry)[-1]["event"] == "monitor"


def test_a_retrain_the_gate_rejects_leaves_the_workspace_as_it_was(registry, tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "data/05_model_input").mkdir(parents=True)
    (project / "data/05_model_input/train.parquet").write_text("the drift reference")
    monkeypatch.setattr(
        "prunegate.monitoring.actions._run",
        lambda command, cwd: subprocess.CompletedProcess(command, 1, "", "NOT BLESSED"),
    )
    rows = feedback_as_raw_rows(_window(["cat", "dog"]), ["a", "b"], "y", ["cat", "dog"], [3, 7])
    feedback = project / "data/01_raw/feedback.parquet"
    outcome = act_on_decision(
        {"decision": "retrain", "reasons": ["drift"]},
        rows,
        project=project,
        registry_dir=registry,
        feedback_path=feedback,
    )
    assert outcome["action"].startswith("retrained, NOT BLESSED")
    assert outcome["feedback_rows_added"] == 2
    assert not feedback.exists()
    assert (project / "data/05_model_input/train.parquet").read_text() == "the drift reference"
    assert history(registry)[-1]["decision"] == "retrain"


@pytest.mark.parametrize("rows", [None, "empty"])
def test_a_retrain_without_labelled_rows_is_skipped_with_a_reason_and_fails(
    registry, tmp_path, monkeypatch, rows
):
    ran = []
    monkeypatch.setattr("prunegate.monitoring.actions._run", lambda command, cwd: ran.append(command))
    empty = feedback_as_raw_rows(_window(["cat", "dog"]), ["a", "b"], "y", ["cat", "dog"], [3, 7]).iloc[0:0]
    feedback = tmp_path / "data/01_raw/feedback/feedback.parquet"
    outcome = act_on_decision(
        {"decision": "retrain", "reasons": ["drift"]},
        None if rows is None else empty,
        project=tmp_path,
        registry_dir=registry,
        feedback_path=feedback,
    )
    assert outcome["action"].startswith("retrain skipped: no labelled feedback")
    assert outcome["failed"] and not ran and not feedback.exists()


def test_kedro_is_found_without_an_activated_virtualenv(tmp_path):
    """`.venv/bin/prunegate monitor` from a shell without the venv on PATH must still find Kedro."""
    import sys

    from prunegate.kedro_command import kedro_command

    assert kedro_command(tmp_path) == [sys.executable, "-m", "kedro"]
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts/kedro").write_text("#!/bin/sh\n")
    assert kedro_command(tmp_path) == [str(tmp_path / "scripts/kedro")]
