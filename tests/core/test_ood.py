"""OOD detection scores: known answers, worst-case handling of overflow, and a trained model's AUROC."""

import numpy as np
import pytest
import torch
from torch import nn

from prunegate.core.ood import OOD_SETS, fpr_at_tpr, ood_inputs, ood_metrics


def test_the_ood_sets_are_seeded_and_shaped_like_the_test_rows():
    features = torch.rand(50, 6) * 16
    first, again = ood_inputs(features, seed=3), ood_inputs(features, seed=3)
    assert set(first) == set(OOD_SETS)
    for name in OOD_SETS:
        assert first[name].shape == features.shape and torch.equal(first[name], again[name])
    assert torch.equal(first["shuffled"].sort(dim=1).values, features.sort(dim=1).values)  # same values
    low, high = features.min(dim=0).values, features.max(dim=0).values
    assert bool(((first["uniform"] >= low) & (first["uniform"] <= high)).all())
    assert float((first["shifted"] - features).abs().min()) > 0


def test_fpr_at_95_tpr_by_hand():
    inside = np.arange(100, dtype=float)  # the threshold keeping at least 95 % of them: 4 (96 kept)
    assert fpr_at_tpr(inside, np.array([0.0, 3.0, 4.0, 50.0])) == 0.5


class _Constant(nn.Module):
    """Logits that say nothing: every input scores the same."""

    def forward(self, x):
        return torch.zeros(len(x), 3)


class _Overflowing(nn.Module):
    """Confident on the test rows (feature 0 near 0), NaN on anything far away."""

    def forward(self, x):
        logits = torch.stack([10 - x[:, 0].abs(), torch.zeros(len(x)), torch.zeros(len(x))], dim=1)
        return torch.where(x[:, :1].abs() > 5, torch.full_like(logits, float("nan")), logits)


def test_a_model_that_cannot_tell_scores_chance_and_overflow_counts_against_the_model():
    features = torch.randn(200, 4) * 0.1
    sets = ood_inputs(features, seed=0)
    blind = ood_metrics(_Constant(), features, sets)
    assert blind["ood_auroc_msp"] == pytest.approx(0.5) and blind["ood_fpr95_msp"] == 1.0
    broken = ood_metrics(_Overflowing(), features, {"far": features + 100})
    assert broken["ood_auroc_energy_far"] == 0.0  # NaN on every OOD row: counted as missed, not detected


def test_a_trained_classifier_detects_far_shifted_rows(digits):
    from prunegate.core.models import MLPSpec, build_model
    from prunegate.core.training import TrainConfig, fit_standardization, train_model

    x = torch.tensor(digits.drop(columns="target").to_numpy(), dtype=torch.float32)
    y = torch.tensor(digits["target"].to_numpy(), dtype=torch.long)
    torch.manual_seed(0)
    model = build_model(MLPSpec(in_features=64, num_classes=10, hidden=(32,)))
    fit_standardization(model, x[:1200])
    train_model(model, (x[:1200], y[:1200]), (x[1200:], y[1200:]), TrainConfig(epochs=8, show_progress=False))
    metrics = ood_metrics(model, x[1200:], ood_inputs(x[1200:], seed=0, feature_range=(0.0, 16.0)))
    assert metrics["ood_auroc_msp_uniform"] > 0.8 and metrics["ood_auroc_msp_shuffled"] > 0.6, metrics
    # far outside the data a ReLU network grows its logits (Hein et al., 2019): the energy score ranks
    # shifted rows as *more* in-distribution than the test rows; the metric shows it rather than hides it
    assert metrics["ood_auroc_energy_shifted"] < 0.5, metrics
