"""The champion model re-evaluated on this run's test split is the regression baseline (TFX Evaluator)."""

import copy
import json

import pandas as pd
import pytest
import torch
import yaml
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from tests.conftest import PROJECT_ROOT, shipped_params
from tests.pipelines.conftest import certify, measured_split

from prunegate.core.models import MLPSpec, build_model
from prunegate.core.quantization import quantized_artifact
from prunegate.core.serialization import ModelArtifact, ModelArtifactError, save_artifact
from prunegate.errors import ChampionMismatchError, find_user_error
from prunegate.gate import TEST_SPLIT_FINGERPRINT, GateConfig
from prunegate.gate.baseline import PAIRED_CANDIDATE_TIMINGS
from prunegate.params import EvaluationParams, IngestionParams, ProfilingParams
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.evaluation import create_pipeline as evaluation_pipeline
from prunegate.pipelines.evaluation.champion_node import evaluate_champion
from prunegate.pipelines.evaluation.nodes import evaluate_models
from prunegate.pipelines.gate import create_pipeline as gate_pipeline
from prunegate.pipelines.gate.nodes import PLOT_LINKS, existing_plot_links, gate_candidate

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
evaluate_champion = as_kedro_node(evaluate_champion)
evaluate_models = as_kedro_node(evaluate_models)

PARAMS = {**shipped_params("evaluation"), "candidate": "dense", "quantize_candidate": False}
PROFILING = {**shipped_params("profiling"), "warmup": 1, "repeats": 3}
# measured without timing: equal for one model on one split, whenever it is measured
DETERMINISTIC = ["accuracy", "f1_macro", "ece", "accuracy_noise_2", "accuracy_fgsm_1", "macs", "size_bytes"]
ACCURACY_ONLY = GateConfig.model_validate(
    {
        "compression": [],
        "regression": [{"metric": "accuracy", "direction": "higher", "max_worsening_abs": 0.005}],
    }
)
OTHER_SPLIT = "0" * 64


def _no_plots(_name: str) -> bool:
    return False


@pytest.fixture(scope="module")
def this_run(splits, small_dense_model):
    """The evaluation of this run: the dense model is the candidate."""
    dense = small_dense_model[0]
    split = measured_split(splits, PARAMS, shipped_params("ingestion"), PROFILING)
    report, candidate, *_ = evaluate_models(dense, dense, dense, split)
    return report, candidate


def _evaluate_champion(champion, splits, candidate=None):
    candidate = candidate if candidate is not None else champion
    split = measured_split(splits, PARAMS, shipped_params("ingestion"), PROFILING)
    return evaluate_champion(champion, candidate, split)


def _with_accuracy(metrics, delta):
    changed = copy.deepcopy(metrics)
    changed["accuracy"] += delta
    return changed


def _regression(blessing):
    return blessing["gates"]["regression"]


def test_without_a_champion_model_nothing_is_measured(splits):
    assert _evaluate_champion(None, splits) == {}


def test_the_champion_is_measured_exactly_like_the_candidate(splits, small_dense_model, this_run):
    _, candidate = this_run
    champion = _evaluate_champion(small_dense_model[0], splits)
    assert set(champion) == set(candidate) | {PAIRED_CANDIDATE_TIMINGS}
    assert champion["model"] == "champion"
    assert champion[TEST_SPLIT_FINGERPRINT] == candidate[TEST_SPLIT_FINGERPRINT]
    assert champion[TEST_SPLIT_FINGERPRINT] == splits[3]["fingerprints"]["test"]
    assert {key: champion[key] for key in DETERMINISTIC} == {key: candidate[key] for key in DETERMINISTIC}
    assert champion["slices"] == candidate["slices"]


def test_an_int8_champion_is_measured_like_an_int8_candidate(splits, small_dense_model, this_run):
    champion = _evaluate_champion(quantized_artifact(small_dense_model[0]), splits)
    assert set(champion) == set(this_run[1]) | {PAIRED_CANDIDATE_TIMINGS}
    assert champion["macs"] == this_run[1]["macs"]  # counted on the float twin, as for the candidate
    assert champion["accuracy"] == pytest.approx(this_run[1]["accuracy"], abs=0.05)


