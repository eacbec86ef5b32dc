"""DDP through torchrun's launcher: 2 CPU processes train one model, rank 0's result comes back."""

import pytest
import torch
import torch.distributed as dist
from tests.conftest import shipped_params

from prunegate.core.distributed import (
    DistributedLaunchError,
    DistributedSettings,
    process_group_world,
    run_distributed,
)
from prunegate.core.models import build_model
from prunegate.core.models.mlp import MLPSpec
from prunegate.core.training import TrainConfig, fit_standardization, seed_everything, train_model
from prunegate.params import ConfigError, TrainingParams, parse_params

TWO = DistributedSettings(nproc_per_node=2)


def _blobs(rows: int = 600, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(rows) % 3
    centres = torch.tensor([[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0]])
    return centres[labels] + torch.randn(rows, 4, generator=generator), labels


class _CountingMLP(torch.nn.Module):
    """An MLP that counts the training rows its forward pass sees."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = build_model(MLPSpec(in_features=4, num_classes=3, hidden=(16,)))
        self.standardize = self.inner.standardize
        self.rows_seen = 0

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.rows_seen += len(inputs)
        return self.inner(inputs)


def _train_and_report() -> dict:
    """One rank: train, then gather every rank's weights checksum and the rows it trained on."""
    features, labels = _blobs()
    seed_everything(0)
    model = _CountingMLP()
    fit_standardization(model, features[:400])
    config = TrainConfig(epochs=4, batch_size=32, patience=10, show_progress=False)
    result = train_model(model, (features[:400], labels[:400]), (features[400:], labels[400:]), config)
    checksum = torch.tensor([float(sum(p.double().sum() for p in model.parameters()))], dtype=torch.float64)
    rows = torch.tensor([float(model.rows_seen)], dtype=torch.float64)
    checksums = [torch.zeros(1, dtype=torch.float64) for _ in range(2)]
    counts = [torch.zeros(1, dtype=torch.float64) for _ in range(2)]
    dist.all_gather(checksums, checksum)
    dist.all_gather(counts, rows)
    return {
        "world": process_group_world(),
        "checksums": [float(value) for value in checksums],
        "rows": [float(value) for value in counts],
        "epochs": len(result.history),
        "best_epoch": result.best_epoch,
        "model": model,
    }


def _fail_on_rank_one() -> None:
    if dist.get_rank() == 1:
        raise ValueError("rank one cannot go on")
    dist.barrier()


def _plain_call(value: int) -> tuple[int, object]:
    return value + 1, process_group_world()


def test_one_process_is_a_plain_call_without_a_process_group():
    assert run_distributed(_plain_call, 41, settings=DistributedSettings()) == (42, None)


def test_two_processes_share_the_rows_and_end_with_the_same_weights():
    report = run_distributed(_train_and_report, settings=TWO)
    assert report["world"] == (0, 2)  # this is rank 0's result
    first, second = report["checksums"]
    assert first == second  # gradients averaged, rank 0's kept weights broadcast: one model
    # each rank trained on its DistributedSampler half of the 400 rows, every epoch
    assert report["rows"] == [200.0 * report["epochs"]] * 2
    returned = float(sum(p.detach().double().sum() for p in report["model"].parameters()))
    assert returned == pytest.approx(first)


def test_a_failing_rank_fails_the_run_naming_the_rank_and_its_error():
    with pytest.raises(DistributedLaunchError, match=r"failed on rank 1: ValueError: rank one cannot go on"):
        run_distributed(_fail_on_rank_one, settings=TWO)


@pytest.mark.parametrize(
    ("distributed", "message"),
    [
        ({"nproc_per_node": 0}, "training.distributed.nproc_per_node"),
        ({"nnodes": 2}, "rdzv_endpoint"),
        ({"nnodes": 2, "rdzv_endpoint": "host0", "run_id": "a"}, "training.distributed.rdzv_endpoint"),
        ({"nproc_per_node": 4096}, "CPU cores"),
        ({"nprocs": 2}, "training.distributed.nprocs: unknown key"),
    ],
)
def test_a_bad_distributed_block_names_the_key(distributed, message):
    params = {**shipped_params("training"), "distributed": distributed}
    with pytest.raises(ConfigError, match=message):
        parse_params(TrainingParams, params, "training")


def test_hosts_that_cannot_meet_give_one_message_naming_the_endpoint(monkeypatch):
    from torch.distributed.elastic.rendezvous.api import RendezvousConnectionError
    from torch.distributed.launcher import api

    def unreachable(config, entrypoint):
        def launch(*args):
            raise RendezvousConnectionError("The connection to the C10d store has failed.")

        return launch

    monkeypatch.setattr(api, "elastic_launch", unreachable)
    settings = DistributedSettings(
        nproc_per_node=1, nnodes=2, rdzv_endpoint="nohost.invalid:29400", run_id="R1"
    )
    with pytest.raises(
        DistributedLaunchError, match=r"could not meet at nohost\.invalid:29400 \(run_id R1\)"
    ):
        run_distributed(_plain_call, 1, settings=settings)


def test_distributed_and_fanout_errors_are_shown_without_a_traceback():
    from prunegate.errors import find_user_error
    from prunegate.fanout import FanoutError

    for error in (DistributedLaunchError("rank 1 failed"), FanoutError("no scheduler")):
        wrapped = RuntimeError("node failed")
        wrapped.__cause__ = error
        assert find_user_error(wrapped) is error
