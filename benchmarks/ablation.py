"""Ablation of the shipped pruning recipe: one component removed or swapped at a time, over seeds.

Which parts of ``conf/base/parameters_pruning.yml``'s recipe earn their place? Each variant changes one
component of the shipped recipe and keeps everything else (same dense model, split, MAC budget and
fine-tuning budget per seed; Blalock et al., 2020, "What is the State of Neural Network Pruning?"):

- ``no fine-tuning``: the cuts alone (fine-tuning epochs 0);
- ``distillation``: fine-tuning also learns the dense model's softened predictions (Hinton et al., 2015;
  ``finetune.distillation: dense``), or without it if the shipped recipe distils;
- ``sparsity regularisation``: the dense model trained with a group-lasso penalty on its prunable
  channels first (Wen et al., 2016, "Learning Structured Sparsity in Deep Neural Networks"; strength
  ``--regularisation-strength``), or without the shipped ``training.regularization`` if it has one;
- ``criterion``: the other of ``taylor`` / ``magnitude_l2`` (Molchanov et al., 2019; Li et al., 2017);
- ``allocation``: ``sensitivity`` for ``uniform`` (or back);
- ``schedule``: ``one_shot`` for ``iterative`` (or back).

Every model is measured on the test split: accuracy, MACs and out-of-distribution AUROC
(:mod:`prunegate.core.ood`, the same three OOD sets as the evaluation pipeline), so the run also answers
issue 12's OOD target: the 10x-pruned model's OOD AUROC within 0.02 of the dense model's.

Usage: ``python -m benchmarks.ablation`` (``make ablation``; ``--quick`` is a smoke run).
Writes ``data/08_reporting/ablation.{json,md,png}``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from benchmarks.ablation_report import DENSE, SHIPPED, ablation_plot, render_report, summarise
from benchmarks.benchmark_splits import (
    BENCHMARK_MODELS,
    Split,
    bench_arguments,
    model_and_splits,
    quiet_logging,
)
from benchmarks.common import load_parameters, write_json
from benchmarks.recipes import shipped_recipe
from prunegate.core.distillation import SoftTargets
from prunegate.core.models import ModelSpec, build_model
from prunegate.core.ood import ood_inputs, ood_metrics
from prunegate.core.profiling import count_macs
from prunegate.core.pruning.regularization import Penalty, get_regularizer
from prunegate.core.pruning.structured_recipe import StructuredRecipe, run_structured_pruning
from prunegate.core.training import (
    TrainConfig,
    fit_standardization,
    seed_everything,
    split_accuracy,
    train_model,
)

__all__ = ["AblationConfig", "main", "run_seed", "variants"]

logger = logging.getLogger(__name__)

REGULARISATION = "sparsity regularisation"
_OTHER_CRITERION = {"taylor": "magnitude_l2", "magnitude_l2": "taylor"}
_OTHER_ALLOCATION = {"uniform": "sensitivity", "sensitivity": "uniform", "global": "uniform"}


@dataclass(frozen=True)
class AblationConfig:
    """What one ablation run measures (from the command line)."""

    models: tuple[str, ...] = ("resnet1d",)
    seeds: tuple[int, ...] = (0, 1, 2)
    reduction: float = 0.9
    dense_epochs: int = 30
    finetune_epochs: int = 15
    regularisation: str = "group_lasso"
    regularisation_strength: float = 5e-4
    rows: int | None = None


Variant = Callable[[StructuredRecipe], StructuredRecipe]


def variants(pruning: dict[str, Any], distillation: dict[str, Any]) -> dict[str, Variant]:
    """Each variant's name and how it changes the shipped recipe (the regularised one changes the dense
    model instead, see :func:`run_seed`)."""
    criterion = _OTHER_CRITERION.get(pruning["criterion"], "magnitude_l2")
    allocation = _OTHER_ALLOCATION[pruning["allocation"]]
    one_shot = pruning["schedule"] != "one_shot"
    distils = pruning["finetune"].get("distillation", "none") != "none"
    soft = SoftTargets(temperature=distillation["temperature"], alpha=distillation["alpha"])
    return {
        SHIPPED: lambda recipe: recipe,
        "no fine-tuning": lambda recipe: replace(recipe, finetune=replace(recipe.finetune, epochs=0)),
        ("without distillation" if distils else "with distillation from dense"): lambda recipe: replace(
            recipe, soft_targets=None if distils else soft
        ),
        f"criterion {criterion}": lambda recipe: replace(recipe, criterion=criterion),
        f"allocation {allocation}": lambda recipe: replace(recipe, allocation=allocation),
        ("schedule one_shot" if one_shot else "schedule iterative"): lambda recipe: replace(
            recipe,
            schedule="one_shot" if one_shot else "iterative",
            steps=1 if one_shot else max(pruning["steps"], 3),
        ),
    }


def _regularisation(
    training: dict[str, Any], config: AblationConfig
) -> tuple[Penalty | None, Penalty | None]:
    """The shipped dense model's penalty and the variant's: the shipped one removed, or one added."""
    shipped = training.get("regularization", {"kind": "none"})
    if shipped["kind"] != "none":
        return get_regularizer(shipped["kind"], shipped["strength"]), None
    return None, get_regularizer(config.regularisation, config.regularisation_strength)


def _dense(
    spec: ModelSpec, train: Split, val: Split, config: AblationConfig, seed: int, regularizer: Penalty | None
) -> nn.Module:
    seed_everything(seed)
    model = build_model(spec)
    fit_standardization(model, train[0])
    train_model(
        model,
        train,
        val,
        TrainConfig(epochs=config.dense_epochs, seed=seed, show_progress=False),
        regularizer=regularizer,
        description="dense",
    )
    return model


def run_seed(
    config: AblationConfig, name: str, seed: int, params: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The dense model and every variant of one model and seed, measured on the test split.

    Args:
        params: the ``pruning``, ``distillation`` and ``training`` sections of the parameters.
    """
    pruning = params["pruning"]
    train, val, test, spec = model_and_splits(name, seed, config.rows)
    shape = (spec.in_features,)
    outside = ood_inputs(test[0], seed=seed)
    calibration = (train[0][:512], train[1][:512])
    base = {"model": name, "dataset": BENCHMARK_MODELS[name][0], "seed": seed, "test_rows": len(test[1])}

    def measured(method: str, module: nn.Module) -> dict[str, Any]:
        ood = ood_metrics(module, test[0], outside)
        row = {
            **base,
            "method": method,
            "macs": count_macs(module, shape),
            "params": sum(p.numel() for p in module.parameters()),
            "accuracy": split_accuracy(module, test),
            "val_accuracy": split_accuracy(module, val),
            "ood_auroc_msp": ood["ood_auroc_msp"],
            "ood_auroc_energy": ood["ood_auroc_energy"],
            **{key: value for key, value in ood.items() if key.startswith("ood_auroc_")},  # per OOD set
        }
        logger.info(
            "%s seed %d %-32s accuracy %.4f, MACs %s, OOD AUROC msp %.3f",
            name, seed, method, row["accuracy"], f"{row['macs']:,}", row["ood_auroc_msp"],
        )  # fmt: skip
        return row

    recipe = shipped_recipe(
        pruning, reduction=config.reduction, finetune_epochs=config.finetune_epochs, seed=seed
    )
    shipped_penalty, variant_penalty = _regularisation(params["training"], config)
    regularisation = f"{'with' if variant_penalty else 'without'} {REGULARISATION}"

    dense = _dense(spec, train, val, config, seed, shipped_penalty)
    rows = [measured(DENSE, dense)]
    for method, change in variants(pruning, params["distillation"]).items():
        pruned = run_structured_pruning(dense, spec, train, val, change(recipe), calibration=calibration)
        rows.append(measured(method, pruned.module))
    other_dense = _dense(spec, train, val, config, seed, variant_penalty)
    rows.append(measured(f"{DENSE} {regularisation}", other_dense))
    pruned = run_structured_pruning(other_dense, spec, train, val, recipe, calibration=calibration)
    rows.append(measured(regularisation, pruned.module))
    return rows


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_arguments(__doc__.splitlines()[0], AblationConfig.models, AblationConfig.dense_epochs)
    parser.add_argument("--reduction", type=float, default=AblationConfig.reduction)
    parser.add_argument("--finetune-epochs", type=int, default=AblationConfig.finetune_epochs)
    parser.add_argument(
        "--regularisation-strength", type=float, default=AblationConfig.regularisation_strength
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    quiet_logging()
    args = _arguments(argv)
    config = AblationConfig(
        models=tuple(args.models),
        seeds=tuple(args.seeds),
        reduction=args.reduction,
        dense_epochs=args.dense_epochs,
        finetune_epochs=args.finetune_epochs,
        regularisation_strength=args.regularisation_strength,
    )
    if args.quick:
        config = replace(config, seeds=config.seeds[:1], dense_epochs=1, finetune_epochs=3, rows=600)
    torch.set_num_threads(1)
    project = Path.cwd()
    params = {
        section: load_parameters(project, section) for section in ("pruning", "distillation", "training")
    }
    rows = [
        row for name in config.models for seed in config.seeds for row in run_seed(config, name, seed, params)
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "ablation_quick" if args.quick else "ablation"  # a smoke run never replaces the study's files
    write_json({"config": asdict(config), "rows": rows}, args.out / f"{stem}.json")  # kept if a report fails
    summary = summarise(rows)
    figure = ablation_plot(summary)
    figure.savefig(args.out / f"{stem}.png", dpi=110, bbox_inches="tight")
    report = render_report(config, summary)
    if args.quick:
        report = (
            f"> **Smoke run** (`--quick`: {config.rows} rows, 1 seed, {config.dense_epochs} dense epoch): it "
            "checks that the study runs; its numbers mean nothing. The study is `make ablation`.\n\n" + report
        )
    write_json({"config": asdict(config), "rows": rows, "summary": summary}, args.out / f"{stem}.json")
    (args.out / f"{stem}.md").write_text(report)
    logger.info("%s", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
