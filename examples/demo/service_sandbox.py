"""A :class:`~examples.demo.sandbox.ProjectSandbox` whose commands also see a BentoML store of its own.

Every command run in it (``dvc repro``, ``prunegate promote``, ``prunegate monitor``, ``bentoml serve``)
gets ``BENTOML_HOME=<sandbox>/bentoml_home`` and ``PRUNEGATE_PROJECT_ROOT=<sandbox>``, so nothing
touches the project's or the user's store, and a bounded run time.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from examples.demo.sandbox import ProjectSandbox

from prunegate.serving.labeller_credential import TOKEN_ENV

__all__ = ["COMMAND_TIMEOUT_S", "ServiceSandbox"]

COMMAND_TIMEOUT_S = 1800  # the longest any one command may run (a whole chain takes ~1 minute here)
# variables of the caller that would make the sandbox's service or registry look elsewhere
_DROPPED = ("PRUNEGATE_MODEL_PATH", "PRUNEGATE_SERVING_CONFIG", "PRUNEGATE_BENTO_MODEL")


@dataclass
class ServiceSandbox(ProjectSandbox):
    """The sandbox's commands run with its own BentoML store and project root (see the module docstring)."""

    def env(self) -> dict[str, str]:
        """The environment of every command run in the sandbox.

        The sandbox's service takes labels from the demo's traffic replay: both read the labeller token
        from this process's environment (:mod:`prunegate.serving.labeller_credential`), set here once.
        """
        os.environ.setdefault(TOKEN_ENV, secrets.token_hex(16))
        bin_dir = str(Path(sys.executable).parent)
        env = {key: value for key, value in os.environ.items() if key not in _DROPPED}
        env.update(
            PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            KEDRO_DISABLE_TELEMETRY="1",
            DO_NOT_TRACK="1",
            DVC_NO_ANALYTICS="1",
            BENTOML_DO_NOT_TRACK="True",
            BENTOML_HOME=str(self.root / "bentoml_home"),
            PRUNEGATE_PROJECT_ROOT=str(self.root),
            COLUMNS="200",
        )
        return env

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``command`` in the sandbox with :meth:`env`; raise on failure when ``check``."""
        result = subprocess.run(
            command,
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=COMMAND_TIMEOUT_S,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def set_params(self, section: str, values: dict) -> None:
        """Overwrite keys of ``conf/base/parameters_<section>.yml`` (the other keys are kept)."""
        path = self.root / "conf" / "base" / f"parameters_{section}.yml"
        params = yaml.safe_load(path.read_text())
        unknown = sorted(set(values) - set(params[section]))
        if unknown:
            raise KeyError(f"{path.name} has no keys {unknown} in section {section!r}")
        params[section].update(values)
        path.write_text(yaml.safe_dump(params, sort_keys=False))
