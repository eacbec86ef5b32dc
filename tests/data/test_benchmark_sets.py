"""The harder built-in benchmark sets: shapes, balance, determinism, and selectable as the raw data."""

import numpy as np
import pytest

from prunegate.data.benchmark_sets import digits_affine_32, signal_templates
from prunegate.data.tables import EMBEDDED_DATASETS


def test_affine_digits_are_32_by_32_views_of_every_digit_in_unit_range():
    frame = digits_affine_32(copies=1)
    assert frame.shape == (1797, 32 * 32 + 1)
    pixels = frame.drop(columns="target").to_numpy()
    assert pixels.min() >= 0.0 and pixels.max() <= 1.0
    assert sorted(frame["target"].unique()) == list(range(10))


def test_affine_views_differ_from_copy_to_copy_and_repeat_with_the_seed():
    first, again = digits_affine_32(copies=2, seed=5), digits_affine_32(copies=2, seed=5)
    assert first.equals(again)
    pixels = first.drop(columns="target").to_numpy()
    assert not np.allclose(pixels[:1797], pixels[1797:])  # the same digit, another transform


def test_signals_are_balanced_and_repeat_with_the_seed():
    frame = signal_templates(classes=4, per_class=50, length=64, seed=1)
    assert frame.shape == (200, 65)
    assert frame["target"].value_counts().to_dict() == dict.fromkeys(range(4), 50)
    assert frame.equals(signal_templates(classes=4, per_class=50, length=64, seed=1))
    assert not frame.equals(signal_templates(classes=4, per_class=50, length=64, seed=2))


def test_signal_classes_are_not_separable_by_their_mean_alone():
    frame = signal_templates(per_class=100)
    means = frame.drop(columns="target").mean(axis=1).groupby(frame["target"]).mean()
    assert means.std() < 0.2  # drift and amplitude vary inside every class: the shape must be learned


def test_too_many_classes_is_refused():
    with pytest.raises(ValueError, match="classes must be between 2 and 8"):
        signal_templates(classes=9)


def test_both_sets_can_be_chosen_as_the_raw_data():
    assert {"digits_affine_32", "signal_templates"} <= set(EMBEDDED_DATASETS)
