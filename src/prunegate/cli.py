"""Project CLI for Kedro: ``kedro run`` with prunegate's own errors shown as one clear message.

Kedro loads this module's ``cli`` group and lets its commands override the defaults. ``run`` is
Kedro's own command; a known user-facing error (bad data, bad config, a corrupt model) exits with
status 1 and its message, once, naming the node it stopped in, instead of a page of traceback. Kedro's
own report of the failure (the node's ERROR line with the same message, and the runner's hint to
resume with ``--from-nodes``, which does not apply to a DVC stage) is held back during the run and
shown only when the error is not one of those: then it propagates unchanged, with its traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from kedro.framework.cli.project import run as kedro_run

from prunegate.errors import PARAMETER_ERRORS, find_user_error, user_message

__all__ = ["cli"]


@click.group(name="prunegate")
def cli() -> None:
    """prunegate project commands."""


NODE_LOGGER = "kedro.pipeline.node"  # "Node <node> failed with error: <message>"
RUNNER_LOGGER = "kedro.runner"  # "... nodes that have not run. You can resume ... --from-nodes"


class FailureReportHold(logging.Filter):
    """Holds back Kedro's report of a failed node (and the resume hint), remembering the node's name."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[logging.LogRecord] = []
        self.failed_node: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        failure = record.name == NODE_LOGGER and record.levelno >= logging.ERROR
        resume_hint = record.name.startswith(RUNNER_LOGGER) and record.levelno == logging.WARNING
        if not (failure or resume_hint):
            return True
        if failure and record.args:
            self.failed_node = str(record.args[0]).split(":", 1)[0]  # "name: func([inputs]) -> [outputs]"
        self.held.append(record)
        return False

    def release(self) -> None:
        """Log what was held, as it would have been logged (the error is not the user's)."""
        for record in self.held:
            for handler in logging.getLogger().handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)
        self.held.clear()


@contextmanager
def _held_failure_report() -> Iterator[FailureReportHold]:
    hold = FailureReportHold()
    loggers = [logging.getLogger(NODE_LOGGER), logging.getLogger(f"{RUNNER_LOGGER}.sequential_runner")]
    for logger in loggers:
        logger.addFilter(hold)
    try:
        yield hold
    finally:
        for logger in loggers:
            logger.removeFilter(hold)


@cli.command(name="run", params=kedro_run.params, help=kedro_run.help)
@click.pass_context
def run(ctx: click.Context, **kwargs) -> None:
    with _held_failure_report() as hold:
        try:
            ctx.invoke(kedro_run, **kwargs)
            hold.release()  # a run that went on despite a warning: nothing is held back from it
        except Exception as error:
            user_error = find_user_error(error)
            if user_error is None:
                hold.release()
                raise
            what = (
                "the parameters are invalid"
                if isinstance(user_error, PARAMETER_ERRORS)
                else type(user_error).__name__
            )
            where = f" in node {hold.failed_node}" if hold.failed_node else ""
            message = f"\nprunegate: the run stopped{where}: {what}\n{user_message(user_error)}"
            click.secho(message, fg="red", err=True)
            sys.exit(1)
