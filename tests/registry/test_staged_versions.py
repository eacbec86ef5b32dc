"""A store version appears whole and verified or not at all; ``latest`` never names anything else."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from prunegate.registry.staged_versions import STAGING_DIR, remove_abandoned_staging

REGISTER = textwrap.dedent(
    """
    import shutil, sys, time
    import torch
    from prunegate.core.models import MLPSpec, build_model
    from prunegate.core.serialization import ModelArtifact, save_artifact
    from prunegate.registry.store import register_model

    seed, mode = int(sys.argv[1]), sys.argv[2]
    torch.manual_seed(seed)
    spec = MLPSpec(in_features=4, num_classes=2, hidden=(3,))
    path = f"model{seed}.pt"
    save_artifact(ModelArtifact.from_module(build_model(spec), spec, {"seed": seed}), path)
    if mode == "hang-while-copying":
        def hang(*args, **kwargs):
            print("copying", flush=True)
            time.sleep(600)
        shutil.copytree = hang  # BentoML copies a saved version into its store with it
    if mode == "hang-before-publishing":
        import prunegate.registry.store as store
        def hang(*args, **kwargs):
            print("copying", flush=True)
            time.sleep(600)
        store.publish_version = hang
    print(register_model(path, labels={}, metadata={}), flush=True)
    """
)


def _register(root: Path, seed: int, mode: str = "normal") -> subprocess.Popen:
    env = {**os.environ, "BENTOML_HOME": str(root / "bentoml_home"), "BENTOML_DO_NOT_TRACK": "True"}
    return subprocess.Popen(
        [sys.executable, "-c", REGISTER, str(seed), mode],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def _store(root: Path) -> tuple[set[str], str]:
    """The version folders of the model and what ``latest`` names."""
    folder = root / "bentoml_home/models/prunegate-model"
    return {path.name for path in folder.iterdir() if path.is_dir()}, (folder / "latest").read_text().strip()


@pytest.mark.parametrize("killed_while", ["hang-while-copying", "hang-before-publishing"])
def test_a_registration_killed_midway_leaves_the_store_and_latest_as_they_were(tmp_path, killed_while):
    first = _register(tmp_path, 1)
    first_tag = first.communicate(timeout=120)[0].split()[-1]
    killed = _register(tmp_path, 2, killed_while)
    assert killed.stdout.readline().strip() == "copying"
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    versions, latest = _store(tmp_path)
    assert versions == {first_tag.split(":")[1]} and f"prunegate-model:{latest}" == first_tag
    staging = tmp_path / "bentoml_home" / STAGING_DIR
    assert list(staging.iterdir()), "the killed registration left its staging folder"
    third = _register(tmp_path, 3)
    third_tag = third.communicate(timeout=120)[0].split()[-1]
    versions, latest = _store(tmp_path)
    assert versions == {tag.split(":")[1] for tag in (first_tag, third_tag)}
    assert f"prunegate-model:{latest}" == third_tag
    assert list(staging.iterdir()) == [], "the next registration removes what the killed one left"


def test_only_the_staging_folders_of_dead_processes_are_removed(tmp_path):
    alive = tmp_path / f"register-{os.getpid()}-abc"
    dead_pid = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = tmp_path / f"register-{dead_pid.stdout.strip()}-def"
    alive.mkdir(), dead.mkdir()
    assert remove_abandoned_staging(tmp_path) == [dead]
    assert alive.is_dir() and not dead.exists()
