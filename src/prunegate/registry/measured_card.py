"""Keep ``measured/model_card.html`` the card of the model the reports beside it describe.

The packaging stage writes the card to ``data/08_reporting/measured/``, which no DVC stage declares (it
shows timings). When DVC restores an earlier run's outputs from its cache without running the stage, that
file still holds the card of the last model packaged, another model. Each card names the checksum of the
model it describes, and ``packaging.json`` (a DVC output) names the packaged model's: when they differ, the
card stored with that model's store version (checksummed with the version) is copied in its place; if the
store holds no such version, the stale card is removed rather than left describing another model.
"""

from __future__ import annotations

import logging
from pathlib import Path

from prunegate.core.serialization import ModelArtifactError
from prunegate.registry.store import MODEL_CARD_FILE, RegistryError, find_version, model_path
from prunegate.reporting.measured import measured_path, read_measured_json, write_text_atomically
from prunegate.reporting.model_card import card_model_checksum

__all__ = ["align_measured_card"]

logger = logging.getLogger(__name__)


def align_measured_card(reporting_dir: Path) -> str | None:
    """Make ``<reporting_dir>/measured/model_card.html`` the packaged model's card; says what it changed.

    Returns:
        A line for the run summary when the card was replaced or removed; None when it already was the
        packaged model's card, there is no card, or nothing was packaged.
    """
    packaging = read_measured_json(reporting_dir / "packaging.json") or {}
    checksum = packaging.get("model_checksum")
    card = measured_path(reporting_dir / MODEL_CARD_FILE)
    if not checksum or not card.is_file():  # nothing packaged, or no card to mislead anyone
        return None
    if card_model_checksum(card.read_text(encoding="utf-8")) == checksum:
        return None
    try:
        tag = find_version(checksum)
        stored = model_path(tag).parent / MODEL_CARD_FILE if tag else None  # every stored file verified
    except (RegistryError, ModelArtifactError) as error:
        logger.warning("the packaged model's card could not be read from the store: %s", error)
        tag, stored = None, None
    if stored is not None and stored.is_file():
        write_text_atomically(card, stored.read_text(encoding="utf-8"))
        return (
            f"- model card: {card} is now the card stored with {tag}, the packaged model "
            "(DVC restored that run's outputs; the file held another model's card)"
        )
    card.unlink()
    return (
        f"- model card: {card} described another model and was removed (the store holds no card of the "
        "packaged model); `.venv/bin/dvc repro -f -s package` writes it again"
    )
