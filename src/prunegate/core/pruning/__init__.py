"""Pruning: importance criteria, unstructured masks, schedules and sparsity regularisation.

Criteria, schedules and regularisers are chosen by name from registries (:func:`get_criterion`,
:func:`get_schedule`, :func:`get_regularizer`); unknown names raise ``ValueError`` listing known ones.
"""

from prunegate.core.pruning.criteria import (
    CRITERIA,
    SNIP,
    ActivationMean,
    Calibration,
    ImportanceCriterion,
    MagnitudeL1,
    MagnitudeL2,
    OptimalBrainDamage,
    TaylorFirstOrder,
    get_criterion,
)
from prunegate.core.pruning.layers import prunable_layers
from prunegate.core.pruning.names import NameTable
from prunegate.core.pruning.regularization import (
    REGULARIZERS,
    Penalty,
    get_regularizer,
    group_lasso_penalty,
    l1_penalty,
    no_penalty,
)
from prunegate.core.pruning.schedules import (
    SCHEDULES,
    Schedule,
    cubic_sparsity,
    get_schedule,
    gradual,
    iterative,
    one_shot,
)
from prunegate.core.pruning.unstructured import (
    MaskEnforcer,
    SparsityReport,
    apply_masks,
    global_masks,
    layerwise_masks,
    prune_unstructured,
    sparsity_of,
)

__all__ = [
    "CRITERIA",
    "REGULARIZERS",
    "SCHEDULES",
    "SNIP",
    "ActivationMean",
    "Calibration",
    "ImportanceCriterion",
    "MagnitudeL1",
    "MagnitudeL2",
    "MaskEnforcer",
    "NameTable",
    "OptimalBrainDamage",
    "Penalty",
    "Schedule",
    "SparsityReport",
    "TaylorFirstOrder",
    "apply_masks",
    "cubic_sparsity",
    "get_criterion",
    "get_regularizer",
    "get_schedule",
    "global_masks",
    "gradual",
    "group_lasso_penalty",
    "iterative",
    "l1_penalty",
    "layerwise_masks",
    "no_penalty",
    "one_shot",
    "prunable_layers",
    "prune_unstructured",
    "sparsity_of",
]
