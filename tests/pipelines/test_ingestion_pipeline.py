import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from tests.conftest import shipped_params, typed_params

from prunegate.params import ConfigError
from prunegate.params.node_call import as_kedro_node
from prunegate.pipelines.ingestion import create_pipeline
from prunegate.pipelines.ingestion.nodes import append_feedback, split_raw_table

# the nodes as Kedro calls them: each params:<section> mapping validated into its typed model
split_raw_table = as_kedro_node(split_raw_table)


def test_ingestion_pipeline_splits_digits_on_an_in_memory_catalog(digits, ingestion_params):
    catalog = DataCatalog(
        {
            "raw_table": MemoryDataset(digits),
            "feedback_table": MemoryDataset(pd.DataFrame()),
            "params:ingestion": MemoryDataset(typed_params("ingestion", ingestion_params)),
        }
    )
    for name in ("train_table", "val_table", "test_table", "leakage_report"):
        catalog[name] = MemoryDataset()
    SequentialRunner().run(create_pipeline(), catalog)
    train, val, test = (catalog.load(n) for n in ("train_table", "val_table", "test_table"))
    report = catalog.load("leakage_report")
    assert len(train) + len(val) + len(test) == len(digits) - report["dropped_rows"]
    assert abs(len(test) / len(digits) - ingestion_params["split"]["test"]) < 0.01
    assert set(train["target"]) == set(range(10))


def test_columns_in_another_order_are_kept_as_is(digits, ingestion_params):
    shuffled = digits[list(reversed(digits.columns))]
    train, _, _, _ = split_raw_table(shuffled, ingestion_params)
    assert list(train.columns) == list(shuffled.columns)


def test_feedback_rows_are_appended_to_the_raw_table(digits):
    feedback = digits.iloc[:5][list(reversed(digits.columns))]
    combined = append_feedback(digits, feedback)
    assert len(combined) == len(digits) + 5
    assert list(combined.columns) == list(digits.columns)
    assert append_feedback(digits, pd.DataFrame()) is digits
    with pytest.raises(ValueError, match="lack the columns"):
        append_feedback(digits, feedback.drop(columns="target"))


def test_a_target_column_that_is_not_in_the_file_is_named_with_the_closest_columns(digits):
    renamed = digits.rename(columns={"target": "Target"})
    with pytest.raises(
        ConfigError, match=r"ingestion.target_column: 'target' is not a column.*did you mean 'Target'"
    ):
        split_raw_table(renamed, shipped_params("ingestion"))
