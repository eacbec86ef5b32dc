"""The accuracy-vs-cost plot shows each point's interval and marks differences inside the noise."""

import pandas as pd
from matplotlib.container import ErrorbarContainer

from prunegate.reporting.figures import accuracy_plot
from prunegate.reporting.intervals import wilson_interval


def _table() -> pd.DataFrame:
    rows = []
    for method, accuracies in {"a": [0.97, 0.90], "b": [0.975, 0.96]}.items():
        for macs, accuracy in zip([1000, 100], accuracies, strict=True):
            low, high = wilson_interval(accuracy, 270)
            rows.append({"method": method, "macs": macs, "accuracy": accuracy, "accuracy_low": low,
                         "accuracy_high": high, "within_noise_of_dense": low <= 0.974 <= high})  # fmt: skip
    return pd.DataFrame(rows)


def test_every_point_has_an_error_bar_and_the_noisy_ones_are_hollow():
    table = _table()
    figure = accuracy_plot(table, "macs", "MACs", 0.974, wilson_interval(0.974, 270), log_x=True)
    axes = figure.axes[0]
    bars = [c for c in axes.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 2  # one per method
    hollow = [line for line in axes.lines if line.get_markerfacecolor() == "white"]
    assert sum(len(line.get_xdata()) for line in hollow) == int(table["within_noise_of_dense"].sum()) == 3
    filled = [line for line in axes.lines if line.get_marker() == "o" and line not in hollow]
    # drawn above the filled markers of the error bars, or they hide the hollow ones
    assert min(line.get_zorder() for line in hollow) > max(line.get_zorder() for line in filled)
    assert "inside the noise" in axes.get_title()


def test_a_table_without_intervals_still_plots():
    table = _table().drop(columns=["accuracy_low", "accuracy_high", "within_noise_of_dense"])
    axes = accuracy_plot(table, "macs", "MACs", 0.974).axes[0]
    assert len(axes.lines) >= 2 and not axes.containers
