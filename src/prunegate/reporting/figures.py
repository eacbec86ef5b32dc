"""Report figures: accuracy vs cost per method, reliability diagram, confusion matrix (headless)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["accuracy_plot", "confusion_plot", "reliability_plot"]


def accuracy_plot(
    table: pd.DataFrame,
    x: str,
    x_label: str,
    dense_accuracy: float,
    dense_band: tuple[float, float] | None = None,
    log_x: bool = False,
) -> Figure:
    """Test accuracy against ``x`` for each method in ``table``, with the dense model as a reference line.

    With ``accuracy_low`` / ``accuracy_high`` columns each point carries its 95% interval as an error bar,
    and points whose interval holds the dense accuracy (``within_noise_of_dense``) are drawn hollow: their
    difference from dense is inside the noise of this test split. ``dense_band`` shades dense's own
    interval.
    """
    figure, axes = plt.subplots(figsize=(7, 4.5))
    has_intervals = {"accuracy_low", "accuracy_high"} <= set(table.columns)
    for method, rows in table.sort_values(x).groupby("method", sort=True):
        if not has_intervals:
            axes.plot(rows[x], rows["accuracy"], marker="o", label=method)
            continue
        accuracy = rows["accuracy"].to_numpy()
        errors = [accuracy - rows["accuracy_low"].to_numpy(), rows["accuracy_high"].to_numpy() - accuracy]
        line = axes.errorbar(rows[x].to_numpy(), accuracy, yerr=errors, marker="o", capsize=3, label=method)
        if "within_noise_of_dense" in rows:
            inside = rows[rows["within_noise_of_dense"].astype(bool)]
            axes.plot(
                inside[x].to_numpy(),
                inside["accuracy"].to_numpy(),
                "o",
                markerfacecolor="white",
                color=line.lines[0].get_color(),
                zorder=line.lines[0].get_zorder() + 1,  # above the errorbar's filled marker, or it hides
            )
    axes.axhline(dense_accuracy, color="black", linestyle="--", linewidth=1, label="dense")
    if dense_band is not None:
        axes.axhspan(*dense_band, color="black", alpha=0.08, label="dense 95% interval")
    if has_intervals:
        axes.set_title("95% intervals; hollow: difference from dense inside the noise", fontsize=9)
    if log_x:
        axes.set_xscale("log")
    axes.set_xlabel(x_label)
    axes.set_ylabel("test accuracy")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


FEW_SAMPLES = 10  # a bin with fewer samples than this says little about calibration


def reliability_plot(reliability: pd.DataFrame, title: str) -> Figure:
    """Reliability diagram (Guo et al., 2017, Fig. 1): accuracy per confidence bin, and how many samples.

    Each non-empty bin is one point at its mean confidence, its area growing with its sample count and
    labelled with it; points are not joined (a line between a 1-sample bin and a 247-sample bin suggests a
    trend that is not there). Bins with fewer than ``FEW_SAMPLES`` samples are hollow. Below, the sample
    count per bin, as in Guo et al.'s confidence histogram: on a well-trained model most samples sit in the
    last bin, and the diagram above is read with that in mind.
    """
    figure, (axes, counts) = plt.subplots(
        2, 1, figsize=(4.5, 5.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    axes.plot([0, 1], [0, 1], color="black", linestyle="--", linewidth=1, label="perfect calibration")
    if not reliability.empty:
        total = int(reliability["count"].sum())
        sizes = 20 + 400 * reliability["count"] / max(1, total)
        few = reliability["count"] < FEW_SAMPLES
        color = "tab:blue"
        axes.scatter(
            reliability.loc[~few, "confidence"],
            reliability.loc[~few, "accuracy"],
            s=sizes[~few],
            color=color,
            label=f"bin (>= {FEW_SAMPLES} samples)",
        )
        axes.scatter(
            reliability.loc[few, "confidence"],
            reliability.loc[few, "accuracy"],
            s=sizes[few],
            facecolors="white",
            edgecolors=color,
            label=f"bin (< {FEW_SAMPLES} samples)",
        )
        for confidence, accuracy, count in reliability[["confidence", "accuracy", "count"]].itertuples(
            index=False
        ):
            axes.annotate(
                f"n={count}", (confidence, accuracy), textcoords="offset points", xytext=(4, -10), fontsize=7
            )
        counts.bar(reliability["confidence"], reliability["count"], width=0.03, color=color)
        counts.set_yscale("log")
    axes.set_xlim(0, 1.12)
    axes.set_ylim(-0.05, 1.08)
    axes.set_ylabel("accuracy")
    axes.set_title(title)
    axes.legend(fontsize=7, loc="upper left", markerscale=0.5)
    counts.set_xlabel("confidence")
    counts.set_ylabel("samples (log)")
    figure.tight_layout()
    return figure


def confusion_plot(confusion: pd.DataFrame, title: str) -> Figure:
    """Confusion matrix counts from one (actual, predicted) row per test sample."""
    counts = pd.crosstab(confusion["actual"], confusion["predicted"])
    labels = sorted(set(counts.index) | set(counts.columns), key=str)
    counts = counts.reindex(index=labels, columns=labels, fill_value=0)
    figure, axes = plt.subplots(figsize=(5.5, 5))
    axes.imshow(counts.to_numpy(), cmap="Blues")
    axes.set_xticks(range(len(labels)), labels=labels)
    axes.set_yticks(range(len(labels)), labels=labels)
    for row in range(len(labels)):
        for column in range(len(labels)):
            value = counts.iat[row, column]
            if value:
                axes.text(column, row, str(value), ha="center", va="center", fontsize=7)
    axes.set_xlabel("predicted")
    axes.set_ylabel("actual")
    axes.set_title(title)
    figure.tight_layout()
    return figure
