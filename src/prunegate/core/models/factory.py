"""Bring your own model: any ``nn.Module`` built by a factory in the user's code.

``FactorySpec(factory="package.module:callable", kwargs={...})`` is an architecture *reference*: it is
saved as JSON with the weights, and loading calls the factory again (no pickle). The callable gets
``kwargs``, plus ``num_classes`` and ``in_shape`` when its signature names them and ``kwargs`` does not.
The module is imported from the installed packages or from the current directory (the project root).

A reference read from a model *file* is not trusted: loading a file must never run code it names
(``os:system`` with kwargs would run a shell command). :func:`check_factory_reference` refuses one,
before anything is imported, unless its module is stored (and checksummed) with the model in its
``code/`` folder, or is a module of the project (a source file under the project root, outside any
Python environment and outside prunegate itself), or is allow-listed by :func:`allow_factory_modules`
(the project's configured factory, which may be an installed package).

The user's module takes standardised inputs shaped ``N x *in_shape`` (``N x in_features`` when
``in_shape`` is empty) and returns ``N x num_classes`` logits; :func:`check_factory_model` proves it on
a dummy batch before any training, and finds the output layer (the last ``nn.Linear`` / convolution run
whose output has ``num_classes`` channels), which pruning never touches.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import site
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from typing import Any

import torch
from torch import nn

from prunegate.core.models.common import Standardize, check_positive, shape_size

__all__ = [
    "FactoryModel",
    "FactoryModelError",
    "FactorySpec",
    "UntrustedFactoryError",
    "allow_factory_modules",
    "build_factory_model",
    "check_factory_model",
    "check_factory_reference",
    "factory_source_files",
    "top_level_module",
]

_OUTPUT_TYPES = (nn.Linear, nn.modules.conv._ConvNd)
_DUMMY_BATCH = 2
_MAX_SOURCE_FILES = 200  # a model's code packaged with it: a small package, not a repository
_MAX_SOURCE_BYTES = 5_000_000


class FactoryModelError(ValueError):
    """A user model factory that cannot be imported, built or run, or gives the wrong output shape."""


class UntrustedFactoryError(FactoryModelError):
    """A model file names a factory whose code is neither stored with it nor part of the project."""


_ALLOWED_MODULES: set[str] = set()  # top-level modules the project's configuration names as its factory


@dataclass(frozen=True)
class FactorySpec:
    """A reference to the user's model factory, with what it needs to build the model again."""

    factory: str
    in_features: int
    num_classes: int
    in_shape: tuple[int, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    kind: str = "factory"

    def __post_init__(self) -> None:
        module, _, name = self.factory.partition(":")
        if not module or not name:
            raise FactoryModelError(
                f"model factory {self.factory!r} must be 'package.module:callable', e.g. 'models.net:build'"
            )
        check_positive("in_features", self.in_features)
        check_positive("num_classes", self.num_classes)
        if self.in_shape and shape_size(self.in_shape) != self.in_features:
            raise FactoryModelError(
                f"in_shape {list(self.in_shape)} holds {shape_size(self.in_shape)} values, "
                f"but the data has {self.in_features} features"
            )
        try:
            json.dumps(self.kwargs)
        except TypeError as error:
            raise FactoryModelError(f"kwargs of {self.factory!r} must be JSON values: {error}") from error


def factory_source_files(spec: FactorySpec) -> dict[str, Path]:
    """The Python files that define the factory: ``{path relative to the import root: file}``.

    The whole top-level package of the factory's module (every ``.py`` file under it), or the module
    alone when it is not in a package, so that a packaged model carries the code that rebuilds it
    (a Bento or a container has no copy of the user's repository). Raises :class:`FactoryModelError`
    when the module cannot be found or its package is implausibly large.
    """
    module_name = spec.factory.partition(":")[0]
    _import_factory(spec.factory)  # the same lookup as when the model is built
    module = sys.modules[module_name]
    origin = Path(getattr(module, "__file__", "") or "")
    if not origin.is_file():
        raise FactoryModelError(f"model factory {spec.factory!r}: {module_name!r} has no source file")
    depth = module_name.count(".")
    if origin.name == "__init__.py":
        depth += 1
    import_root = origin.parents[depth]
    if depth == 0:
        return {origin.name: origin}
    package = import_root / module_name.split(".")[0]
    files = {
        str(path.relative_to(import_root)): path
        for path in sorted(package.rglob("*.py"))
        if "__pycache__" not in path.parts
    }
    size = sum(path.stat().st_size for path in files.values())
    if len(files) > _MAX_SOURCE_FILES or size > _MAX_SOURCE_BYTES:
        raise FactoryModelError(
            f"model factory {spec.factory!r}: its package {package} holds {len(files)} Python files "
            f"({size} bytes), more than the {_MAX_SOURCE_FILES} files / {_MAX_SOURCE_BYTES} bytes packaged "
            "with a model; put the model's code in a small package of its own"
        )
    return files


def allow_factory_modules(references: Iterable[str]) -> None:
    """Trust the top-level modules of ``references`` (``package.module:callable``) in model files too.

    For the factory a project's configuration names (``training.model.factory``): it may come from an
    installed package, which :func:`check_factory_reference` would otherwise refuse in a model file.
    """
    _ALLOWED_MODULES.update(top_level_module(reference) for reference in references if reference)


def top_level_module(reference: str) -> str:
    """``package`` of ``package.module:callable``."""
    return reference.partition(":")[0].split(".")[0]


def check_factory_reference(reference: str, *, code_dir: Path | None = None) -> None:
    """Refuse, before importing anything, a factory named in a model file that may not run here.

    Args:
        reference: ``package.module:callable``, as the model file names it.
        code_dir: the ``code/`` folder stored (and verified) with the model, for a stored version: then
            its module must be found there and nowhere else.

    Raises:
        UntrustedFactoryError: naming the reference and where its module would have come from.
    """
    module_name = reference.partition(":")[0]
    top = top_level_module(reference)
    if code_dir is not None:
        if PathFinder.find_spec(top, [str(code_dir)]) is None:
            raise UntrustedFactoryError(
                f"model factory {reference!r}: {top!r} is not in the code stored with the model "
                f"({code_dir}); a stored model only imports its own code, refusing to import it"
            )
        return
    if top in _ALLOWED_MODULES:
        return
    root = Path.cwd().resolve()
    location = _project_module_location(module_name, root)
    if location is None or not _is_project_code(location, root):
        where = _location(importlib.util.find_spec(top) if _findable(top) else None)
        raise UntrustedFactoryError(
            f"model factory {reference!r}: {module_name!r} is not a module of this project ({root})"
            f"{f' but {where}' if where else ''}, nor stored with the model, nor the factory the "
            "configuration names (training.model.factory); refusing to import it"
        )
    _on_path(root)
    found = importlib.util.find_spec(top)  # what the import will really take (top level: runs nothing)
    if found is None or _location(found) != _location(PathFinder.find_spec(top, [str(root)])):
        raise UntrustedFactoryError(
            f"model factory {reference!r}: {top!r} would be imported from {_location(found)}, not from the "
            f"project ({root}); refusing to import it"
        )


def _findable(top: str) -> bool:
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def _location(spec: ModuleSpec | None) -> str | None:
    """Where a module's code is: its file, a package's folder, or 'built in'."""
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return str(Path(next(iter(spec.submodule_search_locations))).resolve())
    if spec.origin and spec.has_location:
        return str(Path(spec.origin).resolve())
    return f"{spec.origin or 'built in'}"


def _project_module_location(module_name: str, root: Path) -> Path | None:
    """The file (or namespace folder) of ``module_name`` looked up under ``root`` alone, importing nothing."""
    locations: list[str] = [str(root)]
    found: ModuleSpec | None = None
    for depth in range(module_name.count(".") + 1):
        found = PathFinder.find_spec(".".join(module_name.split(".")[: depth + 1]), locations)
        if found is None:
            return None
        locations = list(found.submodule_search_locations or [])
    if found.origin and found.has_location:
        return Path(found.origin).resolve()
    return Path(locations[0]).resolve() if locations else None


def _environment_folders() -> set[Path]:
    """Where installed Python code lives: the interpreter's, the virtualenv's and site-packages."""
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, *sysconfig.get_paths().values()}
    folders.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    return {Path(folder).resolve() for folder in folders if folder}


