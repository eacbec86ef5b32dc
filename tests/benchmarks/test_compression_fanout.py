"""The compression benchmark's cells as Dask tasks: the same rows, in the same order, as the loop."""

import pytest
from benchmarks.compression_grid import QUICK
from tests.conftest import PROJECT_ROOT, shipped_params
from tests.pipelines.conftest import certify, inputs_of

from benchmarks import compression
from prunegate.fanout import FanoutSettings
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.ingestion.nodes import split_raw_table

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
split_raw_table = as_kedro_node(split_raw_table)

pytestmark = pytest.mark.slow


def test_two_dask_workers_give_the_rows_of_one_process(monkeypatch, digits):
    train, val, test, _ = split_raw_table(digits, shipped_params("ingestion"))
    data = inputs_of((train, val, test, certify(train, val, test)))
    monkeypatch.setattr(compression, "load_model_inputs", lambda _: data)
    in_process = compression.run_benchmark(PROJECT_ROOT, [0], QUICK)
    fanned = compression.run_benchmark(PROJECT_ROOT, [0], QUICK, FanoutSettings(workers=2))
    labels = [(row["section"], row["method"], row["target"]) for row in in_process]
    assert labels == [(row["section"], row["method"], row["target"]) for row in fanned]
    assert labels[0] == ("dense", "dense", None) and labels[-1][0] == "quantization"
    assert not [row["error"] for row in fanned if row["error"]]
    for one, other in zip(in_process, fanned, strict=True):
        assert one.get("macs") == other.get("macs")
        # a worker has one thread like this benchmark's process; a few rows of slack for float order
        assert abs(one["accuracy"] - other["accuracy"]) <= 0.03, (one["method"], one["target"])
