import json
import logging
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from prunegate.monitoring.traffic import join_feedback, read_feedback, read_prediction_log

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _record(index: int, minutes: float, prediction="3", **changes) -> dict:
    record = {
        "request_id": f"r{index}",
        "timestamp": (START + timedelta(minutes=minutes)).isoformat(),
        "model_version": "v1",
        "features": {"pixel_0_1": float(index), "pixel_0_2": 1.0},
        "prediction": prediction,
        "probabilities": {"3": 0.9, "5": 0.1},
    }
    return {**record, **changes}


def _write(path, lines) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))


@pytest.fixture
def log_dir(tmp_path):
    """Ten predictions one minute apart, split over two files and written out of time order."""
    folder = tmp_path / "predictions"
    _write(folder / "b.jsonl", [_record(i, i) for i in (9, 2, 7, 4, 5)])
    _write(folder / "a.jsonl", [_record(i, i) for i in (0, 8, 1, 6, 3)])
    return folder


def test_window_by_rows_keeps_the_newest_rows_oldest_first(log_dir):
    window = read_prediction_log(log_dir, window_rows=3, window_minutes=None)
    assert window["request_id"].tolist() == ["r7", "r8", "r9"]
    assert window["timestamp"].is_monotonic_increasing
    assert window.attrs["skipped_lines"] == 0


def test_window_by_minutes_ends_at_the_newest_row_or_at_now(log_dir):
    window = read_prediction_log(log_dir, window_rows=None, window_minutes=2.5)
    assert window["request_id"].tolist() == ["r7", "r8", "r9"]
    now = START + timedelta(minutes=4)
    assert read_prediction_log(log_dir, window_rows=None, window_minutes=1, now=now)[
        "request_id"
    ].tolist() == ["r3", "r4"]
    both = read_prediction_log(log_dir, window_rows=2, window_minutes=5)
    assert both["request_id"].tolist() == ["r8", "r9"]
    assert len(read_prediction_log(log_dir, window_rows=None, window_minutes=None)) == 10


def test_columns_features_probabilities_and_timestamps(tmp_path):
    folder = tmp_path / "log"
    naive = _record(1, 0, prediction=3, timestamp="2026-01-05T13:00:00")  # int class, no time zone
    _write(folder / "x.jsonl", [_record(0, 0), naive])
    window = read_prediction_log(folder, window_rows=10, window_minutes=None)
    logged = ["request_id", "timestamp", "model_version", "prediction"]
    assert list(window.columns) == [*logged, "pixel_0_1", "pixel_0_2", "proba_3", "proba_5"]
    assert window["prediction"].tolist() == ["3", "3"]
    assert window["timestamp"].iloc[-1] == pd.Timestamp("2026-01-05T13:00:00", tz="UTC")


def test_malformed_lines_are_skipped_counted_and_warned(tmp_path, caplog):
    folder = tmp_path / "log"
    bad = [
        '{"request_id": "broken", "timestamp": "2026-01-05T12:00:00+00:00", "feat',  # half-written
        "not json at all",
        "[1, 2, 3]",
        _record(90, 1, timestamp="yesterday"),
        _record(91, 1, features={"pixel_0_1": "bright"}),
        _record(92, 1, features=None),
        {k: v for k, v in _record(93, 1).items() if k != "prediction"},
    ]
    _write(folder / "x.jsonl", [_record(0, 0), *bad[:4], "", _record(1, 1), *bad[4:]])
    with caplog.at_level(logging.WARNING, logger="prunegate.monitoring.traffic"):
        window = read_prediction_log(folder, window_rows=100, window_minutes=None)
    assert window["request_id"].tolist() == ["r0", "r1"]
    assert window.attrs["skipped_lines"] == len(bad)
    assert "x.jsonl:2: skipping malformed line" in caplog.text
    assert f"{len(bad)} malformed lines skipped in total" in caplog.text


@pytest.mark.parametrize("make", [lambda p: p / "missing", lambda p: p])
def test_missing_or_empty_log_gives_an_empty_frame(tmp_path, make):
    window = read_prediction_log(make(tmp_path), window_rows=5, window_minutes=3)
    assert window.empty
    assert {"request_id", "timestamp", "prediction"} <= set(window.columns)
    assert window.attrs["skipped_lines"] == 0


def test_feedback_last_label_wins_and_join_leaves_nan_for_unlabelled(log_dir, tmp_path):
    path = tmp_path / "feedback.jsonl"
    lines = [
        {"request_id": "r8", "label": "5", "timestamp": "t"},
        {"request_id": "r9", "label": "3", "timestamp": "t"},
        "{garbled",
        {"request_id": "r8", "label": 3, "timestamp": "t"},  # correction, integer class name
    ]
    _write(path, lines)
    feedback = read_feedback(path)
    assert dict(zip(feedback["request_id"], feedback["label"], strict=True)) == {"r8": "3", "r9": "3"}
    assert feedback.attrs["skipped_lines"] == 1
    window = read_prediction_log(log_dir, window_rows=3, window_minutes=None)
    joined = join_feedback(window, feedback)
    assert joined["request_id"].tolist() == ["r7", "r8", "r9"]
    assert pd.isna(joined["label"].iloc[0])
    assert joined["label"].iloc[1:].tolist() == ["3", "3"]
    assert joined.attrs["skipped_lines"] == 0
    assert read_feedback(tmp_path / "none.jsonl").empty


def test_a_written_prediction_log_reads_back_row_for_row(tmp_path):
    from datetime import UTC, datetime

    import pandas as pd

    from prunegate.monitoring.traffic import read_prediction_log, write_prediction_log

    rows = pd.DataFrame({"a": [1.0, 2.5, -3.0], "b": [0.0, 4.0, 8.0], "target": [1, 0, 1]})
    start = datetime(2026, 1, 1, tzinfo=UTC)
    write_prediction_log(rows, ["a", "b"], rows["target"], tmp_path / "p.jsonl", start=start, source="t")
    logged = read_prediction_log(tmp_path, window_rows=None, window_minutes=None)
    assert logged[["a", "b"]].to_numpy().tolist() == rows[["a", "b"]].to_numpy().tolist()
    assert logged["prediction"].tolist() == ["1", "0", "1"]
    assert logged["request_id"].tolist() == ["t-0", "t-1", "t-2"]
