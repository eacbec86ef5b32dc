"""The prediction log: documented fields, written before the answer, whole lines under threads."""

import json
import threading
from datetime import UTC, datetime

import numpy as np
import pytest

from prunegate.serving.prediction_log import PredictionLogger

FEATURES = ("a", "b")
CLASSES = ("no", "yes")
FIELDS = ("request_id", "timestamp", "model_version", "features", "prediction", "probabilities")


def _log_one(logger: PredictionLogger, request_id: str, rows: int = 1) -> None:
    logger.log_predictions(
        row_ids=[request_id] if rows == 1 else [f"{request_id}/{i}" for i in range(rows)],
        model_version="v1",
        feature_names=FEATURES,
        features=np.arange(rows * 2, dtype=np.float32).reshape(rows, 2),
        predictions=["yes"] * rows,
        class_names=CLASSES,
        probabilities=np.tile(np.array([[0.25, 0.75]], dtype=np.float32), (rows, 1)),
    )


def _lines(folder) -> list[dict]:
    paths = sorted(folder.glob("*.jsonl"))
    return [json.loads(line) for path in paths for line in path.read_text().splitlines()]


def test_rows_are_written_with_the_documented_fields_before_the_call_returns(tmp_path):
    logger = PredictionLogger(tmp_path)
    try:
        _log_one(logger, "r1")
        (record,) = _lines(tmp_path / "predictions")  # no waiting: written before the answer is sent
        assert set(record) == {*FIELDS}
        assert record["request_id"] == "r1" and record["model_version"] == "v1"
        assert record["features"] == {"a": 0.0, "b": 1.0} and record["prediction"] == "yes"
        assert record["probabilities"] == {"no": 0.25, "yes": 0.75}
        stamp = datetime.fromisoformat(record["timestamp"])
        assert stamp.utcoffset().total_seconds() == 0
        assert (tmp_path / "predictions" / f"{stamp.date().isoformat()}.jsonl").is_file()
    finally:
        logger.close()


def test_feedback_is_written_at_once_and_close_is_idempotent(tmp_path):
    logger = PredictionLogger(tmp_path)
    _log_one(logger, "r1", rows=3)
    logger.log_feedback(["r1/0", "r1/1"], ["no", "yes"])
    assert [r["request_id"] for r in _lines(tmp_path / "predictions")] == ["r1/0", "r1/1", "r1/2"]
    feedback = [json.loads(line) for line in (tmp_path / "feedback.jsonl").read_text().splitlines()]
    assert [(f["request_id"], f["label"]) for f in feedback] == [("r1/0", "no"), ("r1/1", "yes")]
    assert all(set(f) == {"request_id", "label", "timestamp"} for f in feedback)
    logger.close()
    logger.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        _log_one(logger, "late")


def test_concurrent_writers_produce_whole_lines_in_append_mode(tmp_path):
    (tmp_path / "predictions").mkdir()
    existing = tmp_path / "predictions" / "2000-01-01.jsonl"
    existing.write_text('{"request_id": "old"}\n')
    logger = PredictionLogger(tmp_path)
    threads = [
        threading.Thread(target=lambda t=t: [_log_one(logger, f"t{t}-{i}", rows=2) for i in range(50)])
        for t in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    logger.close()
    records = _lines(tmp_path / "predictions")
    assert records[0] == {"request_id": "old"}  # appended to, never truncated
    ids = [r["request_id"] for r in records[1:]]
    assert len(ids) == len(set(ids)) == 4 * 50 * 2
    by_request = [ids[i : i + 2] for i in range(0, len(ids), 2)]
    assert all(a.split("/")[0] == b.split("/")[0] for a, b in by_request)  # a request's rows stay together


def test_a_half_written_line_from_a_killed_writer_does_not_swallow_the_next_prediction(tmp_path):
    logger = PredictionLogger(tmp_path)
    folder = tmp_path / "predictions"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{datetime.now(tz=UTC).date().isoformat()}.jsonl"
    partial.write_bytes(b'{"request_id": "whole"}\n{"request_id": "cut in the midd')
    try:
        _log_one(logger, "next")
    finally:
        logger.close()
    lines = partial.read_text().splitlines()
    assert lines[1] == '{"request_id": "cut in the midd'  # left as it was, on a line of its own
    assert json.loads(lines[2])["request_id"] == "next"
