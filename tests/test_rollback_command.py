"""``prunegate rollback``: the previous champion serves again and becomes the git champion (champion/)."""

import json
from pathlib import Path

import pytest
import torch

from prunegate.commands import main
from prunegate.core.models import MLPSpec, build_model
from prunegate.core.serialization import ModelArtifact, load_artifact, save_artifact
from prunegate.registry.store import METRICS_FILE, history, model_path, read_pointer, register_model

pytestmark = pytest.mark.usefixtures("tmp_bentoml_home")


def _blessed_run(reporting, seed: int, name: str, accuracy: float) -> str:
    """The outputs of a blessed, packaged run (as `make run` leaves them); returns the store tag."""
    reporting.mkdir(exist_ok=True)
    torch.manual_seed(seed)
    spec = MLPSpec(in_features=4, num_classes=2, hidden=(3,))
    shipped = reporting / "shipped.pt"
    save_artifact(ModelArtifact.from_module(build_model(spec), spec), shipped)
    metrics = {"model": name, "accuracy": accuracy, "slices": {"class=1": {"accuracy": accuracy}}}
    for file_name in ("candidate_metrics.json", METRICS_FILE):
        (reporting / file_name).write_text(json.dumps(metrics))
    (reporting / "blessing.json").write_text(json.dumps({"blessed": True, "candidate": name}))
    tag = register_model(shipped, labels={}, metadata={"model": name}, extra_files=[reporting / METRICS_FILE])
    (reporting / "packaging.json").write_text(json.dumps({"model_tag": tag}))
    return tag


@pytest.fixture
def two_promotions(tmp_path):
    """Champion ``a`` promoted, then ``b``: the registry can roll back from b to a."""
    reporting, champion, registry = tmp_path / "reporting", tmp_path / "champion", tmp_path / "registry"
    tags = []
    for seed, name, accuracy in ((1, "a", 0.97), (2, "b", 0.91)):
        tags.append(_blessed_run(reporting, seed, name, accuracy))
        argv = ["promote", "--reason", f"promote {name}", "--by", "tester"]
        paths = ["--reporting-dir", str(reporting), "--model", str(reporting / "shipped.pt")]
        dirs = ["--champion-dir", str(champion), "--registry-dir", str(registry)]
        assert main([*argv, *paths, *dirs]) == 0
    return champion, registry, tags


