import copy
from pathlib import Path

import pytest
import yaml

from prunegate.params import ConfigError, IngestionParams, TrainingParams, parse_params

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"


def _shipped(section: str) -> dict:
    return yaml.safe_load((CONF / f"parameters_{section}.yml").read_text())[section]


def test_shipped_parameters_are_valid():
    assert parse_params(IngestionParams, _shipped("ingestion"), "ingestion").target_column == "target"
    assert parse_params(TrainingParams, _shipped("training"), "training").architecture == "mlp"


@pytest.mark.parametrize(
    ("section", "model", "change", "message"),
    [
        ("training", TrainingParams, lambda p: p.update(epoch=3), r"training\.epoch: unknown key"),
        ("training", TrainingParams, lambda p: p["mlp"].update(hidden=[64, -8]), r"training\.mlp\.hidden\.1"),
        ("training", TrainingParams, lambda p: p.update(batch_size="64"), r"training\.batch_size"),
        ("training", TrainingParams, lambda p: p.update(learning_rate=-1.0), r"training\.learning_rate"),
        ("training", TrainingParams, lambda p: p.update(architecture="rnn"), r"training\.architecture"),
        ("ingestion", IngestionParams, lambda p: p["split"].update(train=0.9), r"must be 1"),
        ("ingestion", IngestionParams, lambda p: p.update(on_leakage="ignore"), r"ingestion\.on_leakage"),
        ("ingestion", IngestionParams, lambda p: p.update(input_shape=[64]), r"ingestion\.input_shape"),
        ("ingestion", IngestionParams, lambda p: p.update(image_shape=[1, 8, 8]), r"renamed input_shape"),
        (
            "training",
            TrainingParams,
            lambda p: p["model"].update(factory="nocolon"),
            r"training\.model\.factory",
        ),
        (
            "training",
            TrainingParams,
            lambda p: p["resnet"].update(widths=[0]),
            r"training\.resnet\.widths\.0",
        ),
        (
            "ingestion",
            IngestionParams,
            lambda p: p.update(feature_columns=["a", "target"]),
            "also listed in feature_columns",
        ),
    ],
)
def test_bad_parameters_fail_naming_the_key(section, model, change, message):
    params = copy.deepcopy(_shipped(section))
    change(params)
    with pytest.raises(ConfigError, match=message):
        parse_params(model, params, section)


def test_cnn_needs_an_image_shape_matching_the_features():
    params = parse_params(TrainingParams, {**_shipped("training"), "architecture": "cnn"}, "training")
    assert params.model_spec(64, 10, [1, 8, 8]).in_shape == (1, 8, 8)
    with pytest.raises(ConfigError, match=r"needs ingestion\.input_shape \[channels, height, width\]"):
        params.model_spec(64, 10, None)
    with pytest.raises(ConfigError, match="holds 49 values"):
        params.model_spec(64, 10, [1, 7, 7])


@pytest.mark.parametrize(
    ("architecture", "input_shape", "kind"),
    [
        ("resnet", [1, 8, 8], "resnet"),
        ("mobilenet", [1, 8, 8], "mobilenet"),
        ("resnet1d", [1, 64], "resnet1d"),
        ("gru", [8, 8], "gru"),
        ("mlp", [1, 64], "mlp"),
    ],
)
def test_every_zoo_architecture_builds_from_the_shipped_parameters(architecture, input_shape, kind):
    params = parse_params(TrainingParams, {**_shipped("training"), "architecture": architecture}, "training")
    assert params.model_spec(64, 10, input_shape).kind == kind


def test_signal_architectures_need_channels_and_length():
    params = parse_params(TrainingParams, {**_shipped("training"), "architecture": "resnet1d"}, "training")
    with pytest.raises(ConfigError, match=r"'resnet1d' needs ingestion\.input_shape \[channels, length\]"):
        params.model_spec(64, 10, [1, 8, 8])


def test_factory_architecture_names_its_callable():
    shipped = _shipped("training")
    params = parse_params(TrainingParams, {**shipped, "architecture": "factory"}, "training")
    with pytest.raises(ConfigError, match=r"training\.model\.factory: set 'package\.module:callable'"):
        params.model_spec(64, 10, [1, 64])
    model = {"factory": "examples.models.signal_net:build", "kwargs": {"width": 8}}
    params = parse_params(TrainingParams, {**shipped, "architecture": "factory", "model": model}, "training")
    spec = params.model_spec(64, 10, [1, 64])
    assert (spec.kind, spec.in_shape, spec.kwargs) == ("factory", (1, 64), {"width": 8})


def test_a_misspelt_key_names_the_key_it_was_likely_meant_as_and_the_missing_one():
    params = {**_shipped("training")}
    params["epocs"] = params.pop("epochs")
    params["mlp"] = {**params["mlp"], "hiden": [8]}
    with pytest.raises(ConfigError) as raised:
        parse_params(TrainingParams, params, "training")
    lines = str(raised.value).splitlines()
    assert "  training.epochs: required key is missing" not in lines  # the did-you-mean says it
    assert not any("'mlp':" in line for line in lines)  # no dump of the whole section
    assert "  training.epocs: unknown key (got 80); did you mean 'epochs'?" in lines
    assert "  training.mlp.hiden: unknown key (got [8]); did you mean 'hidden'?" in lines


def test_a_validator_message_has_no_pydantic_prefix():
    params = {**_shipped("training"), "distributed": {"nnodes": 2}}
    with pytest.raises(ConfigError) as raised:
        parse_params(TrainingParams, params, "training")
    assert "Value error" not in str(raised.value) and "nnodes > 1 needs rdzv_endpoint" in str(raised.value)
