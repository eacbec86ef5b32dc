"""``prunegate data use PATH --target COL``: a user's table becomes the project's raw data, in one command.

What it does, in this order, so that a failed check changes nothing:

1. checks the file (:mod:`prunegate.data.own_data`);
2. puts it at ``data/01_raw/<name>`` (a copy; a CSV with another separator is rewritten with commas) and
   tracks it with DVC (``dvc add``; the ``.dvc`` file of the previous raw file is removed with
   ``dvc remove``, its data file kept);
3. points ``conf/base/globals.yml`` at it (``dvc.yaml`` reads the path from there, so it stays as it is);
4. writes the ingestion parameters (target, features, input shape), a starting data schema whose feature
   ranges have a margin (serving refuses values outside them), and the data-dependent evaluation
   settings: robustness perturbations in units of each feature's standard deviation and clamps to each
   feature's observed range, instead of the bundled digits' pixel units (noise sigma 2 = 2 of 16
   grey levels), with the robustness checks of ``parameters_gate.yml`` renamed to match;
5. retires a champion trained on other features (it cannot be a baseline for a new task).

It returns what it chose, for the user to read and adjust. The YAML files are edited in place with their
comments kept (ruamel.yaml round trip).
"""

from __future__ import annotations

import logging
import math
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prunegate.data.own_data import OwnTable, check_own_table, read_own_table
from prunegate.data.raw_source import GLOBALS_FILE, read_raw_data_source
from prunegate.data.tables import DataFileError, write_table
from prunegate.dvc_cli import DvcCommandError, run_dvc
from prunegate.gate.config import CHANGE_THRESHOLDS, VALUE_THRESHOLDS
from prunegate.validation.schema import ColumnRange, dump_schema, infer_schema

__all__ = ["FGSM_EPSILONS", "NOISE_SIGMAS", "use_own_data"]

logger = logging.getLogger(__name__)

