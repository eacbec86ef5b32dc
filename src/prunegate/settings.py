"""Kedro project settings."""

from prunegate.hooks import ValidateParametersHook
from prunegate.plain_logs import RichLogsOnTerminalHook

HOOKS = (RichLogsOnTerminalHook(), ValidateParametersHook())

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # conf/local overrides single keys (pruning.finetune.distillation) and keeps the rest of the section;
    # Kedro's default would replace the whole top-level section with the local one
    "merge_strategy": {"parameters": "soft", "globals": "soft"},
}
