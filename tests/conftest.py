"""Shared fixtures: the real digits table and the shipped parameters."""

import re
from pathlib import Path

import pytest
import yaml

from prunegate.data.tables import sklearn_digits
from prunegate.params import SECTION_MODELS

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def shipped_params(section: str) -> dict:
    """The ``section`` of ``conf/base/parameters_<section>.yml`` as committed."""
    return yaml.safe_load((PROJECT_ROOT / "conf" / "base" / f"parameters_{section}.yml").read_text())[section]


def table_rows(markdown: str) -> list[list[str]]:
    """Every row of the markdown tables in ``markdown`` as its cells, stripped (alignment rows left out)."""
    rows = []
    for line in markdown.splitlines():
        if line.startswith("|") and line.endswith("|"):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line[1:-1])]
            if not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                rows.append(cells)
    return rows


def typed_params(section: str, data: dict | None = None):
    """``data`` (default: the shipped section) as the typed model Kedro gives ``params:<section>``."""
    return SECTION_MODELS[section].model_validate(shipped_params(section) if data is None else data)


@pytest.fixture
def tmp_bentoml_home(tmp_path, monkeypatch):
    """A BentoML store in this test's temporary folder, tracking off (never the user's store)."""
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "bentoml_home"))
    monkeypatch.setenv("BENTOML_DO_NOT_TRACK", "True")


@pytest.fixture(scope="session")
def digits():
    return sklearn_digits()


@pytest.fixture
def ingestion_params():
    return shipped_params("ingestion")


@pytest.fixture
def training_params():
    params = shipped_params("training")
    params.update(epochs=4, show_progress=False)
    params["mlp"] = {"hidden": [32], "dropout": 0.0}
    return params


@pytest.fixture
def profiling_params():
    return {**shipped_params("profiling"), "warmup": 1, "repeats": 3}
