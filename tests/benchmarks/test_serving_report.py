"""The serving benchmark's targets and table: pure functions of the measured runs."""

import pytest
from benchmarks.serving_report import (
    BARE,
    BENTOML,
    COMPRESSED,
    DENSE,
    check_targets,
    markdown_table,
    targets_text,
)
from tests.conftest import table_rows


def _run(server, model, logging, req_per_s, *, p99=10.0, errors=0, clients=16):
    return {
        "server": server,
        "model": model,
        "runtime": "onnx",
        "log_predictions": logging,
        "clients": clients,
        "req_per_s": req_per_s,
        "p50_ms": 5.0,
        "p99_ms": p99,
        "errors": errors,
        "requests": int(req_per_s * 10),
        "error_examples": ["HTTP 503"] if errors else [],
    }


def _runs(*, dense=1000.0, compressed=1600.0, bare=1300.0, logging_cost=0.05, p99=10.0, errors=0):
    runs = []
    for model, speed in ((DENSE, dense), (COMPRESSED, compressed)):
        runs.append(_run(BENTOML, model, True, speed * (1 - logging_cost), p99=p99, errors=errors))
        runs.append(_run(BENTOML, model, False, speed, p99=p99))
        runs.append(_run(BARE, model, True, bare * speed / dense))
    return runs


def _met(checks) -> dict[str, bool]:
    return {check.name.split(" ")[0]: check.met for check in checks}


def test_all_targets_met_when_every_number_clears_its_bar():
    checks = check_targets(_runs())
    assert all(check.met for check in checks), targets_text(checks)


@pytest.mark.parametrize(
    ("runs", "failed"),
    [
        (_runs(compressed=1400.0), "compressed"),  # 1.4x < 1.5x
        (_runs(bare=1500.0), "BentoML"),  # 1000 * 0.95 / 1500 < 0.7
        (_runs(logging_cost=0.12, bare=1200.0), "monitoring"),
        (_runs(p99=25.0), "p99"),
        (_runs(errors=3), "0"),
    ],
)
def test_each_target_fails_on_its_own_numbers(runs, failed):
    met = _met(check_targets(runs))
    assert met.pop(failed) is False
    assert all(met.values()), met


def test_a_missing_measurement_is_not_met():
    runs = [run for run in _runs() if run["server"] != BARE or run["model"] != DENSE]
    runs = [run for run in runs if not (run["server"] == BENTOML and not run["log_predictions"])]
    met = _met(check_targets(runs))
    assert met["monitoring"] is False
    assert met["BentoML"] is True  # the remaining bare run still has its BentoML counterpart


def test_the_table_has_one_row_per_run_with_its_runtime():
    runs = _runs()
    text = markdown_table(runs)
    table = table_rows(text)
    assert "runtime" in table[0] and len(text.splitlines()) == 2 + len(runs) and len(table) == 1 + len(runs)
    assert table[1][:6] == [BENTOML, DENSE, "onnx", "on", "16", "950"]
