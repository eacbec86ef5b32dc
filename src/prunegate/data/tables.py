"""Read a CSV or Parquet table with clear errors, and the embedded default dataset.

Bad files (missing, empty, header-only, truncated, not a table) raise :class:`DataFileError` with a
message naming the file, never a pandas traceback.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

__all__ = [
    "EMBEDDED_DATASETS",
    "DataFileError",
    "read_table",
    "sklearn_digits",
    "table_fingerprint",
    "write_table",
]

logger = logging.getLogger(__name__)

_CSV_SUFFIXES = {".csv", ".txt"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}


class DataFileError(ValueError):
    """A data file that cannot be used as a table, with the reason."""


def sklearn_digits() -> pd.DataFrame:
    """scikit-learn's handwritten digits: 1,797 rows, ``pixel_0_0`` .. ``pixel_7_7`` (0..16) and ``target``.

    The data ships inside scikit-learn (Alpaydin & Kaynak, 1998, UCI Optical Recognition of Handwritten
    Digits); nothing is downloaded.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits(as_frame=True)
    return bunch.frame


def _digits_affine_32() -> pd.DataFrame:
    from prunegate.data.benchmark_sets import digits_affine_32

    return digits_affine_32()


def _signal_templates() -> pd.DataFrame:
    from prunegate.data.benchmark_sets import signal_templates

    return signal_templates()


# Bundled datasets by name (``raw_data.embedded`` in conf/base/globals.yml); all generated offline. The
# harder two (prunegate.data.benchmark_sets) need input_shape [1, 32, 32] and [1, 128] respectively.
EMBEDDED_DATASETS: dict[str, Callable[[], pd.DataFrame]] = {
    "sklearn_digits": sklearn_digits,
    "digits_affine_32": _digits_affine_32,
    "signal_templates": _signal_templates,
}


def _table_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        return "csv"
    if suffix in _PARQUET_SUFFIXES:
        return "parquet"
    known = sorted(_CSV_SUFFIXES | _PARQUET_SUFFIXES)
    raise DataFileError(f"{path}: unsupported file type {suffix!r}; use one of {known}")


def _check_csv_not_truncated(path: Path, expected_fields: int) -> None:
    """A CSV whose last line lacks its newline and has too few fields was cut off mid-write."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 65536))
        tail = handle.read()
    if tail.endswith(b"\n"):
        return
    last_line = tail.rsplit(b"\n", 1)[-1].decode(errors="replace")
    fields = len(next(csv.reader([last_line]), []))
    if fields < expected_fields:
        raise DataFileError(
            f"{path}: file looks truncated: its last line has {fields} of {expected_fields} fields "
            "and no line ending"
        )


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read ``path`` (CSV or Parquet by suffix) into a DataFrame, refusing unusable files clearly."""
    source = Path(path)
    kind = _table_format(source)
    if not source.is_file():
        raise DataFileError(f"{source}: data file does not exist")
    if source.stat().st_size == 0:
        raise DataFileError(f"{source}: data file is empty (0 bytes)")
    try:
        frame = pd.read_csv(source) if kind == "csv" else pd.read_parquet(source)
    except pd.errors.EmptyDataError as error:
        raise DataFileError(f"{source}: data file has no columns (empty or blank)") from error
    except pd.errors.ParserError as error:
        raise DataFileError(f"{source}: not a well-formed CSV table: {error}".strip()) from error
    except (OSError, ValueError) as error:  # pyarrow raises ArrowInvalid (a ValueError) on corrupt files
        raise DataFileError(f"{source}: cannot read as {kind}: {error}") from error
    if frame.empty:
        raise DataFileError(f"{source}: table has a header ({len(frame.columns)} columns) but no data rows")
    if kind == "csv":
        _check_csv_not_truncated(source, len(frame.columns))
    return frame


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``frame`` as CSV or Parquet (by suffix) atomically: a temp file then a rename."""
    target = Path(path)
    kind = _table_format(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp")
    if kind == "csv":
        frame.to_csv(temp, index=False)
    else:
        frame.to_parquet(temp, index=False)
    os.replace(temp, target)


def table_fingerprint(frame: pd.DataFrame) -> str:
    """A content hash of a table (column names, order of rows and values), to prove it is unchanged."""
    digest = hashlib.sha256("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()
