import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score

from prunegate.core.slices import slice_metrics

CLASS_NAMES = ["zero", "one", "two", "three"]  # "three" has no rows
TARGETS = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2])
PREDICTIONS = torch.tensor([0, 0, 1, 1, 0, 2, 2, 0])
SOURCE = ["lab", "lab", "lab", "lab", "field", "field", "field", "field"]


def _logits() -> torch.Tensor:
    return torch.nn.functional.one_hot(PREDICTIONS, len(CLASS_NAMES)).float()


def test_class_slices_are_per_class_recall_and_empty_classes_are_omitted():
    result = slice_metrics(_logits(), TARGETS, None, CLASS_NAMES)
    assert result == {
        "class=zero": {"accuracy": pytest.approx(2 / 3), "count": 3},
        "class=one": {"accuracy": 0.5, "count": 2},
        "class=two": {"accuracy": pytest.approx(2 / 3), "count": 3},
    }


def test_column_slices_hand_case():
    result = slice_metrics(_logits(), TARGETS, {"source": SOURCE}, CLASS_NAMES)
    assert result["source=lab"]["accuracy"] == 0.75
    assert result["source=lab"]["count"] == 4
    assert result["source=field"]["accuracy"] == 0.5
    assert result["source=field"]["count"] == 4
    rows = [index for index, value in enumerate(SOURCE) if value == "field"]
    expected_f1 = f1_score(TARGETS[rows].numpy(), PREDICTIONS[rows].numpy(), average="macro")
    assert result["source=field"]["f1_macro"] == pytest.approx(expected_f1)


def test_slice_names_are_stable_strings_for_numpy_and_torch_values():
    columns = {"batch": np.array([3, 3, 3, 3, 5, 5, 5, 5]), "flag": torch.tensor([1, 0, 1, 0, 1, 0, 1, 0])}
    result = slice_metrics(_logits(), TARGETS, columns, CLASS_NAMES)
    assert {"batch=3", "batch=5", "flag=0", "flag=1"} <= set(result)
    assert sum(result[name]["count"] for name in ("flag=0", "flag=1")) == len(TARGETS)


def test_bad_columns_raise():
    with pytest.raises(ValueError, match="has 3 values for 8 rows"):
        slice_metrics(_logits(), TARGETS, {"source": SOURCE[:3]}, CLASS_NAMES)
    with pytest.raises(ValueError, match="reserved"):
        slice_metrics(_logits(), TARGETS, {"class": SOURCE}, CLASS_NAMES)
    with pytest.raises(ValueError, match="logits must be N x 3"):
        slice_metrics(_logits(), TARGETS, None, CLASS_NAMES[:3])
