"""Re-evaluate the champion model on this run's test split: the regression gate's fair baseline.

The TFX Evaluator validates a candidate against a baseline *model* that it evaluates on the same eval
data as the candidate, rather than against numbers recorded earlier. The committed
``champion/metrics.json`` was measured when the champion was promoted, possibly on another test split
(a retrain on labelled feedback re-splits the data) and on another machine (latency), so comparing with
it can fail a candidate that is as good as the champion, or pass a worse one. Here the committed
champion model goes through exactly the measurement the candidate gets (:func:`measure_artifact`, same
split, robustness, slices and latency, in the same run). The two models' latencies are then timed again
interleaved (:func:`~prunegate.core.profiling.measure_latency_paired`), and the gate compares those: two
passes timed seconds apart on a shared machine differ by more than any latency threshold worth having.
"""

from __future__ import annotations

import logging
from typing import Any

from prunegate.core.profiling import measure_latency_paired
from prunegate.core.quantization import build_module_for
from prunegate.core.serialization import ModelArtifact
from prunegate.data.features import PreparedSplits
from prunegate.errors import ChampionMismatchError
from prunegate.gate.baseline import PAIRED_CANDIDATE_TIMINGS
from prunegate.pipelines.evaluation.measure import TestSplit, measure_artifact

__all__ = ["CHAMPION_NAME", "evaluate_champion"]

logger = logging.getLogger(__name__)

CHAMPION_NAME = "champion"
_SHOWN_DIFFERENCES = 3


def evaluate_champion(
    champion_model: ModelArtifact | None,
    candidate_model: ModelArtifact,
    split: TestSplit,
) -> dict[str, Any]:
    """The champion's metrics measured exactly like the candidate's, or ``{}`` without a champion model.

    ``{}`` rather than None because Kedro refuses to save None; the empty JSON object overwrites the
    metrics of an earlier run (a stale file is never used) and the gate reads it as "no re-evaluated
    champion", falling back to ``champion/metrics.json``.

    Returns:
        ``{"model": "champion", ...}`` with the candidate's keys (including the test split fingerprint),
        its ``latency_*`` timed interleaved with ``candidate_model``, whose own timings from that
        measurement are under :data:`PAIRED_CANDIDATE_TIMINGS`; or ``{}`` when ``champion_model`` is
        None (no champion yet, or promoted before model files were kept).

    Raises:
        ChampionMismatchError: the champion was trained on other feature columns or classes than this
            run's data, so it cannot be measured on it.
    """
    if champion_model is None:
        logger.info("no champion model file: the gate falls back to the committed champion metrics")
        return {}
    _check_same_task(champion_model, split.data)
    metrics, _ = measure_artifact(champion_model, split)
    champion_timings, candidate_timings = _paired_timings(champion_model, candidate_model, split)
    metrics.update(champion_timings)
    metrics[PAIRED_CANDIDATE_TIMINGS] = candidate_timings
    logger.info(
        "champion re-evaluated on this run's test split: accuracy %.4f, ece %.4f",
        metrics["accuracy"],
        metrics["ece"],
    )
    return {"model": CHAMPION_NAME, **metrics}


def _paired_timings(
    champion: ModelArtifact, candidate: ModelArtifact, split: TestSplit
) -> tuple[dict[str, float], dict[str, float]]:
    """``latency_ms_p50_b{batch}`` / ``latency_ms_p95_b{batch}`` of both models, timed interleaved."""
    models = {"champion": build_module_for(champion), "candidate": build_module_for(candidate)}
    settings = split.profiling
    timings: dict[str, dict[str, float]] = {name: {} for name in models}
    for batch in settings.latency_batches:
        measured = measure_latency_paired(
            models,
            (split.data.test[0].shape[1],),
            batch,
            warmup=settings.warmup,
            repeats=settings.repeats,
            threads=settings.threads,
        )
        for name, latency in measured.items():
            timings[name][f"latency_ms_p50_b{batch}"] = latency["p50_ms"]
            timings[name][f"latency_ms_p95_b{batch}"] = latency["p95_ms"]
    return timings["champion"], timings["candidate"]


def _check_same_task(champion: ModelArtifact, data: PreparedSplits) -> None:
    """Refuse a champion whose inputs or outputs are not this run's, with what differs."""
    expected = {"feature_names": data.feature_names, "class_names": data.encoding.class_names}
    problems = []
    for key, ours in expected.items():
        theirs = champion.metadata.get(key)
        if theirs is not None and list(theirs) != list(ours):
            differing = [f"{a!r} vs {b!r}" for a, b in zip(theirs, ours, strict=False) if a != b]
            shown = "; ".join(differing[:_SHOWN_DIFFERENCES]) or "one list is a prefix of the other"
            problems.append(f"{key}: {len(theirs)} in the champion vs {len(ours)} here ({shown})")
    if champion.spec.in_features != len(data.feature_names):
        problems.append(f"in_features: {champion.spec.in_features} vs {len(data.feature_names)} here")
    if champion.spec.num_classes != len(data.encoding.classes):
        problems.append(f"num_classes: {champion.spec.num_classes} vs {len(data.encoding.classes)} here")
    if problems:
        raise ChampionMismatchError(
            "the champion model (champion/model.pt) cannot be evaluated on this run's data: "
            + "; ".join(problems)
            + ". A change of features or classes is a new task: the old champion is no baseline for it."
        )
