"""The dense-seeds benchmark table: one row per run, then mean ± std per standardisation floor."""

from benchmarks.dense_seeds import _table
from tests.conftest import table_rows


def _row(ratio, seed, accuracy, noisy):
    return {
        "min_std_ratio": ratio,
        "seed": seed,
        "accuracy": accuracy,
        "f1_macro": accuracy,
        "accuracy_noise_2": noisy,
    }


def test_runs_then_one_summary_line_per_floor():
    rows = [
        _row(0.0, 0, 0.98, 0.3),
        _row(0.0, 1, 0.96, 0.2),
        _row(0.5, 0, 0.97, 0.9),
        _row(0.5, 1, 0.97, 0.95),
    ]
    text = _table(rows, ["accuracy_noise_2"])
    table = table_rows(text)
    assert table[0] == ["min std ratio", "seed", "accuracy", "macro F1", "noise_2"]
    assert len(text.splitlines()) == 2 + len(rows) + 2 and len(table) == 1 + len(rows) + 2
    assert table[1] == ["0", "0", "0.9800", "0.9800", "0.3000"]
    assert table[-2][:3] == ["0", "mean ± std", "0.9700 ± 0.0141"] and "0.2500 ± 0.0707" in table[-2]
    assert table[-1][:3] == ["0.5", "mean ± std", "0.9700 ± 0.0000"] and "0.9250 ± 0.0354" in table[-1]
