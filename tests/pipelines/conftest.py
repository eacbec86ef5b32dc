"""Validated digits splits and a small trained dense model, shared by the pipeline tests."""

import pytest
from tests.conftest import shipped_params

from prunegate.data.tables import table_fingerprint
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.evaluation.measure import prepare_test_split
from prunegate.pipelines.ingestion.nodes import split_raw_table
from prunegate.pipelines.model_inputs import prepare_model_inputs
from prunegate.pipelines.training.nodes import train_dense_model

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
split_raw_table = as_kedro_node(split_raw_table)
train_dense_model = as_kedro_node(train_dense_model)
prepare_test_split = as_kedro_node(prepare_test_split)
prepare_model_inputs = as_kedro_node(prepare_model_inputs)


def certify(train, val, test) -> dict:
    """The certificate validation writes for splits that passed."""
    tables = {"train": train, "val": val, "test": test}
    return {"passed": True, "fingerprints": {name: table_fingerprint(t) for name, t in tables.items()}}


@pytest.fixture(scope="session")
def splits(digits):
    train, val, test, _ = split_raw_table(digits, shipped_params("ingestion"))
    return train, val, test, certify(train, val, test)


def inputs_of(splits, ingestion=None):
    """The data-preparation node's output for ``(train, val, test, certificate)``."""
    return prepare_model_inputs(*splits, ingestion or shipped_params("ingestion"))


@pytest.fixture(scope="session")
def small_dense_model(splits):
    """A 64-32-16-10 MLP trained for a few epochs (enough to prune and distil from)."""
    training = {**shipped_params("training"), "epochs": 8, "show_progress": False}
    training["mlp"] = {"hidden": [32, 16], "dropout": 0.0}
    profiling = {**shipped_params("profiling"), "warmup": 1, "repeats": 3}
    ingestion = shipped_params("ingestion")
    artifact, metrics, _ = train_dense_model(inputs_of(splits), training, ingestion, profiling)
    return artifact, metrics


def measured_split(splits, evaluation, ingestion, profiling, ood_table=None):
    """The evaluation pipeline's first node: the one test split every model is measured on."""
    return prepare_test_split(inputs_of(splits, ingestion), splits[2], evaluation, profiling, ood_table)
