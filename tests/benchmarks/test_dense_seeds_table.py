"""The dense-seeds benchmark table: one row per run, then mean ± std per standardisation floor."""

from benchmarks.dense_seeds import _table


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
    lines = _table(rows, ["accuracy_noise_2"]).splitlines()
    assert lines[0] == "| min std ratio | seed | accuracy | macro F1 | noise_2 |"
    assert len(lines) == 2 + len(rows) + 2
    assert lines[2] == "| 0 | 0 | 0.9800 | 0.9800 | 0.3000 |"
    assert lines[-2].startswith("| 0 | mean ± std | 0.9700 ± 0.0141 |") and "0.2500 ± 0.0707" in lines[-2]
    assert lines[-1].startswith("| 0.5 | mean ± std | 0.9700 ± 0.0000 |") and "0.9250 ± 0.0354" in lines[-1]