def test_rollback_rewrites_the_git_champion_and_says_to_commit_it(two_promotions, capsys):
    champion, registry, (tag_a, _) = two_promotions
    capsys.readouterr()
    argv = ["rollback", "--reason", "b is worse", "--by", "oncall"]
    assert main([*argv, "--registry-dir", str(registry), "--champion-dir", str(champion)]) == 0
    out = capsys.readouterr().out
    assert f"now serving {tag_a}" in out
    assert f"{champion}/ now holds a" in out
    assert f"commit {champion}/" in out
    assert load_artifact(champion / "model.pt").checksum == load_artifact(model_path(tag_a)).checksum
    assert json.loads((champion / "metrics.json").read_text())["accuracy"] == 0.97
    lines = (champion / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["promote", "promote", "rollback"]


def test_a_champion_dir_that_cannot_be_written_fails_after_the_serving_rollback(
    two_promotions, tmp_path, caplog
):
    champion, registry, (tag_a, _) = two_promotions
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the champion folder's parent should be")
    before = (champion / "model.pt").read_bytes()
    argv = ["rollback", "--reason", "b is worse", "--registry-dir", str(registry)]
    assert main([*argv, "--champion-dir", str(blocker / "champion")]) == 1
    assert "was NOT updated" in caplog.text
    assert "serving rollback already happened" in caplog.text
    assert f"now serving {tag_a}" in caplog.text
    assert read_pointer(registry).champion == tag_a  # the registry rollback stands
    assert history(registry)[-1]["event"] == "rollback"
    assert (champion / "model.pt").read_bytes() == before


@pytest.mark.parametrize(("updated", "code"), [(True, 0), (False, 1)])
def test_monitor_prints_what_happened_to_the_git_champion(monkeypatch, capsys, updated, code):
    outcome = {"decision": "rollback", "action": "rolled back", "git_champion_updated": updated}
    outcome["git_champion"] = "champion/ now holds a" if updated else "champion/ NOT updated (read-only)"
    result = {"summary": {"decision": "rollback", "reasons": ["live accuracy fell"]}, "outcome": outcome}
    monkeypatch.setattr("prunegate.monitoring.command.monitor", lambda project, registry, act: result)
    assert main(["monitor", "--act"]) == code
    assert f"git champion: {outcome['git_champion']}" in capsys.readouterr().out


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_promote_of_a_corrupt_store_copy_changes_nothing_and_says_why(tmp_path, capsys, caplog, damage):
    """All or nothing: the store copy is verified before champion/ or the registry is written."""
    reporting, champion, registry = tmp_path / "reporting", tmp_path / "champion", tmp_path / "registry"
    tag = _blessed_run(reporting, 1, "a", 0.97)
    stored = model_path(tag)
    data = stored.read_bytes()
    stored.write_bytes(data[: len(data) // 2] if damage == "truncate" else data[:-100] + bytes(100))
    argv = [
        "promote",
        "--reason",
        "r",
        "--reporting-dir",
        str(reporting),
        "--model",
        str(reporting / "shipped.pt"),
    ]
    assert main([*argv, "--champion-dir", str(champion), "--registry-dir", str(registry)]) == 1
    assert not champion.exists() or not any(champion.iterdir())
    assert not (registry / "pointer.json").exists()
    assert "checksum differs" in caplog.text and "Traceback" not in caplog.text + capsys.readouterr().err


def _promote(reporting, champion, registry) -> int:
    paths = ["--reporting-dir", str(reporting), "--model", str(reporting / "shipped.pt")]
    dirs = ["--champion-dir", str(champion), "--registry-dir", str(registry)]
    return main(["promote", "--reason", "r", "--by", "tester", *paths, *dirs])


def test_promote_serves_the_shipped_model_when_the_recorded_tag_is_another_runs(tmp_path):
    """DVC restored run a's outputs from its cache; the recorded tag (not a DVC output) is still run b's."""
    reporting, champion, registry = tmp_path / "reporting", tmp_path / "champion", tmp_path / "registry"
    tag_a = _blessed_run(reporting, 1, "a", 0.97)
    run_a = {name: (reporting / name).read_bytes() for name in ("shipped.pt", "candidate_metrics.json")}
    run_a["blessing.json"] = (reporting / "blessing.json").read_bytes()
    tag_b = _blessed_run(reporting, 2, "b", 0.91)
    for name, content in run_a.items():
        (reporting / name).write_bytes(content)
    assert json.loads((reporting / "packaging.json").read_text())["model_tag"] == tag_b
    assert _promote(reporting, champion, registry) == 0
    assert read_pointer(registry).champion == tag_a
    shipped = load_artifact(reporting / "shipped.pt").checksum
    assert load_artifact(model_path(tag_a)).checksum == shipped
    assert load_artifact(champion / "model.pt").checksum == shipped


def test_promote_refuses_a_shipped_model_the_store_does_not_hold_and_writes_nothing(tmp_path, caplog):
    reporting, champion, registry = tmp_path / "reporting", tmp_path / "champion", tmp_path / "registry"
    _blessed_run(reporting, 1, "a", 0.97)
    spec = MLPSpec(in_features=4, num_classes=2, hidden=(5,))
    never_packaged = ModelArtifact.from_module(build_model(spec), spec)
    save_artifact(never_packaged, reporting / "shipped.pt")
    assert _promote(reporting, champion, registry) == 1
    assert "is not in the model store" in caplog.text and "dvc repro -f -s package" in caplog.text
    assert not champion.exists() and read_pointer(registry).champion is None


def test_a_second_promote_of_the_same_model_changes_nothing_and_says_so(tmp_path, capsys):
    """Promoting the champion again would record it as its own previous champion: nothing to roll back to."""
    reporting, champion, registry = tmp_path / "reporting", tmp_path / "champion", tmp_path / "registry"
    tag = _blessed_run(reporting, 1, "a", 0.97)
    assert _promote(reporting, champion, registry) == 0
    files = {path.name: path.read_bytes() for path in champion.iterdir()}
    pointer = (registry / "pointer.json").read_bytes()
    capsys.readouterr()
    assert _promote(reporting, champion, registry) == 0
    assert "already the champion" in capsys.readouterr().out
    assert {path.name: path.read_bytes() for path in champion.iterdir()} == files
    assert (registry / "pointer.json").read_bytes() == pointer
    assert [event["event"] for event in history(registry)] == ["promote"]
    assert read_pointer(registry).lineage == [tag]


def test_the_champion_packaged_again_under_a_new_tag_is_not_promoted_over_itself(tmp_path, capsys):
    """After a promote, champion/ changed (an evaluate dependency), so the next run packages the same model
    again as a new store version; promoting that must not make the champion its own previous."""
    reporting, champion, registry = tmp_path / "reporting", tmp_path / "champion", tmp_path / "registry"
    first = _blessed_run(reporting, 1, "a", 0.97)
    assert _promote(reporting, champion, registry) == 0
    again = register_model(reporting / "shipped.pt", labels={}, metadata={"model": "a"})
    assert again != first
    (reporting / "packaging.json").write_text(json.dumps({"model_tag": again}))
    capsys.readouterr()
    assert _promote(reporting, champion, registry) == 0
    assert f"already the champion (serving {first})" in capsys.readouterr().out
    assert read_pointer(registry).lineage == [first]
    assert len((champion / "history.jsonl").read_text().splitlines()) == 1


def test_promote_brings_serving_in_line_when_only_champion_dir_holds_the_model(tmp_path, capsys):
    """champion/ committed in git already holds the model, but this machine's registry serves nothing yet."""
    reporting, champion, registry = tmp_path / "reporting", tmp_path / "champion", tmp_path / "registry"
    tag = _blessed_run(reporting, 1, "a", 0.97)
    assert (
        main(
            [
                "promote",
                "--reason",
                "r",
                "--metrics-only",
                "--reporting-dir",
                str(reporting),
                "--model",
                str(reporting / "shipped.pt"),
                "--champion-dir",
                str(champion),
            ]
        )
        == 0
    )
    record = (champion / "model.json").read_bytes()
    assert _promote(reporting, champion, registry) == 0
    assert read_pointer(registry).champion == tag
    assert (champion / "model.json").read_bytes() == record  # not re-promoted over itself
    assert f"serving {tag}" in capsys.readouterr().out


def test_a_damaged_champion_dir_holding_the_model_is_written_again(tmp_path):
    reporting, champion, registry = tmp_path / "reporting", tmp_path / "champion", tmp_path / "registry"
    _blessed_run(reporting, 1, "a", 0.97)
    assert _promote(reporting, champion, registry) == 0
    model = champion / "model.pt"
    model.write_bytes(model.read_bytes()[:-100])
    assert _promote(reporting, champion, registry) == 0
    assert load_artifact(model).checksum == load_artifact(reporting / "shipped.pt").checksum
    assert len((champion / "history.jsonl").read_text().splitlines()) == 2
    assert len(history(registry)) == 1  # serving already held it


def test_promote_after_a_restore_does_not_warn_about_the_tag_it_does_not_use(tmp_path, caplog):
    """The recorded tag is another run's after a DVC restore; promote finds the model by its checksum, so
    the reader's "from another run ... run --force" warning would only confuse."""
    from prunegate.reporting.measured import write_measured_json

    reporting, champion, registry = tmp_path / "reporting", tmp_path / "champion", tmp_path / "registry"
    tag_a = _blessed_run(reporting, 1, "a", 0.97)
    packaging = reporting / "packaging.json"
    write_measured_json(packaging, {"model_checksum": "a", "model_tag": tag_a}, ["model_tag"])
    restored = packaging.read_bytes()
    write_measured_json(packaging, {"model_checksum": "b", "model_tag": "prunegate-model:b"}, ["model_tag"])
    packaging.write_bytes(restored[:-1] + b" \n")  # another report than the measured file names
    assert _promote(reporting, champion, registry) == 0
    assert read_pointer(registry).champion == tag_a
    assert "from another run" not in caplog.text


def test_registry_shows_each_champions_model_checksum(two_promotions, capsys):
    champion, registry, (tag_a, tag_b) = two_promotions
    capsys.readouterr()
    assert main(["registry", "--registry-dir", str(registry)]) == 0
    out = capsys.readouterr().out
    checksum_b = json.loads((champion / "model.json").read_text())["checksum"]
    checksum_a = load_artifact(model_path(tag_a)).checksum
    assert f"champion: {tag_b} (model checksum {checksum_b[:12]})" in out
    assert f"previous: {tag_a} (model checksum {checksum_a[:12]})" in out


def _record_of(tag: str) -> Path:
    return model_path(tag).parent / "model.yaml"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("flip a class name", "differs from the one registered"),
        ("truncate", "its record (model.yaml) cannot be read"),
        ("drop the digest", "has no record_sha256"),
    ],
)
def test_a_damaged_record_of_the_previous_champion_is_refused_in_one_line(
    two_promotions, capsys, caplog, damage, message
):
    """Issue 25 item 1: model.yaml (served class names, feature ranges, file digests) is checked too."""
    champion, registry, (tag_a, tag_b) = two_promotions
    record = _record_of(tag_a)
    text = record.read_text()
    if damage == "flip a class name":
        text = text.replace("model: a", "model: 7", 1)
    elif damage == "truncate":
        text = text[: len(text) // 2]
    else:
        text = "\n".join(line for line in text.splitlines() if "record_sha256" not in line)
    record.write_text(text)
    capsys.readouterr()
    caplog.clear()
    dirs = ["--registry-dir", str(registry), "--champion-dir", str(champion)]
    assert main(["rollback", "--reason", "b is worse", *dirs]) != 0
    shown = capsys.readouterr().err + caplog.text
    assert message in shown and tag_a in shown, shown
    assert "Traceback" not in shown and len(shown.strip().splitlines()) == 1, shown
    assert read_pointer(registry).champion == tag_b  # nothing moved
