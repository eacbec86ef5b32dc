"""Kedro project settings."""

from prunegate.hooks import ValidateParametersHook
from prunegate.plain_logs import RichLogsOnTerminalHook

HOOKS = (RichLogsOnTerminalHook(), ValidateParametersHook())

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
