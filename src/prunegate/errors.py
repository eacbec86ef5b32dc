"""The errors prunegate raises for bad input: data, configuration, model files.

They carry a message written for the user; the CLI prints it without a traceback.
"""

from __future__ import annotations

import re

from kedro.validation.exceptions import ParameterValidationError

from prunegate.core.distributed import DistributedLaunchError
from prunegate.core.models import FactoryModelError
from prunegate.core.serialization import ModelArtifactError
from prunegate.data.splitting import DataLeakageError
from prunegate.data.tables import DataFileError
from prunegate.fanout import FanoutError
from prunegate.params.base import ConfigError
from prunegate.validation.failures import DataValidationError

__all__ = [
    "PARAMETER_ERRORS",
    "USER_ERRORS",
    "ChampionMismatchError",
    "NotBlessedError",
    "UnvalidatedDataError",
    "find_user_error",
    "user_message",
]


class UnvalidatedDataError(RuntimeError):
    """Data given to training is not the data that passed validation."""


class NotBlessedError(RuntimeError):
    """The candidate failed the gate: it is not shipped, and the run (and CI) fails."""


class ChampionMismatchError(RuntimeError):
    """The committed champion model takes other features or predicts other classes than this run's data."""


PARAMETER_ERRORS: tuple[type[Exception], ...] = (ConfigError, ParameterValidationError)

USER_ERRORS: tuple[type[Exception], ...] = (
    ChampionMismatchError,
    ConfigError,
    DataFileError,
    DataLeakageError,
    DataValidationError,
    DistributedLaunchError,  # a rank failed, or the hosts could not meet: the message names which
    FactoryModelError,
    FanoutError,  # the Dask scheduler cannot be reached
    ModelArtifactError,
    NotBlessedError,
    ParameterValidationError,  # Kedro's, from a typed node parameter: our ConfigError messages inside
    UnvalidatedDataError,
)


# Kedro's ParameterValidationError: "Parameter validation failed:" then "- Parameter 'x': Failed to
# instantiate XParams for parameter 'x': <our message>" per section. Only <our message> is for the user.
_KEDRO_HEADER = re.compile(r"^Parameter validation failed:\n")
_KEDRO_WRAPPING = re.compile(
    r"^- (?:Parameter '[^']+': )?(?:Failed to instantiate \w+ for parameter '[^']+': )?", re.MULTILINE
)


def user_message(error: Exception) -> str:
    """The error's message for the user: Kedro's wrapping of a typed parameter's error removed."""
    message = str(error)
    if isinstance(error, ParameterValidationError):
        message = _KEDRO_WRAPPING.sub("", _KEDRO_HEADER.sub("", message))
    return message


def find_user_error(error: BaseException) -> Exception | None:
    """The user-facing error behind ``error`` (Kedro wraps dataset errors), or None."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, USER_ERRORS):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
