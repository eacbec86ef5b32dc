"""What the compression benchmark measures (the grid) and the targets it checks the results against.

The grid follows Blalock et al., 2020, "What is the State of Neural Network Pruning?": several methods
at the same budgets, params *and* MACs reported, mean ± std over seeds, one fine-tuning budget for all
(the ``finetune`` block of ``conf/base/parameters_pruning.yml``). ``QUICK`` shrinks everything for a
smoke run; its epoch and profiling overrides are the only numbers that differ from the pipeline's.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FULL", "QUICK", "CompressionGrid", "Targets"]


@dataclass(frozen=True)
class CompressionGrid:
    """Methods and budgets of one benchmark run; ``None`` overrides keep the parameters files' values."""

    unstructured_criterion: str
    unstructured_sparsities: tuple[float, ...]
    structured_reductions: tuple[float, ...]
    criteria: tuple[str, ...]
    allocations: tuple[str, ...]
    # The distilled student takes this structured configuration's architecture (fresh init), and int8
    # quantization is applied to the best structured model (by validation accuracy) at this reduction.
    student_criterion: str = "taylor"
    student_allocation: str = "uniform"
    student_reduction: float = 0.9
    dense_epochs: int | None = None
    finetune_epochs: int | None = None
    distillation_epochs: int | None = None
    profiling_repeats: int | None = None
    profiling_warmup: int | None = None
    max_seeds: int | None = None

    def __post_init__(self) -> None:
        if self.student_reduction not in self.structured_reductions:
            raise ValueError(
                f"student_reduction {self.student_reduction} must be one of the structured reductions "
                f"{list(self.structured_reductions)}"
            )
        if self.student_criterion not in self.criteria or self.student_allocation not in self.allocations:
            raise ValueError(
                f"the student's configuration {self.student_criterion}/{self.student_allocation} must be "
                f"in the grid (criteria {list(self.criteria)}, allocations {list(self.allocations)})"
            )


@dataclass(frozen=True)
class Targets:
    """What "good enough" means; checked on the means over seeds, never on a single lucky seed."""

    min_mac_ratio: float = 10.0  # (a) a shipped model with at least this many times fewer MACs ...
    max_drop_pp: float = 0.5  # ... (a, b) at most this accuracy loss in percentage points
    min_sparsity: float = 0.9  # (b) unstructured sparsity of the prunable weights
    min_speedup_per_mac_ratio: float = 0.7  # (c) measured speedup / MAC ratio ...
    speedup_batch: int = 256  # ... at this batch size (one of profiling.latency_batches)


FULL = CompressionGrid(
    unstructured_criterion="magnitude_l1",
    unstructured_sparsities=(0.5, 0.8, 0.9, 0.95),
    structured_reductions=(0.5, 0.75, 0.875, 0.9),
    criteria=("magnitude_l1", "magnitude_l2", "taylor", "obd", "activation", "snip"),
    allocations=("uniform", "sensitivity"),
)

QUICK = CompressionGrid(
    unstructured_criterion="magnitude_l1",
    unstructured_sparsities=(0.9,),
    structured_reductions=(0.9,),
    criteria=("magnitude_l1", "taylor"),
    allocations=("uniform", "sensitivity"),
    dense_epochs=4,
    finetune_epochs=3,
    distillation_epochs=4,
    profiling_repeats=5,
    profiling_warmup=1,
    max_seeds=1,
)
