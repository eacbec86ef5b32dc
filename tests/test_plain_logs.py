"""Plain one-line logs by default (conf/logging.yml), rich ones only on a terminal."""

import logging
import logging.config

import yaml
from kedro.logging import RichHandler
from tests.conftest import PROJECT_ROOT

from prunegate.plain_logs import use_rich_logs


def test_the_project_logs_plain_lines_and_a_terminal_gets_rich_ones(capsys):
    config = yaml.safe_load((PROJECT_ROOT / "conf/logging.yml").read_text())
    config["root"]["level"] = "INFO"
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        logging.config.dictConfig(config)
        message = "a long message " * 20
        logging.getLogger("prunegate.test").warning(message)
        (line,) = capsys.readouterr().out.splitlines()
        assert line.endswith(f"WARNING prunegate.test: {message}")
        keep = logging.NullHandler()
        root.addHandler(keep)
        assert use_rich_logs() == 1
        assert keep in root.handlers and any(isinstance(h, RichHandler) for h in root.handlers)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
