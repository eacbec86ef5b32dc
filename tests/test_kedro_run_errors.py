"""`kedro run` through prunegate's project CLI: a user's mistake is said once, naming the node."""

from __future__ import annotations

import logging

import click
import pytest
from click.testing import CliRunner

import prunegate.cli as project_cli
from prunegate.params.base import ConfigError

NODE = "prune_dense_model: prune_dense_model([dense_model;model_inputs]) -> [pruned_model]"


def _failing_kedro_run(error: Exception) -> click.Command:
    """Stands in for Kedro's `run`: logs a node failure and the resume hint as Kedro does, then raises."""

    def callback(**_: object) -> None:
        logging.getLogger("kedro.pipeline.node").error("Node %s failed with error: \n%s", NODE, str(error))
        logging.getLogger("kedro.runner.sequential_runner").warning(
            'There are 1 nodes that have not run.\nYou can resume ...\n  --from-nodes "prepare_model_inputs"'
        )
        raise error

    return click.Command("run", callback=callback)


@pytest.fixture
def root_records(monkeypatch):
    """Every record that reaches the root logger's handlers (what a user would see)."""
    seen: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler = Collect(level=logging.INFO)
    logging.getLogger().addHandler(handler)
    yield seen
    logging.getLogger().removeHandler(handler)


def test_a_users_mistake_is_printed_once_naming_the_node(monkeypatch, root_records):
    error = ConfigError("pruning.reduction: 0.999 of macs cannot be met")
    monkeypatch.setattr(project_cli, "kedro_run", _failing_kedro_run(error))
    result = CliRunner().invoke(project_cli.cli, ["run"])
    assert result.exit_code == 1
    assert "the run stopped in node prune_dense_model: the parameters are invalid" in result.output
    assert result.output.count("0.999 of macs cannot be met") == 1
    assert not [r for r in root_records if r.name.startswith(("kedro.pipeline", "kedro.runner"))]


def test_a_bug_keeps_kedros_report_and_its_traceback(monkeypatch, root_records):
    monkeypatch.setattr(project_cli, "kedro_run", _failing_kedro_run(ZeroDivisionError("division by zero")))
    result = CliRunner().invoke(project_cli.cli, ["run"])
    assert isinstance(result.exception, ZeroDivisionError)  # propagates unchanged
    shown = [r.getMessage() for r in root_records]
    assert any("failed with error" in m and "division by zero" in m for m in shown)
    assert any("--from-nodes" in m for m in shown)


def test_the_hold_is_removed_after_the_run(monkeypatch):
    monkeypatch.setattr(project_cli, "kedro_run", _failing_kedro_run(ConfigError("x: bad")))
    CliRunner().invoke(project_cli.cli, ["run"])
    assert not logging.getLogger("kedro.pipeline.node").filters
    assert not logging.getLogger("kedro.runner.sequential_runner").filters