RAW_DIR = Path("data/01_raw")
NOISE_SIGMAS = [0.1, 0.25, 0.5]  # multiples of each feature's standard deviation on the training split
FGSM_EPSILONS = [0.05, 0.1]
_GATED_NOISE = 0.25  # the robustness checks of parameters_gate.yml follow these two
_GATED_FGSM = 0.1
_ARCHITECTURES = ("mlp", "cnn", "resnet", "resnet1d", "mobilenet", "gru", "factory")


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 110
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(
        type(None), lambda representer, _: representer.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def _flow(values: list[Any]):
    from ruamel.yaml.comments import CommentedSeq

    sequence = CommentedSeq(values)
    sequence.fa.set_flow_style()
    return sequence


def _edit_yaml(path: Path, edit) -> None:
    yaml = _yaml()
    document = yaml.load(path.read_text())
    edit(document)
    temp = path.with_name(f".{path.name}.tmp")
    with temp.open("w") as handle:
        yaml.dump(document, handle)
    os.replace(temp, path)


def _rewritten(source: Path, separator: str | None) -> bool:
    """Whether the project's copy is rewritten comma-separated (another separator, or a .tsv file)."""
    return separator not in (None, ",") or source.suffix.lower() == ".tsv"


def _destination(source: Path, separator: str | None) -> Path:
    name = f"{source.stem}.csv" if _rewritten(source, separator) else source.name
    return RAW_DIR / name


def _place_raw_file(project_root: Path, source: Path, table: OwnTable, separator: str | None) -> Path:
    """The user's file at ``data/01_raw/<name>``; an existing different file there is never replaced."""
    relative = _destination(source, separator)
    target = project_root / relative
    if target.resolve() == source.resolve():
        return relative
    if target.exists():
        raise DataFileError(
            f"{relative} already exists and is another file: rename yours, or remove {relative} (and its "
            ".dvc file) first"
        )
    if _rewritten(source, separator):
        write_table(table.frame, target)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return relative


def _dvc(project_root: Path, *arguments: str) -> None:
    try:
        run_dvc(project_root, *arguments)
    except DvcCommandError as error:
        raise DataFileError(str(error)) from error


def _schema(table: OwnTable, margin: float) -> tuple[Any, list[str]]:
    """The starting schema, each feature's observed range widened by ``margin`` of its span."""
    schema = infer_schema(table.frame, table.target, table.features)
    kept_at_zero = []
    for name, bounds in schema.feature_columns.items():
        span = bounds.max - bounds.min
        pad = margin * span if span > 0 else margin * max(abs(bounds.max), 1.0)
        low = bounds.min - pad
        if bounds.min >= 0 > low:  # a feature never negative stays so (counts, pixels, prices)
            low = 0.0
            kept_at_zero.append(name)
        schema.feature_columns[name] = ColumnRange(
            min=_round(low, math.floor), max=_round(bounds.max + pad, math.ceil)
        )
    return schema, kept_at_zero


def _round(value: float, direction) -> float:
    """``value`` to 5 significant digits, rounded outwards by ``direction`` (floor or ceil)."""
    if value == 0:
        return 0.0
    scale = 10.0 ** (4 - math.floor(math.log10(abs(value))))
    return direction(value * scale) / scale


def _ingestion(table: OwnTable, all_columns: list[str]):
    def edit(document):
        section = document["ingestion"]
        section["target_column"] = table.target
        others = [str(column) for column in all_columns if column != table.target]
        section["feature_columns"] = None if others == table.features else _flow(table.features)
        section["input_shape"] = _flow(table.input_shape) if table.input_shape else None

    return edit


def _evaluation(document) -> None:
    section = document["evaluation"]
    section["perturbation_units"] = "feature_std"
    section["noise_sigmas"] = _flow(NOISE_SIGMAS)
    section["fgsm_epsilons"] = _flow(FGSM_EPSILONS)
    section["feature_range"] = "data"


def _gates(changes: list[str]):
    def edit(document):
        regression = (document.get("gate") or {}).get("regression") or []
        for check in list(regression):
            metric = str(check.get("metric", ""))
            if metric.startswith("accuracy_noise_") and metric != f"accuracy_noise_{_GATED_NOISE:g}":
                check["metric"] = f"accuracy_noise_{_GATED_NOISE:g}"
                changes.append(f"regression check {metric} -> {check['metric']}")
            elif metric.startswith("accuracy_fgsm_") and metric != f"accuracy_fgsm_{_GATED_FGSM:g}":
                check["metric"] = f"accuracy_fgsm_{_GATED_FGSM:g}"
                changes.append(f"regression check {metric} -> {check['metric']}")
            elif metric == "accuracy" and "lower_bound" in check and not check.get("slice"):
                changes.append(f"regression accuracy lower_bound {check['lower_bound']} removed")
                del check["lower_bound"]
                if not set(check) & {*VALUE_THRESHOLDS, *CHANGE_THRESHOLDS}:  # nothing left to check
                    regression.remove(check)
                    changes.append("regression accuracy check removed (the bound was its only threshold)")

    return edit


def _retire_champion(project_root: Path, table: OwnTable) -> str | None:
    """Move a champion of other features or classes aside: it is no baseline for this data."""
    from prunegate.core.serialization import load_artifact

    champion = project_root / "champion"
    model = champion / "model.pt"
    if not model.is_file():
        return None
    metadata = load_artifact(model).metadata
    classes = sorted(str(label) for label in table.class_counts.index)
    same = (
        list(metadata.get("feature_names") or []) == table.features
        and sorted(str(label) for label in metadata.get("class_names") or []) == classes
    )
    if same:
        return None
    retired = champion / f"retired-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    retired.mkdir()
    for name in ("model.pt", "metrics.json", "model.json"):
        if (champion / name).is_file():
            os.replace(champion / name, retired / name)
    return f"champion: trained on other features or classes; moved to {retired.relative_to(project_root)}/"


def use_own_data(
    project_root: Path,
    source: Path,
    target: str,
    *,
    separator: str | None = None,
    ignore: list[str] | None = None,
    input_shape: list[int] | None = None,
    architecture: str | None = None,
    range_margin: float = 0.1,
) -> list[str]:
    """Make ``source`` the project's raw data (see the module docstring); returns what was chosen.

    Raises:
        DataFileError: the file, a column, the input shape or the project is not usable; nothing was
            changed.
    """
    if architecture is not None and architecture not in _ARCHITECTURES:
        raise DataFileError(f"--architecture {architecture!r}: known: {', '.join(_ARCHITECTURES)}")
    if not 0 <= range_margin <= 10:
        raise DataFileError(
            f"--range-margin {range_margin}: give a fraction of each feature's span, e.g. 0.1"
        )
    if not target:
        raise DataFileError("--target is empty: name the label column (make data-use ... TARGET=<column>)")
    if not source.is_file() or not str(source).strip(". "):
        raise DataFileError(f"{str(source) or '(no path)'}: no such file (give your CSV or Parquet file)")
    if not (project_root / ".dvc").is_dir():
        raise DataFileError(f"{project_root.resolve()} has no .dvc folder: run this in the project root")
    previous = read_raw_data_source(project_root)
    table = check_own_table(
        read_own_table(source, separator), source, target, ignore=ignore, input_shape=input_shape
    )
    schema, kept_at_zero = _schema(table, range_margin)

    relative = _place_raw_file(project_root, source, table, separator)
    old_dvc = project_root / f"{previous.path}.dvc"
    if previous.path != str(relative) and old_dvc.is_file():
        _dvc(project_root, "remove", str(old_dvc.relative_to(project_root)))
    _dvc(project_root, "add", str(relative))

    def point_globals(document):
        document["raw_data"]["path"] = str(relative)
        document["raw_data"]["embedded"] = None

    conf = project_root / "conf" / "base"
    _edit_yaml(project_root / GLOBALS_FILE, point_globals)
    _edit_yaml(conf / "parameters_ingestion.yml", _ingestion(table, list(table.frame.columns)))
    dump_schema(schema, conf / "data_schema.yml")
    _edit_yaml(conf / "parameters_evaluation.yml", _evaluation)
    gate_changes: list[str] = []
    _edit_yaml(conf / "parameters_gate.yml", _gates(gate_changes))
    if architecture is not None:
        _edit_yaml(
            conf / "parameters_training.yml",
            lambda d: d["training"].__setitem__("architecture", architecture),
        )
    retired = _retire_champion(project_root, table)
    lines = _report(
        table,
        relative,
        previous.path,
        schema,
        kept_at_zero,
        range_margin,
        gate_changes,
        retired,
        architecture,
    )
    return lines[:-1] + _afterwards(project_root, relative, previous.path, retired) + lines[-1:]


def _afterwards(project_root: Path, relative: Path, previous: str, retired: str | None) -> list[str]:
    """What to commit, and what is still served."""
    changed = ["conf/base/", f"{relative}.dvc"]
    if previous != str(relative):
        changed.append(f"{previous}.dvc (removed)")
    if retired:
        changed.append("champion/ (retired files)")
    lines = [f"commit: {', '.join(changed)}; after `make run`, dvc.lock too"]
    if (project_root / "registry" / "pointer.json").is_file():
        lines.append(
            "serving: the registry still serves the model of the previous data until a model of this data is "
            "blessed and promoted (`make run`, then `make promote REASON=...`)"
        )
    return lines


def _report(
    table, relative, previous, schema, kept_at_zero, margin, gate_changes, retired, architecture
) -> list[str]:
    counts = table.class_counts
    test_rows = max(1, round(len(table.frame) * 0.15))
    lines = [
        f"raw data: {relative} ({len(table.frame)} rows; was {previous}), tracked by DVC ({relative}.dvc): "
        "commit it",
        f"target: {table.target!r}, {len(counts)} classes ({counts.min()} to {counts.max()} rows each)",
        f"features: {len(table.features)} numeric columns"
        + (f", input shape {table.input_shape}" if table.input_shape else " (flat rows: input_shape null)"),
        f"schema: conf/base/data_schema.yml, each feature's observed range widened by {margin:g} of its span"
        + (f" ({len(kept_at_zero)} never-negative features kept >= 0)" if kept_at_zero else "")
        + "; serving refuses values outside it: widen it there",
        f"robustness: noise sigmas {NOISE_SIGMAS} and FGSM epsilons {FGSM_EPSILONS} in units of each "
        "feature's standard deviation; perturbed inputs clamped to each feature's observed range "
        "(conf/base/parameters_evaluation.yml)",
    ]
    lines += [f"gates: {change}" for change in gate_changes]
    one_row = 100.0 / (test_rows / len(counts)) if len(counts) else 0
    lines.append(
        f"gates: the test split has about {test_rows} rows: one row is {100.0 / test_rows:.2f} pp of "
        f"accuracy and about {one_row:.1f} pp of a class's accuracy; review the thresholds in "
        "conf/base/parameters_gate.yml"
    )
    if architecture:
        lines.append(f"model: training.architecture {architecture}")
    elif table.input_shape:
        lines.append(
            "model: training.architecture is unchanged; for this input shape consider "
            + ("resnet1d or gru" if len(table.input_shape) == 2 else "cnn, resnet or mobilenet")
            + " (--architecture, or conf/base/parameters_training.yml)"
        )
    if retired:
        lines.append(retired)
    lines.append("next: make run")
    return lines