def _is_project_code(location: Path, root: Path) -> bool:
    prunegate_package = Path(__file__).resolve().parents[2]  # src/prunegate: the pipeline's own code
    if not location.is_relative_to(root) or location.is_relative_to(prunegate_package):
        return False
    return not any(location.is_relative_to(folder) for folder in _environment_folders())


def _on_path(root: Path) -> None:
    if str(root) not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.append(str(Path.cwd()))  # the user's module lives in the project (the current directory)


def _import_factory(reference: str) -> Any:
    module_name, _, attribute = reference.partition(":")
    _on_path(Path.cwd().resolve())
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # ImportError, or any error the module raises while importing
        raise FactoryModelError(
            f"model factory {reference!r}: cannot import {module_name!r}: {error}"
        ) from error
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise FactoryModelError(f"model factory {reference!r}: {module_name!r} has no {attribute!r}")
        target = getattr(target, part)
    if not callable(target):
        raise FactoryModelError(f"model factory {reference!r} is not callable")
    return target


def _call_factory(spec: FactorySpec) -> nn.Module:
    factory = _import_factory(spec.factory)
    kwargs = dict(spec.kwargs)
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        parameters = {}
    for name, value in (("num_classes", spec.num_classes), ("in_shape", list(spec.in_shape))):
        if name in parameters and name not in kwargs:
            kwargs[name] = value
    try:
        module = factory(**kwargs)
    except Exception as error:
        raise FactoryModelError(
            f"model factory {spec.factory!r} failed with kwargs {kwargs}: {error}"
        ) from error
    if not isinstance(module, nn.Module):
        raise FactoryModelError(
            f"model factory {spec.factory!r} returned a {type(module).__name__}, not a torch.nn.Module"
        )
    return module


