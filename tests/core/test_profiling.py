"""Profiling: parameter, MAC and size counts, and latency statistics (never timed assertions)."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest
import torch

from prunegate.core.models import CNNSpec, MLPSpec, build_model
from prunegate.core.profiling import (
    count_macs,
    count_macs_by_module,
    count_nonzero_params,
    count_params,
    measure_latency,
    measure_latency_paired,
    median_latency_ms,
    median_model_latency_ms,
    profile_model,
    serialized_size_bytes,
)
from prunegate.core.pruning.budget import LatencyProbe, module_cost
from prunegate.core.pruning.channel_pruning import prune_channels
from prunegate.core.serialization import ModelArtifact, save_artifact

SPEC = MLPSpec(in_features=5, num_classes=3, hidden=(4, 6))


def _hand_count_params(spec: MLPSpec) -> int:
    widths = [spec.in_features, *spec.hidden, spec.num_classes]
    return sum(fan_in * fan_out + fan_out for fan_in, fan_out in pairwise(widths))


def _hand_count_macs(spec: MLPSpec) -> int:
    widths = [spec.in_features, *spec.hidden, spec.num_classes]
    return sum(fan_in * fan_out for fan_in, fan_out in pairwise(widths))


def test_param_count_matches_hand_count_and_skips_buffers() -> None:
    model = build_model(SPEC)

    assert count_params(model) == _hand_count_params(SPEC) == 5 * 4 + 4 + 4 * 6 + 6 + 6 * 3 + 3


def test_nonzero_count_falls_after_zeroing_a_row() -> None:
    torch.manual_seed(0)
    model = build_model(SPEC)
    dense = count_nonzero_params(model)
    with torch.no_grad():
        model.hidden_layers[0].weight[1].zero_()

    assert dense == count_params(model)
    assert count_nonzero_params(model) == dense - SPEC.in_features


def test_mlp_macs_equal_sum_of_linear_sizes() -> None:
    model = build_model(SPEC)

    assert count_macs(model, (SPEC.in_features,)) == _hand_count_macs(SPEC)


def test_cnn_macs_match_hand_count_per_module() -> None:
    spec = CNNSpec(in_shape=(1, 6, 6), num_classes=3, channels=(4, 5), hidden=(7,))
    model = build_model(spec)

    per_module = count_macs_by_module(model, (1, 6, 6))

    assert per_module == {
        "conv_layers.0": 6 * 6 * 4 * 1 * 9,
        "conv_layers.1": 6 * 6 * 5 * 4 * 9,
        "hidden_layers.0": 5 * 3 * 3 * 7,
        "classifier": 7 * 3,
    }
    assert count_macs(model, (1, 6, 6)) == sum(per_module.values())


def test_structured_pruning_reduces_macs() -> None:
    model = build_model(SPEC)
    scores = {"hidden_layers.1": torch.rand(6, 4)}
    pruned = prune_channels(model, torch.zeros(1, 5), scores, {"hidden_layers.1": 0.5}).module

    assert pruned.hidden_layers[1].out_features == 3
    assert count_macs(pruned, (5,)) == _hand_count_macs(replace(SPEC, hidden=(4, 3)))
    assert count_macs(pruned, (5,)) < count_macs(model, (5,))


def test_latency_is_positive_ordered_and_restores_threads() -> None:
    model = build_model(SPEC)
    model.train()
    threads_before = torch.get_num_threads()

    latency = measure_latency(model, (5,), batch_size=8, warmup=2, repeats=7, threads=1)

    assert set(latency) == {"p50_ms", "p95_ms", "mean_ms"}
    assert latency["p50_ms"] > 0
    assert latency["p95_ms"] >= latency["p50_ms"]
    assert torch.get_num_threads() == threads_before
    assert model.training


def test_latency_rejects_bad_arguments() -> None:
    model = build_model(SPEC)
    with pytest.raises(ValueError, match="repeats must be >= 1"):
        measure_latency(model, (5,), batch_size=1, warmup=0, repeats=0)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        measure_latency(model, (5,), batch_size=0, warmup=0, repeats=1)


def test_the_median_comes_from_torchs_timer_and_measures_the_call() -> None:
    """A call that sleeps 3 ms takes at least 3 ms, and not ten times that (no timing of the timer)."""
    import time

    calls = []

    def sleepy() -> None:
        calls.append(1)
        time.sleep(0.003)

    threads_before = torch.get_num_threads()
    median = median_latency_ms(sleepy, min_run_time_s=0.05, threads=1)
    assert 3.0 <= median < 30.0
    assert len(calls) >= 2  # the block-size estimate warms the call up, then blocks are timed
    assert torch.get_num_threads() == threads_before
    with pytest.raises(ValueError, match="min_run_time_s must be > 0"):
        median_latency_ms(sleepy, min_run_time_s=0)


def test_the_model_median_runs_in_eval_mode_and_leaves_the_mode_alone() -> None:
    model = build_model(replace(SPEC, dropout=0.5))
    model.train()
    seen = []
    model.register_forward_pre_hook(lambda module, args: seen.append(module.training))
    assert median_model_latency_ms(model, (5,), 4, min_run_time_s=0.01) > 0
    assert seen and not any(seen)
    assert model.training


def test_the_latency_budget_costs_a_wider_model_more() -> None:
    """The latency budget's cost function: a 64x wider MLP at batch 256 is slower, by a wide margin."""
    cost = module_cost("latency", 64, LatencyProbe(batch_size=256, min_run_time_s=0.05))
    narrow = build_model(MLPSpec(in_features=64, num_classes=10, hidden=(16,)))
    wide = build_model(MLPSpec(in_features=64, num_classes=10, hidden=(1024, 1024)))
    assert cost(wide) > 2 * cost(narrow) > 0


