import copy

import pytest
import yaml
from tests.conftest import PROJECT_ROOT, shipped_params
from tests.pipelines.conftest import inputs_of, measured_split

from prunegate.errors import NotBlessedError
from prunegate.gate import GateConfig
from prunegate.params import ConfigError
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.evaluation.nodes import evaluate_models
from prunegate.pipelines.gate.nodes import gate_candidate, ship_if_blessed

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
evaluate_models = as_kedro_node(evaluate_models)


@pytest.fixture(scope="module")
def evaluated(splits, small_dense_model):
    dense = small_dense_model[0]
    params = {**shipped_params("evaluation"), "quantize_candidate": True, "candidate": "dense"}
    profiling = {**shipped_params("profiling"), "warmup": 1, "repeats": 3}
    split = measured_split(splits, params, shipped_params("ingestion"), profiling)
    return evaluate_models(dense, dense, dense, split)


@pytest.fixture
def gates():
    return yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_gate.yml").read_text())["gate"]


def test_every_model_gets_the_same_metric_keys(evaluated):
    report, candidate, artifact, confusion, reliability, *_ = evaluated
    assert set(report) == {"dense", "pruned", "distilled", "dense_int8"}
    keys = {name: set(metrics) for name, metrics in report.items()}
    assert len({frozenset(k) for k in keys.values()}) == 1
    assert {"accuracy", "ece", "macs", "accuracy_noise_2", "accuracy_fgsm_1", "slices", "per_class"} <= keys[
        "dense"
    ]
    assert candidate["model"] == "dense_int8"
    assert artifact.metadata["quantization"] == "dynamic_int8"
    assert report["dense_int8"]["macs"] == report["dense"]["macs"]
    assert len(confusion) == candidate["test_rows"]
    assert reliability["count"].sum() == candidate["test_rows"]


def test_slice_column_that_is_a_feature_is_refused(splits):
    params = {**shipped_params("evaluation"), "slice_columns": ["pixel_0_0"]}
    with pytest.raises(ConfigError, match=r"evaluation\.slice_columns: \['pixel_0_0'\] are model features"):
        measured_split(splits, params, shipped_params("ingestion"), shipped_params("profiling"))


def test_no_champion_is_blessed_and_says_so(evaluated, gates):
    report, candidate, *_ = evaluated
    only_changes = {
        "compression": [],
        "regression": [{k: v for k, v in c.items() if k != "lower_bound"} for c in gates["regression"]],
    }
    blessing, markdown = gate_candidate(
        candidate, report, None, None, GateConfig.model_validate(only_changes)
    )
    assert blessing["blessed"], markdown
    assert "no champion yet" in markdown.lower()
    bound = {"metric": "accuracy", "direction": "higher", "lower_bound": 0.999}
    bounded = {"compression": [], "regression": [bound]}
    assert not gate_candidate(candidate, report, None, None, GateConfig.model_validate(bounded))[0]["blessed"]


def test_a_worse_candidate_than_the_champion_is_not_shipped(evaluated, gates):
    report, candidate, artifact, *_ = evaluated
    champion = copy.deepcopy(candidate)
    champion["accuracy"] = candidate["accuracy"] + 0.02
    checks = {"compression": [], "regression": [c for c in gates["regression"] if "lower_bound" not in c]}
    checks["regression"].append({"metric": "accuracy", "direction": "higher", "max_worsening_abs": 0.005})
    blessing, markdown = gate_candidate(candidate, report, champion, None, GateConfig.model_validate(checks))
    assert not blessing["blessed"]
    failed = [row for row in blessing["gates"]["regression"]["rows"] if not row["passed"]]
    assert [row["metric"] for row in failed] == ["accuracy"]
    assert "❌ NOT BLESSED" in markdown
    with pytest.raises(NotBlessedError, match=r"regression: accuracy"):
        ship_if_blessed(blessing, markdown, artifact)


def test_the_compression_gate_compares_with_the_dense_model(evaluated, gates):
    report, candidate, *_ = evaluated
    blessing, _ = gate_candidate(candidate, report, None, None, GateConfig.model_validate(gates))
    rows = {row["metric"]: row for row in blessing["gates"]["compression"]["rows"]}
    assert not rows["macs"]["passed"]  # the dense int8 candidate has the dense model's MACs
    assert rows["macs"]["baseline"] == report["dense"]["macs"]


def test_a_blessed_candidate_is_shipped_marked_blessed(evaluated, gates):
    report, candidate, artifact, *_ = evaluated
    champion = copy.deepcopy(candidate)
    checks = {"compression": [], "regression": [c for c in gates["regression"] if "lower_bound" not in c]}
    blessing, markdown = gate_candidate(candidate, report, champion, None, GateConfig.model_validate(checks))
    assert blessing["blessed"], markdown
    shipped = ship_if_blessed(blessing, markdown, artifact)
    assert shipped.metadata["blessed"] is True
    assert shipped.state_dict is artifact.state_dict


def test_cross_validation_of_the_recipe_when_enabled(splits, training_params, ingestion_params):
    from prunegate.pipelines.evaluation.cross_validation_node import cross_validate_recipe as node

    cross_validate_recipe = as_kedro_node(node)

    params, data = shipped_params("evaluation"), inputs_of(splits)
    assert cross_validate_recipe(data, params, training_params, ingestion_params) == {"enabled": False}
    params["cross_validation"] = {"enabled": True, "folds": 3}
    result = cross_validate_recipe(data, params, training_params, ingestion_params)
    assert result["cv_folds"] == 3
    assert len(result["cv_fold_accuracies"]) == 3
    assert result["cv_accuracy_mean"] == pytest.approx(sum(result["cv_fold_accuracies"]) / 3)
    assert result["cv_accuracy_mean"] > 0.8


def test_every_metric_the_evaluation_writes_can_be_gated(evaluated):
    """The gate's list of metric names (it refuses a misspelt one up front) follows the evaluation."""
    from prunegate.gate.metric_names import check_metric_name

    report, *_ = evaluated
    names = {
        key for metrics in report.values() for key, value in metrics.items() if isinstance(value, float | int)
    }
    names |= {"latency_ms_p50_b1", "latency_ms_p95_b256"}  # timings go to measured/, same names
    for name in sorted(names - {"model"}):
        check_metric_name(name)
