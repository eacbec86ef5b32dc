import numpy as np
import pytest
import torch
from torch import nn

from prunegate.core.cross_validation import cross_validate
from prunegate.core.models import MLPSpec, build_model
from prunegate.core.training import TrainConfig, fit_standardization, seed_everything, train_model

ROWS_PER_CLASS = 20
FOLDS = 4
SEED = 0
LEARNING_RATE = 0.05  # a few epochs are enough on separable blobs


def _identified_rows():
    """Column 0 identifies the row, column 1 is its label (so a model can read it)."""
    targets = torch.arange(2 * ROWS_PER_CLASS) % 2
    features = torch.stack([torch.arange(2 * ROWS_PER_CLASS).float(), targets.float()], dim=1)
    return features, targets


class _ReadsLabel(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.one_hot(x[:, 1].long(), 2).float()


class _AlwaysZero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tensor([[1.0, 0.0]]).expand(len(x), 2)


class _Recorder:
    """Records what each fold trains on; right on even folds, always-class-0 on odd folds."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, set[int], set[int]]] = []

    def __call__(self, train, val, fold):
        self.calls.append((fold, set(train[0][:, 0].long().tolist()), set(val[0][:, 0].long().tolist())))
        return _ReadsLabel() if fold % 2 == 0 else _AlwaysZero()


def test_folds_partition_the_data_and_hide_the_held_out_fold():
    features, targets = _identified_rows()
    recorder = _Recorder()
    cross_validate(recorder, features, targets, FOLDS, SEED)
    everything = set(range(len(targets)))
    assert [fold for fold, _, _ in recorder.calls] == list(range(FOLDS))
    held_out_counts = dict.fromkeys(everything, 0)
    for _, train, val in recorder.calls:
        assert not train & val
        for row in everything - train - val:
            held_out_counts[row] += 1
    assert set(held_out_counts.values()) == {1}


def test_mean_and_std_match_fold_accuracies():
    features, targets = _identified_rows()
    result = cross_validate(_Recorder(), features, targets, FOLDS, SEED)
    # Stratified folds of a balanced set are half class 0: always-zero scores exactly 0.5.
    assert result["cv_fold_accuracies"] == [1.0, 0.5, 1.0, 0.5]
    assert result["cv_accuracy_mean"] == pytest.approx(np.mean(result["cv_fold_accuracies"])) == 0.75
    assert result["cv_accuracy_std"] == pytest.approx(np.std(result["cv_fold_accuracies"])) == 0.25
    assert result["cv_folds"] == FOLDS


def test_seed_fixes_the_folds():
    features, targets = _identified_rows()
    runs = []
    for seed in (SEED, SEED, SEED + 1):
        recorder = _Recorder()
        cross_validate(recorder, features, targets, FOLDS, seed)
        runs.append(recorder.calls)
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_cross_validates_a_real_training_recipe():
    generator = torch.Generator().manual_seed(SEED)
    targets = torch.randint(0, 3, (150,), generator=generator)
    features = 4.0 * torch.eye(3, 4)[targets] + torch.randn(150, 4, generator=generator)

    def build_and_train(train, val, fold):
        seed_everything(fold)
        model = build_model(MLPSpec(in_features=4, num_classes=3, hidden=(8,)))
        fit_standardization(model, train[0])
        train_model(
            model,
            train,
            val,
            TrainConfig(
                epochs=15, batch_size=32, learning_rate=LEARNING_RATE, seed=fold, show_progress=False
            ),
        )
        return model

    result = cross_validate(build_and_train, features, targets, folds=3, seed=SEED)
    assert result["cv_accuracy_mean"] > 0.9
    assert len(result["cv_fold_accuracies"]) == 3


def test_bad_early_stopping_fraction_raises():
    features, targets = _identified_rows()
    with pytest.raises(ValueError, match="early_stopping_fraction"):
        cross_validate(_Recorder(), features, targets, FOLDS, SEED, early_stopping_fraction=1.0)
