"""Plain one-line logs unless the output is a terminal (CI logs, ``dvc repro`` piped to a file).

Kedro logs through rich by default, which wraps every message at 80 columns when it cannot see a terminal,
and a progress bar without a terminal writes every frame into the log: ``make run`` in CI once wrote 2,745
lines, some 8,000 characters long. ``conf/logging.yml`` therefore logs plain lines (time, level, logger,
message); on a terminal :class:`RichLogsOnTerminalHook` swaps that handler for rich's. The training loops
show a progress bar only on a terminal (:func:`prunegate.core.training.train_model` logs one summary line
per run either way).
"""

from __future__ import annotations

import logging
import sys

from kedro.framework.hooks import hook_impl

__all__ = ["RichLogsOnTerminalHook", "use_rich_logs"]


def use_rich_logs(root: logging.Logger | None = None) -> int:
    """Replace the plain stream handlers of ``root`` with rich ones; returns how many were replaced."""
    from kedro.logging import RichHandler

    root = root or logging.getLogger()
    replaced = 0
    for handler in list(root.handlers):
        if type(handler) is not logging.StreamHandler:
            continue
        rich = RichHandler(rich_tracebacks=True)
        rich.setLevel(handler.level)
        root.removeHandler(handler)
        root.addHandler(rich)
        replaced += 1
    return replaced


class RichLogsOnTerminalHook:
    """Kedro hook: rich logs when stdout is a terminal, the plain ones of conf/logging.yml otherwise."""

    @hook_impl
    def after_context_created(self, context) -> None:
        del context
        if sys.stdout.isatty():
            use_rich_logs()
