"""The raw file is an input of the DVC chain: a user's bad file is validated and refused, never replaced.

Before, `data/01_raw/digits.csv` was an *output* of `ingest`: a user who overwrote it saw DVC restore the
cached good file ("Stage 'ingest' is cached - skipping run, checking out outputs") and the run blessed.
"""

import hashlib
import json
import shutil

import pytest
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import run

pytestmark = pytest.mark.slow


def _bad_digits(good: str) -> str:
    lines = good.splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("pixel_3_3")] = "999"  # far outside the schema's 0..16
    return "\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n"


def test_a_bad_user_file_is_refused_and_kept_not_replaced_by_the_cache(project):
    shutil.copytree(PROJECT_ROOT / ".dvc", project / ".dvc", ignore=shutil.ignore_patterns("tmp", "cache"))
    assert run(["git", "init", "-q"], project).returncode == 0
    raw = project / "data/01_raw/digits.csv"
    good = raw.read_text()

    first = run(["dvc", "repro", "validate"], project)
    assert first.returncode == 0, first.stdout + first.stderr
    certificate = project / "data/05_model_input/validated_splits.json"
    validated = json.loads(certificate.read_text())

    bad = _bad_digits(good)
    raw.write_text(bad)
    for attempt in range(2):  # a failed validation is never cached as a pass
        refused = run(["dvc", "repro", "validate"], project)
        output = refused.stdout + refused.stderr
        assert refused.returncode != 0, f"attempt {attempt}: {output}"
        assert "pixel_3_3" in output
        assert "checking out" not in output
        assert raw.read_text() == bad, "the user's file was replaced"
        # DVC removes a stage's outputs before it runs: no certificate, so nothing downstream can train
        assert not certificate.exists()

    raw.write_text(good)
    again = run(["dvc", "repro", "validate"], project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert raw.read_text() == good
    assert json.loads(certificate.read_text()) == validated


def test_data_init_writes_the_default_that_the_committed_dvc_file_tracks(project):
    raw = project / "data/01_raw/digits.csv"
    raw.unlink()
    result = run(["prunegate", "data", "init"], project)
    assert result.returncode == 0, result.stderr
    assert "wrote the bundled dataset" in result.stdout
    tracked = (PROJECT_ROOT / "data/01_raw/digits.csv.dvc").read_text()
    assert f"md5: {hashlib.md5(raw.read_bytes()).hexdigest()}" in tracked
    kept = run(["prunegate", "data", "init"], project)
    assert "left as it is" in kept.stdout
