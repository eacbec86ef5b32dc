"""Every module a DVC stage's Kedro pipeline can import is a dependency of that stage.

Otherwise editing it leaves the stage cached and `dvc repro` serves a result the code no longer produces.
The import closure comes from scripts/dvc_code_deps.py (static: every ``import prunegate...`` anywhere in
a file, the packages' ``__init__`` files, the Kedro settings and the catalog's dataset classes); this test
checks dvc.yaml file by file, so it also catches a hand-edited dep list that misses a module.
"""

import importlib.util

import pytest
import yaml
from tests.conftest import PROJECT_ROOT

_SPEC = importlib.util.spec_from_file_location("dvc_code_deps", PROJECT_ROOT / "scripts/dvc_code_deps.py")
code_deps = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(code_deps)

STAGES = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["stages"]


def _covered(path: str, deps: list[str]) -> bool:
    return any(path == dep or path.startswith(f"{dep}/") for dep in deps)


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_a_stage_depends_on_every_module_its_pipeline_imports(stage):
    files = code_deps.stage_code(code_deps.pipeline_of(STAGES[stage]["cmd"]))
    needed = {str(path.relative_to(PROJECT_ROOT)) for path in files} | {code_deps.CATALOG}
    deps = [str(dep) for dep in STAGES[stage].get("deps", [])]
    missing = sorted(path for path in needed if not _covered(path, deps))
    assert not missing, f"stage {stage!r} misses {missing}: run `python scripts/dvc_code_deps.py --write`"


def test_the_closure_follows_function_level_and_relative_imports():
    packaging = code_deps.stage_code("packaging")
    names = {str(path.relative_to(PROJECT_ROOT)) for path in packaging}
    assert "src/prunegate/serving/runtimes.py" in names  # imported inside package_model()
    assert "src/prunegate/core/models/factory.py" in names
    assert "src/prunegate/serving/runtimes.py" not in {
        str(path.relative_to(PROJECT_ROOT)) for path in code_deps.stage_code("training")
    }
