"""Robustness settings derived from the data: perturbations in each feature's spread, clamps per feature."""

import pytest
import torch
from tests.conftest import shipped_params

from prunegate.params import EvaluationParams, IngestionParams, parse_params
from prunegate.pipelines.evaluation.measure import evaluation_settings
from prunegate.pipelines.model_inputs import prepare_model_inputs


def _data(splits):
    ingestion = parse_params(IngestionParams, shipped_params("ingestion"), "ingestion")
    return prepare_model_inputs(*splits, ingestion)


def _config(**overrides):
    return parse_params(EvaluationParams, {**shipped_params("evaluation"), **overrides}, "evaluation")


def test_feature_std_units_and_data_ranges_come_from_the_splits(splits):
    data = _data(splits)
    settings = evaluation_settings(_config(perturbation_units="feature_std", feature_range="data"), data)
    assert torch.allclose(settings.feature_scale, data.train[0].std(dim=0, unbiased=False))
    low, high = settings.feature_range
    every_row = torch.cat([data.train[0], data.val[0], data.test[0]])
    assert bool((every_row >= low).all() and (every_row <= high).all())  # clean inputs are never clamped
    assert float(high.max()) == 16.0 and float(low.min()) == 0.0


def test_raw_units_keep_the_configured_range(splits):
    settings = evaluation_settings(_config(), _data(splits))
    assert settings.feature_scale is None
    assert settings.feature_range == (0, 16)


@pytest.mark.parametrize("bad", [[16, 0], [1, 2, 3], "everything"])
def test_a_bad_feature_range_names_the_key(bad):
    with pytest.raises(Exception, match="feature_range"):
        _config(feature_range=bad)
