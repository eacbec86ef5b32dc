import copy

import pytest
from matplotlib.figure import Figure
from tests.conftest import shipped_params
from tests.pipelines.conftest import inputs_of

from prunegate.params import ConfigError
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.pruning_sweep.nodes import sweep_pruning

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
sweep_pruning = as_kedro_node(sweep_pruning)


@pytest.fixture
def base_pruning():
    params = copy.deepcopy(shipped_params("pruning"))
    params["finetune"]["epochs"] = 1
    params["steps"] = 1
    return params


def _sweep(splits, small_dense_model, sweep, base, training_params, ingestion_params, profiling_params):
    dense, dense_metrics = small_dense_model
    return sweep_pruning(
        dense,
        inputs_of(splits, ingestion_params),
        dense_metrics,
        sweep,
        base,
        training_params,
        profiling_params,
    )


def test_sweep_runs_every_method_at_every_reduction(
    splits, small_dense_model, base_pruning, training_params, ingestion_params, profiling_params
):
    sweep = {
        "reductions": [0.5, 0.75],
        "methods": [
            {
                "name": "unstructured l1",
                "overrides": {
                    "granularity": "unstructured",
                    "budget": "sparsity",
                    "criterion": "magnitude_l1",
                },
            },
            {"name": "structured l2", "overrides": {"criterion": "magnitude_l2", "allocation": "uniform"}},
        ],
    }
    table, by_params, by_macs = _sweep(
        splits, small_dense_model, sweep, base_pruning, training_params, ingestion_params, profiling_params
    )
    assert sorted(zip(table["method"], table["reduction"], strict=True)) == [
        ("structured l2", 0.5),
        ("structured l2", 0.75),
        ("unstructured l1", 0.5),
        ("unstructured l1", 0.75),
    ]
    structured = table[table["method"] == "structured l2"]
    assert structured["macs"].iloc[1] < structured["macs"].iloc[0]
    assert (table["params_removed"] > 0.4).all()
    assert isinstance(by_params, Figure)
    assert sorted(text.get_text() for text in by_macs.axes[0].get_legend().get_texts()) == [
        "dense",
        "dense 95% interval",
        "structured l2",
        "unstructured l1",
    ]
    assert (
        (table["accuracy_low"] <= table["accuracy"]) & (table["accuracy"] <= table["accuracy_high"])
    ).all()


def test_a_bad_method_fails_before_any_run_naming_it(
    splits, small_dense_model, base_pruning, training_params, ingestion_params, profiling_params
):
    sweep = {
        "reductions": [0.5],
        "methods": [
            {"name": "fine", "overrides": {}},
            {"name": "broken", "overrides": {"criterion": "coin_flip"}},
        ],
    }
    with pytest.raises(ConfigError, match=r"pruning_sweep\.methods\.1\.criterion.*coin_flip"):
        _sweep(
            splits,
            small_dense_model,
            sweep,
            base_pruning,
            training_params,
            ingestion_params,
            profiling_params,
        )


def test_cells_on_two_dask_workers_give_the_rows_of_the_loop_for_every_seed(
    splits, small_dense_model, base_pruning, training_params, ingestion_params, profiling_params
):
    sweep = {
        "reductions": [0.75],
        "seeds": [0, 1],
        "methods": [
            {"name": "structured l2", "overrides": {"criterion": "magnitude_l2", "allocation": "uniform"}}
        ],
    }
    arguments = (small_dense_model, base_pruning, training_params, ingestion_params, profiling_params)
    in_process, _, _ = _sweep(splits, arguments[0], sweep, *arguments[1:])
    fanned, _, by_macs = _sweep(splits, arguments[0], {**sweep, "fanout": {"workers": 2}}, *arguments[1:])
    assert list(fanned["seed"]) == [0, 1] == list(in_process["seed"])
    assert list(fanned["macs"]) == list(in_process["macs"])
    # a worker has one thread, this process two: the same cells, float sums in another order
    assert (abs(fanned["accuracy"] - in_process["accuracy"]) <= 0.02).all()
    points = by_macs.axes[0].lines[0].get_xydata()
    assert len(points) == 1  # two seeds, one point: their mean
    assert points[0][1] == pytest.approx(fanned["accuracy"].mean())


def test_an_unknown_sweep_setting_is_named(
    splits, small_dense_model, base_pruning, training_params, ingestion_params, profiling_params
):
    sweep = {
        "reductions": [0.5],
        "methods": [{"name": "fine", "overrides": {}}],
        "fanout": {"address": "host:1"},
    }
    with pytest.raises(ConfigError, match=r"pruning_sweep\.fanout\.address"):
        _sweep(
            splits,
            small_dense_model,
            sweep,
            base_pruning,
            training_params,
            ingestion_params,
            profiling_params,
        )