def test_the_candidate_is_timed_with_the_champion_and_the_gate_uses_those_timings(
    splits, small_dense_model, this_run
):
    """Latency compared from one interleaved pass: a candidate timed slower elsewhere is not blamed."""
    report, candidate = this_run
    champion = _evaluate_champion(small_dense_model[0], splits)
    paired = champion[PAIRED_CANDIDATE_TIMINGS]
    timing_keys = {key for key in candidate if key.startswith("latency_ms_")}
    assert set(paired) == timing_keys
    assert all(paired[key] > 0 and champion[key] > 0 for key in timing_keys)
    slow_elsewhere = {**candidate, **{key: candidate[key] * 100 for key in timing_keys}}
    gates = GateConfig.model_validate(
        {
            "compression": [],
            "regression": [{"metric": "latency_ms_p50_b1", "direction": "lower", "max_worsening_rel": 10.0}],
        }
    )
    blessing, report_text = gate_candidate(slow_elsewhere, report, None, champion, gates, _no_plots)
    row = _regression(blessing)["rows"][0]
    assert row["candidate"] == paired["latency_ms_p50_b1"]
    assert blessing["blessed"]
    assert "timed interleaved" in report_text
    without_pairing = {key: value for key, value in champion.items() if key != PAIRED_CANDIDATE_TIMINGS}
    blessing, _ = gate_candidate(slow_elsewhere, report, None, without_pairing, gates, _no_plots)
    assert not blessing["blessed"]


