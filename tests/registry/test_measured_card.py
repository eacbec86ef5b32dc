"""``measured/model_card.html`` follows the packaged model, also after DVC restored an earlier run."""

import json

import pytest
import torch

from prunegate.commands import main
from prunegate.core.models import MLPSpec, build_model
from prunegate.core.serialization import ModelArtifact, save_artifact
from prunegate.registry.store import MODEL_CARD_FILE, register_model
from prunegate.reporting.measured import measured_path, write_measured_json
from prunegate.reporting.model_card import card_model_checksum

pytestmark = pytest.mark.usefixtures("tmp_bentoml_home")


def _card(checksum: str, name: str) -> str:
    return f'<html><head><meta name="prunegate-model-checksum" content="{checksum}"></head>{name}</html>'


def _packaged(tmp_path, seed: int, name: str) -> tuple[str, str, str]:
    """A model stored with its card, as the packaging node leaves it; returns (tag, checksum, card)."""
    torch.manual_seed(seed)
    spec = MLPSpec(in_features=4, num_classes=2, hidden=(3,))
    artifact = ModelArtifact.from_module(build_model(spec), spec)
    folder = tmp_path / name
    folder.mkdir()
    save_artifact(artifact, folder / "model.pt")
    card = _card(artifact.checksum, f"card of {name}")
    (folder / MODEL_CARD_FILE).write_text(card, encoding="utf-8")
    tag = register_model(
        folder / "model.pt", labels={}, metadata={"model": name}, extra_files=[folder / MODEL_CARD_FILE]
    )
    return tag, artifact.checksum, card


def _reports(reporting, checksum: str, card: str | None) -> None:
    reporting.mkdir(exist_ok=True)
    (reporting / "blessing.json").write_text(json.dumps({"blessed": True, "candidate": "pruned"}))
    info = {"model_checksum": checksum, "runtime": "torch", "model_tag": "m:x", "bento_tag": None}
    write_measured_json(reporting / "packaging.json", info, ["model_tag", "bento_tag"])
    if card is not None:
        measured_path(reporting / MODEL_CARD_FILE).write_text(card, encoding="utf-8")


def test_after_a_restore_the_card_is_the_one_stored_with_the_packaged_model(tmp_path, capsys):
    tag_a, checksum_a, card_a = _packaged(tmp_path, 1, "a")
    _, _, card_b = _packaged(tmp_path, 2, "b")
    reporting = tmp_path / "reporting"
    _reports(reporting, checksum_a, card_b)  # DVC restored run a's reports; measured/ is run b's
    assert main(["summary", "--reporting-dir", str(reporting)]) == 0
    card = measured_path(reporting / MODEL_CARD_FILE)
    assert card.read_text(encoding="utf-8") == card_a
    assert f"model card: {card} is now the card stored with {tag_a}" in capsys.readouterr().out


def test_the_packaged_models_own_card_is_left_alone(tmp_path, capsys):
    _, checksum_a, card_a = _packaged(tmp_path, 1, "a")
    reporting = tmp_path / "reporting"
    _reports(reporting, checksum_a, card_a + "<!-- as written by this run -->")
    assert main(["summary", "--reporting-dir", str(reporting)]) == 0
    assert measured_path(reporting / MODEL_CARD_FILE).read_text(encoding="utf-8").endswith("this run -->")
    assert "model card:" not in capsys.readouterr().out


def test_another_models_card_is_removed_when_the_store_lacks_the_packaged_model(tmp_path, capsys):
    _, _, card_b = _packaged(tmp_path, 2, "b")
    reporting = tmp_path / "reporting"
    _reports(reporting, "0" * 64, card_b)
    assert main(["summary", "--reporting-dir", str(reporting)]) == 0
    assert not measured_path(reporting / MODEL_CARD_FILE).exists()
    out = capsys.readouterr().out
    assert "described another model and was removed" in out and "dvc repro -f -s package" in out


def test_a_rendered_card_names_its_model_checksum():
    from tests.reporting.test_model_card import _inputs

    from prunegate.reporting.model_card import render_model_card

    assert card_model_checksum(render_model_card(_inputs(model_checksum="ab12" * 16))) == "ab12" * 16
    assert card_model_checksum(render_model_card(_inputs())) is None
