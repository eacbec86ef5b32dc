"""A CSV/Parquet dataset (by file suffix) that refuses bad files with a clear message.

With ``embedded: sklearn_digits`` the file is written from the dataset bundled with scikit-learn when
it does not exist yet, so the default pipeline needs no download and no data in git.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset

from prunegate.data.tables import EMBEDDED_DATASETS, DataFileError, read_table, write_table

__all__ = ["TableDataset"]

logger = logging.getLogger(__name__)


class TableDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """``filepath`` ending in .csv or .parquet; optional ``embedded`` source name for a missing file.

    ``optional: true`` makes a missing file load as an empty table (e.g. labelled feedback that may not
    exist yet); a file that exists is read with the same checks as any other.
    """

    def __init__(
        self,
        filepath: str,
        embedded: str | None = None,
        optional: bool = False,
        metadata: dict[str, Any] | None = None,
    ):
        if embedded is not None and embedded not in EMBEDDED_DATASETS:
            raise DataFileError(f"unknown embedded dataset {embedded!r}; known: {sorted(EMBEDDED_DATASETS)}")
        self._filepath = Path(filepath)
        self._embedded = embedded
        self._optional = optional
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        if self._embedded and not self._filepath.exists():
            logger.info("writing the embedded dataset %r to %s", self._embedded, self._filepath)
            write_table(EMBEDDED_DATASETS[self._embedded](), self._filepath)
        if self._optional and not self._filepath.exists():
            return pd.DataFrame()
        return read_table(self._filepath)

    def save(self, data: pd.DataFrame) -> None:
        write_table(data, self._filepath)

    def _exists(self) -> bool:
        return self._filepath.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "embedded": self._embedded, "optional": self._optional}
