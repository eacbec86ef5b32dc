"""The prediction log: documented fields, flushed by time, by size and on close, safe under threads."""

import json
import threading
import time
from datetime import UTC, datetime

import numpy as np
import pytest

from prunegate.serving.prediction_log import PredictionLogger

FEATURES = ("a", "b")
CLASSES = ("no", "yes")
WAIT_S = 3.0  # upper bound for the writer thread to flush (it runs every flush_interval_s)
POLL_S = 0.02
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


def _wait_for(condition) -> bool:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(POLL_S)
    return False


def test_rows_are_written_with_the_documented_fields_by_the_background_thread(tmp_path):
    logger = PredictionLogger(tmp_path, flush_interval_s=0.05)
    try:
        _log_one(logger, "r1")
        assert _wait_for(lambda: len(_lines(tmp_path / "predictions")) == 1)
        (record,) = _lines(tmp_path / "predictions")
        assert set(record) == {*FIELDS}
        assert record["request_id"] == "r1" and record["model_version"] == "v1"
        assert record["features"] == {"a": 0.0, "b": 1.0} and record["prediction"] == "yes"
        assert record["probabilities"] == {"no": 0.25, "yes": 0.75}
        stamp = datetime.fromisoformat(record["timestamp"])
        assert stamp.utcoffset().total_seconds() == 0
        assert (tmp_path / "predictions" / f"{stamp.date().isoformat()}.jsonl").is_file()
    finally:
        logger.close()


def test_nothing_is_written_before_the_interval_and_close_flushes_the_rest(tmp_path):
    logger = PredictionLogger(tmp_path, flush_interval_s=60)
    _log_one(logger, "r1", rows=3)
    logger.log_feedback(["r1/0", "r1/1"], ["no", "yes"])
    time.sleep(0.1)
    assert _lines(tmp_path / "predictions") == []
    logger.close()
    assert [r["request_id"] for r in _lines(tmp_path / "predictions")] == ["r1/0", "r1/1", "r1/2"]
    feedback = [json.loads(line) for line in (tmp_path / "feedback.jsonl").read_text().splitlines()]
    assert [(f["request_id"], f["label"]) for f in feedback] == [("r1/0", "no"), ("r1/1", "yes")]
    assert all(set(f) == {"request_id", "label", "timestamp"} for f in feedback)
    logger.close()  # idempotent


def test_a_full_buffer_is_flushed_without_waiting_for_the_interval(tmp_path):
    logger = PredictionLogger(tmp_path, flush_interval_s=60, flush_rows=4)
    try:
        _log_one(logger, "big", rows=5)
        assert _wait_for(lambda: len(_lines(tmp_path / "predictions")) == 5)
    finally:
        logger.close()


def test_concurrent_writers_produce_whole_lines_in_append_mode(tmp_path):
    (tmp_path / "predictions").mkdir()
    existing = tmp_path / "predictions" / "2000-01-01.jsonl"
    existing.write_text('{"request_id": "old"}\n')
    logger = PredictionLogger(tmp_path, flush_interval_s=0.01, flush_rows=7)
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


@pytest.mark.parametrize("rows", [1, 64])
def test_logging_costs_little_on_the_request_path(tmp_path, rows):
    logger = PredictionLogger(tmp_path, flush_interval_s=0.05)
    calls = 200
    start = time.perf_counter()
    for i in range(calls):
        _log_one(logger, f"r{i}", rows=rows)
    per_call_ms = (time.perf_counter() - start) / calls * 1000
    logger.close()
    assert per_call_ms < 1.0  # formatting and writing happen in the background thread
    assert len(_lines(tmp_path / "predictions")) == calls * rows


def test_a_half_written_line_from_a_killed_writer_does_not_swallow_the_next_prediction(tmp_path):
    logger = PredictionLogger(tmp_path, flush_interval_s=60)
    folder = tmp_path / "predictions"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{datetime.now(tz=UTC).date().isoformat()}.jsonl"
    partial.write_bytes(b'{"request_id": "whole"}\n{"request_id": "cut in the midd')
    try:
        _log_one(logger, "next")
        logger.flush()
    finally:
        logger.close()
    lines = partial.read_text().splitlines()
    assert lines[1] == '{"request_id": "cut in the midd'  # left as it was, on a line of its own
    assert json.loads(lines[2])["request_id"] == "next"