def test_the_champion_is_measured_on_the_split_it_is_given(splits, small_dense_model, this_run):
    train, val, test, _ = splits
    half = test.iloc[: len(test) // 2]
    champion = _evaluate_champion(small_dense_model[0], (train, val, half, certify(train, val, half)))
    assert champion["test_rows"] == len(half) != this_run[1]["test_rows"]
    assert champion[TEST_SPLIT_FINGERPRINT] != this_run[1][TEST_SPLIT_FINGERPRINT]


def test_a_champion_for_other_classes_or_features_is_refused(splits, small_dense_model):
    dense = small_dense_model[0]
    renamed = [f"digit {name}" for name in dense.metadata["class_names"]]
    other_classes = ModelArtifact(dense.spec, dense.state_dict, {**dense.metadata, "class_names": renamed})
    expected = r"class_names: 10 in the champion vs 10 here \('digit 0'"
    with pytest.raises(ChampionMismatchError, match=expected):
        _evaluate_champion(other_classes, splits)
    spec = MLPSpec(in_features=32, num_classes=10, hidden=(8,))
    narrow = ModelArtifact.from_module(build_model(spec), spec)
    with pytest.raises(ChampionMismatchError, match=r"in_features: 32 vs 64 here"):
        _evaluate_champion(narrow, splits)


def test_the_reevaluated_champion_wins_over_the_committed_metrics(this_run):
    report, candidate = this_run
    same_now = {**copy.deepcopy(candidate), "model": "champion"}
    # committed on an easier split: the candidate would fail against it, but not against the champion now
    blessing, markdown = gate_candidate(
        candidate, report, _with_accuracy(candidate, 0.02), same_now, ACCURACY_ONLY, _no_plots
    )
    assert blessing["blessed"], markdown
    assert _regression(blessing)["baseline"]["source"] == "reevaluated"
    assert _regression(blessing)["rows"][0]["baseline"] == candidate["accuracy"]
    assert "Baseline: **champion re-evaluated on this run's test split**." in markdown
    # and the other way: the committed metrics would pass, the champion measured now is better
    blessing, markdown = gate_candidate(
        candidate, report, copy.deepcopy(candidate), _with_accuracy(same_now, 0.02), ACCURACY_ONLY, _no_plots
    )
    assert not blessing["blessed"], markdown
    assert _regression(blessing)["baseline"]["source"] == "reevaluated"
    assert "Warning" not in markdown


@pytest.mark.parametrize("current", [None, {}], ids=["no file", "no champion model"])
def test_without_a_reevaluated_champion_the_committed_metrics_are_the_baseline(this_run, current):
    report, candidate = this_run
    blessing, markdown = gate_candidate(
        candidate, report, _with_accuracy(candidate, 0.02), current, ACCURACY_ONLY, _no_plots
    )
    assert not blessing["blessed"]
    baseline = _regression(blessing)["baseline"]
    assert baseline["source"] == "committed"
    assert baseline["warnings"] == []
    assert "Baseline: **champion/metrics.json as committed**." in markdown
    assert "measured on the same test split as this run" in markdown


def test_committed_metrics_of_another_test_split_are_flagged(this_run):
    report, candidate = this_run
    committed = {**copy.deepcopy(candidate), TEST_SPLIT_FINGERPRINT: OTHER_SPLIT}
    blessing, markdown = gate_candidate(candidate, report, committed, {}, ACCURACY_ONLY, _no_plots)
    assert blessing["blessed"], markdown  # flagged, not failed: the thresholds decide
    baseline = _regression(blessing)["baseline"]
    assert baseline["baseline_test_split"] == OTHER_SPLIT
    assert baseline["candidate_test_split"] == candidate[TEST_SPLIT_FINGERPRINT]
    assert "> ⚠️ **Warning:** comparison across different test splits" in markdown
    assert f"`{OTHER_SPLIT[:12]}`" in markdown


def test_only_plots_whose_files_exist_are_linked(this_run, tmp_path, monkeypatch):
    report, candidate = this_run
    candidate_plots = {"candidate_confusion.png", "candidate_reliability.png"}
    assert existing_plot_links(PLOT_LINKS, candidate_plots.__contains__) == {
        "confusion matrix": "candidate_confusion.png",
        "reliability diagram": "candidate_reliability.png",
    }
    _, markdown = gate_candidate(candidate, report, None, None, ACCURACY_ONLY, candidate_plots.__contains__)
    assert "(candidate_confusion.png)" in markdown
    assert "sweep_accuracy_vs_macs.png" not in markdown
    # the default looks in data/08_reporting of the working directory (the project root under kedro)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data/08_reporting").mkdir(parents=True)
    (tmp_path / "data/08_reporting/candidate_reliability.png").write_bytes(b"png")
    # the sweep's plots come from a stage the gate does not depend on: never linked, even when present
    (tmp_path / "data/08_reporting/sweep_accuracy_vs_macs.png").write_bytes(b"png")
    _, markdown = gate_candidate(candidate, report, None, None, ACCURACY_ONLY)
    assert "- [reliability diagram](candidate_reliability.png)" in markdown
    assert "candidate_confusion.png" not in markdown
    assert "sweep_accuracy_vs_macs.png" not in markdown


def _catalog_dataset(name, filepath):
    entry = yaml.safe_load((PROJECT_ROOT / "conf/base/catalog.yml").read_text())[name]
    return DataCatalog.from_config({name: {**entry, "filepath": str(filepath)}})


def test_a_corrupt_champion_model_is_a_clear_error(tmp_path, small_dense_model):
    path = tmp_path / "champion" / "model.pt"
    catalog = _catalog_dataset("champion_model", path)
    assert catalog.load("champion_model") is None  # no champion yet
    save_artifact(small_dense_model[0], path)
    assert catalog.load("champion_model").checksum == small_dense_model[0].checksum
    payload = torch.load(path, weights_only=True)
    first = sorted(payload["state_dict"])[0]
    payload["state_dict"][first] = payload["state_dict"][first] + 1  # the stored checksum no longer matches
    torch.save(payload, path)
    with pytest.raises(Exception) as caught:
        catalog.load("champion_model")
    error = find_user_error(caught.value)
    assert isinstance(error, ModelArtifactError)
    assert f"checksum mismatch for {path}" in str(error)


def test_the_pipelines_pass_the_reevaluated_champion_to_the_gate(
    tmp_path, splits, small_dense_model, this_run
):
    """Through Kedro and the real optional datasets: no model file -> ``{}`` on disk -> committed metrics."""
    report, candidate = this_run
    model_path = tmp_path / "champion" / "model.pt"
    current_path = tmp_path / "champion_metrics_current.json"
    current_path.write_text(json.dumps({"model": "champion", "accuracy": 1.0}))  # stale: must be replaced
    pipeline = evaluation_pipeline().only_nodes(
        "prepare_model_inputs", "prepare_test_split", "evaluate_champion"
    ) + gate_pipeline().only_nodes("gate_candidate")

    def run_pipelines():
        train, val, test, certificate = splits
        committed = _with_accuracy(candidate, 0.02)
        catalog = DataCatalog(
            {
                "champion_model": _catalog_dataset("champion_model", model_path).get("champion_model"),
                "candidate_model": MemoryDataset(small_dense_model[0]),
                "champion_metrics_current": _catalog_dataset("champion_metrics_current", current_path).get(
                    "champion_metrics_current"
                ),
                "train_table": MemoryDataset(train),
                "val_table": MemoryDataset(val),
                "test_table": MemoryDataset(test),
                "validated_splits": MemoryDataset(certificate),
                # typed, as a Kedro session validates them before the run
                "params:evaluation": MemoryDataset(EvaluationParams.model_validate(PARAMS)),
                "params:ingestion": MemoryDataset(
                    IngestionParams.model_validate(shipped_params("ingestion"))
                ),
                "params:profiling": MemoryDataset(ProfilingParams.model_validate(PROFILING)),
                "ood_table": MemoryDataset(pd.DataFrame()),  # no OOD file: an empty table
                "candidate_metrics": MemoryDataset(candidate),
                "evaluation_metrics": MemoryDataset(report),
                "champion_metrics": MemoryDataset(committed),
                "params:gate": MemoryDataset(ACCURACY_ONLY),
                "blessing": MemoryDataset(),
                "gate_report": MemoryDataset(),
            }
        )
        SequentialRunner().run(pipeline, catalog)
        return catalog.load("blessing")

    without_model = run_pipelines()
    assert json.loads(current_path.read_text()) == {}
    assert _regression(without_model)["baseline"]["source"] == "committed"
    assert not without_model["blessed"]

    save_artifact(small_dense_model[0], model_path)
    with_model = run_pipelines()
    assert json.loads(current_path.read_text())["accuracy"] == candidate["accuracy"]
    assert _regression(with_model)["baseline"]["source"] == "reevaluated"
    assert with_model["blessed"]
