import copy
from dataclasses import replace

import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from tests.conftest import shipped_params, table_rows, typed_params
from tests.pipelines.conftest import inputs_of

from prunegate.core.models import MLPSpec, build_model
from prunegate.core.serialization import ModelArtifact
from prunegate.datasets import ModelArtifactDataset
from prunegate.params import ConfigError
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.pruning import create_pipeline
from prunegate.pipelines.pruning.nodes import prune_dense_model

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
prune_dense_model = as_kedro_node(prune_dense_model)


@pytest.fixture
def pruning_params():
    params = copy.deepcopy(shipped_params("pruning"))
    params["finetune"].update(epochs=3)
    params.update(steps=1, scan_ratios=[0.25, 0.5, 0.75, 0.9])
    return params


def _prune(splits, model, pruning_params, training_params, ingestion_params, profiling_params):
    return prune_dense_model(
        model, inputs_of(splits, ingestion_params), pruning_params, training_params, profiling_params
    )


def test_pruning_pipeline_runs_on_an_in_memory_catalog(
    splits, small_dense_model, pruning_params, training_params, ingestion_params, profiling_params, tmp_path
):
    dense, dense_metrics = small_dense_model
    train, val, test, certificate = splits
    catalog = DataCatalog(
        {
            "dense_model": MemoryDataset(dense, copy_mode="assign"),
            "train_table": MemoryDataset(train),
            "val_table": MemoryDataset(val),
            "test_table": MemoryDataset(test),
            "validated_splits": MemoryDataset(certificate),
            "params:pruning": MemoryDataset(typed_params("pruning", {**pruning_params, "reduction": 0.75})),
            "params:training": MemoryDataset(typed_params("training", training_params)),
            "params:ingestion": MemoryDataset(typed_params("ingestion", ingestion_params)),
            "params:profiling": MemoryDataset(typed_params("profiling", profiling_params)),
            "pruned_model": ModelArtifactDataset(str(tmp_path / "pruned.pt")),
        }
    )
    catalog["pruned_metrics"] = MemoryDataset()
    catalog["pruning_report"] = MemoryDataset()
    SequentialRunner().run(create_pipeline(), catalog)
    pruned = catalog.load("pruned_model")  # saved and reloaded with weights_only + checksum
    metrics = catalog.load("pruned_metrics")
    assert metrics["macs"] <= 0.25 * dense_metrics["macs"]
    assert pruned.spec == dense.spec  # the architecture reference; the history makes it smaller
    assert pruned.pruning_history
    layers = pruned.build_module().hidden_layers
    assert all(layer.out_features < width for layer, width in zip(layers, dense.spec.hidden, strict=True))
    assert set(metrics) >= set(dense_metrics) - {"best_epoch"}
    assert catalog.load("pruning_report")["steps"][0]["cost"] <= 0.25 * dense_metrics["macs"]


@pytest.mark.parametrize("allocation", ["uniform", "global", "sensitivity"])
@pytest.mark.parametrize("budget", ["macs", "params"])
def test_structured_budgets_are_met(
    splits,
    small_dense_model,
    pruning_params,
    training_params,
    ingestion_params,
    profiling_params,
    allocation,
    budget,
):
    dense, dense_metrics = small_dense_model
    params = {**pruning_params, "budget": budget, "allocation": allocation, "reduction": 0.5}
    _, metrics, report = _prune(splits, dense, params, training_params, ingestion_params, profiling_params)
    assert metrics[budget] <= 0.5 * dense_metrics[budget]
    table = table_rows(report["allocation_table"])  # one row per pruned layer, in the report
    columns = (
        ["layer", "ratio", "predicted drop", "cost"] if allocation == "sensitivity" else ["layer", "ratio"]
    )
    assert table[0] == columns and len(table) > 1
    assert all(0 <= float(row[1]) < 1 for row in table[1:])
    assert report["cost_unit"] == {"macs": "MACs", "params": "parameters"}[budget]


