"""Every zoo architecture and the example user model: built from a spec, right shapes, spec round trip."""

import pytest
import torch
from tests.core.models.zoo_specs import NUM_CLASSES, USER_MODEL, ZOO

from prunegate.core.models import (
    FactoryModelError,
    FactorySpec,
    GRUSpec,
    ResNet1DSpec,
    ResNetSpec,
    build_model,
    input_shape_of,
    spec_from_dict,
    spec_to_dict,
)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_flat_and_shaped_inputs_give_one_row_of_logits_per_sample(name):
    spec = ZOO[name]
    torch.manual_seed(0)
    model = build_model(spec).eval()
    flat = torch.randn(5, spec.in_features)
    assert model(flat).shape == (5, NUM_CLASSES)
    shaped = flat.view(5, *input_shape_of(spec))
    assert torch.allclose(model(shaped), model(flat))


@pytest.mark.parametrize("name", sorted(ZOO))
def test_spec_round_trips_through_json_dicts(name):
    spec = ZOO[name]
    assert spec_from_dict(spec_to_dict(spec)) == spec


@pytest.mark.parametrize("name", sorted(ZOO))
def test_same_seed_builds_the_same_weights(name):
    torch.manual_seed(3)
    first = build_model(ZOO[name]).state_dict()
    torch.manual_seed(3)
    second = build_model(ZOO[name]).state_dict()
    assert all(torch.equal(first[key], second[key]) for key in first)


def test_one_dimensional_signal_is_not_folded_into_an_image():
    spec = ResNet1DSpec(in_shape=(1, 140), num_classes=5, widths=(8,), blocks=(1,))
    assert build_model(spec)(torch.randn(2, 140)).shape == (2, 5)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ResNetSpec(in_shape=(1, 8), num_classes=2), r"in_shape must be \(channels, height, width\)"),
        (lambda: ResNet1DSpec(in_shape=(1, 8), num_classes=2, widths=(8, 16), blocks=(1,)), "same number"),
        (lambda: ResNet1DSpec(in_shape=(1, 8), num_classes=2, kernel_size=4), "kernel_size must be odd"),
        (lambda: GRUSpec(in_shape=(1, 8), num_classes=0), "num_classes must be a positive integer"),
    ],
)
def test_bad_specs_name_the_field(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_user_model_output_layer_is_found_and_kept_out_of_pruning():
    model = build_model(USER_MODEL)
    assert model.output_layer_name == "out"
    assert model.classifier is model.body.out


@pytest.mark.parametrize(
    ("factory", "kwargs", "message"),
    [
        ("examples.models.no_such_module:build", {}, r"cannot import 'examples.models.no_such_module'"),
        ("examples.models.signal_net:missing", {}, r"has no 'missing'"),
        ("examples.models.signal_net:build", {"width": "wide"}, r"failed with kwargs"),
        ("torch.nn:Identity", {}, r"must return N x num_classes = \[2, 4\] logits .* got \[2, 1, 48\]"),
        ("builtins:dict", {}, r"returned a dict, not a torch.nn.Module"),
        ("examples.models.signal_net", {}, r"must be 'package.module:callable'"),
    ],
)
def test_a_broken_factory_fails_before_training_naming_the_factory(factory, kwargs, message):
    with pytest.raises(FactoryModelError, match=message):
        build_model(FactorySpec(factory, in_features=48, num_classes=4, in_shape=(1, 48), kwargs=kwargs))


def test_factory_kwargs_must_be_json():
    with pytest.raises(FactoryModelError, match="must be JSON values"):
        FactorySpec("examples.models.signal_net:build", in_features=4, num_classes=2, kwargs={"x": object()})


def test_factory_in_shape_must_hold_the_features():
    with pytest.raises(FactoryModelError, match=r"in_shape \[1, 40\] holds 40 values, but the data has 48"):
        FactorySpec("examples.models.signal_net:build", in_features=48, num_classes=2, in_shape=(1, 40))


def test_a_broken_factory_is_a_user_error_shown_without_a_traceback():
    from prunegate.errors import find_user_error

    try:
        try:
            build_model(FactorySpec("examples.models.nope:build", in_features=4, num_classes=2))
        except FactoryModelError as error:
            raise RuntimeError("kedro wraps node errors") from error
    except RuntimeError as wrapped:
        found = find_user_error(wrapped)
    assert isinstance(found, FactoryModelError)
    assert "cannot import 'examples.models.nope'" in str(found)
