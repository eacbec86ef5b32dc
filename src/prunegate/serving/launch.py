"""``prunegate serve`` (``make serve``): check that there is a model to serve, then start BentoML.

BentoML restarts a worker whose startup fails, forever; the service stops the server in that case
(:func:`prunegate.serving.service._holder_or_stop`), but ``bentoml serve`` then exits 0. This launcher
makes the decision first, in its own process, with the worker's own logic
(:func:`~prunegate.serving.model_source.serving_holder`): nothing to serve is one line naming why and
exit code 3, before a port is opened. When the check passes it replaces itself with ``bentoml serve``
(same process, so signals and the exit code are BentoML's), with telemetry off
(:mod:`~prunegate.serving.no_telemetry`).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from prunegate.registry.store import ensure_project_bentoml_home
from prunegate.serving.config import CONFIG_ENV, load_serving_config, project_root
from prunegate.serving.model_source import CANNOT_SERVE, serving_holder
from prunegate.serving.no_telemetry import turn_off_telemetry
from prunegate.serving.project_config import write_resolved_serving_config

__all__ = ["EXIT_CANNOT_SERVE", "SERVICE", "check_servable", "serve"]

logger = logging.getLogger(__name__)

SERVICE = "prunegate.serving.service:PrunegateService"
EXIT_CANNOT_SERVE = 3


def check_servable() -> str:
    """What the service would serve, in words.

    Raises:
        NoChampionError, ModelLoadError: nothing can be served (the message says why).
    """
    config = load_serving_config()
    model = serving_holder(config).current
    return f"{model.tag or 'a file'} (version {model.version}, {model.runtime_name})"


def serve(host: str | None, port: int | None, bentoml_args: list[str]) -> int:
    """Check, then ``exec`` ``bentoml serve`` (returns only when the check fails)."""
    turn_off_telemetry()
    ensure_project_bentoml_home(project_root())
    if not os.environ.get(CONFIG_ENV):  # one config path: Kedro's loader, conf/local over conf/base
        os.environ[CONFIG_ENV] = str(write_resolved_serving_config(project_root()))
    try:
        serving = check_servable()
    except CANNOT_SERVE as error:
        logger.error("cannot serve: %s", error)
        return EXIT_CANNOT_SERVE
    command = [_bentoml(), "serve", SERVICE]
    command += ["--host", host] if host else []
    command += ["--port", str(port)] if port else []
    logger.info("checked: serving %s; starting %s", serving, " ".join([*command, *bentoml_args]))
    logging.shutdown()
    os.execv(command[0], [*command, *bentoml_args])
    return 0  # not reached


def _bentoml() -> str:
    beside = Path(sys.executable).parent / "bentoml"
    return str(beside) if beside.is_file() else "bentoml"
