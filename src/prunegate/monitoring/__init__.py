"""Monitoring of served traffic: read the logged window, measure drift and live accuracy, decide.

Importing this package does not import ``evidently`` (6-8 s); :func:`drift_report` imports it when run.
"""

from prunegate.monitoring.drift import DriftResult, constant_columns, drift_report
from prunegate.monitoring.live_accuracy import accuracy_of, artifact_predictor, labelled_accuracy
from prunegate.monitoring.policy import Decision, MonitoringPolicy, decide, is_dataset_drift
from prunegate.monitoring.traffic import join_feedback, read_feedback, read_prediction_log

__all__ = [
    "Decision",
    "DriftResult",
    "MonitoringPolicy",
    "accuracy_of",
    "artifact_predictor",
    "constant_columns",
    "decide",
    "drift_report",
    "is_dataset_drift",
    "join_feedback",
    "labelled_accuracy",
    "read_feedback",
    "read_prediction_log",
]
