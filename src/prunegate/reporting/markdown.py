"""Markdown tables for every report, rendered by pandas' ``DataFrame.to_markdown`` (tabulate's pipe
format, which GitHub renders): each report builds its rows; this module only escapes and aligns them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

__all__ = ["escape_cell", "markdown_table"]

Align = Literal["left", "right", "center"]


def escape_cell(value: Any) -> str:
    """``value`` as the text of one cell: pipes escaped (they would end the cell), on one line."""
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], align: Sequence[Align] | None = None
) -> list[str]:
    """The table's lines: header, alignment row, one line per row (cells as given, never re-formatted).

    Args:
        headers: column titles.
        rows: the cells of each row, one per header (``None`` is an empty cell).
        align: per-column alignment (default: left).
    """
    import pandas as pd

    frame = pd.DataFrame(
        [[escape_cell(cell) for cell in row] for row in rows], columns=[escape_cell(h) for h in headers]
    )
    text = frame.to_markdown(
        index=False, tablefmt="pipe", colalign=tuple(align or ["left"] * len(headers)), disable_numparse=True
    )
    return text.splitlines()