class FactoryModel(nn.Module):
    """The user's module (``body``) behind the same input standardisation as every zoo model."""

    def __init__(self, spec: FactorySpec, body: nn.Module) -> None:
        super().__init__()
        self.spec = spec
        self.standardize = Standardize(spec.in_features)
        self.body = body
        self.output_layer_name = ""

    @property
    def classifier(self) -> nn.Module:
        """The output layer (found by :func:`check_factory_model`); pruning never touches it."""
        return self.body.get_submodule(self.output_layer_name)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.standardize(x)
        if self.spec.in_shape:
            x = x.view(-1, *self.spec.in_shape)
        return self.body(x)


def check_factory_model(model: FactoryModel) -> None:
    """Run a dummy batch: the output must be ``N x num_classes``; records the output layer's name."""
    spec = model.spec
    executed: list[tuple[str, torch.Tensor]] = []
    handles = [
        module.register_forward_hook(lambda _m, _i, out, name=name: executed.append((name, out)))
        for name, module in model.body.named_modules()
        if isinstance(module, _OUTPUT_TYPES)
    ]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            output = model(torch.randn(_DUMMY_BATCH, spec.in_features))
    except Exception as error:
        raise FactoryModelError(
            f"model from {spec.factory!r} fails on a dummy batch of shape "
            f"{[_DUMMY_BATCH, *(spec.in_shape or (spec.in_features,))]}: {error}"
        ) from error
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    if not isinstance(output, torch.Tensor) or tuple(output.shape) != (_DUMMY_BATCH, spec.num_classes):
        shape = list(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        raise FactoryModelError(
            f"model from {spec.factory!r} must return N x num_classes = [{_DUMMY_BATCH}, {spec.num_classes}] "
            f"logits for a batch of {_DUMMY_BATCH}, got {shape}"
        )
    for name, out in reversed(executed):
        if out.dim() >= 2 and out.shape[1] == spec.num_classes:
            model.output_layer_name = name
            return
    raise FactoryModelError(
        f"model from {spec.factory!r}: no nn.Linear or convolution produces the {spec.num_classes} class "
        "outputs, so the output layer cannot be kept out of pruning"
    )


def build_factory_model(spec: FactorySpec) -> FactoryModel:
    """Call the factory, wrap the module and check it on a dummy batch (raises :class:`FactoryModelError`)."""
    model = FactoryModel(spec, _call_factory(spec))
    check_factory_model(model)
    return model
