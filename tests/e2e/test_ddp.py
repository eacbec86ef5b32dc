"""Training, pruning fine-tuning and distillation with 2 DDP processes (gloo, CPU) through `kedro run`."""

import json

import pytest
from tests.e2e.conftest import run

from prunegate.core.serialization import load_artifact

pytestmark = pytest.mark.slow

CHAIN = "ingestion,validation,training,pruning,distillation"
SHORT = (
    "training.epochs=25,training.show_progress=false,pruning.finetune.epochs=30,distillation.epochs=30,"
    "distillation.compare_with_scratch=false,profiling.repeats=3"
)
TWO_PROCESSES = (
    "training.distributed.nproc_per_node=2,pruning.finetune.distributed.nproc_per_node=2,"
    "distillation.distributed.nproc_per_node=2"
)
# 2 processes see the rows in another order than 1 (each its DistributedSampler shard, half the batch):
# the same recipe, not the same numbers. 3 pp is 10 rows of the digits' 360 test rows.
ACCURACY_TOLERANCE = 0.03
MODELS = ("dense", "pruned", "distilled")


def _accuracies(project) -> dict[str, float]:
    return {
        name: json.loads((project / f"data/08_reporting/{name}_metrics.json").read_text())["accuracy"]
        for name in MODELS
    }


def test_two_ddp_processes_train_prune_and_distill_like_one(project):
    single = run(["kedro", "run", "--pipelines", CHAIN, "--params", SHORT], project)
    assert single.returncode == 0, single.stdout + single.stderr
    one_process = _accuracies(project)
    models = sorted(path.name for path in (project / "data/06_models").iterdir())

    ddp = run(["kedro", "run", "--pipelines", CHAIN, "--params", f"{SHORT},{TWO_PROCESSES}"], project)
    log = ddp.stdout + ddp.stderr
    assert ddp.returncode == 0, log
    assert log.count("DDP: 2 process(es) x 1 host(s), backend gloo") == 3  # training, fine-tune, distillation
    assert "[rank 0] INFO prunegate.core.training: train dense: best epoch" in log
    assert "[rank 1] INFO" not in log  # only rank 0 logs progress
    # rank 0 alone hands back the models: one artifact each, nothing written per rank
    assert sorted(path.name for path in (project / "data/06_models").iterdir()) == models
    two_processes = _accuracies(project)
    for name in MODELS:
        difference = abs(two_processes[name] - one_process[name])
        assert difference <= ACCURACY_TOLERANCE, (name, one_process, two_processes)
    pruned = load_artifact(project / "data/06_models/pruned.pt")
    assert pruned.pruning_history and pruned.build_module() is not None


def test_a_bad_distributed_setting_names_the_key_before_any_work(project):
    command = ["kedro", "run", "--pipelines", "training", "--params", "training.distributed.nnodes=2"]
    result = run(command, project)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "training.distributed" in output and "rdzv_endpoint" in output
    assert "Traceback" not in output
