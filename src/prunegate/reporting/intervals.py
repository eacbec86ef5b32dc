"""Confidence intervals for accuracies measured on a finite number of rows.

Wilson score intervals (Wilson, 1927, "Probable Inference, the Law of Succession, and Statistical
Inference"): they stay inside [0, 1] and behave on small slices and near 100 % accuracy, where the normal
approximation collapses to a zero-width interval.
"""

from __future__ import annotations

import math

__all__ = ["wilson_interval"]

_Z95 = 1.959963984540054


def wilson_interval(accuracy: float, rows: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``accuracy`` observed on ``rows`` rows (95 % by default)."""
    if rows <= 0:
        return (0.0, 1.0)
    centre = (accuracy + z * z / (2 * rows)) / (1 + z * z / rows)
    half = z * math.sqrt(accuracy * (1 - accuracy) / rows + z * z / (4 * rows * rows)) / (1 + z * z / rows)
    # the interval always holds the observed proportion (rounding could leave 1.0 just outside it)
    return (max(0.0, min(accuracy, centre - half)), min(1.0, max(accuracy, centre + half)))
