import dataclasses

import pytest
import torch

from prunegate.core.calibration import expected_calibration_error
from prunegate.core.metrics import classification_metrics
from prunegate.core.models import MLPSpec, build_model
from prunegate.core.quality import EvaluationSettings, evaluate_classifier
from prunegate.core.training import (
    TrainConfig,
    fit_standardization,
    predict_logits,
    seed_everything,
    train_model,
)

CLASS_NAMES = ["a", "b", "c"]
NUM_FEATURES = 4
LEARNING_RATE = 0.05  # a few epochs are enough on separable blobs
SETTINGS = EvaluationSettings(
    ece_bins=10, noise_sigmas=(0.0, 2.0), fgsm_epsilons=(0.0, 0.5), feature_range=None, seed=3
)


def _blobs(seed: int, rows: int):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, len(CLASS_NAMES), (rows,), generator=generator)
    centres = 4.0 * torch.eye(len(CLASS_NAMES), NUM_FEATURES)
    return centres[labels] + torch.randn(rows, NUM_FEATURES, generator=generator), labels


@pytest.fixture(scope="module")
def trained():
    train, val, test = _blobs(1, 150), _blobs(2, 60), _blobs(3, 90)
    seed_everything(0)
    model = build_model(MLPSpec(in_features=NUM_FEATURES, num_classes=len(CLASS_NAMES), hidden=(8,)))
    fit_standardization(model, train[0])
    train_model(
        model,
        train,
        val,
        TrainConfig(epochs=10, batch_size=32, learning_rate=LEARNING_RATE, show_progress=False),
    )
    model.zero_grad(set_to_none=True)
    return model, test


def test_flat_metrics_have_the_stable_keys(trained):
    model, test = trained
    result = evaluate_classifier(model, test, CLASS_NAMES, SETTINGS)
    assert set(result.metrics) == {
        "accuracy",
        "f1_macro",
        "log_loss",
        "precision_macro",
        "recall_macro",
        "ece",
        "accuracy_noise_0",
        "accuracy_noise_2",
        "accuracy_fgsm_0",
        "accuracy_fgsm_0.5",
        *(
            f"ood_{measure}_{score}{suffix}"
            for measure in ("auroc", "fpr95")
            for score in ("msp", "energy")
            for suffix in ("", "_uniform", "_shuffled", "_shifted")
        ),
    }
    assert all(isinstance(value, float) for value in result.metrics.values())


def test_metrics_agree_with_the_underlying_modules(trained):
    model, test = trained
    result = evaluate_classifier(model, test, CLASS_NAMES, SETTINGS)
    logits = predict_logits(model, test[0])
    clean = classification_metrics(logits, test[1], len(CLASS_NAMES))
    assert {key: result.metrics[key] for key in clean} == clean
    assert result.metrics["accuracy_noise_0"] == clean["accuracy"]
    assert result.metrics["accuracy_fgsm_0"] == clean["accuracy"]
    probabilities = torch.softmax(logits.double(), dim=1)
    assert result.metrics["ece"] == pytest.approx(expected_calibration_error(probabilities, test[1], 10))


def test_structured_outputs_cover_every_sample(trained):
    model, test = trained
    source = ["x" if index % 3 else "y" for index in range(len(test[1]))]
    result = evaluate_classifier(model, test, CLASS_NAMES, SETTINGS, slice_columns={"source": source})
    rows = len(test[1])
    assert list(result.per_class) == CLASS_NAMES
    assert sum(row["support"] for row in result.per_class.values()) == rows
    assert len(result.confusion_rows) == rows
    assert sum(row["count"] for row in result.reliability) == rows
    assert {"class=a", "class=b", "class=c", "source=x", "source=y"} == set(result.slices)
    assert all(parameter.grad is None for parameter in model.parameters())


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        SETTINGS.seed = 1  # type: ignore[misc]
