"""The serving settings as Kedro sees them: ``conf/base`` with ``conf/local`` merged over it, key by key.

``prunegate serve`` runs in the project's environment, which has Kedro: it resolves the ``serving``
section with the project's own config loader (the same one ``kedro run`` uses, so an override in
``conf/local/parameters_serving.yml`` counts for serving as it does for every other section), validates
it, and hands the result to the service as one file (``PRUNEGATE_SERVING_CONFIG``). The service itself,
also inside a Bento without Kedro, only ever reads that one file (:mod:`prunegate.serving.config`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

from prunegate.serving.config import SECTION, ServingConfig, ServingConfigError, validate_serving_section

__all__ = ["resolve_serving_config", "write_resolved_serving_config"]


def resolve_serving_config(project: Path) -> ServingConfig:
    """The ``serving`` section of ``project``'s parameters, merged by Kedro's config loader and validated.

    Raises:
        ServingConfigError: no ``serving`` section, a file Kedro cannot read, or a bad key (named).
    """
    from kedro.config import OmegaConfigLoader

    from prunegate.settings import CONFIG_LOADER_ARGS

    try:
        loader = OmegaConfigLoader(conf_source=str(project / "conf"), **CONFIG_LOADER_ARGS)
        section = loader["parameters"].get(SECTION)
    except Exception as error:  # Kedro's errors for unreadable YAML, duplicate keys, bad interpolation
        raise ServingConfigError(f"{project / 'conf'}: the parameters cannot be read: {error}") from None
    return validate_serving_section(section, f"{project / 'conf'} (base + local)")


def write_resolved_serving_config(project: Path) -> Path:
    """Resolve the settings and write them to a private file the service reads; returns its path."""
    config = resolve_serving_config(project)
    handle, name = tempfile.mkstemp(prefix="prunegate-serving-", suffix=".yml")
    with open(handle, "w") as stream:
        yaml.safe_dump({SECTION: config.model_dump()}, stream, sort_keys=False)
    return Path(name)
