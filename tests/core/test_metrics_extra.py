import pytest
import torch
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from prunegate.core.metrics import (
    accuracy,
    confusion,
    confusion_rows,
    macro_precision_recall,
    per_class_metrics,
)

CLASS_NAMES = ["a", "b", "c", "d"]  # "d" never occurs: it must still be reported
TARGETS = torch.tensor([0, 0, 1, 1, 2, 2])
PREDICTIONS = torch.tensor([0, 1, 1, 1, 0, 2])


def _logits(predictions: torch.Tensor = PREDICTIONS, num_classes: int = len(CLASS_NAMES)) -> torch.Tensor:
    return torch.nn.functional.one_hot(predictions, num_classes).float()


def test_per_class_metrics_match_hand_values():
    result = per_class_metrics(_logits(), TARGETS, CLASS_NAMES)
    assert list(result) == CLASS_NAMES
    assert result["a"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert result["b"] == pytest.approx({"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2})
    assert result["c"] == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2})
    assert result["d"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


def test_per_class_metrics_equal_sklearn():
    result = per_class_metrics(_logits(), TARGETS, CLASS_NAMES)
    expected = precision_recall_fscore_support(
        TARGETS.numpy(), PREDICTIONS.numpy(), labels=range(len(CLASS_NAMES)), zero_division=0
    )
    for index, name in enumerate(CLASS_NAMES):
        got = result[name]
        assert [got["precision"], got["recall"], got["f1"], got["support"]] == pytest.approx(
            [column[index] for column in expected]
        )


def test_per_class_metrics_reject_mismatched_class_names():
    with pytest.raises(ValueError, match="one column per class name"):
        per_class_metrics(_logits(), TARGETS, CLASS_NAMES[:3])


def test_confusion_includes_every_label():
    matrix = confusion(_logits(), TARGETS, len(CLASS_NAMES))
    assert matrix == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    assert matrix == confusion_matrix(TARGETS.numpy(), PREDICTIONS.numpy(), labels=range(4)).tolist()
    assert all(isinstance(count, int) for row in matrix for count in row)


def test_confusion_rows_one_per_sample():
    rows = confusion_rows(_logits(), TARGETS, CLASS_NAMES)
    assert len(rows) == len(TARGETS)
    assert rows[1] == {"actual": "a", "predicted": "b"}
    assert rows[4] == {"actual": "c", "predicted": "a"}


def test_macro_precision_recall_average_all_classes():
    result = macro_precision_recall(_logits(), TARGETS, len(CLASS_NAMES))
    assert result["precision_macro"] == pytest.approx((0.5 + 2 / 3 + 1.0 + 0.0) / 4)
    assert result["recall_macro"] == pytest.approx((0.5 + 1.0 + 0.5 + 0.0) / 4)


def test_accuracy_counts_argmax_hits():
    assert accuracy(_logits(), TARGETS) == pytest.approx(4 / 6)
