import pytest
import torch

from prunegate.core.models import MLPSpec, build_model
from prunegate.core.serialization import ModelArtifact
from prunegate.core.training import (
    TrainConfig,
    copy_standardization,
    cosine_learning_rate,
    fit_standardization,
    predict_logits,
    seed_everything,
    train_model,
)


def _blobs(seed: int, rows: int = 240):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 3, (rows,), generator=generator)
    centres = torch.tensor([[4.0, 0.0, 0.0, 0.0], [0.0, 4.0, 0.0, 0.0], [0.0, 0.0, 4.0, 0.0]])
    features = centres[labels] + torch.randn(rows, 4, generator=generator)
    return features, labels


def _train(seed: int, **overrides):
    train, val = _blobs(1), _blobs(2, rows=90)
    seed_everything(seed)
    spec = MLPSpec(in_features=4, num_classes=3, hidden=(16,), dropout=0.1)
    model = build_model(spec)
    fit_standardization(model, train[0])
    config = TrainConfig(
        **{"epochs": 15, "batch_size": 32, "seed": seed, "show_progress": False, **overrides}
    )
    result = train_model(model, train, val, config)
    return ModelArtifact.from_module(model, spec), result, model, val


def test_same_seed_gives_the_same_checksum():
    assert _train(3)[0].checksum == _train(3)[0].checksum


def test_different_seed_gives_a_different_model():
    assert _train(3)[0].checksum != _train(4)[0].checksum


def test_training_learns_separable_data():
    _, _, model, val = _train(0)
    accuracy = (predict_logits(model, val[0]).argmax(1) == val[1]).float().mean().item()
    assert accuracy > 0.9


def test_early_stopping_keeps_the_best_epoch():
    _, result, _, _ = _train(0, epochs=200, patience=3, learning_rate=0.05)
    assert result.stopped_early
    assert len(result.history) == result.best_epoch + 1 + 3
    best = min(row["val_loss"] for row in result.history)
    assert result.best_val_loss == pytest.approx(best)


def test_hooks_are_called_every_step():
    calls = {"regularizer": 0, "after_step": 0}

    def regularizer(_model):
        calls["regularizer"] += 1
        return torch.zeros(())

    def after_step(_model):
        calls["after_step"] += 1

    train, val = _blobs(1, rows=64), _blobs(2, rows=32)
    model = build_model(MLPSpec(in_features=4, num_classes=3, hidden=(8,)))
    config = TrainConfig(epochs=2, batch_size=16, patience=5, show_progress=False)
    train_model(model, train, val, config, regularizer=regularizer, after_step=after_step)
    assert calls == {"regularizer": 8, "after_step": 8}


def test_cosine_schedule_end_points():
    assert cosine_learning_rate(0, 1.0, 10) == pytest.approx(1.0)
    assert cosine_learning_rate(10, 1.0, 10) == pytest.approx(0.0)
    assert cosine_learning_rate(0, 1.0, 10, warmup_epochs=2) == pytest.approx(0.5)
    assert cosine_learning_rate(2, 1.0, 10, warmup_epochs=2) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("ratio", "expected_std"), [(0.0, [2.0, 4.0, 0.02, 1.0]), (0.5, [2.0, 4.0, 1.0, 1.0])]
)
def test_near_constant_columns_are_divided_by_the_floor_not_their_own_std(ratio, expected_std):
    # column stds 2, 4, 0.02 and a constant one; the median of the varying ones is 2, the floor 0.5 * 2
    features = torch.tensor([[1.0, -1.0, 0.0, 7.0], [5.0, 7.0, 0.04, 7.0]])
    model = build_model(MLPSpec(in_features=4, num_classes=2, hidden=(2,)))
    fit_standardization(model, features, min_std_ratio=ratio)
    assert torch.allclose(model.standardize.input_std, torch.tensor(expected_std))
    assert torch.allclose(model.standardize.input_mean, torch.tensor([3.0, 3.0, 0.02, 7.0]))


def test_a_negative_floor_is_refused():
    model = build_model(MLPSpec(in_features=2, num_classes=2, hidden=(2,)))
    with pytest.raises(ValueError, match="min_std_ratio"):
        fit_standardization(model, torch.ones(3, 2), min_std_ratio=-0.1)


def test_a_student_copies_the_teachers_standardization():
    teacher = build_model(MLPSpec(in_features=2, num_classes=2, hidden=(4,)))
    student = build_model(MLPSpec(in_features=2, num_classes=2, hidden=(2,)))
    fit_standardization(teacher, torch.tensor([[1.0, 0.0], [5.0, 0.01]]))
    copy_standardization(teacher, student)
    assert torch.equal(student.standardize.input_std, teacher.standardize.input_std)
    assert torch.equal(student.standardize.input_mean, teacher.standardize.input_mean)


def test_standardization_ignores_constant_columns():
    model = build_model(MLPSpec(in_features=2, num_classes=2, hidden=(2,)))
    fit_standardization(model, torch.tensor([[1.0, 5.0], [5.0, 5.0]]))
    assert torch.equal(model.standardize.input_std, torch.tensor([2.0, 1.0]))
    assert torch.equal(model.standardize.input_mean, torch.tensor([3.0, 5.0]))
