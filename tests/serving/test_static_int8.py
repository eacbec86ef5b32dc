"""Static int8 (ONNX Runtime QDQ): integer kernels, float probabilities, offered only when checked."""

import numpy as np
import onnx
import pytest
from tests.serving.conftest import TRAIN_ROWS, held_out_rows

from prunegate.core.serialization import save_artifact
from prunegate.serving.runtimes import (
    EAGER,
    ONNX,
    ONNX_FILE,
    ONNX_INT8,
    OnnxRuntime,
    RuntimeChoice,
    export_onnx,
    load_runtime,
    select_runtime,
)
from prunegate.serving.static_int8 import STATIC_INT8_FILE, quantize_static_int8

TIMING_S = 0.01  # seconds per runtime and batch size


def _rows(digits, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    features = digits.drop(columns="target").to_numpy(dtype=np.float32)
    return features[start:stop], digits["target"].to_numpy()[start:stop]


@pytest.fixture(params=["mlp_artifact", "cnn_artifact"])
def int8_file(request, tmp_path, digits):
    artifact = request.getfixturevalue(request.param)
    float_file = export_onnx(artifact.build_module(), artifact.spec.in_features, tmp_path / ONNX_FILE)
    calibration, _ = _rows(digits, 0, 256)
    return artifact, quantize_static_int8(float_file, calibration, tmp_path / STATIC_INT8_FILE)


def test_weights_are_int8_per_channel_and_the_softmax_stays_float(int8_file):
    _, path = int8_file
    graph = onnx.load(str(path)).graph
    ops = [node.op_type for node in graph.node]
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    int8_weights = [i for i in graph.initializer if i.data_type == onnx.TensorProto.INT8 and len(i.dims) >= 2]
    assert int8_weights, "no int8 weight tensor"
    scales = {i.name: i for i in graph.initializer}
    per_channel = [
        node
        for node in graph.node
        if node.op_type == "DequantizeLinear"
        and node.input[0] in {w.name for w in int8_weights}
        and len(scales[node.input[1]].dims) == 1
        and scales[node.input[1]].dims[0] > 1
    ]
    assert per_channel, "weights are not quantized per output channel"
    softmax = next(node for node in graph.node if node.op_type == "Softmax")
    consumers = [node.op_type for node in graph.node if softmax.output[0] in node.input]
    assert "QuantizeLinear" not in consumers  # probabilities are not rounded to uint8 steps
    assert softmax.output[0] in [output.name for output in graph.output]


def test_int8_probabilities_are_probabilities_and_predictions_mostly_agree(int8_file, digits):
    artifact, path = int8_file
    rows = held_out_rows(digits, 300)
    float_probs = load_runtime(EAGER, _store(artifact, path.parent)).predict_proba(rows)
    int8_probs = OnnxRuntime(path, ONNX_INT8).predict_proba(rows)
    np.testing.assert_allclose(int8_probs.sum(axis=1), 1.0, atol=1e-5)
    assert np.mean(int8_probs.argmax(axis=1) == float_probs.argmax(axis=1)) >= 0.9
    assert np.max(np.abs(int8_probs - float_probs)) > 1e-5  # really another (rounded) model


def _store(artifact, folder):
    save_artifact(artifact, folder / "model.pt")
    return folder


def test_calibration_needs_rows(tmp_path, mlp_artifact):
    float_file = export_onnx(mlp_artifact.build_module(), 64, tmp_path / ONNX_FILE)
    with pytest.raises(ValueError, match="at least one row"):
        quantize_static_int8(float_file, np.zeros((0, 64), dtype=np.float32), tmp_path / STATIC_INT8_FILE)


def test_int8_is_offered_only_with_labelled_rows_and_judged_on_accuracy(mlp_artifact, digits, tmp_path):
    sample = held_out_rows(digits, 64)
    without = select_runtime(mlp_artifact, sample, timing_s=TIMING_S)
    assert ONNX_INT8 in without.skipped and "labelled rows" in without.skipped[ONNX_INT8]

    calibration, _ = _rows(digits, 0, 256)
    labelled = _rows(digits, TRAIN_ROWS, len(digits))
    strict = select_runtime(
        mlp_artifact,
        sample,
        timing_s=TIMING_S,
        calibration=calibration,
        labelled=labelled,
        max_accuracy_drop=-1.0,
        work_dir=tmp_path / "strict",
    )
    assert not strict.eligible(ONNX_INT8) and strict.name != ONNX_INT8
    rows = {row["runtime"]: row for row in strict.report()}
    assert rows[ONNX_INT8]["eligible"] is False and "accuracy_drop" in rows[ONNX_INT8]

    lenient = select_runtime(
        mlp_artifact,
        sample,
        timing_s=TIMING_S,
        calibration=calibration,
        labelled=labelled,
        max_accuracy_drop=1.0,
        work_dir=tmp_path / "lenient",
    )
    assert lenient.eligible(ONNX_INT8)
    assert (
        abs(
            lenient.accuracy[EAGER]
            - np.mean(
                load_runtime(EAGER, _store(mlp_artifact, tmp_path)).predict_proba(labelled[0]).argmax(1)
                == labelled[1]
            )
        )
        < 1e-9
    )
    if lenient.name == ONNX_INT8:
        assert lenient.stored_file == tmp_path / "lenient" / STATIC_INT8_FILE


def test_a_stored_int8_version_loads_by_its_runtime_name(int8_file, tmp_path):
    artifact, path = int8_file
    runtime = load_runtime(ONNX_INT8, _store(artifact, path.parent))
    assert runtime.name == ONNX_INT8
    (path.parent / STATIC_INT8_FILE).unlink()
    with pytest.raises(FileNotFoundError, match=r"model\.int8\.onnx"):
        load_runtime(ONNX_INT8, path.parent)


@pytest.mark.parametrize(
    ("int8_accuracy", "eligible"),
    [(0.900, True), (0.896, True), (0.895, True), (0.8949, False), (0.5, False), (0.95, True)],
)
def test_int8_is_eligible_exactly_when_its_drop_is_within_the_bound(int8_accuracy, eligible):
    choice = RuntimeChoice(
        name=EAGER,
        max_abs_diff={EAGER: 0.0, ONNX: 2e-5, ONNX_INT8: 0.3},
        tolerance=1e-5,
        accuracy={EAGER: 0.9, ONNX: 0.9, ONNX_INT8: int8_accuracy},
        max_accuracy_drop=0.005,
    )
    assert choice.eligible(ONNX_INT8) is eligible
    assert choice.eligible(EAGER) and not choice.eligible(ONNX)  # exact runtimes: parity, not accuracy


def test_narrow_convolutions_stay_float_unless_asked(cnn_artifact, digits, tmp_path):
    """The digits CNN's convolution has 4 output channels: float by default, int8 with min_channels=1."""
    float_file = export_onnx(cnn_artifact.build_module(), cnn_artifact.spec.in_features, tmp_path / ONNX_FILE)
    calibration, _ = _rows(digits, 0, 64)

    def conv_weight_is_int8(path) -> bool:
        graph = onnx.load(str(path)).graph
        producer = {output: node for node in graph.node for output in node.output}
        conv = next(node for node in graph.node if node.op_type == "Conv")
        source = producer.get(conv.input[1])
        return source is not None and source.op_type == "DequantizeLinear"

    default = quantize_static_int8(float_file, calibration, tmp_path / "default.onnx")
    everything = quantize_static_int8(float_file, calibration, tmp_path / "all.onnx", min_channels=1)
    assert not conv_weight_is_int8(default) and conv_weight_is_int8(everything)
