"""Check a user's table before it becomes the project's raw data (``prunegate data use``). Pandas only.

Every problem a new user meets first gets one message that says what was found: a target column that is
not there (with the closest names), a file read with the wrong separator (one column whose name holds
``;``), feature columns that are not numbers, a label column with one class, an input shape that does not
hold the number of features.
"""

from __future__ import annotations

import difflib
import math
import shlex
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from prunegate.data.tables import DataFileError, read_table

__all__ = ["OwnTable", "check_own_table", "columns_hint", "read_own_table"]

_SEPARATORS = (";", "\t", "|", ",")
_SHOWN = 8
_MIN_ROWS_PER_CLASS = 5  # a seeded 70/15/15 stratified split needs a few rows of each class


@dataclass(frozen=True)
class OwnTable:
    """A checked table: its rows, the label column, the feature columns and the model's input shape."""

    frame: pd.DataFrame
    target: str
    features: list[str]
    input_shape: list[int] | None

    @property
    def class_counts(self) -> pd.Series:
        return self.frame[self.target].value_counts()


def _shown(names: list[str]) -> str:
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(repr(name) for name in names[:_SHOWN]) + more


def columns_hint(wanted: str, columns: list[str]) -> str:
    """``its N columns are 'a', 'b', ... and K more; did you mean 'x'?``: for a column that is not there."""
    close = difflib.get_close_matches(wanted, columns, n=3, cutoff=0.5)
    hint = f"; did you mean {_shown(close)}?" if close else ""
    return f"its {len(columns)} columns are {_shown(columns)}{hint}"


def read_own_table(source: Path, separator: str | None = None) -> pd.DataFrame:
    """Read a CSV (with ``separator``, default ``,``) or Parquet file; a wrong separator is named."""
    if separator is None and source.suffix.lower() == ".tsv":
        separator = "\t"  # a .tsv file is tab-separated unless --sep says otherwise
    if separator is not None and separator.startswith("\\"):  # --sep '\t' as typed in a shell
        separator = separator.encode().decode("unicode_escape")
    if separator is not None and len(separator) != 1:
        raise DataFileError(f"--sep {separator!r}: give one character, e.g. ';' or '\\t'")
    if separator not in (None, ","):
        if source.suffix.lower() not in (".csv", ".tsv", ".txt"):
            raise DataFileError(f"{source}: --sep applies to delimited text files (.csv, .tsv, .txt) only")
        try:
            frame = pd.read_csv(source, sep=separator)
        except (OSError, ValueError) as error:
            raise DataFileError(
                f"{source}: cannot read as CSV with separator {separator!r}: {error}"
            ) from error
    else:
        frame = read_table(source)
    if len(frame.columns) == 1:
        header = str(frame.columns[0])
        found = [sep for sep in _SEPARATORS if sep in header and sep != (separator or ",")]
        if found:
            raise DataFileError(
                f"{source}: read as a single column {header[:60]!r}: the separator looks like {found[0]!r}, "
                f"not {(separator or ',')!r}; pass --sep {found[0]!r}"
            )
    return frame


def _check_target(frame: pd.DataFrame, source: Path, target: str) -> None:
    columns = [str(column) for column in frame.columns]
    if target not in columns:
        raise DataFileError(f"{source}: no column {target!r} to predict; {columns_hint(target, columns)}")
    labels = frame[target]
    if labels.isna().any():
        raise DataFileError(f"{source}: target column {target!r} has {int(labels.isna().sum())} empty labels")
    counts = labels.value_counts()
    if len(counts) < 2:
        raise DataFileError(
            f"{source}: target column {target!r} holds one class only ({counts.index[0]!r}): "
            "nothing to classify"
        )
    rare = counts[counts < _MIN_ROWS_PER_CLASS]
    if not rare.empty:
        raise DataFileError(
            f"{source}: classes {_shown([str(label) for label in rare.index])} of {target!r} have fewer than "
            f"{_MIN_ROWS_PER_CLASS} rows ({', '.join(str(n) for n in rare.to_numpy())}); a stratified "
            "train/val/test split needs more: merge or drop them"
        )


def _check_features(frame: pd.DataFrame, source: Path, features: list[str]) -> None:
    missing = [name for name in features if name not in frame.columns]
    if missing:
        raise DataFileError(f"{source}: feature columns {_shown(missing)} are not in the file")
    if not features:
        raise DataFileError(f"{source}: no feature columns left besides the target")
    text = [name for name in features if not pd.api.types.is_numeric_dtype(frame[name])]
    if len(text) == len(features):
        kinds = ", ".join(f"{name!r}: {frame[name].dtype}" for name in features[:_SHOWN])
        raise DataFileError(
            f"{source}: no numeric feature columns: found {kinds}; prunegate takes numbers (encode "
            "categories as numbers first)"
        )
    if text:
        example = frame[text[0]].dropna().astype(str).head(1).tolist()
        raise DataFileError(
            f"{source}: feature columns {_shown(text)} are not numeric (e.g. {text[0]!r} holds {example}); "
            "encode them as numbers, or leave them out with --ignore " + shlex.quote(",".join(text))
        )
    empty = [name for name in features if frame[name].isna().all()]
    if empty:
        raise DataFileError(f"{source}: feature columns {_shown(empty)} are entirely empty")


def check_own_table(
    frame: pd.DataFrame,
    source: Path,
    target: str,
    *,
    ignore: list[str] | None = None,
    input_shape: list[int] | None = None,
) -> OwnTable:
    """Check ``frame`` as a classification table; raises :class:`DataFileError` naming what was found."""
    _check_target(frame, source, target)
    unknown = [name for name in ignore or [] if name not in frame.columns]
    if unknown:
        raise DataFileError(f"{source}: --ignore names columns that are not in the file: {_shown(unknown)}")
    features = [str(c) for c in frame.columns if c != target and c not in set(ignore or [])]
    _check_features(frame, source, features)
    if input_shape is not None:
        if any(size < 1 for size in input_shape) or len(input_shape) not in (2, 3):
            raise DataFileError(
                f"--input-shape {input_shape}: give [channels, length] or [channels, height, width]"
            )
        if math.prod(input_shape) != len(features):
            raise DataFileError(
                f"--input-shape {input_shape} holds {math.prod(input_shape)} values, but the file has "
                f"{len(features)} feature columns"
            )
    return OwnTable(frame=frame, target=target, features=features, input_shape=input_shape)
