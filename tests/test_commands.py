"""The `prunegate` command: writing a starting schema and printing the run summary."""

import json
import shutil

import pytest
from tests.conftest import PROJECT_ROOT, table_rows

from prunegate.commands import main
from prunegate.data.tables import write_table
from prunegate.validation import load_schema


def test_infer_schema_writes_a_schema_that_validates_its_source(tmp_path, digits):
    data = tmp_path / "trusted.parquet"
    write_table(digits.rename(columns={"target": "digit label"}), data)
    out = tmp_path / "schema.yml"
    assert main(["infer-schema", "--data", str(data), "--target", "digit label", "--out", str(out)]) == 0
    schema = load_schema(out)
    assert schema.target_column == "digit label"
    assert len(schema.feature_columns) == 64
    assert schema.labels == list(range(10))


def test_infer_schema_on_a_bad_file_exits_2_with_a_message(tmp_path, caplog):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert (
        main(["infer-schema", "--data", str(empty), "--target", "y", "--out", str(tmp_path / "s.yml")]) == 2
    )
    assert "empty" in caplog.text
    assert not (tmp_path / "s.yml").exists()


def test_summary_compares_models_with_the_dense_one(tmp_path, capsys):
    keys = {
        "f1_macro": 0.9,
        "params": 100,
        "nonzero_params": 100,
        "size_bytes": 1000,
        "latency_ms_p50_b1": 0.1,
    }
    dense = {**keys, "accuracy": 0.98, "macs": 1000, "latency_ms_p50_b256": 0.4}
    pruned = {**keys, "accuracy": 0.975, "macs": 100, "latency_ms_p50_b256": 0.1}
    (tmp_path / "dense_metrics.json").write_text(json.dumps(dense))
    (tmp_path / "pruned_metrics.json").write_text(json.dumps(pruned))
    assert main(["summary", "--reporting-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = table_rows(out)
    pruned_row = next(row for row in rows if row[0] == "pruned")
    assert pruned_row[-3:] == ["-0.50", "10.0x", "4.0x"]
    assert "distilled" not in [row[0] for row in rows]
    assert "no readable RAPL power meter" in out  # no model has a measured energy


def test_summary_shows_estimated_and_measured_energy(tmp_path, capsys):
    dense = {"accuracy": 0.98, "macs": 1000, "estimated_energy_uj": 12.345, "measured_energy_uj": 250.0}
    (tmp_path / "dense_metrics.json").write_text(json.dumps(dense))
    assert main(["summary", "--reporting-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    header, dense_row = table_rows(out)[:2]
    energy = header.index("est. µJ")
    assert header[energy : energy + 2] == ["est. µJ", "RAPL µJ"]
    assert dense_row[energy : energy + 2] == ["12.35", "250.00"]
    assert "no readable RAPL power meter" not in out


@pytest.mark.parametrize("argv", [[], ["unknown-command"]])
def test_bad_arguments_exit_with_usage(argv):
    with pytest.raises(SystemExit) as error:
        main(argv)
    assert error.value.code == 2


def test_data_init_says_when_conf_local_holds_overrides_dvc_does_not_see(tmp_path, capsys):
    shutil.copytree(PROJECT_ROOT / "conf/base", tmp_path / "conf/base")
    (tmp_path / "conf/local").mkdir(parents=True)
    (tmp_path / "conf/local/credentials.yml").write_text("{}\n")  # credentials are not parameters
    assert main(["data", "init", "--project-dir", str(tmp_path)]) == 0
    assert "conf/local holds" not in capsys.readouterr().out
    override = "pruning: {finetune: {distillation: dense}}\n"
    (tmp_path / "conf/local/parameters_pruning.yml").write_text(override)
    assert main(["data", "init", "--project-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "conf/local holds parameters_pruning.yml" in out and "DVC does not track conf/local" in out


def test_summary_shows_ood_auroc_per_set_with_the_users_file(tmp_path, capsys):
    keys = {"accuracy": 0.98, "macs": 1000, "latency_ms_p50_b256": 0.4}
    (tmp_path / "dense_metrics.json").write_text(json.dumps(keys))
    (tmp_path / "pruned_metrics.json").write_text(json.dumps(keys))
    evaluation = {
        "dense": {"ood_auroc_msp_uniform": 0.9, "ood_auroc_msp_user": 0.81, "ood_auroc_energy_user": 0.7},
        "pruned": {"ood_auroc_msp_uniform": 0.95, "ood_auroc_msp_user": 0.86},
    }
    (tmp_path / "evaluation.json").write_text(json.dumps(evaluation))
    assert main(["summary", "--reporting-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = table_rows(out)
    assert ["model", "uniform", "user"] in rows
    assert ["dense", "0.900", "0.810"] in rows and ["pruned", "0.950", "0.860"] in rows


def test_summary_after_dvc_restored_an_earlier_run_names_no_tag_of_another_model(tmp_path, capsys):
    from prunegate.reporting.measured import measured_path, write_measured_json

    (tmp_path / "blessing.json").write_text(json.dumps({"blessed": True, "candidate": "pruned"}))
    packaging = tmp_path / "packaging.json"
    info = {"model_checksum": "aaa", "model_tag": "m:first", "bento_tag": "b:first", "runtime": "onnx"}
    write_measured_json(packaging, info, ["model_tag", "bento_tag"])
    assert main(["summary", "--reporting-dir", str(tmp_path)]) == 0
    assert "- packaged: `m:first` (runtime onnx), Bento `b:first`" in capsys.readouterr().out
    restored = packaging.read_bytes()
    write_measured_json(packaging, {**info, "model_checksum": "bbb", "model_tag": "m:second"}, ["model_tag"])
    packaging.write_bytes(restored)  # dvc checkout: the report is run 1's, measured/ is run 2's
    assert "m:second" in measured_path(packaging).read_text()
    assert main(["summary", "--reporting-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "m:second" not in out and "m:first" not in out
    assert "packaged (runtime onnx) by an earlier run whose outputs DVC restored" in out


def test_summary_compares_what_it_can_when_timings_are_left_out(tmp_path, capsys):
    """After a cache restore the timings are left out; accuracy and MACs still compare with dense."""
    dense = {"accuracy": 0.98, "macs": 1000, "latency_ms_p50_b256": 0.4}
    (tmp_path / "dense_metrics.json").write_text(json.dumps(dense))
    (tmp_path / "pruned_metrics.json").write_text(json.dumps({"accuracy": 0.975, "macs": 100}))
    assert main(["summary", "--reporting-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    pruned_row = next(row for row in table_rows(out) if row[0] == "pruned")
    assert pruned_row[-3:] == ["-0.50", "10.0x", "-"]
    assert "`-` under a timing: no timing of that model in this run's outputs" in out


_MODEL = {
    "accuracy": 0.975,
    "f1_macro": 0.97,
    "macs": 100,
    "params": 50,
    "nonzero_params": 50,
    "size_bytes": 900,
}


def test_summary_shows_the_evaluation_stages_timings_of_the_same_model(tmp_path, capsys):
    """A restored stage's own timings are left out; the evaluation stage measured that model again."""
    (tmp_path / "dense_metrics.json").write_text(
        json.dumps({**_MODEL, "macs": 1000, "latency_ms_p50_b256": 0.4})
    )
    (tmp_path / "pruned_metrics.json").write_text(json.dumps(_MODEL))  # timings left out
    evaluation = {
        "dense": {**_MODEL, "macs": 1000, "latency_ms_p50_b256": 0.5},
        "pruned": {**_MODEL, "latency_ms_p50_b256": 0.1},
    }
    (tmp_path / "evaluation.json").write_text(json.dumps(evaluation))
    assert main(["summary", "--reporting-dir", str(tmp_path)]) == 0
    out_text = capsys.readouterr().out
    rows = {row[0]: row for row in table_rows(out_text)}
    assert rows["dense"][10] == "0.500"  # one process measured both: the speedup compares like with like
    assert rows["pruned"][10] == "0.100" and rows["pruned"][-1] == "5.0x"
    assert "`-` under a timing" not in out_text


def test_summary_ignores_an_evaluation_of_another_model(tmp_path, capsys):
    """A run stopped after pruning: evaluation.json still describes the previous pruned model."""
    (tmp_path / "pruned_metrics.json").write_text(json.dumps({**_MODEL, "latency_ms_p50_b256": 0.2}))
    other = {**_MODEL, "macs": 80, "latency_ms_p50_b256": 0.1}
    (tmp_path / "evaluation.json").write_text(json.dumps({"pruned": other}))
    assert main(["summary", "--reporting-dir", str(tmp_path)]) == 0
    pruned = next(row for row in table_rows(capsys.readouterr().out) if row[0] == "pruned")
    assert pruned[5] == "100" and pruned[10] == "0.200"


def test_summary_of_a_run_the_gate_stopped_says_packaging_json_is_an_earlier_models(tmp_path, capsys):
    (tmp_path / "blessing.json").write_text(json.dumps({"blessed": False, "candidate": "pruned"}))
    info = {"model_checksum": "38bc8142fb37aaaa", "model_tag": "m:first", "runtime": "onnx"}
    (tmp_path / "packaging.json").write_text(json.dumps(info))
    assert main(["summary", "--reporting-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "NOT BLESSED" in out and "m:first" not in out
    assert (
        "not packaged: packaging.json and measured/model_card.html still describe the model packaged " in out
    )
    assert "(38bc8142fb37)" in out


def test_summary_does_not_offer_the_champion_for_promotion(tmp_path, capsys):
    import torch

    from prunegate.core.models import MLPSpec, build_model
    from prunegate.core.serialization import ModelArtifact, save_artifact
    from prunegate.registry import promote

    torch.manual_seed(0)
    spec = MLPSpec(in_features=4, num_classes=2, hidden=(3,))
    save_artifact(ModelArtifact.from_module(build_model(spec), spec), tmp_path / "shipped.pt")
    (tmp_path / "blessing.json").write_text(json.dumps({"blessed": True, "candidate": "pruned"}))
    (tmp_path / "candidate_metrics.json").write_text(json.dumps({"model": "pruned", "accuracy": 0.9}))
    record = promote(tmp_path, tmp_path / "shipped.pt", tmp_path / "champion", reason="r", by="t")
    info = {"model_checksum": record["checksum"], "model_tag": "m:1", "bento_tag": "b:1", "runtime": "onnx"}
    (tmp_path / "packaging.json").write_text(json.dumps(info))
    argv = ["summary", "--reporting-dir", str(tmp_path), "--champion-dir", str(tmp_path / "champion")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"it already is the champion ({record['checksum'][:12]}), nothing to promote" in out
    assert "make promote" not in out
    assert main(["summary", "--reporting-dir", str(tmp_path), "--champion-dir", str(tmp_path / "none")]) == 0
    assert "`make promote` then `make serve`" in capsys.readouterr().out


def test_data_init_puts_the_bundled_data_into_dvcs_cache_as_its_dvc_file_records(tmp_path, capsys):
    """Issue 25 item 13: the raw file was written but never cached, so `dvc exp run` could not check it
    out ("No such file ... data/01_raw/digits.csv") and `dvc push` skipped it."""
    import subprocess

    import yaml

    shutil.copytree(PROJECT_ROOT / "conf/base", tmp_path / "conf/base")
    (tmp_path / "conf/local").mkdir()
    (tmp_path / ".dvc").mkdir()
    shutil.copy2(PROJECT_ROOT / ".dvc/config", tmp_path / ".dvc/config")
    tracked = PROJECT_ROOT / "data/01_raw/digits.csv.dvc"
    (tmp_path / "data/01_raw").mkdir(parents=True)
    shutil.copy2(tracked, tmp_path / "data/01_raw/digits.csv.dvc")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    assert main(["data", "init", "--project-dir", str(tmp_path)]) == 0
    md5 = yaml.safe_load(tracked.read_text())["outs"][0]["md5"]
    assert (tmp_path / ".dvc/cache/files/md5" / md5[:2] / md5[2:]).is_file()
    assert (tmp_path / "data/01_raw/digits.csv.dvc").read_text() == tracked.read_text()  # the same bytes
    assert main(["data", "init", "--project-dir", str(tmp_path)]) == 0  # a second time: left as it is
    assert "exists; left as it is" in capsys.readouterr().out
