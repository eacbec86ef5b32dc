import json
import re
import subprocess
import sys

import numpy as np
import pytest

from prunegate.data.tables import sklearn_digits
from prunegate.monitoring.drift import constant_columns, drift_report

DRIFT_SHARE = 0.3
BRIGHTNESS = 4.0  # added to every pixel of the shifted window (pixels are 0..16)
PIXEL_MAX = 16.0


@pytest.fixture(scope="module")
def digits_split():
    """A 70% reference and the 30% held out, from the same distribution."""
    digits = sklearn_digits()
    reference = digits.sample(frac=0.7, random_state=0)
    return reference, digits.drop(reference.index)


@pytest.fixture(scope="module")
def features(digits_split):
    return [column for column in digits_split[0].columns if column != "target"]


@pytest.fixture(scope="module")
def calm(digits_split, features):
    """Held-out rows, predicted perfectly: no drift of any kind expected."""
    reference, held_out = digits_split
    return drift_report(
        reference,
        held_out,
        features,
        drift_share=DRIFT_SHARE,
        reference_prediction=reference["target"].astype(str),
        current_prediction=held_out["target"].astype(str),
    )


@pytest.fixture(scope="module")
def shifted(digits_split, features):
    """Held-out rows made brighter, and every prediction the same class."""
    reference, held_out = digits_split
    brighter = held_out.copy()
    brighter[features] = np.clip(brighter[features] + BRIGHTNESS, 0, PIXEL_MAX)
    return drift_report(
        reference,
        brighter,
        features,
        drift_share=DRIFT_SHARE,
        reference_prediction=reference["target"].astype(str),
        current_prediction=brighter["target"].map(lambda _: "3"),
    )


def test_a_window_from_the_reference_distribution_shows_no_drift(calm, digits_split):
    assert not calm.dataset_drift
    assert calm.drift_share < DRIFT_SHARE
    assert calm.prediction_drift is False
    assert (calm.rows_reference, calm.rows_current) == tuple(len(t) for t in digits_split)
    assert set(calm.drifted_columns) == {c for c, v in calm.per_column.items() if v["drifted"]}


def test_a_brighter_window_drifts_and_names_the_columns(shifted):
    assert shifted.dataset_drift
    assert shifted.drift_share >= 0.5
    assert len(shifted.drifted_columns) >= 0.5 * len(shifted.per_column)
    assert shifted.per_column[shifted.drifted_columns[0]]["score"] > 0
    assert shifted.per_column[shifted.drifted_columns[0]]["method"]


def test_the_drifted_share_is_the_share_of_columns_whose_test_failed(shifted, calm):
    for result in (shifted, calm):
        assert result.drift_share == pytest.approx(len(result.drifted_columns) / len(result.per_column))


def test_the_page_opens_with_the_decision_the_verdict_and_every_column_drifted_first(shifted):
    page = shifted.html(decision=["Monitoring decision: retrain (drift)"])
    body = page.index(">", page.index("<body")) + 1
    summary_end = page.index("</section>", body)
    summary = page[body:summary_end]
    assert summary.startswith('<section id="prunegate-drift-summary"')
    assert "<h2>Data drift: drifted</h2><p>Monitoring decision: retrain (drift)</p>" in summary
    assert f"{len(shifted.drifted_columns)} of {len(shifted.per_column)} columns drifted" in summary
    assert "Prediction drift: yes" in summary
    excluded = shifted.excluded_constant_columns
    assert (
        f"Not tested: {len(excluded)} column(s) constant in the reference ({', '.join(excluded)})" in summary
    )
    cells = re.findall(r"<td>([^<]*)</td>", summary)
    listed = [cell for cell in cells if cell in shifted.per_column]
    assert listed[: len(shifted.drifted_columns)] == sorted(
        shifted.drifted_columns, key=lambda column: -shifted.per_column[column]["score"]
    )
    assert set(listed) == set(shifted.per_column)
    assert "True" not in cells and "False" not in cells and cells.count("yes") == len(shifted.drifted_columns)


def test_all_predictions_one_class_is_prediction_drift(shifted, calm):
    assert shifted.prediction_drift is True
    assert shifted.prediction_drift_score is not None
    assert shifted.prediction_drift_method == calm.prediction_drift_method


def test_constant_reference_columns_are_excluded(calm, digits_split, features):
    constant = constant_columns(digits_split[0], features)
    assert "pixel_0_0" in constant
    assert calm.excluded_constant_columns == constant
    assert not set(constant) & set(calm.per_column)
    assert len(calm.per_column) == len(features) - len(constant)


def test_to_dict_is_json_without_the_snapshot_and_html_renders(calm):
    summary = json.loads(json.dumps(calm.to_dict(), allow_nan=False))
    assert "snapshot" not in summary
    assert summary["drift_share"] == calm.drift_share
    assert calm.html().lstrip().lower().startswith("<!doctype html") or "<html" in calm.html()[:2000]


def test_bad_inputs_are_refused_before_evidently_runs(digits_split, features):
    reference, held_out = digits_split
    with pytest.raises(ValueError, match="lacks feature columns"):
        drift_report(reference, held_out.drop(columns=["pixel_3_3"]), features, drift_share=DRIFT_SHARE)
    with pytest.raises(ValueError, match="both reference_prediction and current_prediction"):
        drift_report(
            reference, held_out, features, drift_share=DRIFT_SHARE, reference_prediction=reference["target"]
        )
    with pytest.raises(ValueError, match="every feature column is constant"):
        drift_report(reference, held_out, ["pixel_0_0"], drift_share=DRIFT_SHARE)
    with pytest.raises(ValueError, match="current data is empty"):
        drift_report(reference, held_out.iloc[0:0], features, drift_share=DRIFT_SHARE)


def test_importing_monitoring_does_not_import_evidently():
    code = (
        "import sys, prunegate.monitoring, prunegate.pipelines.monitoring.nodes, prunegate.hooks; "
        "print(any(m.split('.')[0] == 'evidently' for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_sampled_check_sees_fewer_rows_reports_both_counts_and_keeps_the_verdicts(
    digits_split, features, calm, shifted
):
    reference, held_out = digits_split
    brighter = held_out.copy()
    brighter[features] = np.clip(brighter[features] + BRIGHTNESS, 0, PIXEL_MAX)
    for full, window in ((calm, held_out), (shifted, brighter)):
        sampled = drift_report(
            reference,
            window,
            features,
            drift_share=DRIFT_SHARE,
            reference_prediction=reference["target"].astype(str),
            current_prediction=window["target"].astype(str),
            sample_rows=400,
        )
        assert (sampled.rows_reference, sampled.rows_current) == (len(reference), len(window))
        assert (sampled.sampled_rows_reference, sampled.sampled_rows_current) == (400, 400)
        assert sampled.dataset_drift == full.dataset_drift
    assert (calm.sampled_rows_reference, calm.sampled_rows_current) == (None, None)  # every row tested
