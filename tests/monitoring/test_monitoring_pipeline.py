import copy
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import yaml
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from kedro_datasets.json import JSONDataset
from kedro_datasets.text import TextDataset
from tests.conftest import PROJECT_ROOT, shipped_params, typed_params
from tests.pipelines.conftest import inputs_of

from prunegate.core.serialization import save_artifact
from prunegate.data.tables import sklearn_digits, table_fingerprint
from prunegate.datasets.optional_model_artifact_dataset import OptionalModelArtifactDataset
from prunegate.monitoring.live_accuracy import artifact_predictor
from prunegate.params import ConfigError, MonitoringParams, parse_params
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.ingestion.nodes import split_raw_table
from prunegate.pipelines.monitoring import create_pipeline
from prunegate.pipelines.monitoring.nodes import monitor_traffic
from prunegate.pipelines.training.nodes import train_dense_model

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
split_raw_table = as_kedro_node(split_raw_table)
monitor_traffic = as_kedro_node(monitor_traffic)
train_dense_model = as_kedro_node(train_dense_model)

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
BRIGHTNESS = 4.0  # added to every pixel of the drifted window (pixels are 0..16)
WRONG_EVERY = 2  # in the rollback window, every 2nd logged prediction is wrong


@pytest.fixture(scope="module")
def splits():
    train, val, test, _ = split_raw_table(sklearn_digits(), shipped_params("ingestion"))
    return train, val, test


@pytest.fixture(scope="module")
def previous_model(splits):
    """A small MLP trained for a few epochs: the previous champion."""
    train, val, test = splits
    tables = {"train": train, "val": val, "test": test}
    certificate = {"passed": True, "fingerprints": {n: table_fingerprint(t) for n, t in tables.items()}}
    training = {**shipped_params("training"), "epochs": 8, "show_progress": False}
    training["mlp"] = {"hidden": [32, 16], "dropout": 0.0}
    profiling = {**shipped_params("profiling"), "warmup": 1, "repeats": 3}
    artifact, metrics, _ = train_dense_model(
        inputs_of((*splits, certificate)), training, shipped_params("ingestion"), profiling
    )
    assert metrics["accuracy"] > 0.8
    return artifact


@pytest.fixture(scope="module")
def served(splits):
    """Val + test rows: unseen traffic from the training distribution."""
    _, val, test = splits
    return pd.concat([val, test], ignore_index=True)


