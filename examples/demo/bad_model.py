"""A deliberately bad model, registered and promoted like a real one (for ``make simulate-drift``).

``python -m examples.demo.bad_model`` (run inside a project, with its ``BENTOML_HOME``) takes the
chain's dense model, zeroes the smallest-magnitude share of every weight matrix, saves it with
:func:`~prunegate.core.serialization.save_artifact`, registers it in the BentoML store with the serving
champion's store metadata (so the service can serve it the same way) and promotes it with
:func:`~prunegate.registry.store.promote_version`. It prints the new tag on the last line.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from prunegate.core.serialization import ModelArtifact, load_artifact, save_artifact
from prunegate.registry.store import (
    ensure_project_bentoml_home,
    promote_version,
    read_pointer,
    register_model,
)
from prunegate.serving.runtimes import EAGER

__all__ = ["VERSION_CHARS", "promote_bad_model", "zero_smallest_weights"]

logger = logging.getLogger(__name__)

VERSION_CHARS = 12  # store versions are named by this many hex digits of the checksum (as packaging does)
_MATRIX_DIMS = 2  # weight tensors with at least this many dims are zeroed; biases and buffers are kept


def zero_smallest_weights(artifact: ModelArtifact, fraction: float) -> ModelArtifact:
    """A copy of ``artifact`` whose weight matrices have their smallest ``fraction`` of entries at 0.

    Raises:
        ValueError: ``fraction`` is not in (0, 1).
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    state = {name: tensor.clone() for name, tensor in artifact.state_dict.items()}
    for name, tensor in state.items():
        if name.endswith("weight") and tensor.dim() >= _MATRIX_DIMS:
            count = int(fraction * tensor.numel())
            if count:
                threshold = tensor.abs().flatten().kthvalue(count).values
                tensor[tensor.abs() <= threshold] = 0.0
    metadata = {**artifact.metadata, "role": "deliberately bad", "zeroed_weight_fraction": fraction}
    return replace(artifact, state_dict=state, metadata=metadata)


def _champion_metadata(champion_tag: str) -> dict[str, Any]:
    import bentoml

    metadata = dict(bentoml.models.get(champion_tag).info.metadata)
    metadata.pop("checksum", None)  # register_model records the new file's own checksum
    return metadata


def promote_bad_model(dense_path: Path, registry_dir: Path, *, fraction: float, reason: str) -> str:
    """Zero most weights of ``dense_path``, register it like the champion and promote it; returns its tag.

    Raises:
        prunegate.registry.store.RegistryError: there is no champion to copy the metadata from.
    """
    ensure_project_bentoml_home()
    champion = read_pointer(registry_dir).champion
    if champion is None:
        raise ValueError(f"no champion in {registry_dir}: promote a model first")
    bad = zero_smallest_weights(load_artifact(dense_path), fraction)
    with tempfile.TemporaryDirectory(prefix="prunegate-bad-model-") as scratch:
        model_file = Path(scratch) / "model.pt"
        checksum = save_artifact(bad, model_file)
        metadata = {
            **_champion_metadata(champion),
            "version": checksum[:VERSION_CHARS],
            "model": "dense, weights zeroed",
            "runtime": EAGER,  # the champion's ONNX export does not describe this model
        }
        metadata.pop("metrics", None)  # never evaluated: no metrics to claim
        tag = register_model(
            model_file, labels={"model": "dense-zeroed", "runtime": EAGER}, metadata=metadata
        )
    promote_version(registry_dir, tag, reason=reason, by="demo")
    logger.info("registered and promoted %s (%.0f%% of weights zeroed)", tag, 100 * fraction)
    return tag


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dense", type=Path, default=Path("data/06_models/dense.pt"))
    parser.add_argument("--registry-dir", type=Path, default=Path("registry"))
    parser.add_argument("--fraction", type=float, required=True, help="share of each weight matrix zeroed")
    parser.add_argument("--reason", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    torch.set_num_threads(1)
    tag = promote_bad_model(args.dense, args.registry_dir, fraction=args.fraction, reason=args.reason)
    sys.stdout.write(f"{tag}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
