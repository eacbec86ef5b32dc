"""The few numbers per model that ``dvc metrics show`` / ``diff`` list: the headline of the evaluation.

Every model's full metrics (per class, per slice, calibration bins, ...) are in ``evaluation.json``; as DVC
metrics they made a table of 524 columns. This node keeps, per model, quality, calibration, robustness
and size: what a reviewer compares between two revisions. Timings are left out (they are not
reproducible; see ``data/08_reporting/measured/``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["HEADLINE_KEYS", "headline_metrics"]

HEADLINE_KEYS = ("accuracy", "f1_macro", "ece", "macs", "params", "size_bytes", "estimated_energy_uj")
_ROBUSTNESS_PREFIXES = ("accuracy_noise_", "accuracy_fgsm_")


def headline_metrics(evaluation_metrics: dict[str, Any]) -> dict[str, Any]:
    """``{model: {accuracy, f1_macro, ece, accuracy_noise_*, accuracy_fgsm_*, macs, params, size_bytes,
    estimated_energy_uj}}``."""
    return {
        model: {
            key: value
            for key, value in metrics.items()
            if key in HEADLINE_KEYS or key.startswith(_ROBUSTNESS_PREFIXES)
        }
        for model, metrics in evaluation_metrics.items()
    }
