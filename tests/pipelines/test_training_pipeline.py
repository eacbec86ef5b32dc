import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from tests.conftest import typed_params
from tests.pipelines.conftest import inputs_of

from prunegate.data.tables import table_fingerprint
from prunegate.errors import UnvalidatedDataError
from prunegate.params import ConfigError
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.training import create_pipeline
from prunegate.pipelines.training.nodes import train_dense_model

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
train_dense_model = as_kedro_node(train_dense_model)


def _train(splits, training_params, ingestion_params, profiling_params):
    """The pipeline's two nodes: the data preparation, then training."""
    data = inputs_of(splits, ingestion_params)
    return train_dense_model(data, training_params, ingestion_params, profiling_params)


def test_training_pipeline_writes_model_metrics_and_history(
    splits, training_params, ingestion_params, profiling_params
):
    train, val, test, certificate = splits
    catalog = DataCatalog(
        {
            "train_table": MemoryDataset(train),
            "val_table": MemoryDataset(val),
            "test_table": MemoryDataset(test),
            "validated_splits": MemoryDataset(certificate),
            "params:training": MemoryDataset(typed_params("training", training_params)),
            "params:ingestion": MemoryDataset(typed_params("ingestion", ingestion_params)),
            "params:profiling": MemoryDataset(typed_params("profiling", profiling_params)),
        }
    )
    for name in ("dense_model", "dense_metrics", "dense_training_history"):
        catalog[name] = MemoryDataset()
    SequentialRunner().run(create_pipeline(), catalog)
    metrics = catalog.load("dense_metrics")
    artifact = catalog.load("dense_model")
    assert metrics["accuracy"] > 0.8
    assert metrics["params"] == 64 * 32 + 32 + 32 * 10 + 10
    assert metrics["macs"] == 64 * 32 + 32 * 10
    assert metrics["latency_ms_p95_b256"] >= metrics["latency_ms_p50_b256"] > 0
    assert metrics["size_bytes"] > metrics["size_bytes_zlib"] > 0
    assert artifact.metadata["class_names"] == [str(i) for i in range(10)]
    assert artifact.metadata["feature_names"][0] == "pixel_0_0"
    assert len(catalog.load("dense_training_history")) == training_params["epochs"]


def test_cnn_trains_on_image_shaped_digits(splits, training_params, ingestion_params, profiling_params):
    training_params.update(architecture="cnn", cnn={"channels": [4], "hidden": [], "dropout": 0.0})
    artifact, metrics, _ = _train(splits, training_params, ingestion_params, profiling_params)
    assert artifact.spec.kind == "cnn"
    assert metrics["accuracy"] > 0.5


def test_training_refuses_splits_that_changed_after_validation(
    splits, training_params, ingestion_params, profiling_params
):
    train, val, test, certificate = splits
    tampered = test.copy()
    tampered.iloc[0, 0] = 16
    with pytest.raises(UnvalidatedDataError, match="test split changed"):
        _train((train, val, tampered, certificate), training_params, ingestion_params, profiling_params)
    with pytest.raises(UnvalidatedDataError, match="did not pass"):
        _train((train, val, test, {"passed": False}), training_params, ingestion_params, profiling_params)


def test_unknown_training_key_fails_before_training(
    splits, training_params, ingestion_params, profiling_params
):
    training_params["learning_rte"] = 0.1
    with pytest.raises(ConfigError, match=r"training\.learning_rte: unknown key"):
        _train(splits, training_params, ingestion_params, profiling_params)


def test_string_labels_are_mapped_and_saved_with_the_model(
    splits, training_params, ingestion_params, profiling_params
):
    train, val, test, _ = splits
    names = {i: f"digit {i}!" for i in range(10)}
    relabelled = [t.assign(target=t["target"].map(names)) for t in (train, val, test)]
    certificate = {
        "passed": True,
        "fingerprints": {
            n: table_fingerprint(t) for n, t in zip(("train", "val", "test"), relabelled, strict=True)
        },
    }
    artifact, _, _ = _train((*relabelled, certificate), training_params, ingestion_params, profiling_params)
    assert artifact.metadata["class_values"] == sorted(names.values())


def test_the_users_own_model_trains_through_the_pipeline(
    splits, training_params, ingestion_params, profiling_params
):
    model = {"factory": "examples.models.signal_net:build", "kwargs": {"width": 8, "hidden": 16}}
    training_params.update(architecture="factory", model=model)
    ingestion_params.update(input_shape=[1, 64])
    artifact, metrics, _ = _train(splits, training_params, ingestion_params, profiling_params)
    assert artifact.spec.kind == "factory"
    assert artifact.metadata["input_shape"] == [1, 64]
    assert metrics["accuracy"] > 0.3  # 4 epochs of a tiny 1-D CNN; chance is 0.1


def test_a_factory_with_the_wrong_output_fails_before_training_naming_it(
    splits, training_params, ingestion_params, profiling_params
):
    training_params.update(architecture="factory", model={"factory": "torch.nn:Identity", "kwargs": {}})
    with pytest.raises(ValueError, match=r"'torch\.nn:Identity' must return N x num_classes"):
        _train(splits, training_params, ingestion_params, profiling_params)


def test_same_seed_gives_a_byte_identical_model_file(
    tmp_path, splits, training_params, ingestion_params, profiling_params
):
    """No timing goes into the model file, so DVC's lock does not change when nothing did."""
    from prunegate.core.serialization import save_artifact

    files = []
    for attempt in range(2):
        artifact, metrics, _ = _train(splits, training_params, ingestion_params, profiling_params)
        assert "latency_ms_p50_b1" in metrics
        assert not any(key.startswith("latency_") for key in artifact.metadata["metrics"])
        save_artifact(artifact, tmp_path / f"dense{attempt}.pt")
        files.append((tmp_path / f"dense{attempt}.pt").read_bytes())
    assert files[0] == files[1]
