import pytest
import torch

from prunegate.core.models import CNNSpec, MLPSpec, build_model, spec_from_dict, spec_to_dict


@pytest.mark.parametrize(
    "spec",
    [
        MLPSpec(in_features=64, num_classes=10, hidden=(32, 16)),
        CNNSpec(in_shape=(1, 8, 8), num_classes=10, channels=(4, 8), hidden=(16,)),
        CNNSpec(in_shape=(3, 5, 6), num_classes=4, channels=(2,), hidden=(), pool=False),
    ],
)
def test_model_maps_a_batch_to_one_logit_per_class(spec):
    model = build_model(spec)
    logits = model(torch.randn(7, spec.in_features))
    assert logits.shape == (7, spec.num_classes)


def test_spec_round_trips_through_a_plain_dict():
    spec = CNNSpec(in_shape=(1, 8, 8), num_classes=10, channels=(4, 8), hidden=(16,), dropout=0.2)
    as_dict = spec_to_dict(spec)
    assert as_dict["channels"] == [4, 8]
    assert spec_from_dict(as_dict) == spec


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"in_features": 0, "num_classes": 3}, "in_features"),
        ({"in_features": 4, "num_classes": 3, "hidden": (8, -1)}, r"hidden\[1\]"),
        ({"in_features": 4, "num_classes": 3, "dropout": 1.0}, "dropout"),
    ],
)
def test_invalid_mlp_spec_names_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLPSpec(**kwargs)


def test_unknown_spec_kind_or_key_is_refused():
    with pytest.raises(ValueError, match="unknown model kind"):
        spec_from_dict({"kind": "transformer"})
    with pytest.raises(ValueError, match="unknown key"):
        spec_from_dict({"kind": "mlp", "in_features": 4, "num_classes": 2, "depth": 3})
