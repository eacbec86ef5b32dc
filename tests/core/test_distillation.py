import pytest
import torch
from torch.nn import functional as F

from prunegate.core.distillation import distill, distillation_loss_fn, kd_loss
from prunegate.core.models import MLPSpec, build_model
from prunegate.core.serialization import ModelArtifact
from prunegate.core.training import (
    TrainConfig,
    fit_standardization,
    predict_logits,
    seed_everything,
    train_model,
)

NUM_CLASSES = 3
NUM_FEATURES = 4
STUDENT_LEARNING_RATE = 1e-2  # a tiny student needs larger steps to converge in few epochs


def _logits(seed: int, rows: int = 16):
    generator = torch.Generator().manual_seed(seed)
    student = torch.randn(rows, NUM_CLASSES, generator=generator)
    teacher = 3.0 * torch.randn(rows, NUM_CLASSES, generator=generator)
    targets = torch.randint(0, NUM_CLASSES, (rows,), generator=generator)
    return student, teacher, targets


def _blobs(seed: int, rows: int):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, NUM_CLASSES, (rows,), generator=generator)
    centres = 4.0 * torch.eye(NUM_CLASSES, NUM_FEATURES)
    return centres[labels] + torch.randn(rows, NUM_FEATURES, generator=generator), labels


def _config(**overrides) -> TrainConfig:
    return TrainConfig(**{"epochs": 15, "batch_size": 32, "seed": 0, "show_progress": False, **overrides})


def test_alpha_zero_is_plain_cross_entropy():
    student, teacher, targets = _logits(0)
    loss = kd_loss(student, teacher, targets, temperature=4.0, alpha=0.0)
    assert torch.allclose(loss, F.cross_entropy(student, targets))


def test_alpha_one_is_temperature_squared_kl():
    student, teacher, targets = _logits(1)
    temperature = 3.0
    p_teacher = torch.softmax(teacher / temperature, dim=1)
    log_p_student = torch.log_softmax(student / temperature, dim=1)
    kl = (p_teacher * (p_teacher.log() - log_p_student)).sum(dim=1).mean()
    loss = kd_loss(student, teacher, targets, temperature=temperature, alpha=1.0)
    assert torch.allclose(loss, temperature**2 * kl)


def test_soft_part_vanishes_when_student_matches_teacher():
    student, _, targets = _logits(2)
    soft_only = kd_loss(student, student.clone(), targets, temperature=2.0, alpha=1.0)
    mixed = kd_loss(student, student.clone(), targets, temperature=2.0, alpha=0.25)
    assert soft_only.abs().item() < 1e-6
    assert torch.allclose(mixed, 0.75 * F.cross_entropy(student, targets), atol=1e-6)


@pytest.mark.parametrize(
    ("temperature", "alpha", "match"),
    [
        (0.0, 0.5, "temperature"),
        (-1.0, 0.5, "temperature"),
        (float("inf"), 0.5, "temperature"),
        (2.0, -0.1, "alpha"),
        (2.0, 1.5, "alpha"),
    ],
)
def test_invalid_hyperparameters_raise(temperature, alpha, match):
    student, teacher, targets = _logits(3)
    with pytest.raises(ValueError, match=match):
        kd_loss(student, teacher, targets, temperature=temperature, alpha=alpha)
    with pytest.raises(ValueError, match=match):
        distillation_loss_fn(
            build_model(MLPSpec(NUM_FEATURES, NUM_CLASSES)), temperature=temperature, alpha=alpha
        )


def test_mismatched_logit_shapes_raise():
    student, teacher, targets = _logits(4)
    with pytest.raises(ValueError, match="same shape"):
        kd_loss(student, teacher[:, :2], targets, temperature=2.0, alpha=0.5)


def test_gradient_reaches_only_the_student_and_teacher_runs_in_eval_mode():
    seed_everything(0)
    teacher = build_model(MLPSpec(NUM_FEATURES, NUM_CLASSES, hidden=(16,), dropout=0.5)).train()
    student = build_model(MLPSpec(NUM_FEATURES, NUM_CLASSES, hidden=(4,)))
    inputs, targets = _blobs(5, rows=32)
    loss_fn = distillation_loss_fn(teacher, temperature=2.0, alpha=0.5)
    teacher.train()  # the loss must switch it back to eval (no dropout) by itself

    logits = student(inputs)
    first = loss_fn(logits, targets, inputs)
    second = loss_fn(logits, targets, inputs)
    first.backward()

    assert torch.equal(first, second)  # dropout off: the teacher's targets are deterministic
    assert not teacher.training
    assert all(parameter.grad is None for parameter in teacher.parameters())
    assert all(parameter.grad is not None for parameter in student.parameters())


def test_distilled_student_learns_the_blobs_and_leaves_the_teacher_untouched():
    train, val, test = _blobs(10, rows=300), _blobs(11, rows=90), _blobs(12, rows=150)
    seed_everything(0)
    teacher_spec = MLPSpec(NUM_FEATURES, NUM_CLASSES, hidden=(32,))
    teacher = build_model(teacher_spec)
    fit_standardization(teacher, train[0])
    train_model(teacher, train, val, _config())
    teacher_checksum = ModelArtifact.from_module(teacher, teacher_spec).checksum

    student = build_model(MLPSpec(NUM_FEATURES, NUM_CLASSES, hidden=(8,)))
    student_config = _config(epochs=20, learning_rate=STUDENT_LEARNING_RATE)
    result = distill(teacher, student, train, val, student_config, temperature=4.0, alpha=0.7)

    accuracy = (predict_logits(student, test[0]).argmax(1) == test[1]).float().mean().item()
    assert accuracy > 0.8
    assert result.history and 0 <= result.best_epoch < len(result.history)
    assert torch.allclose(student.standardize.input_mean, train[0].mean(dim=0))
    assert torch.equal(student.standardize.input_std, teacher.standardize.input_std)
    assert ModelArtifact.from_module(teacher, teacher_spec).checksum == teacher_checksum
