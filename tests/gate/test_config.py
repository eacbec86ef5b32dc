import pytest
import yaml

from prunegate.gate import GateConfig, MetricCheck, load_gate_config, parse_gate_config
from prunegate.params import ConfigError

GATES = {
    "compression": [
        {"metric": "macs", "direction": "lower", "min_improvement_ratio": 4},
        {"metric": "accuracy", "direction": "higher", "max_worsening_abs": 0.01, "description": "1 pp"},
    ],
    "regression": [
        {"metric": "accuracy", "direction": "higher", "lower_bound": 0.9, "max_worsening_abs": 0.005},
        {"metric": "accuracy", "direction": "higher", "slice": "*", "max_worsening_abs": 0.02},
        {"metric": "latency_ms_p50_b256", "direction": "lower", "max_worsening_rel": 0.1},
        {"metric": "ece", "direction": "lower", "upper_bound": 0.05},
    ],
}


def _write(tmp_path, data):
    path = tmp_path / "parameters_gate.yml"
    path.write_text(yaml.safe_dump({"gate": data}))
    return path


def test_yaml_round_trip(tmp_path):
    config = load_gate_config(_write(tmp_path, GATES))
    assert isinstance(config, GateConfig)
    assert [check.metric for check in config.compression] == ["macs", "accuracy"]
    assert config.compression[0].min_improvement_ratio == 4.0
    assert config.regression[1].slice == "*"
    assert config.regression[0].has_change_threshold
    assert not config.regression[3].has_change_threshold
    assert load_gate_config(_write(tmp_path, config.model_dump(exclude_none=True))) == config


def test_unknown_key_is_rejected_naming_it_and_the_file(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(GATES))
    data["regression"][2]["max_worsening"] = 0.1
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError, match=r"regression\.2\.max_worsening: unknown key") as raised:
        load_gate_config(path)
    assert str(path) in str(raised.value)
    assert "did you mean 'max_worsening_" in str(raised.value)  # an item of a list of checks, too


def test_unknown_top_level_section_is_rejected(tmp_path):
    with pytest.raises(ConfigError, match=r"regresion: unknown key"):
        load_gate_config(_write(tmp_path, {"compression": [], "regresion": []}))


def test_both_gates_are_required():
    with pytest.raises(ConfigError, match=r"regression: required key is missing"):
        parse_gate_config({"compression": []})


def test_check_without_threshold_is_rejected():
    data = {"compression": [], "regression": [{"metric": "accuracy", "direction": "higher"}]}
    with pytest.raises(ConfigError, match=r"regression\.0: .*sets no threshold"):
        parse_gate_config(data, source="conf/gates.yml")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_worsening_abs", -0.005, r"regression\.0\.max_worsening_abs: .*greater than or equal to 0"),
        ("max_worsening_rel", -0.1, r"regression\.0\.max_worsening_rel: .*greater than or equal to 0"),
        ("min_improvement_ratio", 0.5, r"regression\.0\.min_improvement_ratio: .*greater than or equal to 1"),
        ("lower_bound", float("nan"), r"regression\.0\.lower_bound: .*finite"),
        ("max_worsening_abs", "0.005", r"regression\.0\.max_worsening_abs: .*valid number"),
        ("direction", "up", r"regression\.0\.direction"),
    ],
)
def test_out_of_range_values_are_rejected(field, value, message):
    check = {"metric": "accuracy", "direction": "higher", "max_worsening_abs": 0.005, field: value}
    with pytest.raises(ConfigError, match=message):
        parse_gate_config({"compression": [], "regression": [check]})


def test_lower_bound_above_upper_bound_is_rejected():
    with pytest.raises(ValueError, match="above upper_bound"):
        MetricCheck(metric="ece", direction="lower", lower_bound=0.2, upper_bound=0.1)


def test_unreadable_and_malformed_files_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"cannot read gates file .*absent\.yml"):
        load_gate_config(tmp_path / "absent.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("compression: [\n")
    with pytest.raises(ConfigError, match=r"bad\.yml is not valid YAML"):
        load_gate_config(bad)
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match=r"bad\.yml must be a mapping with a 'gate:' section"):
        load_gate_config(bad)
    bad.write_text("compression: []\nregression: []\n")  # the old gates.yml layout
    with pytest.raises(ConfigError, match=r"bad\.yml must be a mapping with a 'gate:' section"):
        load_gate_config(bad)


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ("macss", r"unknown metric 'macss'; did you mean 'macs'\?"),
        ("speed", r"unknown metric 'speed' \(known: "),
    ],
)
def test_a_misspelt_metric_is_refused_before_any_stage_runs(metric, message):
    """A misspelt metric reached the gate stage and failed closed there, after DVC removed shipped.pt."""
    check = {"metric": metric, "direction": "lower", "min_improvement_ratio": 4}
    with pytest.raises(ConfigError, match=r"gate\.compression\.0\.metric: " + message):
        parse_gate_config({"compression": [check], "regression": []})
    confident = {"metric": "acuracy", "direction": "higher", "max_worsening_abs": 0.01, "confidence": 0.95}
    with pytest.raises(ConfigError, match=r"unknown metric 'acuracy'; did you mean 'accuracy'"):
        parse_gate_config({"compression": [], "regression": [confident]})


@pytest.mark.parametrize(
    "metric",
    [
        "accuracy_noise_0.25",
        "accuracy_fgsm_1",
        "ood_auroc_msp_user",
        "ood_fpr95_energy",
        "latency_ms_p95_b32",
    ],
)
def test_metric_families_with_a_setting_in_their_name_are_known(metric):
    parse_gate_config(
        {"compression": [], "regression": [{"metric": metric, "direction": "higher", "lower_bound": 0}]}
    )
