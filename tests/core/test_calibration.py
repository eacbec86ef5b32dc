import numpy as np
import pytest
import torch
from sklearn.calibration import calibration_curve

from prunegate.core.calibration import expected_calibration_error, reliability_curve

BINS = 10


def test_confident_and_always_right_is_perfectly_calibrated():
    probabilities = torch.eye(3)[[0, 1, 2, 1]]
    assert expected_calibration_error(probabilities, torch.tensor([0, 1, 2, 1]), BINS) == 0.0


def test_eighty_percent_confident_and_eighty_percent_right_is_calibrated():
    probabilities = torch.tensor([[0.8, 0.2]] * 10, dtype=torch.float64)
    targets = torch.tensor([0] * 8 + [1] * 2)
    assert expected_calibration_error(probabilities, targets, BINS) == pytest.approx(0.0, abs=1e-6)  # float32


def _hand_case():
    # Two bins over [0, 1] with four classes: confidences 0.9 (right), 0.7 (wrong) in bin 1;
    # 0.4 (right), 0.4 (wrong) in bin 0.
    probabilities = torch.tensor(
        [
            [0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3],
            [0.7, 0.1, 0.1, 0.1],
            [0.4, 0.2, 0.2, 0.2],
            [0.4, 0.2, 0.2, 0.2],
        ],
        dtype=torch.float64,
    )
    return probabilities, torch.tensor([0, 1, 0, 3])


def test_ece_equals_hand_computed_value():
    # bin 1: |0.5 - 0.8| * 2/4 = 0.15; bin 0: |0.5 - 0.4| * 2/4 = 0.05.
    assert expected_calibration_error(*_hand_case(), bins=2) == pytest.approx(0.2)


def test_reliability_curve_hand_case():
    rows = reliability_curve(*_hand_case(), bins=2)
    assert rows == [
        {"bin": 0, "confidence": pytest.approx(0.4), "accuracy": 0.5, "count": 2},
        {"bin": 1, "confidence": pytest.approx(0.8), "accuracy": 0.5, "count": 2},
    ]


def test_bins_are_left_closed_and_a_certain_prediction_has_its_own_bin_like_torchmetrics():
    rows = reliability_curve(np.array([[0.5, 0.5], [1.0, 0.0]]), np.array([0, 0]), bins=2)
    assert [(row["bin"], row["count"]) for row in rows] == [(1, 1), (2, 1)]


def test_ece_is_the_weighted_gap_of_the_curve_also_with_edges_and_certain_predictions():
    """The diagram and the gated number agree, where the binning convention matters most."""
    probabilities = torch.tensor(
        [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.75, 0.25], [0.6, 0.4], [0.9, 0.1]]
    )
    targets = torch.tensor([0, 1, 1, 1, 0, 1, 0])
    for bins in (2, 4, 10):
        rows = reliability_curve(probabilities, targets, bins)
        weighted = sum(row["count"] * abs(row["accuracy"] - row["confidence"]) for row in rows) / 7
        assert expected_calibration_error(probabilities, targets, bins) == pytest.approx(weighted, abs=1e-6)


def _random_case(seed: int, rows: int = 200, classes: int = 5):
    generator = torch.Generator().manual_seed(seed)
    logits = 2.0 * torch.randn(rows, classes, generator=generator)
    return torch.softmax(logits, dim=1), torch.randint(0, classes, (rows,), generator=generator)


def test_reliability_rows_sum_to_n_and_skip_empty_bins():
    probabilities, targets = _random_case(0)
    rows = reliability_curve(probabilities, targets, bins=50)
    assert sum(row["count"] for row in rows) == len(targets)
    assert all(row["count"] > 0 for row in rows)
    assert len(rows) < 50  # with 50 bins some are empty and left out


def test_reliability_matches_sklearn_binary_curve_on_top_label():
    probabilities, targets = _random_case(1)
    confidence = probabilities.max(1).values.numpy()
    correct = (probabilities.argmax(1) == targets).numpy().astype(int)
    accuracy, mean_confidence = calibration_curve(correct, confidence, n_bins=BINS, strategy="uniform")
    rows = reliability_curve(probabilities, targets, BINS)
    assert [row["accuracy"] for row in rows] == pytest.approx(accuracy.tolist())
    assert [row["confidence"] for row in rows] == pytest.approx(mean_confidence.tolist())


def test_ece_is_weighted_gap_of_reliability_rows():
    probabilities, targets = _random_case(2)
    rows = reliability_curve(probabilities, targets, BINS)
    weighted = sum(row["count"] * abs(row["accuracy"] - row["confidence"]) for row in rows) / len(targets)
    assert expected_calibration_error(probabilities, targets, BINS) == pytest.approx(weighted)
    assert weighted > 0


def test_invalid_inputs_raise():
    probabilities, targets = _random_case(3, rows=4)
    with pytest.raises(ValueError, match="bins must be a positive integer"):
        expected_calibration_error(probabilities, targets, 0)
    with pytest.raises(ValueError, match="targets must have shape"):
        expected_calibration_error(probabilities, targets[:3], BINS)
    with pytest.raises(ValueError, match="non-empty"):
        reliability_curve(torch.empty(0, 3), torch.empty(0), BINS)