def test_unstructured_reaches_the_requested_sparsity(
    splits, small_dense_model, pruning_params, training_params, ingestion_params, profiling_params
):
    dense, dense_metrics = small_dense_model
    params = {**pruning_params, "granularity": "unstructured", "budget": "sparsity", "reduction": 0.8}
    params.update(criterion="magnitude_l1", schedule="gradual", steps=2)
    artifact, metrics, report = _prune(
        splits, dense, params, training_params, ingestion_params, profiling_params
    )
    assert metrics["sparsity"] == pytest.approx(0.8, abs=1e-3)
    assert metrics["nonzero_params"] < 0.3 * dense_metrics["params"]
    assert artifact.spec == dense.spec
    assert [step["target_sparsity"] for step in report["steps"]][-1] == pytest.approx(0.8)
    assert report["cost_unit"] is None  # the steps have sparsities, not costs


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reduction": 1.0}, r"pruning\.reduction"),
        ({"reduction": -0.1}, r"pruning\.reduction"),
        ({"criterion": "random"}, r"unknown criterion 'random'; known criteria: .*magnitude_l1"),
        ({"schedule": "weekly"}, r"unknown schedule 'weekly'"),
        ({"scan_measure": "f1"}, r"unknown scan measure 'f1'; known scan measures: .*'loss'"),
        ({"granularity": "unstructured", "budget": "macs"}, r"unstructured pruning takes budget 'sparsity'"),
        ({"criterion": "snip", "allocation": "sensitivity"}, r"use allocation 'uniform' with snip"),
        (
            {"min_units": 16, "reduction": 0.95},
            r"pruning\.reduction: macs budget cannot be met: .* MACs, above .*reduction 0\.95",
        ),
    ],
)
def test_bad_pruning_config_fails_before_any_work(
    splits,
    small_dense_model,
    pruning_params,
    training_params,
    ingestion_params,
    profiling_params,
    change,
    message,
):
    dense, _ = small_dense_model
    with pytest.raises(ConfigError, match=message):
        _prune(
            splits, dense, {**pruning_params, **change}, training_params, ingestion_params, profiling_params
        )


def test_structured_pruning_of_a_model_with_nothing_prunable_is_refused(
    splits, pruning_params, training_params, ingestion_params, profiling_params
):
    spec = MLPSpec(in_features=64, num_classes=10, hidden=())
    linear = ModelArtifact.from_module(build_model(spec), spec)
    with pytest.raises(ConfigError, match=r"pruning\.granularity: structured pruning is impossible"):
        _prune(splits, linear, pruning_params, training_params, ingestion_params, profiling_params)


def test_snip_prunes_at_initialisation_then_trains(
    splits, small_dense_model, pruning_params, training_params, ingestion_params, profiling_params
):
    dense, _ = small_dense_model
    params = {**pruning_params, "criterion": "snip", "granularity": "unstructured", "budget": "sparsity"}
    artifact, metrics, report = _prune(
        splits, dense, {**params, "reduction": 0.7}, training_params, ingestion_params, profiling_params
    )
    assert len(report["steps"]) == 1
    assert metrics["sparsity"] == pytest.approx(0.7, abs=1e-3)
    assert metrics["accuracy"] > 0.5
    assert not all((artifact.state_dict[k] == dense.state_dict[k]).all() for k in ("classifier.weight",)), (
        "SNIP must train from a fresh initialisation, not copy the dense weights"
    )
    assert replace(artifact.spec) == dense.spec


@pytest.mark.parametrize("granularity", ["structured", "unstructured"])
def test_distillation_fine_tunes_on_the_dense_models_soft_targets(
    splits,
    small_dense_model,
    pruning_params,
    training_params,
    ingestion_params,
    profiling_params,
    granularity,
    monkeypatch,
    caplog,
):
    """``finetune.distillation: dense`` fine-tunes with the KD loss, the dense model as the teacher."""
    from prunegate.core import distillation

    dense, _ = small_dense_model
    seen: list[tuple[float, float, int]] = []
    original = distillation.kd_loss

    def recording_kd_loss(logits, teacher_logits, targets, *, temperature, alpha):
        seen.append((temperature, alpha, teacher_logits.shape[1]))
        return original(logits, teacher_logits, targets, temperature=temperature, alpha=alpha)

    monkeypatch.setattr(distillation, "kd_loss", recording_kd_loss)
    params = copy.deepcopy(pruning_params)
    params["finetune"].update(distillation="dense", temperature=3.0, alpha=0.25, epochs=1)
    if granularity == "unstructured":
        params.update(granularity="unstructured", budget="sparsity", criterion="magnitude_l1")
    _prune(splits, dense, {**params, "reduction": 0.5}, training_params, ingestion_params, profiling_params)
    assert seen and set(seen) == {(3.0, 0.25, dense.spec.num_classes)}
    assert "soft targets too (distillation: temperature 3, alpha 0.25)" in caplog.text  # the log says so

    seen.clear()
    params["finetune"]["distillation"] = "none"
    _prune(splits, dense, {**params, "reduction": 0.5}, training_params, ingestion_params, profiling_params)
    assert not seen  # labels only


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"distillation": "teacher"}, r"pruning\.finetune\.distillation"),
        ({"temperature": 0.0}, r"pruning\.finetune\.temperature"),
        ({"alpha": 1.5}, r"pruning\.finetune\.alpha"),
    ],
)
def test_bad_distillation_settings_name_the_key(
    splits,
    small_dense_model,
    pruning_params,
    training_params,
    ingestion_params,
    profiling_params,
    change,
    message,
):
    dense, _ = small_dense_model
    params = copy.deepcopy(pruning_params)
    params["finetune"].update(change)
    with pytest.raises(ConfigError, match=message):
        _prune(splits, dense, params, training_params, ingestion_params, profiling_params)
