"""The gate in a temporary git repo: a champion, a harmful change (blocked), a harmless one (blessed)."""

import pytest
from examples.demo.regression import HARMFUL_CHANGE, HARMLESS_CHANGE, setup_champion, try_change
from tests.conftest import PROJECT_ROOT, table_rows

pytestmark = pytest.mark.slow

FASTER = [("conf/base/parameters_distillation.yml", "epochs: 20", "epochs: 3")]


def test_harmful_change_is_blocked_and_harmless_change_is_blessed(tmp_path):
    sandbox, champion = setup_champion(PROJECT_ROOT, tmp_path / "project", extra_edits=FASTER)
    assert "✅ BLESSED" in champion.report
    assert (sandbox.root / "champion/metrics.json").is_file()

    harmful = try_change(sandbox, "harmful change", HARMFUL_CHANGE)
    assert harmful.exit_code != 0
    assert "❌ NOT BLESSED" in harmful.report
    assert ["✗", "`accuracy`"] in [row[:2] for row in table_rows(harmful.report)]
    assert not (sandbox.root / "data/06_models/shipped.pt").exists()

    harmless = try_change(sandbox, "harmless change", HARMLESS_CHANGE)
    assert harmless.exit_code == 0, harmless.report
    assert "✅ BLESSED" in harmless.report