def _write_logs(folder, rows, predictions) -> dict:
    """Predictions and feedback (every row labelled) in the service's format; returns monitoring params."""
    features = [column for column in rows.columns if column != "target"]
    (folder / "predictions").mkdir(parents=True)
    records, labels = [], []
    for index, (values, prediction, label) in enumerate(
        zip(rows[features].to_dict("records"), predictions, rows["target"], strict=True)
    ):
        request = f"req-{index}"
        stamp = (START + timedelta(seconds=index)).isoformat()
        records.append(
            {
                "request_id": request,
                "timestamp": stamp,
                "model_version": "v2",
                "features": {name: float(value) for name, value in values.items()},
                "prediction": str(prediction),
                "probabilities": {str(prediction): 1.0},
            }
        )
        labels.append({"request_id": request, "label": str(label), "timestamp": stamp})
    (folder / "predictions" / "part-0.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "feedback.jsonl").write_text("".join(json.dumps(r) + "\n" for r in labels))
    return {
        **shipped_params("monitoring"),
        "predictions_dir": str(folder / "predictions"),
        "feedback_path": str(folder / "feedback.jsonl"),
    }


def _run(folder, splits, rows, predictions, previous):
    params = _write_logs(folder, rows, predictions)
    return monitor_traffic(splits[0], params, shipped_params("ingestion"), previous)


@pytest.fixture(scope="module")
def calm_run(tmp_path_factory, splits, served, previous_model):
    """Unshifted traffic whose logged predictions are the previous champion's own: nothing to do."""
    predict, features = artifact_predictor(previous_model)
    predictions = predict(served[features].to_numpy(dtype=np.float32))
    params = _write_logs(tmp_path_factory.mktemp("calm"), served, predictions)
    previous_path = tmp_path_factory.mktemp("registry") / "previous_model.pt"
    save_artifact(previous_model, previous_path)
    catalog = DataCatalog(
        {
            "train_table": MemoryDataset(splits[0]),
            "params:monitoring": MemoryDataset(typed_params("monitoring", params)),
            "params:ingestion": MemoryDataset(typed_params("ingestion", shipped_params("ingestion"))),
            "previous_champion_model": OptionalModelArtifactDataset(str(previous_path)),
            "monitoring_summary": JSONDataset(filepath=str(previous_path.parent / "summary.json")),
            "drift_report_html": TextDataset(filepath=str(previous_path.parent / "drift.html")),
        }
    )
    SequentialRunner().run(create_pipeline(), catalog)
    return catalog.load("monitoring_summary"), catalog.load("drift_report_html")


@pytest.fixture(scope="module")
def drifted_run(tmp_path_factory, splits, served, previous_model):
    """Brighter traffic, predicted correctly by the serving model."""
    features = [column for column in served.columns if column != "target"]
    brighter = served.copy()
    brighter[features] = np.clip(brighter[features] + BRIGHTNESS, 0, 16)
    return _run(tmp_path_factory.mktemp("drifted"), splits, brighter, brighter["target"], previous_model)


@pytest.fixture(scope="module")
def regressed_run(tmp_path_factory, splits, served, previous_model):
    """Unshifted traffic where the serving model got every 2nd labelled row wrong."""
    truth = served["target"].to_numpy()
    wrong = np.arange(len(served)) % WRONG_EVERY == 0
    predictions = np.where(wrong, (truth + 1) % 10, truth)
    return _run(tmp_path_factory.mktemp("regressed"), splits, served, predictions, previous_model)


def test_calm_traffic_decides_none_through_the_catalog(calm_run, served):
    summary, html = calm_run
    assert summary["decision"] == "none", summary["reasons"]
    assert summary["window"]["rows"] == summary["window"]["labelled_rows"] == len(served)
    assert summary["window"]["from"] < summary["window"]["to"]
    assert summary["drift"]["dataset_drift"] is False
    assert summary["live"]["champion_accuracy"] == pytest.approx(summary["live"]["previous_accuracy"])
    assert summary["model_versions"] == ["v2"]
    assert "<html" in html[:5000].lower()
    assert "<p>Monitoring decision: none" in html  # the page says what monitoring decided
    assert f"Live accuracy of the serving model on {len(served)} labelled row(s)" in html


def test_drifted_traffic_decides_retrain(drifted_run):
    summary, _ = drifted_run
    assert summary["decision"] == "retrain", summary["reasons"]
    assert summary["drift"]["dataset_drift"] is True
    assert summary["drift"]["drifted_columns"]
    assert summary["live"]["champion_accuracy"] == 1.0


def test_champion_worse_than_previous_on_the_same_rows_decides_rollback(regressed_run):
    summary, _ = regressed_run
    assert summary["decision"] == "rollback", summary["reasons"]
    live = summary["live"]
    assert live["champion_accuracy"] == pytest.approx(0.5, abs=0.01)
    assert live["previous_accuracy"] > live["champion_accuracy"] + 0.2
    assert summary["reasons"][0].startswith("champion accuracy")


def test_no_traffic_and_no_previous_champion_is_none_without_evidently(tmp_path, splits):
    params = {
        **shipped_params("monitoring"),
        "predictions_dir": str(tmp_path / "nothing"),
        "feedback_path": str(tmp_path / "nothing.jsonl"),
    }
    previous = OptionalModelArtifactDataset(str(tmp_path / "previous_model.pt")).load()
    summary, html = monitor_traffic(splits[0], params, shipped_params("ingestion"), previous)
    assert previous is None
    assert summary["decision"] == "none"
    assert summary["reasons"] == ["not enough traffic: 0 rows in the window < min_rows 100"]
    assert summary["window"]["from"] is None
    assert "drift not checked" in html


def test_shipped_monitoring_parameters_and_catalog_entries():
    config = parse_params(MonitoringParams, shipped_params("monitoring"), "monitoring")
    assert (config.window_rows, config.min_rows, config.drift_share_threshold) == (1000, 100, 0.3)
    catalog = yaml.safe_load((PROJECT_ROOT / "conf/base/catalog.yml").read_text())
    assert catalog["previous_champion_model"]["type"].endswith("OptionalModelArtifactDataset")
    assert {"monitoring_summary", "drift_report_html"} <= set(catalog)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"window_rows": 50}, "window_rows 50 < min_rows 100"),
        ({"window_rows": None, "window_minutes": None}, "must be bounded"),
        ({"drift_share_threshold": 0.0}, r"monitoring\.drift_share_threshold"),
        ({"drift_sample_rows": 10}, r"monitoring\.drift_sample_rows"),
        ({"accuracy_tolerance": -0.1}, r"monitoring\.accuracy_tolerance"),
        ({"window_size": 10}, r"monitoring\.window_size: unknown key"),
    ],
)
def test_bad_monitoring_parameters_fail_naming_the_key(change, message):
    params = {**copy.deepcopy(shipped_params("monitoring")), **change}
    with pytest.raises(ConfigError, match=message):
        parse_params(MonitoringParams, params, "monitoring")


def test_the_report_page_and_the_command_say_the_live_accuracy():
    from prunegate.monitoring.live_accuracy import describe_live

    live = {"labelled_rows": 150, "champion_accuracy": 0.9733, "previous_accuracy": 0.95}
    assert describe_live(live) == (
        "Live accuracy of the serving model on 150 labelled row(s): 0.9733 "
        "(previous champion on the same rows: 0.9500)."
    )
    assert "no labelled rows" in describe_live({"labelled_rows": 0, "champion_accuracy": None})
