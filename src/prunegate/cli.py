"""Project CLI for Kedro: ``kedro run`` with prunegate's own errors shown as one clear message.

Kedro loads this module's ``cli`` group and lets its commands override the defaults. ``run`` is
Kedro's own command; a known user-facing error (bad data, bad config, a corrupt model) exits with
status 1 and its message instead of a page of traceback. Anything else propagates unchanged.
"""

from __future__ import annotations

import sys

import click
from kedro.framework.cli.project import run as kedro_run

from prunegate.errors import PARAMETER_ERRORS, find_user_error, user_message

__all__ = ["cli"]


@click.group(name="prunegate")
def cli() -> None:
    """prunegate project commands."""


@cli.command(name="run", params=kedro_run.params, help=kedro_run.help)
@click.pass_context
def run(ctx: click.Context, **kwargs) -> None:
    try:
        ctx.invoke(kedro_run, **kwargs)
    except Exception as error:
        user_error = find_user_error(error)
        if user_error is None:
            raise
        what = (
            "the parameters are invalid"
            if isinstance(user_error, PARAMETER_ERRORS)
            else type(user_error).__name__
        )
        message = f"\nprunegate: the run stopped: {what}\n{user_message(user_error)}"
        click.secho(message, fg="red", err=True)
        sys.exit(1)
