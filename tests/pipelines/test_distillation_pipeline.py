import copy

import pytest
from tests.conftest import shipped_params
from tests.pipelines.conftest import inputs_of

from prunegate.core.models import MLPSpec
from prunegate.params import ConfigError
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.distillation.nodes import distill_student
from prunegate.pipelines.pruning.nodes import prune_dense_model

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
distill_student = as_kedro_node(distill_student)
prune_dense_model = as_kedro_node(prune_dense_model)


@pytest.fixture(scope="module")
def pruned_model(splits, small_dense_model):
    pruning = {**copy.deepcopy(shipped_params("pruning")), "reduction": 0.5, "steps": 1}
    pruning["finetune"]["epochs"] = 2
    training = {**shipped_params("training"), "show_progress": False}
    profiling = {**shipped_params("profiling"), "warmup": 1, "repeats": 3}
    artifact, _, _ = prune_dense_model(small_dense_model[0], inputs_of(splits), pruning, training, profiling)
    return artifact


@pytest.fixture
def distillation_params():
    return {**shipped_params("distillation"), "epochs": 4}


def test_student_takes_the_pruned_architecture_and_is_compared_with_scratch(
    splits, small_dense_model, pruned_model, distillation_params, ingestion_params, profiling_params
):
    dense, dense_metrics = small_dense_model
    artifact, metrics, report = distill_student(
        dense, pruned_model, inputs_of(splits, ingestion_params), distillation_params, profiling_params
    )
    assert artifact.spec == pruned_model.spec
    assert artifact.metadata["role"] == "distilled"
    assert set(report) >= {"scratch", "distilled"}
    assert metrics["scratch_accuracy"] == report["scratch"]["accuracy"]
    assert set(metrics) >= set(dense_metrics) - {"best_epoch"}


def test_student_widths_from_params(
    splits, small_dense_model, pruned_model, distillation_params, ingestion_params, profiling_params
):
    params = {
        **distillation_params,
        "student_architecture": "params",
        "student_hidden": [12],
        "compare_with_scratch": False,
    }
    artifact, metrics, report = distill_student(
        small_dense_model[0], pruned_model, inputs_of(splits, ingestion_params), params, profiling_params
    )
    assert artifact.spec == MLPSpec(in_features=64, num_classes=10, hidden=(12,), dropout=0.0)
    assert "scratch" not in report
    assert metrics["params"] == 64 * 12 + 12 + 12 * 10 + 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"alpha": 1.5}, r"distillation\.alpha"),
        ({"temperature": 0}, r"distillation\.temperature"),
        ({"teacher": "oracle"}, r"distillation\.teacher"),
        ({"student_architecture": "params", "student_hidden": None}, "needs student_hidden"),
    ],
)
def test_bad_distillation_config_is_refused(
    splits,
    small_dense_model,
    pruned_model,
    distillation_params,
    ingestion_params,
    profiling_params,
    change,
    message,
):
    with pytest.raises(ConfigError, match=message):
        distill_student(
            small_dense_model[0],
            pruned_model,
            inputs_of(splits, ingestion_params),
            {**distillation_params, **change},
            profiling_params,
        )
