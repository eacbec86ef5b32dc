"""The model card of the model being packaged, from this run's outputs."""

from __future__ import annotations

from typing import Any

from prunegate.core.models import spec_to_dict
from prunegate.core.serialization import ModelArtifact
from prunegate.params import PackagingParams
from prunegate.reporting.model_card import ModelCardInputs, render_model_card

__all__ = ["model_card_html"]


def model_card_html(
    shipped_model: ModelArtifact,
    blessing: dict[str, Any],
    candidate_metrics: dict[str, Any],
    evaluation_metrics: dict[str, Any],
    split_rows: dict[str, int],
    config: PackagingParams,
    runtime: str,
    runtime_accuracy_drop: float | None,
) -> str:
    """The card (Mitchell et al. 2019) as HTML: the run's metrics, data, compression and gate verdict.

    ``runtime_accuracy_drop`` is given for an approximate runtime (static int8) only.
    """
    architecture = spec_to_dict(shipped_model.spec)
    return render_model_card(
        ModelCardInputs(
            name=str(candidate_metrics.get("model", "model")),
            version=shipped_model.checksum[:12],
            model_checksum=shipped_model.checksum,
            candidate_role=str(blessing.get("candidate", candidate_metrics.get("model", "-"))),
            architecture=architecture,
            pruning_steps=len(shipped_model.pruning_history),
            runtime=runtime,
            metrics=candidate_metrics,
            dense_metrics=evaluation_metrics.get("dense", {}),
            blessing=blessing,
            split_rows=split_rows,
            data_fingerprints=shipped_model.metadata.get("data_fingerprints") or {},
            feature_names=shipped_model.metadata.get("feature_names", []),
            class_names=shipped_model.metadata.get("class_names", []),
            intended_use=config.model_card.intended_use,
            limitations=config.model_card.limitations,
            runtime_accuracy_drop=runtime_accuracy_drop,
        )
    )
