"""Nodes of the gate pipeline: bless or refuse the candidate, then ship only a blessed model."""

from __future__ import annotations

import logging
from typing import Any

from prunegate.core.serialization import ModelArtifact
from prunegate.errors import NotBlessedError
from prunegate.gate import bless, compare_to_baseline, parse_gate_config, render_gate_report

logger = logging.getLogger(__name__)

# report links, relative to data/08_reporting where the report is written
PLOT_LINKS = {
    "confusion matrix": "candidate_confusion.png",
    "reliability diagram": "candidate_reliability.png",
    "accuracy vs parameters removed": "sweep_accuracy_vs_sparsity.png",
    "accuracy vs MACs": "sweep_accuracy_vs_macs.png",
}


def gate_candidate(
    candidate_metrics: dict[str, Any],
    evaluation_metrics: dict[str, Any],
    champion_metrics: dict[str, Any] | None,
    gates: dict[str, Any],
) -> tuple[dict[str, Any], str]:
    """Compare the candidate with the dense model of this run and with the champion; never raises.

    Returns:
        The blessing (``blessed`` plus one row per check) and its markdown report.
    """
    config = parse_gate_config(gates, "conf/base/gates.yml")
    candidate = candidate_metrics["model"]
    results = [
        compare_to_baseline(
            candidate_metrics, evaluation_metrics["dense"], config.compression, "compression"
        ),
        compare_to_baseline(candidate_metrics, champion_metrics, config.regression, "regression"),
    ]
    blessing = bless(results, candidate)
    if champion_metrics is not None:
        blessing["champion"] = champion_metrics.get("model")
    logger.info("gate: %s is %s", candidate, "BLESSED" if blessing["blessed"] else "NOT BLESSED")
    return blessing, render_gate_report(blessing, links=PLOT_LINKS)


def ship_if_blessed(
    blessing: dict[str, Any], gate_report: str, candidate_model: ModelArtifact
) -> ModelArtifact:
    """The candidate becomes the shipped model only when blessed; otherwise the run stops.

    ``gate_report`` is an input only so that it is saved before this node can stop the run.

    Raises:
        NotBlessedError: listing the failed checks.
    """
    if not blessing["blessed"]:
        failed = [
            f"  - {row['gate']}: {row['metric']}{'' if not row.get('slice') else ' [' + row['slice'] + ']'} "
            f"{row['candidate']} vs {row['baseline']} ({row['threshold']}): {row['reason']}"
            for gate in blessing["gates"].values()
            for row in gate["rows"]
            if not row["passed"]
        ]
        raise NotBlessedError(
            f"{blessing['candidate']} is NOT BLESSED; it is not shipped. Failed checks:\n"
            + "\n".join(failed)
            + "\nReport: data/08_reporting/gate_report.md"
        )
    return ModelArtifact(
        spec=candidate_model.spec,
        state_dict=candidate_model.state_dict,
        metadata={**candidate_model.metadata, "blessed": True},
    )
