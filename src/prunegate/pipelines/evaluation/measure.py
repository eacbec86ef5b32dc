"""The one measurement of the evaluation pipeline: quality (:mod:`prunegate.core.quality`) and efficiency
(:mod:`prunegate.core.efficiency`) of each model on this run's test split.

The dense, pruned and distilled models, the candidate and the re-evaluated champion all go through
:func:`measure_artifact` with the same :class:`TestSplit`, so the gate compares numbers measured the same
way (quality, calibration, robustness, slices, latency on this machine now) on the same rows.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from prunegate.core.efficiency import ProfileSettings, artifact_sizes, energy_metrics, measure_model
from prunegate.core.quality import EvaluationResult, EvaluationSettings, evaluate_classifier
from prunegate.core.quantization import build_module_for, is_dynamic_quantized
from prunegate.core.serialization import ModelArtifact
from prunegate.data.features import PreparedSplits
from prunegate.data.tables import DataFileError
from prunegate.gate.baseline import TEST_SPLIT_FINGERPRINT
from prunegate.gate.paired import PER_ROW
from prunegate.params import ConfigError, EvaluationParams, ProfilingParams
from prunegate.pipelines.model_inputs import ModelInputs

__all__ = [
    "USER_OOD_SET",
    "TestSplit",
    "evaluation_settings",
    "measure_artifact",
    "prepare_test_split",
    "user_ood_rows",
]

USER_OOD_SET = "user"  # the OOD set of the user's own file


@dataclass(frozen=True)
class TestSplit:
    """The validated splits and every setting of one evaluation run.

    Attributes:
        config: The validated ``params:evaluation``.
        data: Tensors of the validated splits, with their label encoding and feature order.
        slices: ``{column: test values}`` of the extra slice columns.
        settings: What is measured besides accuracy.
        profiling: How latency is measured.
    """

    __test__ = False  # not a pytest test class despite its name

    config: EvaluationParams
    data: ModelInputs
    slices: dict[str, list]
    settings: EvaluationSettings
    profiling: ProfileSettings


def prepare_test_split(
    data: ModelInputs,
    test_table: pd.DataFrame,
    config: EvaluationParams,
    profiling: ProfilingParams,
    ood_table: pd.DataFrame | None = None,
) -> TestSplit:
    """The certified test split with the evaluation settings, slices and OOD rows: once per run.

    Every model of the run and the re-evaluated champion are measured on this one split (Kedro passes it
    from node to node in memory).

    Args:
        ood_table: the user's out-of-distribution rows (catalog ``ood_table``; empty when there is no
            file), measured as the OOD set ``user``.

    Raises:
        ConfigError: a parameter is invalid, or a slice column is missing or is a model feature.
        DataFileError: the OOD file lacks a feature column or holds a value that is not a finite number.
    """
    return TestSplit(
        config=config,
        data=data,
        slices=_slice_columns(config, test_table, data.feature_names),
        settings=replace(
            evaluation_settings(config, data), extra_ood=user_ood_rows(ood_table, data.feature_names)
        ),
        profiling=profiling.settings(),
    )


def measure_artifact(artifact: ModelArtifact, split: TestSplit) -> tuple[dict[str, Any], EvaluationResult]:
    """Everything the gate and the reports need about one model, measured on ``split``.

    Returns:
        The model's metrics (flat numbers with the same keys for every model, the test split's
        fingerprint, plus ``slices``, ``per_class`` and ``per_row``: the true class and each
        accuracy-type metric's predicted class of every test row, and each slice's rows, for the gate's
        paired comparison) and the full result (confusion rows, reliability).
    """
    data = split.data
    module = build_module_for(artifact)
    float_module = artifact.build_module()  # FGSM needs input gradients, which int8 kernels lack
    result = evaluate_classifier(
        module,
        data.test,
        data.encoding.class_names,
        split.settings,
        slice_columns=split.slices,
        gradient_module=float_module if is_dynamic_quantized(module) else None,
    )
    num_classes = len(data.encoding.classes)
    efficiency = measure_model(module, data.test, num_classes, split.profiling)
    if efficiency["macs"] == 0:  # torch's FLOP counter and the energy model do not see quantized kernels
        efficiency["macs"] = measure_model(float_module, data.test, num_classes, split.profiling)["macs"]
        efficiency.update(energy_metrics(float_module, data.test[0].shape[1]))
    metrics = {
        **efficiency,
        **result.metrics,
        **artifact_sizes(artifact),
        # from the validation certificate: the gate tells whether two metrics share their test rows
        TEST_SPLIT_FINGERPRINT: split.data.fingerprints["test"],
        "slices": result.slices,
        "per_class": result.per_class,
        PER_ROW: {
            "targets": data.test[1].tolist(),
            "predictions": result.row_predictions,
            "slices": result.slice_rows,
        },
    }
    return metrics, result


def evaluation_settings(config: EvaluationParams, data: PreparedSplits) -> EvaluationSettings:
    """The robustness units and clamp range: raw, or per feature from this run's validated data.

    ``perturbation_units: feature_std`` makes every sigma and epsilon a multiple of each feature's
    standard deviation on the training split (a constant feature is not perturbed), so one setting means
    the same on pixels in 0..16 and on a column in thousands. ``feature_range: data`` clamps each feature
    to the range it takes in the splits (features only, no labels), so clean inputs are never clamped.
    """
    features = torch.cat([data.train[0], data.val[0], data.test[0]])
    if config.feature_range == "data":
        feature_range = (features.min(dim=0).values, features.max(dim=0).values)
    else:
        feature_range = tuple(config.feature_range) if config.feature_range else None
    scale = None
    if config.perturbation_units == "feature_std":
        scale = data.train[0].std(dim=0, unbiased=False)
    return EvaluationSettings(
        ece_bins=config.ece_bins,
        noise_sigmas=tuple(config.noise_sigmas),
        fgsm_epsilons=tuple(config.fgsm_epsilons),
        feature_range=feature_range,
        feature_scale=scale,
        seed=config.seed,
    )


def user_ood_rows(ood_table: pd.DataFrame | None, feature_names: list[str]) -> dict[str, torch.Tensor]:
    """``{"user": rows}`` from the user's OOD file in the model's feature order, or ``{}`` without one.

    Raises:
        DataFileError: a feature column is missing, or a value is not a finite number.
    """
    if ood_table is None or (ood_table.empty and len(ood_table.columns) == 0):
        return {}
    where = (
        "the out-of-distribution file (ood_data.path in conf/base/globals.yml, by default "
        f"data/01_raw/ood/ood.csv; {len(ood_table)} rows)"
    )
    missing = [name for name in feature_names if name not in ood_table.columns]
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        extra = [str(name) for name in ood_table.columns if name not in feature_names]
        hints = {
            name: close[0]
            for name in missing[:10]
            if (close := difflib.get_close_matches(str(name), extra, n=1))
        }
        hint = "; did you mean " + ", ".join(f"{found!r} for {name!r}" for name, found in hints.items())
        raise DataFileError(f"{where} lacks the model's feature columns {shown}{hint if hints else ''}")
    if ood_table.empty:
        raise DataFileError(f"{where} has no rows")
    columns = ood_table[feature_names]
    values = columns.apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(values)  # text that is not a number became NaN
    if bad.any():
        row, column = (int(index[0]) for index in bad.nonzero())
        raise DataFileError(
            f"{where}: {int(bad.sum())} values are not finite numbers, the first in column "
            f"{feature_names[column]!r} of data row {row + 1} (the header not counted): "
            f"{columns.iat[row, column]!r}"
        )
    return {USER_OOD_SET: torch.tensor(values, dtype=torch.float32)}


def _slice_columns(
    config: EvaluationParams, test_table: pd.DataFrame, features: list[str]
) -> dict[str, list]:
    missing = [column for column in config.slice_columns if column not in test_table.columns]
    if missing:
        raise ConfigError(f"evaluation.slice_columns: {missing} not in the test table")
    used = [column for column in config.slice_columns if column in features]
    if used:
        raise ConfigError(
            f"evaluation.slice_columns: {used} are model features; list feature_columns without them"
        )
    return {column: test_table[column].tolist() for column in config.slice_columns}
