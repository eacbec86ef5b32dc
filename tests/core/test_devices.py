"""Where training runs: ``device`` cpu | cuda | auto, checked before any work, NCCL between GPUs."""

import pytest
import torch
from tests.conftest import shipped_params

from prunegate.core import devices
from prunegate.core.distillation import distillation_loss_fn
from prunegate.core.models import build_model
from prunegate.core.models.mlp import MLPSpec
from prunegate.core.training import TrainConfig, fit_standardization, seed_everything, train_model
from prunegate.params import ConfigError, DistillationParams, PruningParams, TrainingParams, parse_params

needs_no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")


@pytest.fixture
def two_fake_gpus(monkeypatch):
    """What torch reports on a machine with two GPUs (nothing runs on them)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)


@needs_no_gpu
def test_cuda_without_a_gpu_is_refused_naming_the_torch_build():
    with pytest.raises(ValueError, match=r"device 'cuda' needs a GPU, and this torch \(.*\) sees none"):
        devices.check_device("cuda")


@needs_no_gpu
def test_auto_trains_on_the_cpu_over_gloo_without_a_gpu():
    assert devices.resolve_device("auto") == "cpu"
    assert devices.collective_backend("auto") == "gloo"
    assert devices.training_device("auto") == torch.device("cpu")


def test_an_unknown_device_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown device 'gpu'; known: cpu, cuda, auto"):
        devices.check_device("gpu")


def test_on_gpus_each_rank_takes_its_own_gpu_and_the_ranks_talk_over_nccl(two_fake_gpus, monkeypatch):
    assert devices.collective_backend("cuda") == "nccl"
    assert devices.collective_backend("auto") == "nccl"
    assert devices.collective_backend("cpu") == "gloo"
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert devices.training_device("cuda") == torch.device("cuda", 1)
    monkeypatch.delenv("LOCAL_RANK")
    assert devices.training_device("cuda") == torch.device("cuda", 0)


def test_more_processes_than_gpus_are_refused(two_fake_gpus):
    devices.check_device("cuda", processes=2)
    with pytest.raises(ValueError, match="3 processes on device 'cuda' need a GPU each; this machine has 2"):
        devices.check_device("cuda", processes=3)


@pytest.mark.parametrize(
    ("section", "model", "path", "key"),
    [
        ("training", TrainingParams, (), "training.device"),
        ("distillation", DistillationParams, (), "distillation.device"),
        ("pruning", PruningParams, ("finetune",), "pruning.finetune.device"),
    ],
)
def test_a_device_this_machine_lacks_is_refused_naming_the_key(two_fake_gpus, section, model, path, key):
    params = shipped_params(section)
    block = params
    for step in path:
        block[step] = dict(block[step])
        block = block[step]
    block["device"] = "cuda"
    block["distributed"] = {**block["distributed"], "nproc_per_node": 2}
    parsed = parse_params(model, params, section)  # two GPUs: one per process
    owner = parsed.finetune if path else parsed
    assert owner.distributed.settings(owner.device).backend == "nccl"
    block["distributed"]["nproc_per_node"] = 3
    with pytest.raises(ConfigError, match=rf"{key}: .*3 processes on device 'cuda' need a GPU each"):
        parse_params(model, params, section)


def test_the_shipped_sections_train_on_the_cpu_over_gloo():
    for section, model in (("training", TrainingParams), ("distillation", DistillationParams)):
        parsed = parse_params(model, shipped_params(section), section)
        assert parsed.device == "cpu"
        assert parsed.distributed.settings(parsed.device).backend == "gloo"


def test_a_teacher_on_another_device_is_copied_there_once_and_left_where_it_was():
    seed_everything(0)
    teacher = build_model(MLPSpec(in_features=4, num_classes=3, hidden=(8,)))
    loss_fn = distillation_loss_fn(teacher, temperature=2.0, alpha=0.5)
    meta = torch.device("meta")  # shapes only: stands in for a GPU on a machine without one
    inputs = torch.empty(5, 4, device=meta)
    loss = loss_fn(torch.empty(5, 3, device=meta), torch.zeros(5, dtype=torch.long, device=meta), inputs)
    assert loss.device == meta
    assert all(parameter.device.type == "cpu" for parameter in teacher.parameters())
    cpu_loss = loss_fn(torch.zeros(5, 3), torch.zeros(5, dtype=torch.long), torch.randn(5, 4))
    assert cpu_loss.device.type == "cpu" and torch.isfinite(cpu_loss)


def test_auto_training_here_gives_the_same_weights_as_cpu_and_leaves_the_model_on_the_cpu():
    features = torch.randn(120, 4, generator=torch.Generator().manual_seed(1))
    labels = (features[:, 0] > 0).long()
    weights = {}
    for device in ("cpu", "auto"):
        seed_everything(0)
        model = build_model(MLPSpec(in_features=4, num_classes=2, hidden=(8,)))
        fit_standardization(model, features[:80])
        config = TrainConfig(epochs=3, batch_size=16, show_progress=False, device=device)
        train_model(model, (features[:80], labels[:80]), (features[80:], labels[80:]), config)
        assert all(parameter.device.type == "cpu" for parameter in model.parameters())
        weights[device] = [parameter.detach().clone() for parameter in model.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(weights["cpu"], weights["auto"], strict=True))


def test_auto_says_where_it_trains(caplog):
    features = torch.randn(40, 4, generator=torch.Generator().manual_seed(1))
    labels = (features[:, 0] > 0).long()
    model = build_model(MLPSpec(in_features=4, num_classes=2, hidden=(8,)))
    config = TrainConfig(epochs=1, batch_size=16, show_progress=False, device="auto")
    with caplog.at_level("INFO", logger="prunegate.core.training"):
        train_model(model, (features, labels), (features, labels), config, description="dense")
    expected = "cuda:0" if torch.cuda.is_available() else "cpu"
    assert f"dense: on {expected} (device auto)" in caplog.text
