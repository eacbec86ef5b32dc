"""The energy model: each term is what the per-operation energies say; RAPL is read when it exists."""

import pytest
import torch
from torch import nn

from prunegate.core.energy import (
    EnergyCosts,
    estimate_energy,
    measure_rapl_joules,
    rapl_energy_available,
)
from prunegate.core.models import MLPSpec, ResNet1DSpec, build_model
from prunegate.core.profiling import count_macs, count_macs_by_module, count_params
from prunegate.core.pruning.budget import module_cost

PJ = 1e-12


def test_an_mlp_costs_its_macs_its_weights_from_dram_and_its_activations_from_cache():
    model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 3))
    estimate = estimate_energy(model, (10,))
    macs = 10 * 20 + 20 * 3
    weights = (10 * 20 + 20) + (20 * 3 + 3)
    activations = (10 + 20) + (20 + 3)  # each layer's input and output, at batch 1
    assert estimate.compute_joules == pytest.approx(macs * 4.6 * PJ)
    assert estimate.weight_joules == pytest.approx(weights * 4 * 160 * PJ)
    assert estimate.activation_joules == pytest.approx(activations * 4 * 1.25 * PJ)
    assert estimate.total_joules == pytest.approx(sum(estimate.per_layer.values()))
    assert set(estimate.per_layer) == {"0", "2"}


def test_activations_that_do_not_fit_in_the_cache_come_from_dram():
    model = nn.Sequential(nn.Linear(100, 100))
    small_cache = estimate_energy(model, (100,), EnergyCosts(cache_bytes=10))
    assert small_cache.activation_joules == pytest.approx(200 * 4 * 160 * PJ)


def test_a_dense_layer_costs_more_per_mac_than_a_convolution_that_reuses_its_weights():
    spec = ResNet1DSpec(in_shape=(1, 128), num_classes=8, widths=(16, 32), blocks=(1, 1), kernel_size=5)
    estimate = estimate_energy(build_model(spec), (128,))
    macs = count_macs_by_module(build_model(spec), (128,))
    conv = max((n for n in macs if "conv" in n), key=lambda n: estimate.per_layer[n])
    per_mac_conv = estimate.per_layer[conv] / macs[conv]
    per_mac_fc = estimate.per_layer["classifier"] / macs["classifier"]
    assert per_mac_fc > 10 * per_mac_conv


def test_the_energy_budget_is_the_estimate_and_smaller_models_cost_less():
    cost = module_cost("energy", 64)
    wide = build_model(MLPSpec(in_features=64, num_classes=10, hidden=(128,)))
    narrow = build_model(MLPSpec(in_features=64, num_classes=10, hidden=(32,)))
    assert cost(wide) == pytest.approx(estimate_energy(wide, (64,)).total_joules)
    assert cost(narrow) < cost(wide) / 3
    assert count_macs(narrow, (64,)) < count_macs(wide, (64,)) and count_params(narrow) < count_params(wide)


def test_an_unknown_budget_lists_energy():
    with pytest.raises(ValueError, match="'energy'"):
        module_cost("joules", 64)


def test_the_model_is_left_in_its_mode_and_untouched():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    before = [p.clone() for p in model.parameters()]
    estimate_energy(model.train(), (4,))
    assert model.training and all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def _fake_rapl(tmp_path, start=1_000_000, maximum=None):
    zone = tmp_path / "intel-rapl:0"
    zone.mkdir()
    (zone / "energy_uj").write_text(f"{start}\n")
    if maximum is not None:
        (zone / "max_energy_range_uj").write_text(f"{maximum}\n")
    return zone / "energy_uj"


def test_without_rapl_counters_nothing_is_measured(tmp_path):
    assert not rapl_energy_available(tmp_path)
    assert measure_rapl_joules(lambda: None, 10, tmp_path) is None


def test_rapl_counters_give_joules_per_call_and_a_wrap_is_unwrapped(tmp_path):
    counter = _fake_rapl(tmp_path, start=1_000_000, maximum=2_000_000)
    assert rapl_energy_available(tmp_path)

    def call():  # each call uses 50 uJ
        counter.write_text(str(int(counter.read_text()) + 50))

    assert measure_rapl_joules(call, 100, tmp_path) == pytest.approx(50e-6)
    counter.write_text("1999990")

    def wrapping_call():
        value = int(counter.read_text()) + 50
        counter.write_text(str(value % 2_000_000))

    assert measure_rapl_joules(wrapping_call, 10, tmp_path) == pytest.approx(50e-6)


def test_an_unreadable_counter_is_not_a_meter(tmp_path):
    counter = _fake_rapl(tmp_path)
    counter.write_text("not a number")
    assert not rapl_energy_available(tmp_path)


def test_structured_pruning_meets_an_energy_budget_on_a_zoo_model():
    from tests.core.models.zoo_specs import ZOO

    from prunegate.core.pruning.channel_pruning import prune_channels_to_budget
    from prunegate.core.pruning.criteria import get_criterion

    spec = ZOO["resnet1d"]
    torch.manual_seed(0)
    model = build_model(spec).eval()
    calibration = (torch.randn(16, spec.in_features), torch.randint(0, 4, (16,)))
    cost = module_cost("energy", spec.in_features)
    target = cost(model) * 0.3
    result = prune_channels_to_budget(
        model, torch.zeros(1, spec.in_features), get_criterion("magnitude_l2"), calibration, cost, target
    )
    assert target * 0.9 <= result.cost <= target
    assert estimate_energy(result.module, (spec.in_features,)).total_joules == pytest.approx(result.cost)


def test_the_pruning_parameters_take_an_energy_budget_and_name_it_when_wrong():
    import yaml
    from tests.conftest import PROJECT_ROOT

    from prunegate.params import ConfigError, parse_params
    from prunegate.params.pruning import PruningParams

    shipped = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_pruning.yml").read_text())["pruning"]
    assert parse_params(PruningParams, {**shipped, "budget": "energy"}, "pruning").budget == "energy"
    with pytest.raises(ConfigError, match=r"pruning\.budget"):
        parse_params(PruningParams, {**shipped, "budget": "joules"}, "pruning")
