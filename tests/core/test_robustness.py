import itertools

import pytest
import torch
from torch import nn

from prunegate.core.metrics import accuracy
from prunegate.core.models import MLPSpec, build_model
from prunegate.core.robustness import accuracy_per_key, fgsm_perturb, fgsm_predictions, noise_predictions
from prunegate.core.training import (
    TrainConfig,
    fit_standardization,
    predict_logits,
    seed_everything,
    train_model,
)

NUM_FEATURES = 4
SEPARATION = 3.0  # distance of each blob centre from the origin along its axis
NOISE_SEED = 7
LEARNING_RATE = 0.05  # a few epochs are enough for a linear model on separable blobs
LARGE_SIGMA = 30.0
LARGE_EPSILON = 3.0


def noise_accuracy(model, features, targets, sigmas, **options):
    return accuracy_per_key(noise_predictions(model, features, sigmas, **options), targets)


def fgsm_accuracy(model, features, targets, epsilons, **options):
    return accuracy_per_key(fgsm_predictions(model, features, targets, epsilons, **options), targets)


def _two_blobs(seed: int, rows: int):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (rows,), generator=generator)
    centres = SEPARATION * torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
    return centres[labels] + torch.randn(rows, NUM_FEATURES, generator=generator), labels


@pytest.fixture(scope="module")
def linear_model():
    """A trained binary linear classifier: FGSM provably cannot raise its accuracy."""
    train, val = _two_blobs(1, 200), _two_blobs(2, 80)
    seed_everything(0)
    model = build_model(MLPSpec(in_features=NUM_FEATURES, num_classes=2, hidden=()))
    fit_standardization(model, train[0])
    config = TrainConfig(epochs=20, batch_size=32, learning_rate=LEARNING_RATE, show_progress=False)
    train_model(model, train, val, config)
    model.zero_grad(set_to_none=True)
    return model


@pytest.fixture(scope="module")
def test_split():
    return _two_blobs(3, 200)


def _clean_accuracy(model, split):
    return accuracy(predict_logits(model, split[0]), split[1])


def test_sigma_zero_is_clean_accuracy_and_large_sigma_degrades(linear_model, test_split):
    clean = _clean_accuracy(linear_model, test_split)
    result = noise_accuracy(linear_model, *test_split, [0.0, LARGE_SIGMA], seed=NOISE_SEED)
    assert list(result) == ["accuracy_noise_0", "accuracy_noise_30"]
    assert clean > 0.9
    assert result["accuracy_noise_0"] == clean
    assert result["accuracy_noise_30"] < clean - 0.2


def test_noise_is_seeded_and_leaves_the_global_rng_alone(linear_model, test_split):
    state = torch.get_rng_state()
    first = noise_accuracy(linear_model, *test_split, [2.0, 4.0], seed=NOISE_SEED)
    assert torch.equal(torch.get_rng_state(), state)
    reordered = noise_accuracy(linear_model, *test_split, [4.0, 2.0], seed=NOISE_SEED)
    assert first == reordered


def test_noise_clamped_to_feature_range(linear_model, test_split):
    features, targets = test_split
    low, high = features.min().item(), features.max().item()
    result = noise_accuracy(
        linear_model, features, targets, [1e6], seed=NOISE_SEED, feature_range=(low, high)
    )
    # Huge noise clamped to the box gives box corners, not overflow: accuracy stays a valid ratio.
    assert 0.0 <= result["accuracy_noise_1e+06"] <= 1.0


def test_fgsm_never_helps_a_linear_model(linear_model, test_split):
    clean = _clean_accuracy(linear_model, test_split)
    epsilons = [0.0, 0.25, 0.5, 1.0, LARGE_EPSILON]
    result = fgsm_accuracy(linear_model, *test_split, epsilons)
    accuracies = [result[f"accuracy_fgsm_{epsilon:g}"] for epsilon in epsilons]
    assert accuracies[0] == clean
    assert all(later <= earlier for earlier, later in itertools.pairwise(accuracies))
    assert accuracies[-1] < clean - 0.2


def test_fgsm_leaves_no_parameter_gradients_and_restores_mode(linear_model, test_split):
    linear_model.train()
    try:
        fgsm_accuracy(linear_model, *test_split, [0.5])
        assert linear_model.training
    finally:
        linear_model.eval()
    assert all(parameter.grad is None for parameter in linear_model.parameters())


def test_fgsm_perturbation_is_bounded_and_clamped(linear_model, test_split):
    features, targets = test_split
    epsilon = 0.5
    adversarial = fgsm_perturb(linear_model, features, targets, epsilon)
    assert torch.allclose((adversarial - features).abs().max(), torch.tensor(epsilon))
    low, high = features.min().item(), features.max().item()
    clamped = fgsm_perturb(linear_model, features, targets, LARGE_EPSILON, feature_range=(low, high))
    assert clamped.min() >= low and clamped.max() <= high


class _NoInputGradient(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x.detach())


def test_fgsm_needs_input_gradients_or_a_gradient_model(linear_model, test_split):
    opaque = _NoInputGradient(linear_model)
    with pytest.raises(ValueError, match=r"no gradient w\.r\.t\. its input"):
        fgsm_accuracy(opaque, *test_split, [0.5])
    transfer = fgsm_accuracy(opaque, *test_split, [0.5], gradient_model=linear_model)
    assert transfer == fgsm_accuracy(linear_model, *test_split, [0.5])


def test_negative_sizes_and_bad_range_raise(linear_model, test_split):
    with pytest.raises(ValueError, match="sigmas must be >= 0"):
        noise_accuracy(linear_model, *test_split, [-1.0], seed=NOISE_SEED)
    with pytest.raises(ValueError, match="epsilons must be >= 0"):
        fgsm_accuracy(linear_model, *test_split, [-0.1])
    with pytest.raises(ValueError, match="low < high"):
        fgsm_accuracy(linear_model, *test_split, [0.1], feature_range=(1.0, 0.0))


def test_per_feature_units_and_ranges(linear_model, test_split):
    """One sigma / epsilon in units of each feature's spread; clamps per feature."""
    features, targets = test_split
    scale = torch.tensor([2.0, 0.5, 0.0, 1.0])  # a constant feature (scale 0) is never perturbed
    adversarial = fgsm_perturb(linear_model, features, targets, 0.4, scale=scale)
    change = (adversarial - features).abs().max(dim=0).values
    assert torch.allclose(change, 0.4 * scale)
    low, high = features.min(dim=0).values, features.max(dim=0).values
    clamped = fgsm_perturb(
        linear_model, features, targets, LARGE_EPSILON, feature_range=(low, high), scale=scale
    )
    assert bool((clamped >= low).all() and (clamped <= high).all())
    assert noise_accuracy(linear_model, features, targets, [5.0], seed=NOISE_SEED, scale=torch.zeros(4)) == {
        "accuracy_noise_5": _clean_accuracy(linear_model, test_split)
    }
    with pytest.raises(ValueError, match="every feature's low must be <= its high"):
        fgsm_accuracy(linear_model, features, targets, [0.1], feature_range=(high, low))
