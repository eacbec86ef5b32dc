"""The reliability diagram shows each bin's sample count, draws no line between bins, marks sparse bins."""

import pandas as pd
from matplotlib.collections import PathCollection

from prunegate.reporting.figures import FEW_SAMPLES, reliability_plot


def test_bins_are_points_labelled_with_their_counts_and_sparse_bins_are_hollow():
    bins = pd.DataFrame(
        {
            "bin": [7, 12, 14],
            "confidence": [0.5, 0.85, 0.99],
            "accuracy": [0.4, 1.0, 1.0],
            "count": [5, 18, 247],
        }
    )
    figure = reliability_plot(bins, "reliability")
    diagram, histogram = figure.axes
    assert [line.get_label() for line in diagram.lines] == ["perfect calibration"]  # no line joins the bins
    full, sparse = [c for c in diagram.collections if isinstance(c, PathCollection)]
    assert len(full.get_offsets()) == 2 and len(sparse.get_offsets()) == 1
    assert sparse.get_offsets()[0].tolist() == [0.5, 0.4] and FEW_SAMPLES > 5
    assert tuple(sparse.get_facecolors()[0][:3]) == (1.0, 1.0, 1.0)  # hollow
    assert sorted(text.get_text() for text in diagram.texts) == ["n=18", "n=247", "n=5"]
    assert [patch.get_height() for patch in histogram.patches] == [5, 18, 247]


def test_an_empty_curve_draws_only_the_diagonal():
    figure = reliability_plot(pd.DataFrame(columns=["bin", "confidence", "accuracy", "count"]), "empty")
    assert not figure.axes[0].texts and not figure.axes[1].patches
