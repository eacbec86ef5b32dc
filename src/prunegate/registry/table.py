"""``prunegate registry``: the champion, the previous champion and the history as a markdown table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prunegate.reporting.markdown import markdown_table

__all__ = ["REASON_CHARS", "registry_table"]

REASON_CHARS = 90  # a table cell longer than this is cut; registry/history.jsonl keeps the full reason


def _short(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters (``...`` marks a cut)."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3].rstrip() + "..."


def registry_table(
    champion: str | None,
    previous: str | None,
    events: Sequence[dict[str, Any]],
    reason_chars: int = REASON_CHARS,
    serving: str | None = None,
) -> str:
    """The pointer, what serves (when given), and one row per history event (oldest first), reasons
    shortened to ``reason_chars``."""
    lines = [f"champion: {champion or 'none'}", f"previous: {previous or 'none'}"]
    lines += [f"a service started now serves: {serving}"] if serving is not None else []
    lines.append("")
    lines += markdown_table(
        ("at", "event", "by", "champion", "reason"),
        [
            (
                e.get("at"),
                e.get("event"),
                e.get("by"),
                e.get("champion"),
                _short(e.get("reason", ""), reason_chars),
            )
            for e in events
        ],
    )
    return "\n".join(lines) + "\n"
