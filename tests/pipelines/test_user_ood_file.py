"""The user's own out-of-distribution rows (catalog ``ood_table``): measured as the OOD set ``user``."""

import numpy as np
import pandas as pd
import pytest
from tests.conftest import shipped_params
from tests.pipelines.conftest import measured_split

from prunegate.data.tables import DataFileError
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.evaluation.measure import USER_OOD_SET, user_ood_rows
from prunegate.pipelines.evaluation.nodes import evaluate_models

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
evaluate_models = as_kedro_node(evaluate_models)

PROFILING = {**shipped_params("profiling"), "warmup": 1, "repeats": 3}


def _evaluate(model, splits, ood_table):
    split = measured_split(
        splits, shipped_params("evaluation"), shipped_params("ingestion"), PROFILING, ood_table
    )
    report, *_ = evaluate_models(model, model, model, split)
    return report["dense"]


def _features(splits):
    return [column for column in splits[0].columns if column != "target"]


def test_user_rows_are_scored_beside_the_built_in_sets(splits, small_dense_model):
    features = _features(splits)
    rng = np.random.default_rng(0)
    # far outside the digits' 0..16 pixels, plus an extra column the model does not use
    far = pd.DataFrame(rng.uniform(40, 60, size=(50, len(features))), columns=features[::-1])
    far["source"] = "other sensor"
    metrics = _evaluate(small_dense_model[0], splits, far)
    assert 0.0 <= metrics[f"ood_auroc_msp_{USER_OOD_SET}"] <= 1.0
    assert f"ood_fpr95_energy_{USER_OOD_SET}" in metrics
    per_set = [metrics[f"ood_auroc_msp_{name}"] for name in ("uniform", "shuffled", "shifted", USER_OOD_SET)]
    assert metrics["ood_auroc_msp"] == pytest.approx(np.mean(per_set))

    without = _evaluate(small_dense_model[0], splits, pd.DataFrame())  # no file: the optional dataset
    assert f"ood_auroc_msp_{USER_OOD_SET}" not in without


def test_user_rows_follow_the_models_feature_order():
    table = pd.DataFrame({"b": [2.0, 20.0], "a": [1.0, 10.0]})
    rows = user_ood_rows(table, ["a", "b"])[USER_OOD_SET]
    assert rows.tolist() == [[1.0, 2.0], [10.0, 20.0]]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pd.DataFrame({"a": [1.0]}), r"lacks the model's feature columns b$"),
        (
            pd.DataFrame({"a": [1.0], "bx": [2.0]}),
            r"lacks the model's feature columns b; did you mean 'bx' for 'b'",
        ),
        (
            pd.DataFrame({"a": [1.0, 2.0], "b": ["3", "x"]}),
            r"1 values are not finite .* column 'b' of data row 2 \(the header not counted\): 'x'",
        ),
        (pd.DataFrame({"a": [np.inf], "b": [1.0]}), r"column 'a' of data row 1 \("),
        (pd.DataFrame({"a": [], "b": []}), r"has no rows"),
    ],
)
def test_a_bad_ood_file_is_refused_with_the_reason(table, message):
    with pytest.raises(DataFileError, match=message):
        user_ood_rows(table, ["a", "b"])
