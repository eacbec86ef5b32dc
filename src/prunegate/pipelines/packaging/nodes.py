"""Nodes of the packaging pipeline."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from prunegate.core.models import FactorySpec
from prunegate.core.models.factory import factory_source_files
from prunegate.core.serialization import ModelArtifact, save_artifact
from prunegate.errors import NotBlessedError
from prunegate.params import PackagingParams
from prunegate.pipelines.model_inputs import ModelInputs
from prunegate.pipelines.packaging.card import model_card_html
from prunegate.registry.store import (
    METRICS_FILE,
    MODEL_CARD_FILE,
    ensure_project_bentoml_home,
    register_model,
)

logger = logging.getLogger(__name__)

_SAMPLE_ROWS = 256


def _git_commit() -> str | None:
    result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or None


def _feature_ranges(data_schema: dict[str, Any], feature_names: list[str]) -> dict[str, list[float]]:
    columns = data_schema["feature_columns"]
    return {name: [float(columns[name]["min"]), float(columns[name]["max"])] for name in feature_names}


def _model_code(model: ModelArtifact) -> dict[str, Path]:
    """A factory model's own Python package, stored with it (the zoo's code is part of prunegate)."""
    if not isinstance(model.spec, FactorySpec):
        return {}
    files = factory_source_files(model.spec)
    logger.info("packaging the model's code with it: %s", ", ".join(files))
    return files


def _int8_rows(config: PackagingParams, data: ModelInputs) -> dict[str, Any]:
    """Calibration (training) and labelled (test) rows for static int8, or nothing when it is off."""
    if not config.static_int8:
        return {}
    return {
        "calibration": data.train[0][: config.int8_calibration_rows].numpy(),
        "labelled": (data.test[0].numpy(), data.test[1].numpy()),
    }


def package_model(
    shipped_model: ModelArtifact,
    blessing: dict[str, Any],
    candidate_metrics: dict[str, Any],
    evaluation_metrics: dict[str, Any],
    data_schema: dict[str, Any],
    data: ModelInputs,
    config: PackagingParams,
) -> tuple[dict[str, Any], str]:
    """Store the blessed model (with its metadata and chosen runtime) and build a Bento around it.

    The candidate's full metrics (slices and test split fingerprint included, which the scalar ``metrics``
    metadata lacks) are stored with it as ``metrics.json``, so that a rollback to this version can make it
    the git champion again with the metrics it was promoted with.

    Static int8 is offered to the runtime choice when ``packaging.static_int8`` is on: calibrated on
    training rows, eligible only if its test accuracy is within ``packaging.int8_max_accuracy_drop`` of
    the float model's (the measured drop is stored with the version).

    The model card (``model_card.html``, Mitchell et al. 2019) is stored with the version, checksummed
    like every served file, served at ``GET /card``, and written to the reporting folder.

    Raises:
        NotBlessedError: when the blessing on disk does not bless this model (defence in depth: the
            gate only writes ``shipped_model`` for a blessed candidate).

    Returns:
        What was packaged (the model tag in the store, the runtime and its measurements, the Bento tag)
        and the model card's HTML.
    """
    from prunegate.serving.runtimes import EXACT_RUNTIMES, select_runtime

    if not blessing.get("blessed") or not shipped_model.metadata.get("blessed"):
        raise NotBlessedError(f"{blessing.get('candidate')} is not blessed: it is not packaged")
    ensure_project_bentoml_home()
    feature_names = shipped_model.metadata["feature_names"]
    ranges = _feature_ranges(data_schema, feature_names)
    low = np.array([r[0] for r in ranges.values()], dtype=np.float32)
    high = np.array([r[1] for r in ranges.values()], dtype=np.float32)
    sample = np.random.default_rng(0).uniform(low, high, size=(_SAMPLE_ROWS, len(low))).astype(np.float32)
    int8_rows = _int8_rows(config, data)

    with tempfile.TemporaryDirectory() as scratch:
        model_file = Path(scratch) / "model.pt"
        save_artifact(shipped_model, model_file)
        choice = select_runtime(
            shipped_model,
            sample,
            batch_sizes=tuple(config.runtime_batch_sizes),
            timing_s=config.runtime_timing_s,
            tolerance=config.parity_tolerance,
            work_dir=Path(scratch),
            max_accuracy_drop=config.int8_max_accuracy_drop,
            **int8_rows,
        )
        metadata = {
            "version": shipped_model.checksum[:12],
            "model": candidate_metrics["model"],
            "feature_names": feature_names,
            "class_names": shipped_model.metadata["class_names"],
            "feature_ranges": ranges,
            "input_shape": shipped_model.metadata.get("input_shape") or [len(feature_names)],
            "runtime": choice.name,
            "runtime_accuracy_drop": choice.accuracy_drop(choice.name) if choice.accuracy else None,
            "git_commit": _git_commit(),
            "data_fingerprints": shipped_model.metadata.get("data_fingerprints"),
            "metrics": {k: v for k, v in candidate_metrics.items() if isinstance(v, int | float)},
        }
        metadata = {key: value for key, value in metadata.items() if value is not None}  # store: no None
        metrics_file = Path(scratch) / METRICS_FILE
        metrics_file.write_text(json.dumps(candidate_metrics, indent=2, sort_keys=True) + "\n")
        card = model_card_html(
            shipped_model,
            blessing,
            candidate_metrics,
            evaluation_metrics,
            {"train": len(data.train[1]), "val": len(data.val[1]), "test": len(data.test[1])},
            config,
            choice.name,
            None if choice.name in EXACT_RUNTIMES else metadata.get("runtime_accuracy_drop"),
        )
        card_file = Path(scratch) / MODEL_CARD_FILE
        card_file.write_text(card, encoding="utf-8")
        extra = [metrics_file, card_file, *([choice.stored_file] if choice.stored_file else [])]
        tag = register_model(
            model_file,
            labels={"model": candidate_metrics["model"], "runtime": choice.name},
            metadata=metadata,
            extra_files=extra,
            code_files=_model_code(shipped_model),
        )
    bento = _build_bento(config, tag) if config.build_bento else None
    logger.info("packaged %s (runtime %s), bento %s", tag, choice.name, bento)
    info = {
        "model_checksum": shipped_model.checksum,  # which model the run-specific tags below belong to
        "model_tag": tag,
        "bento_tag": bento,
        "runtime": choice.name,
        "runtimes": choice.report(),
    }
    return info, card


def _build_bento(config: PackagingParams, model_tag: str) -> str:
    """``bentoml build`` of the service with ``model_tag`` as its packaged model (offline)."""
    env = {**os.environ, "PRUNEGATE_BENTO_MODEL": model_tag}
    result = subprocess.run(
        ["bentoml", "build", "-f", config.bentofile, "--output", "tag"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bentoml build failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1].removeprefix("__tag__:")
