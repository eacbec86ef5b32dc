"""Run-specific values (timings, store tags) are kept out of the files DVC hashes, and merged back on load."""

import json

import pytest
from kedro.io import DatasetError

from prunegate.datasets import MeasuredJSONDataset
from prunegate.reporting.measured import measured_path, merge_measured, read_measured_json, split_measured

METRICS = {
    "model": "pruned",
    "accuracy": 0.98,
    "latency_ms_p50_b1": 0.12,
    "slices": {"class=1": {"accuracy": 1.0, "latency_ms_p50_b1": 9.0}},
    "per_class": [{"latency_ms": 1}],  # inside lists nothing is moved
}


def test_split_moves_prefixed_keys_at_every_depth_and_merge_restores_them():
    reproducible, measured = split_measured(METRICS, ["latency_"])
    assert reproducible == {
        "model": "pruned",
        "accuracy": 0.98,
        "slices": {"class=1": {"accuracy": 1.0}},
        "per_class": [{"latency_ms": 1}],
    }
    assert measured == {"latency_ms_p50_b1": 0.12, "slices": {"class=1": {"latency_ms_p50_b1": 9.0}}}
    assert merge_measured(reproducible, measured) == METRICS


def test_the_dataset_writes_a_timing_free_file_and_loads_the_whole_report(tmp_path):
    path = tmp_path / "pruned_metrics.json"
    dataset = MeasuredJSONDataset(str(path), measured_keys=["latency_"])
    dataset.save(METRICS)
    assert "latency_ms_p50" not in path.read_text()
    assert json.loads(measured_path(path).read_text())["values"]["latency_ms_p50_b1"] == 0.12
    assert dataset.load() == METRICS
    first = path.read_bytes()
    dataset.save({**METRICS, "latency_ms_p50_b1": 0.5})  # another run, other timings
    assert path.read_bytes() == first
    dataset.save({"model": "dense"})  # no timings now: the earlier ones do not linger
    assert dataset.load() == {"model": "dense"}


def test_a_missing_report_is_an_error_unless_optional(tmp_path):
    path = tmp_path / "champion_metrics_current.json"
    assert MeasuredJSONDataset(str(path), optional=True).load() is None
    with pytest.raises(DatasetError, match=r"champion_metrics_current\.json"):
        MeasuredJSONDataset(str(path)).load()
    path.write_text("{not json")
    with pytest.raises(ValueError, match="is not valid JSON"):
        read_measured_json(path)


def test_timings_of_another_run_are_left_out_with_a_warning(tmp_path, caplog):
    """DVC restored the report from its cache: measured/ describes the model of a later run."""
    path = tmp_path / "packaging.json"
    dataset = MeasuredJSONDataset(str(path), measured_keys=["model_tag", "latency_"])
    dataset.save({"model_checksum": "aaa", "model_tag": "m:first", "latency_ms_p50_b1": 0.1})
    restored = path.read_bytes()
    dataset.save({"model_checksum": "bbb", "model_tag": "m:second", "latency_ms_p50_b1": 0.2})
    assert dataset.load()["model_tag"] == "m:second"
    path.write_bytes(restored)  # what dvc checkout does; measured/ is not a DVC output
    with caplog.at_level("WARNING"):
        assert dataset.load() == {"model_checksum": "aaa"}
    assert "from another run" in caplog.text and "prunegate run --force" in caplog.text
    caplog.clear()
    dataset.load()
    assert "from another run" not in caplog.text  # said once


def test_a_measured_file_without_the_report_it_belongs_to_is_not_trusted(tmp_path):
    path = tmp_path / "dense_metrics.json"
    path.write_text(json.dumps({"accuracy": 0.9}))
    measured_path(path).parent.mkdir()
    measured_path(path).write_text(json.dumps({"latency_ms_p50_b1": 0.3}))  # the old, unbound format
    assert read_measured_json(path) == {"accuracy": 0.9}