class _CallLog(torch.nn.Module):
    """Wraps a model and records its name on every forward call, in one log shared by several wrappers."""

    def __init__(self, name: str, inner: torch.nn.Module, log: list[str]) -> None:
        super().__init__()
        self.name, self.inner, self.log = name, inner, log

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        self.log.append(self.name)
        return self.inner(inputs)


def test_paired_latency_interleaves_rotates_and_ranks_models() -> None:
    log: list[str] = []
    small = _CallLog("small", build_model(MLPSpec(in_features=64, num_classes=3, hidden=(4,))), log)
    large = _CallLog("large", build_model(MLPSpec(in_features=64, num_classes=3, hidden=(2048, 2048))), log)
    large.train()
    threads_before = torch.get_num_threads()

    latency = measure_latency_paired({"small": small, "large": large}, (64,), 64, warmup=1, repeats=9)

    assert log[:2] == ["small", "large"]  # warm-up, then 9 rounds whose order rotates
    rounds = [tuple(log[index : index + 2]) for index in range(2, len(log), 2)]
    assert rounds == [("small", "large"), ("large", "small")] * 4 + [("small", "large")]
    assert latency["large"]["p50_ms"] > latency["small"]["p50_ms"] > 0
    assert large.training and torch.get_num_threads() == threads_before
    with pytest.raises(ValueError, match="at least one model"):
        measure_latency_paired({}, (64,), 1)


def test_serialized_size_of_artifact_and_path_agree(tmp_path) -> None:
    torch.manual_seed(0)
    model = build_model(SPEC)
    artifact = ModelArtifact.from_module(model, SPEC)
    path = tmp_path / "model.pt"
    save_artifact(artifact, path)

    assert serialized_size_bytes(path) == path.stat().st_size
    assert serialized_size_bytes(artifact) == path.stat().st_size
    with pytest.raises(FileNotFoundError, match="does not exist"):
        serialized_size_bytes(tmp_path / "missing.pt")


def test_profile_model_has_flat_stable_keys(tmp_path) -> None:
    model = build_model(SPEC)
    path = tmp_path / "model.pt"
    save_artifact(ModelArtifact.from_module(model, SPEC), path)

    profile = profile_model(model, (5,), latency_batches=(1, 4), warmup=1, repeats=3, artifact=path)

    assert set(profile) == {
        "params",
        "nonzero_params",
        "macs",
        "latency_ms_p50_b1",
        "latency_ms_p95_b1",
        "latency_ms_p50_b4",
        "latency_ms_p95_b4",
        "size_bytes",
    }
    assert profile["macs"] == _hand_count_macs(SPEC)
    assert "size_bytes" not in profile_model(model, (5,), latency_batches=(1,), warmup=0, repeats=1)
