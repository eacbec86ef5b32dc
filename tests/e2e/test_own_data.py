"""One command for own data, then the chain: string labels, odd column names, features in the thousands."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import run

pytestmark = pytest.mark.slow

FAST = (
    "training.epochs=20,training.show_progress=false,pruning.finetune.epochs=6,distillation.epochs=3,"
    "profiling.repeats=5"
)


def _wine() -> pd.DataFrame:
    """Wine, with spaces and punctuation in the names, string labels, and columns spanning +-1000."""
    bunch = load_wine(as_frame=True)
    frame = bunch.data.rename(columns=lambda name: name.replace("_", " ").title() + " (raw)")
    frame.iloc[:, 0] = (frame.iloc[:, 0] - frame.iloc[:, 0].mean()) * 400.0  # about -1000 .. 1000
    frame.iloc[:, 1] = -frame.iloc[:, 1] * 150.0
    frame["cultivar"] = np.array(["barolo", "grignolino", "barbera"])[bunch.target]
    return frame


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_own_data_in_one_command_runs_through_with_unclamped_robustness(project, tmp_path, suffix):
    shutil.copytree(PROJECT_ROOT / ".dvc", project / ".dvc", ignore=shutil.ignore_patterns("tmp", "cache"))
    assert run(["git", "init", "-q"], project).returncode == 0
    source = tmp_path / f"wine{suffix}"
    frame = _wine()
    frame.to_csv(source, sep=";", index=False) if suffix == ".csv" else frame.to_parquet(source)
    sep = ["--sep", ";"] if suffix == ".csv" else []
    used = run(["prunegate", "data", "use", str(source), "--target", "cultivar", *sep], project)
    assert used.returncode == 0, used.stdout + used.stderr
    assert "next: make run" in used.stdout

    result = run(["kedro", "run", "--to-nodes", "evaluate_models", "--params", FAST], project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    pruned = json.loads((project / "data/08_reporting/evaluation.json").read_text())["pruned"]
    assert pruned["accuracy"] > 0.8
    # perturbations in units of each feature's spread, clamped to each feature's observed range: a tenth
    # of a standard deviation of noise barely moves accuracy (digits units would have clamped a column
    # spanning +-1000 to [0, 16] and left the model at chance)
    assert pruned["accuracy_noise_0.1"] >= pruned["accuracy"] - 0.1
    assert 0.0 <= pruned["accuracy_fgsm_0.1"] <= pruned["accuracy"]
    schema = (project / "conf/base/data_schema.yml").read_text()
    assert "Alcohol (raw)" in schema and "barolo" in schema
