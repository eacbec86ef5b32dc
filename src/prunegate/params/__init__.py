"""Typed, validated parameters of each pipeline (one module per ``conf/base/parameters_<name>.yml``).

Each node validates its ``params:<section>`` dict here before doing any work; unknown keys, wrong types
and out-of-range values fail with :class:`ConfigError` naming the key.
"""

from prunegate.params.base import ConfigError, parse_params
from prunegate.params.distillation import DistillationParams
from prunegate.params.evaluation import EvaluationParams
from prunegate.params.ingestion import IngestionParams
from prunegate.params.monitoring import MonitoringParams
from prunegate.params.packaging import PackagingParams
from prunegate.params.profiling import ProfilingParams
from prunegate.params.pruning import PruningParams
from prunegate.params.sweep import SweepParams
from prunegate.params.training import TrainingParams

__all__ = [
    "SECTION_MODELS",
    "ConfigError",
    "DistillationParams",
    "EvaluationParams",
    "IngestionParams",
    "MonitoringParams",
    "PackagingParams",
    "ProfilingParams",
    "PruningParams",
    "SweepParams",
    "TrainingParams",
    "parse_params",
]

# each parameters section -> the model a node's ``params:<section>`` input is typed with
SECTION_MODELS = {
    model.section: model
    for model in (
        IngestionParams,
        TrainingParams,
        ProfilingParams,
        PruningParams,
        SweepParams,
        DistillationParams,
        EvaluationParams,
        PackagingParams,
        MonitoringParams,
    )
}
