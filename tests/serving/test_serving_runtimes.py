"""Runtimes: each matches torch eager within 1e-5; selection picks a matching one; int8 is eager-only."""

import numpy as np
import pytest
from tests.serving.conftest import held_out_rows

from prunegate.core.quantization import quantized_artifact
from prunegate.core.serialization import save_artifact
from prunegate.serving.runtimes import (
    EAGER,
    ONNX,
    ONNX_FILE,
    ONNX_INT8,
    RUNTIMES,
    TORCHSCRIPT,
    export_onnx,
    load_runtime,
    select_runtime,
)

TOLERANCE = 1e-5
TIMING_S = 0.01  # seconds per runtime and batch size
SAMPLE_ROWS = 64


@pytest.fixture(params=["mlp_artifact", "cnn_artifact"])
def model_dir(request, tmp_path):
    """A store-like folder: ``model.pt`` and its ``model.onnx``."""
    artifact = request.getfixturevalue(request.param)
    save_artifact(artifact, tmp_path / "model.pt")
    export_onnx(artifact.build_module(), artifact.spec.in_features, tmp_path / ONNX_FILE)
    return tmp_path


def test_every_runtime_matches_eager(model_dir, digits):
    sample = held_out_rows(digits, SAMPLE_ROWS)
    eager = load_runtime(EAGER, model_dir).predict_proba(sample)
    np.testing.assert_allclose(eager.sum(axis=1), 1.0, atol=TOLERANCE)
    for name in (TORCHSCRIPT, ONNX):
        probabilities = load_runtime(name, model_dir).predict_proba(sample)
        assert probabilities.shape == eager.shape
        assert np.max(np.abs(probabilities - eager)) <= TOLERANCE, name


def test_select_runtime_picks_a_matching_runtime_and_reports_all(mlp_artifact, digits, tmp_path):
    sample = held_out_rows(digits, SAMPLE_ROWS)
    choice = select_runtime(mlp_artifact, sample, batch_sizes=(1, 8), timing_s=TIMING_S, work_dir=tmp_path)
    assert choice.name in RUNTIMES
    assert choice.max_abs_diff[choice.name] <= TOLERANCE
    assert set(choice.latency_ms) == set(RUNTIMES) - {ONNX_INT8}  # int8 needs labelled rows
    assert all(set(timings) == {1, 8} and min(timings.values()) > 0 for timings in choice.latency_ms.values())
    rows = {row["runtime"]: row for row in choice.report()}
    assert rows[choice.name]["chosen"] and rows[choice.name]["matches"] and rows[choice.name]["eligible"]
    assert (choice.stored_file is not None) == (choice.name in (ONNX, ONNX_INT8))
    if choice.name == ONNX:
        assert choice.stored_file.name == ONNX_FILE and choice.stored_file.is_file()


def test_a_runtime_outside_the_tolerance_is_never_chosen(mlp_artifact, digits):
    choice = select_runtime(
        mlp_artifact, held_out_rows(digits, SAMPLE_ROWS), timing_s=TIMING_S, tolerance=0.0
    )
    assert choice.max_abs_diff[choice.name] == 0.0  # eager always matches itself exactly


def test_int8_artifacts_are_served_by_eager_only(mlp_artifact, digits, tmp_path):
    int8 = quantized_artifact(mlp_artifact)
    choice = select_runtime(int8, held_out_rows(digits, SAMPLE_ROWS), timing_s=TIMING_S)
    assert choice.name == EAGER and choice.stored_file is None
    assert set(choice.skipped) == {TORCHSCRIPT, ONNX, ONNX_INT8}
    assert "only eager is valid" in choice.skipped[ONNX]
    save_artifact(int8, tmp_path / "model.pt")
    assert load_runtime(EAGER, tmp_path).predict_proba(held_out_rows(digits, 2)).shape == (2, 10)
    with pytest.raises(ValueError, match="only eager is"):
        load_runtime(TORCHSCRIPT, tmp_path)


def test_load_runtime_refuses_unknown_names_and_a_missing_onnx_file(mlp_artifact, tmp_path):
    save_artifact(mlp_artifact, tmp_path / "model.pt")
    with pytest.raises(ValueError, match="unknown runtime 'tvm'"):
        load_runtime("tvm", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"model\.onnx"):
        load_runtime(ONNX, tmp_path)
