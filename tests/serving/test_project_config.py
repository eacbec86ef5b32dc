"""One config path: `prunegate serve` reads `serving` through Kedro's loader (conf/local over conf/base),
and `kedro run` refuses a bad `serving` key like any other section."""

import shutil
from types import SimpleNamespace

import pytest
import yaml
from tests.conftest import PROJECT_ROOT

from prunegate.hooks import ValidateParametersHook
from prunegate.params import ConfigError
from prunegate.serving import launch
from prunegate.serving.config import CONFIG_ENV, ServingConfigError, load_serving_config
from prunegate.serving.project_config import resolve_serving_config, write_resolved_serving_config


@pytest.fixture
def project(tmp_path):
    shutil.copytree(PROJECT_ROOT / "conf/base", tmp_path / "conf/base")
    (tmp_path / "conf/local").mkdir()
    return tmp_path


def test_a_local_override_changes_one_key_and_keeps_the_others(project):
    shipped = resolve_serving_config(project)
    (project / "conf/local/parameters_serving.yml").write_text("serving:\n  port: 3999\n  dispatch: direct\n")
    resolved = resolve_serving_config(project)
    assert (resolved.port, resolved.dispatch) == (3999, "direct")
    assert resolved.model_dump() == {**shipped.model_dump(), "port": 3999, "dispatch": "direct"}
    written = write_resolved_serving_config(project)
    assert load_serving_config(written) == resolved  # the one file the service reads
    assert yaml.safe_load(written.read_text())["serving"]["port"] == 3999


def test_a_bad_local_override_is_named(project):
    (project / "conf/local/parameters_serving.yml").write_text("serving:\n  dispatch: sometimes\n")
    with pytest.raises(ServingConfigError, match=r"\(base \+ local\): serving\.dispatch: Input should be"):
        resolve_serving_config(project)


def test_serve_hands_the_resolved_settings_to_the_service_unless_a_file_is_named(project, monkeypatch):
    (project / "conf/local/parameters_serving.yml").write_text("serving:\n  port: 3999\n")
    monkeypatch.setenv("PRUNEGATE_PROJECT_ROOT", str(project))
    monkeypatch.setenv(CONFIG_ENV, "")  # none named; restored after the test (serve sets it)
    seen = []
    monkeypatch.setattr(launch, "check_servable", lambda: seen.append(load_serving_config().port) or 1 / 0)
    monkeypatch.setattr(launch, "ensure_project_bentoml_home", lambda root: None)
    with pytest.raises(ZeroDivisionError):  # stop right after the check: nothing is started
        launch.serve(None, None, [])
    assert seen == [3999]
    named = project / "mine.yml"
    named.write_text((project / "conf/base/parameters_serving.yml").read_text())
    monkeypatch.setenv(CONFIG_ENV, str(named))
    with pytest.raises(ZeroDivisionError):
        launch.serve(None, None, [])
    assert seen == [3999, 3000]  # the file the user named wins


def test_kedro_run_refuses_a_bad_serving_key():
    params = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_serving.yml").read_text())
    params["serving"]["dispatch"] = "bogus"
    with pytest.raises(ConfigError, match=r"serving\.dispatch"):
        ValidateParametersHook().after_context_created(SimpleNamespace(params=params))
