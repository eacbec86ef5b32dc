"""A CSV/Parquet dataset (by file suffix) that refuses bad files with a clear message.

It only reads and writes: the bundled default raw data is written once, before the chain runs, by
``prunegate data init`` (:mod:`prunegate.data.raw_source`), never while loading.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset

from prunegate.data.tables import DataFileError, read_table, write_table

__all__ = ["TableDataset"]


class TableDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """``filepath`` ending in .csv or .parquet.

    ``optional: true`` makes a missing file load as an empty table (e.g. labelled feedback that may not
    exist yet); a file that exists is read with the same checks as any other.
    """

    def __init__(
        self,
        filepath: str,
        optional: bool = False,
        metadata: dict[str, Any] | None = None,
    ):
        self._filepath = Path(filepath)
        self._optional = optional
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        if self._optional and not self._filepath.exists():
            return pd.DataFrame()
        if not self._filepath.exists():
            raise DataFileError(
                f"{self._filepath}: data file does not exist; `prunegate data init` writes the bundled "
                "default data (raw_data in conf/base/globals.yml), or put your file there"
            )
        return read_table(self._filepath)

    def save(self, data: pd.DataFrame) -> None:
        write_table(data, self._filepath)

    def _exists(self) -> bool:
        return self._filepath.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "optional": self._optional}
