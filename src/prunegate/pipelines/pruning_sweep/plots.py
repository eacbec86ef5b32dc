"""Accuracy-vs-cost figures of a sweep, one line per method (matplotlib, headless)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["accuracy_plot"]


def accuracy_plot(
    table: pd.DataFrame, x: str, x_label: str, dense_accuracy: float, log_x: bool = False
) -> Figure:
    """Test accuracy against ``x`` for each method in ``table``, with the dense model as a reference line."""
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for method, rows in table.sort_values(x).groupby("method", sort=True):
        axes.plot(rows[x], rows["accuracy"], marker="o", label=method)
    axes.axhline(dense_accuracy, color="black", linestyle="--", linewidth=1, label="dense")
    if log_x:
        axes.set_xscale("log")
    axes.set_xlabel(x_label)
    axes.set_ylabel("test accuracy")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure
