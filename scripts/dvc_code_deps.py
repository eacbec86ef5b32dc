"""The code each DVC stage runs, from its Kedro pipeline's imports; ``--write`` puts it into dvc.yaml.

A stage must depend on every module its pipeline can import, or editing one leaves the stage cached and
``dvc repro`` serves a result the code no longer produces. The closure is computed statically: every
``import prunegate...`` anywhere in a file (function-level imports included) and the packages'
``__init__`` files, starting from the stage's pipeline package (``--pipelines <name>`` in its command),
the project's Kedro settings and pipeline registry (they run in every stage) and the project's dataset
classes named in the catalog. It is rounded up to top-level packages (``src/prunegate/core``) and to one
folder per pipeline, which keeps dvc.yaml readable at the cost of re-running a stage for a change in a
module of such a package that it does not import.

Usage: ``python scripts/dvc_code_deps.py`` prints each stage's code deps; ``--write`` rewrites the
``src/prunegate...`` entries (and ``conf/base/catalog.yml``) of every stage's deps in dvc.yaml; other deps
are kept (a comment attached to a removed entry may be lost: check the diff).
tests/test_dvc_deps_cover_imports.py fails when dvc.yaml is behind.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = SRC / "prunegate"
ALWAYS = [PACKAGE / "settings.py", PACKAGE / "pipeline_registry.py"]
CODE_PREFIX = "src/prunegate"
CATALOG = "conf/base/catalog.yml"  # every stage's I/O is declared there


def module_files(name: str) -> list[Path]:
    """The files that importing ``name`` runs: every parent package's ``__init__`` and the module."""
    parts = name.split(".")
    files = []
    for depth in range(1, len(parts) + 1):
        base = SRC.joinpath(*parts[:depth])
        for candidate in (base / "__init__.py", base.with_suffix(".py")):
            if candidate.is_file():
                files.append(candidate)
    return files


def imported(path: Path) -> set[str]:
    """``prunegate`` modules ``path`` imports anywhere (names imported from a package may be modules)."""
    package = list(path.relative_to(SRC).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                module = ".".join([*anchor, module] if module else anchor)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in names if name == "prunegate" or name.startswith("prunegate.")}


def closure(start: list[Path]) -> set[Path]:
    seen: set[Path] = set()
    todo = list(start)
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            for name in imported(path):
                todo.extend(module_files(name))
    return seen


def catalog_datasets() -> list[Path]:
    text = (ROOT / "conf/base/catalog.yml").read_text()
    return [file for name in re.findall(r"type:\s*(prunegate\.[\w.]+)", text) for file in module_files(name)]


def stage_code(pipeline: str) -> set[Path]:
    """Every file the stage running ``kedro run --pipelines <pipeline>`` can import."""
    start = [*(PACKAGE / "pipelines" / pipeline).rglob("*.py"), *ALWAYS, *catalog_datasets()]
    return closure(start)


def code_deps(pipeline: str) -> list[str]:
    """``stage_code`` rounded up to top-level packages / modules of ``src/prunegate``, sorted."""
    deps = set()
    for path in stage_code(pipeline):
        parts = path.relative_to(PACKAGE).parts
        # one folder per pipeline (a change to packaging does not re-run training); else top-level packages
        depth = 2 if parts[0] == "pipelines" else 1
        deps.add("/".join([CODE_PREFIX, *parts[:depth]]))
    return sorted(deps)


def pipeline_of(command: str) -> str:
    return command.split("--pipelines ")[1].split()[0]


def _managed(dep: str) -> bool:
    return dep.startswith(CODE_PREFIX) or dep == CATALOG


def _write(dvc_yaml: Path) -> None:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 110
    yaml.indent(mapping=2, sequence=4, offset=2)
    document = yaml.load(dvc_yaml.read_text())
    for stage in document["stages"].values():
        deps = stage["deps"]
        managed = [str(dep) for dep in deps if _managed(str(dep))]
        kept = [dep for dep in deps if not _managed(str(dep))]
        new = [*code_deps(pipeline_of(stage["cmd"])), CATALOG]
        if managed == new:
            continue
        for index in reversed(range(len(deps))):
            if _managed(str(deps[index])):
                del deps[index]
        for offset, dep in enumerate(new):
            deps.insert(offset, dep)
        assert len(deps) == len(kept) + len(new)
    with dvc_yaml.open("w") as handle:
        yaml.dump(document, handle)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the code deps in dvc.yaml")
    args = parser.parse_args(argv)
    if args.write:
        _write(ROOT / "dvc.yaml")
        return 0
    import yaml

    for name, stage in yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"].items():
        sys.stdout.write(f"{name}: {', '.join(code_deps(pipeline_of(stage['cmd'])))}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
