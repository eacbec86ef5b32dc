"""The metric names a gate check may name: what the evaluation writes for every model.

A misspelt metric (``macss``) used to reach the gate stage, fail closed there as "missing in candidate"
and leave the run NOT BLESSED after DVC had removed the last good ``shipped.pt``. Checked with the other
parameters before any stage runs, it is refused with the name it was likely meant as. The names follow
the evaluation's flat metrics (``ARCHITECTURE.md``, "Contracts"); a test holds them against a real
evaluation's output, so a new metric there fails the test until it is listed here.
"""

from __future__ import annotations

import difflib
import re

__all__ = ["METRIC_NAMES", "METRIC_PATTERNS", "check_metric_name"]

METRIC_NAMES = frozenset(
    {
        "accuracy", "f1_macro", "precision_macro", "recall_macro", "ece", "log_loss",
        "macs", "params", "nonzero_params", "size_bytes", "size_bytes_zlib",
        "estimated_energy_uj", "measured_energy_uj", "test_rows",
    }
)  # fmt: skip
_NUMBER = r"\d+(?:\.\d+)?"
METRIC_PATTERNS = {  # families whose names carry a setting: noise sigma, FGSM epsilon, OOD set, batch
    f"accuracy_noise_{_NUMBER}": "accuracy_noise_<sigma> (evaluation.noise_sigmas)",
    f"accuracy_fgsm_{_NUMBER}": "accuracy_fgsm_<epsilon> (evaluation.fgsm_epsilons)",
    r"ood_(?:auroc|fpr95)_(?:msp|energy)(?:_[a-z0-9]+)?": "ood_<auroc|fpr95>_<msp|energy>[_<set>]",
    r"latency_ms_p(?:50|95|99)_b\d+": "latency_ms_p50_b<batch> (profiling.batch_sizes)",
}


def check_metric_name(name: str) -> str:
    """``name`` when the evaluation writes such a metric.

    Raises:
        ValueError: naming the metric, the likely intended one and the families known.
    """
    if name in METRIC_NAMES or any(re.fullmatch(pattern, name) for pattern in METRIC_PATTERNS):
        return name
    meant = difflib.get_close_matches(name, sorted(METRIC_NAMES), n=1)
    if meant:
        raise ValueError(f"unknown metric {name!r}; did you mean '{meant[0]}'?")
    known = ", ".join([*sorted(METRIC_NAMES), *METRIC_PATTERNS.values()])
    raise ValueError(f"unknown metric {name!r} (known: {known})")
