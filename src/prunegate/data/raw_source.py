"""The project's raw data source: where the raw file lives, and writing the bundled default once.

The raw file is an input of the DVC chain (a dependency of ``ingest`` and ``validate``), never an output,
so a cached stage can never put an old file back over the user's. The bundled default (scikit-learn's
digits, no download) is written by :func:`ensure_raw_data` only when the file is missing, before
``dvc repro`` runs (``make run`` does both); an existing file is never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from prunegate.data.tables import EMBEDDED_DATASETS, DataFileError, write_table

__all__ = ["RawDataSource", "ensure_raw_data", "read_raw_data_source"]

logger = logging.getLogger(__name__)

GLOBALS_FILE = "conf/base/globals.yml"


@dataclass(frozen=True)
class RawDataSource:
    """``path`` of the raw table (relative to the project root) and the bundled dataset it defaults to."""

    path: str
    embedded: str | None = None


def read_raw_data_source(project_root: Path) -> RawDataSource:
    """``raw_data`` from the project's Kedro globals (``conf/base``, overridden by ``conf/local``)."""
    from kedro.config import MissingConfigException, OmegaConfigLoader

    if not (project_root / "conf" / "base").is_dir():
        raise DataFileError(
            f"{project_root.resolve()} is not a prunegate project (no conf/base): run this command in the "
            "project root, or pass --project-dir"
        )
    loader = OmegaConfigLoader(
        conf_source=str(project_root / "conf"), base_env="base", default_run_env="local"
    )
    try:
        raw = loader["globals"].get("raw_data")
    except MissingConfigException as error:
        raise DataFileError(f"{GLOBALS_FILE} is missing: {error}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("path"), str) or not raw["path"]:
        raise DataFileError(f"{GLOBALS_FILE}: raw_data.path must name the raw CSV or Parquet file")
    unknown = sorted(set(raw) - {"path", "embedded"})
    if unknown:
        raise DataFileError(f"{GLOBALS_FILE}: raw_data.{unknown[0]}: unknown key (known: embedded, path)")
    embedded = raw.get("embedded")
    if embedded is not None and embedded not in EMBEDDED_DATASETS:
        raise DataFileError(
            f"{GLOBALS_FILE}: raw_data.embedded: unknown bundled dataset {embedded!r}; "
            f"known: {sorted(EMBEDDED_DATASETS)} (or null for your own file)"
        )
    return RawDataSource(path=raw["path"], embedded=embedded)


def ensure_raw_data(project_root: Path) -> str:
    """Make sure the raw file exists: write the bundled dataset if it is missing; returns what happened.

    Raises:
        DataFileError: the file is missing and no bundled dataset is configured for it.
    """
    source = read_raw_data_source(project_root)
    target = project_root / source.path
    if target.exists():
        return f"raw data: {source.path} (exists; left as it is)"
    if source.embedded is None:
        raise DataFileError(
            f"raw data file {source.path} does not exist: put your file there, `dvc pull` it, or point "
            f"raw_data.path in {GLOBALS_FILE} at it"
        )
    logger.info("writing the bundled dataset %r to %s", source.embedded, source.path)
    write_table(EMBEDDED_DATASETS[source.embedded](), target)
    return f"raw data: wrote the bundled dataset {source.embedded!r} to {source.path}"
