"""The one data-preparation node: certified splits in, tensors out, passed on in memory.

Every pipeline that trains or measures a model (training, pruning, distillation, evaluation, packaging)
starts with this node, as the Kedro starter's pipelines start from their prepared tables: the splits are
checked against validation's certificate once and become tensors once, and the node's output
``model_inputs`` (a memory dataset, ``conf/base/catalog.yml``) is what the pipeline's other nodes take.
Each pipeline is its own DVC stage (its own ``kedro run``), so each includes the node; in one ``kedro
run`` of several pipelines Kedro runs it once (the same node in every pipeline).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from kedro.pipeline import Node, node

from prunegate.data.features import PreparedSplits, prepare_splits
from prunegate.data.tables import table_fingerprint
from prunegate.errors import UnvalidatedDataError
from prunegate.params import IngestionParams

__all__ = ["MODEL_INPUTS", "ModelInputs", "model_inputs_node", "prepare_model_inputs"]

MODEL_INPUTS = "model_inputs"  # the memory dataset the node writes


@dataclass(frozen=True)
class ModelInputs(PreparedSplits):
    """The splits as tensors, with the fingerprints under which validation certified each table."""

    fingerprints: dict[str, str]


def prepare_model_inputs(
    train_table: pd.DataFrame,
    val_table: pd.DataFrame,
    test_table: pd.DataFrame,
    validated_splits: dict[str, Any],
    ingestion: IngestionParams,
) -> ModelInputs:
    """Tensors of the splits, after checking they are exactly the ones validation certified.

    Raises:
        UnvalidatedDataError: if validation failed or a split changed since it was validated.
    """
    if not validated_splits.get("passed"):
        raise UnvalidatedDataError(
            "the splits did not pass data validation; run `kedro run --pipelines validation`"
        )
    tables = {"train": train_table, "val": val_table, "test": test_table}
    fingerprints = validated_splits.get("fingerprints", {})
    for name, table in tables.items():
        if fingerprints.get(name) != table_fingerprint(table):
            raise UnvalidatedDataError(
                f"the {name} split changed since it was validated; "
                "run `kedro run --pipelines validation` first"
            )
    splits = prepare_splits(
        train_table, val_table, test_table, ingestion.target_column, ingestion.feature_columns
    )
    return ModelInputs(**vars(splits), fingerprints=dict(fingerprints))


def model_inputs_node() -> Node:
    """The node, identical in every pipeline, so that Kedro runs it once when pipelines are combined."""
    return node(
        prepare_model_inputs,
        inputs=["train_table", "val_table", "test_table", "validated_splits", "params:ingestion"],
        outputs=MODEL_INPUTS,
        name="prepare_model_inputs",
    )
