"""The model card: every section from the run's numbers, intervals that are right, safe HTML, and a page
that a real (headless) browser renders."""

import os
import shutil
import subprocess

import pytest

from prunegate.reporting.model_card import ModelCardInputs, render_model_card, wilson_interval

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
REQUIRE_BROWSER = os.environ.get("PRUNEGATE_REQUIRE_BROWSER") == "1"  # set by .ci/run: CI must check it


def _inputs(**changes) -> ModelCardInputs:
    metrics = {
        "model": "pruned",
        "accuracy": 0.9777,
        "test_rows": 270,
        "f1_macro": 0.977,
        "ece": 0.012,
        "accuracy_noise_2": 0.95,
        "accuracy_fgsm_1": 0.6,
        "ood_auroc_msp_uniform": 0.98,
        "ood_fpr95_msp_uniform": 0.1,
        "params": 4722,
        "macs": 4640,
        "size_bytes": 25869,
        "estimated_energy_uj": 3.1,
        "latency_ms_p50_b1": 0.039,
        "slices": {
            "class=0": {"accuracy": 1.0, "count": 27},
            "class=<b>1</b>": {"accuracy": 0.5, "count": 2},
        },
    }
    dense = {
        "accuracy": 0.974,
        "params": 50826,
        "macs": 50432,
        "estimated_energy_uj": 33.0,
        "latency_ms_p50_b1": 0.06,
    }
    blessing = {
        "blessed": True,
        "candidate": "pruned",
        "gates": {
            "compression": {
                "baseline": {"description": "the dense model of this run, same test split"},
                "rows": [
                    {"metric": "accuracy", "threshold": "drop ≤ 0.005 (95% paired)", "baseline": 0.974,
                     "candidate": 0.9777, "passed": True, "reason": "undecided", "skipped": False},
                ],
            }
        },
    }  # fmt: skip
    values = {
        "name": "pruned",
        "version": "abc123def456",
        "candidate_role": "pruned",
        "architecture": {"kind": "mlp", "hidden": [32, 16]},
        "pruning_steps": 3,
        "runtime": "onnx_int8",
        "metrics": metrics,
        "dense_metrics": dense,
        "blessing": blessing,
        "split_rows": {"train": 1257, "val": 270, "test": 270},
        "data_fingerprints": {"train": "78f5a41763ef7e69f9", "test": "c88af8aa0335"},
        "feature_names": ["a", "b"],
        "class_names": ["0", "<b>1</b>"],
        "intended_use": "Reading digits <script>alert(1)</script>",
        "limitations": "Only 8x8 scans.",
        "runtime_accuracy_drop": 0.0037,
    }
    values.update(changes)
    return ModelCardInputs(**values)


@pytest.mark.parametrize(
    ("accuracy", "rows", "low", "high"),
    [
        (0.5, 100, 0.4038, 0.5962),
        (1.0, 27, 0.8754, 1.0),
        (0.0, 10, 0.0, 0.2775),
        (0.9777, 270, 0.9523, 0.9897),
    ],
)
def test_wilson_intervals_match_the_formula(accuracy, rows, low, high):
    assert wilson_interval(accuracy, rows) == pytest.approx((low, high), abs=1e-4)


def test_every_section_carries_the_runs_numbers_with_intervals():
    page = render_model_card(_inputs())
    for section in (
        "details",
        "intended-use",
        "data",
        "metrics",
        "robustness",
        "compression",
        "gate",
        "notes",
    ):
        assert f'<section id="{section}">' in page
    assert "0.9777 <span class='ci'>[0.9523, 0.9897]</span>" in page  # accuracy with its interval
    assert "0.5000 <span class='ci'>[0.0945, 0.9055]</span>" in page  # a 2-row slice: wide
    assert "10.9x" in page  # MACs, dense / this
    assert "BLESSED" in page and "the dense model of this run" in page
    assert "onnx_int8 (test accuracy -0.37 pp against the float model)" in page
    assert "data:image/png;base64," in page  # the per-slice plot, inline


def test_text_from_data_and_config_is_escaped_and_nothing_external_is_loaded():
    page = render_model_card(_inputs())
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>1</b>" not in page and "class=&lt;b&gt;1&lt;/b&gt;" in page
    assert "http://" not in page and "https://" not in page and " src='data:" in page


def test_a_card_without_slices_or_dense_metrics_still_renders():
    inputs = _inputs(metrics={"model": "m", "accuracy": 0.9, "test_rows": 10}, dense_metrics={}, blessing={})
    page = render_model_card(inputs)
    assert "NOT BLESSED" in page and "<img" not in page


def _headless(*arguments: str, profile) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}"]  # fmt: skip
    return subprocess.run([BROWSER, *flags, *arguments], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(
    BROWSER is None and not REQUIRE_BROWSER, reason="no Chromium here (make install adds it on Debian)"
)
def test_a_real_browser_renders_the_card_with_its_plot(tmp_path):
    assert BROWSER is not None, "PRUNEGATE_REQUIRE_BROWSER=1 but no chromium on PATH"
    card = tmp_path / "card.html"
    card.write_text(render_model_card(_inputs()), encoding="utf-8")
    dom = _headless("--dump-dom", card.as_uri(), profile=tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<title>Model card: pruned abc123def456</title>" in dom.stdout
    assert dom.stdout.count("<table>") >= 6 and "<caption>Accuracy per slice</caption>" in dom.stdout
    shot = tmp_path / "card.png"
    result = _headless(
        f"--screenshot={shot}", "--window-size=1000,3000", card.as_uri(), profile=tmp_path / "p2"
    )
    assert result.returncode == 0 and shot.stat().st_size > 10_000  # a rendered page, not a blank one


@pytest.mark.parametrize(("drop", "text"), [(None, None), (-0.0, "+0.00 pp"), (0.0037, "-0.37 pp")])
def test_the_runtime_accuracy_change_is_shown_for_approximate_runtimes_only(drop, text):
    page = render_model_card(_inputs(runtime_accuracy_drop=drop))
    if text is None:
        assert "against the float model" not in page
    else:
        assert f"(test accuracy {text} against the float model)" in page
