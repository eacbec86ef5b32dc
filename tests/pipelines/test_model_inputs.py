"""The one data-preparation node: every pipeline that trains or measures starts from its output."""

import pytest
from tests.conftest import shipped_params
from tests.pipelines.conftest import inputs_of

from prunegate.errors import UnvalidatedDataError
from prunegate.pipeline_registry import every_pipeline
from prunegate.pipelines.model_inputs import MODEL_INPUTS, ModelInputs


def test_certified_splits_become_tensors_with_their_fingerprints(splits):
    data = inputs_of(splits)
    assert isinstance(data, ModelInputs)
    assert data.fingerprints == splits[3]["fingerprints"]
    assert [len(part[1]) for part in (data.train, data.val, data.test)] == [len(t) for t in splits[:3]]
    assert data.feature_names == [c for c in splits[0].columns if c != "target"]


def test_a_split_changed_after_validation_is_refused_naming_it(splits):
    train, val, test, certificate = splits
    tampered = test.copy()
    tampered.iloc[0, 0] = 16
    with pytest.raises(UnvalidatedDataError, match="the test split changed since it was validated"):
        inputs_of((train, val, tampered, certificate))
    with pytest.raises(UnvalidatedDataError, match="did not pass data validation"):
        inputs_of((train, val, test, {"passed": False}))


TRAINS_OR_MEASURES = {"training", "pruning", "pruning_sweep", "distillation", "evaluation", "packaging"}


def test_no_other_node_of_a_pipeline_that_trains_or_measures_reads_the_tables():
    """Tables become tensors in one place, after the certificate is checked there."""
    pipelines = every_pipeline()
    assert set(pipelines) > TRAINS_OR_MEASURES
    readers = {
        node.name
        for name in TRAINS_OR_MEASURES
        for node in pipelines[name].nodes
        if {"validated_splits", "train_table", "val_table"} & set(node.inputs)
    }
    assert readers == {"prepare_model_inputs"}


def test_every_pipeline_that_takes_model_inputs_prepares_them_and_a_full_run_does_it_once():
    for name, pipeline in every_pipeline().items():
        readers = [node for node in pipeline.nodes if MODEL_INPUTS in node.inputs]
        producers = [node.name for node in pipeline.nodes if MODEL_INPUTS in node.outputs]
        assert producers == (["prepare_model_inputs"] if readers else []), name
    combined = sum(pipeline for name, pipeline in every_pipeline().items() if name in TRAINS_OR_MEASURES)
    assert [node.name for node in combined.nodes].count("prepare_model_inputs") == 1  # Kedro: one node


def test_the_node_uses_the_ingestion_feature_columns(splits):
    ingestion = {
        **shipped_params("ingestion"),
        "feature_columns": ["pixel_0_1", "pixel_0_2"],
        "input_shape": None,
    }
    assert inputs_of(splits, ingestion).train[0].shape[1] == 2
