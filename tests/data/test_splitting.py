import numpy as np
import pandas as pd
import pytest

from prunegate.data.splitting import DataLeakageError, split_table


def _table(rows_per_class: int = 40, classes: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), rows_per_class)
    return pd.DataFrame(
        {"x 1": rng.normal(size=len(labels)), "x-2": rng.normal(size=len(labels)), "y": labels}
    )


def _split(frame, **overrides):
    options = {
        "target_column": "y",
        "feature_columns": None,
        "val_fraction": 0.2,
        "test_fraction": 0.2,
        "seed": 7,
        "stratify": True,
        "on_leakage": "drop",
        **overrides,
    }
    return split_table(frame, **options)


def test_split_is_stratified_sized_and_disjoint():
    result = _split(_table())
    assert (len(result.train), len(result.val), len(result.test)) == (96, 32, 32)
    for part in (result.train, result.val, result.test):
        counts = part["y"].value_counts()
        assert counts.max() - counts.min() == 0
    rows = pd.concat([result.train, result.val, result.test])
    assert not rows.duplicated().any()


def test_same_seed_same_split_other_seed_other_split():
    first, again, other = _split(_table()), _split(_table()), _split(_table(), seed=8)
    pd.testing.assert_frame_equal(first.test, again.test)
    assert not first.test.equals(other.test)


def test_duplicates_across_splits_are_dropped_and_reported():
    frame = _table()
    duplicated = pd.concat([frame, frame.iloc[:20]], ignore_index=True)
    result = _split(duplicated)
    report = result.report
    assert report["duplicate_rows_in_table"] == 20
    assert (
        report["dropped_rows"] == report["val_rows_also_in_train"] + report["test_rows_also_in_train_or_val"]
    )
    assert report["dropped_rows"] > 0
    keys = [tuple(r) for r in result.train[["x 1", "x-2"]].to_numpy()]
    for part in (result.val, result.test):
        assert not any(tuple(r) in set(keys) for r in part[["x 1", "x-2"]].to_numpy())


def test_duplicates_across_splits_fail_when_asked():
    frame = _table()
    duplicated = pd.concat([frame, frame.iloc[:20]], ignore_index=True)
    with pytest.raises(DataLeakageError, match="same features"):
        _split(duplicated, on_leakage="fail")


def test_same_features_with_a_different_label_count_as_leakage():
    frame = _table()
    twin = frame.iloc[:30].copy()
    twin["y"] = (twin["y"] + 1) % 4
    result = _split(pd.concat([frame, twin], ignore_index=True))
    assert result.report["dropped_rows"] > 0


def test_unstratifiable_table_is_still_split_for_validation_to_judge():
    frame = _table()
    frame.loc[0, "y"] = 99  # a class with a single row cannot be stratified
    result = _split(frame)
    assert len(result.train) + len(result.val) + len(result.test) == len(frame)
    missing_target = _split(frame.drop(columns="y"))
    assert len(missing_target.test) == 32
