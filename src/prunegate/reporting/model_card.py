"""A model card for every packaged model (Mitchell et al., 2019, "Model Cards for Model Reporting").

One self-contained HTML page (no script, no external resource: it renders offline and under a strict
content security policy): model details, intended use, the data and its validation, metrics overall and
per slice with 95 % intervals, calibration, robustness and out-of-distribution detection, compression
against the dense model (parameters, MACs, size, estimated energy, measured latency), the gate's verdict
and its baselines, and a plot of the per-slice accuracies with their intervals.

Intervals on accuracies are Wilson score intervals (:mod:`prunegate.reporting.intervals`).
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prunegate.reporting.intervals import wilson_interval

__all__ = ["ModelCardInputs", "card_model_checksum", "render_model_card", "wilson_interval"]

_CHECKSUM_META = "prunegate-model-checksum"  # which model a card describes, read back by card_model_checksum


@dataclass(frozen=True)
class ModelCardInputs:
    """What the card reports; every field comes from the run's outputs (nothing is typed by hand but the
    intended use and limitations, from ``packaging.model_card``)."""

    name: str
    version: str
    candidate_role: str
    architecture: Mapping[str, Any]
    pruning_steps: int
    runtime: str
    metrics: Mapping[str, Any]
    dense_metrics: Mapping[str, Any]
    blessing: Mapping[str, Any]
    split_rows: Mapping[str, int]
    data_fingerprints: Mapping[str, str]
    feature_names: Sequence[str]
    class_names: Sequence[str]
    intended_use: str
    limitations: str
    runtime_accuracy_drop: float | None = None
    extra_notes: Sequence[str] = field(default_factory=list)
    model_checksum: str | None = None  # the model file's checksum, in a <meta> tag


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _number(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or value is None:
        return "-" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if math.isfinite(value) else str(value)
    return _e(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "") -> str:
    head = "".join(f"<th scope='col'>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _with_interval(accuracy: float | None, rows: int) -> str:
    if accuracy is None:
        return "-"
    low, high = wilson_interval(float(accuracy), rows)
    return f"{accuracy:.4f} <span class='ci'>[{low:.4f}, {high:.4f}]</span>"


def _quality(inputs: ModelCardInputs) -> str:
    rows = int(inputs.metrics.get("test_rows", 0))
    model, dense = inputs.metrics, inputs.dense_metrics
    lines = [["accuracy", _with_interval(model.get("accuracy"), rows), _number(dense.get("accuracy"))]]
    for key, label in (
        ("f1_macro", "macro F1"),
        ("precision_macro", "macro precision"),
        ("recall_macro", "macro recall"),
        ("log_loss", "log loss"),
        ("ece", "expected calibration error"),
    ):
        lines.append([label, _number(model.get(key)), _number(dense.get(key))])
    headers = ["metric", f"this model (95% interval, {rows} test rows)", "dense model"]
    return _table(headers, lines, "Quality and calibration")


def _slices(inputs: ModelCardInputs) -> str:
    slices = inputs.metrics.get("slices") or {}
    rows = []
    for name, values in slices.items():
        count = int(values.get("count", 0))
        rows.append([_e(name), _with_interval(values.get("accuracy"), count), _number(count)])
    return _table(["slice", "accuracy (95% interval)", "rows"], rows, "Accuracy per slice")


def _robustness(inputs: ModelCardInputs) -> str:
    rows_count = int(inputs.metrics.get("test_rows", 0))
    keys = sorted(k for k in inputs.metrics if k.startswith(("accuracy_noise_", "accuracy_fgsm_")))
    rows = []
    for key in keys:
        kind, _, level = key.removeprefix("accuracy_").partition("_")
        label = f"Gaussian noise, sigma {level}" if kind == "noise" else f"FGSM, epsilon {level}"
        accuracy = _with_interval(inputs.metrics[key], rows_count)
        rows.append([_e(label), accuracy, _number(inputs.dense_metrics.get(key))])
    return _table(["perturbation", "accuracy (95% interval)", "dense model"], rows, "Robustness")


def _ood(inputs: ModelCardInputs) -> str:
    keys = sorted(k for k in inputs.metrics if k.startswith("ood_auroc_"))
    rows = [
        [
            _e(key.removeprefix("ood_auroc_").replace("_", " / ")),
            _number(inputs.metrics[key]),
            _number(inputs.dense_metrics.get(key)),
            _number(inputs.metrics.get(key.replace("auroc", "fpr95"))),
        ]
        for key in keys
    ]
    return _table(
        ["score / OOD set", "AUROC", "dense AUROC", "FPR at 95% TPR"],
        rows,
        "Out-of-distribution detection (max softmax probability, energy score)",
    )


def _ratio(dense: Any, model: Any) -> str:
    try:
        return f"{float(dense) / float(model):.1f}x"
    except (TypeError, ValueError, ZeroDivisionError):
        return "-"


def _compression(inputs: ModelCardInputs) -> str:
    keys = [
        ("params", "parameters"),
        ("macs", "multiply-accumulates (one row)"),
        ("size_bytes", "file size (bytes)"),
        ("estimated_energy_uj", "estimated energy per inference (µJ)"),
        ("latency_ms_p50_b1", "measured latency, batch 1 (ms, median)"),
        ("latency_ms_p50_b256", "measured latency, batch 256 (ms, median)"),
    ]
    rows = [
        [
            _e(label),
            _number(inputs.metrics.get(key), 3),
            _number(inputs.dense_metrics.get(key), 3),
            _ratio(inputs.dense_metrics.get(key), inputs.metrics.get(key)),
        ]
        for key, label in keys
        if key in inputs.metrics
    ]
    return _table(["", "this model", "dense model", "dense ÷ this"], rows, "Compression")


def _gate(inputs: ModelCardInputs) -> str:
    verdict = "BLESSED" if inputs.blessing.get("blessed") else "NOT BLESSED"
    parts = [f"<p class='verdict'>Gate verdict: <strong>{verdict}</strong></p>"]
    for name, gate in (inputs.blessing.get("gates") or {}).items():
        baseline = (gate.get("baseline") or {}).get("description", "no baseline")
        rows = [
            [
                _e(row.get("metric")) + (f" ({_e(row['slice'])})" if row.get("slice") else ""),
                _e(row.get("threshold")),
                _number(row.get("baseline")),
                _number(row.get("candidate")),
                "skipped" if row.get("skipped") else ("passed" if row.get("passed") else "FAILED"),
                _e(row.get("reason") or ""),
            ]
            for row in gate.get("rows", [])
        ]
        parts.append(
            _table(
                ["metric", "threshold", "baseline", "this model", "result", "why"],
                rows,
                f"Gate '{name}' against {baseline}",
            )
        )
    return "".join(parts)


def _slice_plot(inputs: ModelCardInputs) -> str:
    """Per-slice accuracy with its 95 % interval, as an inline PNG (empty without slices)."""
    slices = inputs.metrics.get("slices") or {}
    if not slices:
        return ""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    names = list(slices)
    values = [float(slices[n].get("accuracy", float("nan"))) for n in names]
    counts = [int(slices[n].get("count", 0)) for n in names]
    intervals = [wilson_interval(v, c) for v, c in zip(values, counts, strict=True)]
    errors = [
        [v - low for v, (low, _) in zip(values, intervals, strict=True)],
        [high - v for v, (_, high) in zip(values, intervals, strict=True)],
    ]
    figure, axes = plt.subplots(figsize=(max(4.0, 0.45 * len(names) + 1.5), 3.0), dpi=100)
    axes.errorbar(range(len(names)), values, yerr=errors, fmt="o", capsize=3)
    overall = inputs.metrics.get("accuracy")
    if overall is not None:
        axes.axhline(float(overall), linestyle="--", linewidth=1, label="overall")
        axes.legend(loc="lower right")
    axes.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    axes.set_ylabel("accuracy")
    axes.set_title("Accuracy per slice, 95% Wilson intervals")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    alt = "accuracy per slice with 95% intervals"
    return f"<figure><img alt='{alt}' src='data:image/png;base64,{encoded}'></figure>"


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0;width:100%}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}.ci{color:#666}
.verdict strong{font-size:1.1rem}img{max-width:100%}code{background:#f4f4f4;padding:0 .2rem}
"""


def render_model_card(inputs: ModelCardInputs) -> str:
    """The model card of one packaged model as a self-contained HTML page."""
    arch = ", ".join(f"{_e(k)}={_e(v)}" for k, v in inputs.architecture.items())
    runtime = _e(inputs.runtime)
    if inputs.runtime_accuracy_drop is not None:  # an approximate runtime (int8): its own accuracy change
        change = -100 * inputs.runtime_accuracy_drop + 0.0  # + 0.0: no "-0.00"
        runtime += f" (test accuracy {change:+.2f} pp against the float model)"
    data_rows = [
        [_e(split), _number(rows), f"<code>{_e(inputs.data_fingerprints.get(split, '-'))[:16]}</code>"]
        for split, rows in inputs.split_rows.items()
    ]
    notes = "".join(f"<li>{_e(note)}</li>" for note in inputs.extra_notes)
    checksum_meta = (
        f'\n<meta name="{_CHECKSUM_META}" content="{_e(inputs.model_checksum)}">'
        if inputs.model_checksum
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">{checksum_meta}
<title>Model card: {_e(inputs.name)} {_e(inputs.version)}</title>
<style>{_STYLE}</style></head>
<body>
<h1>Model card: {_e(inputs.name)} <small>version {_e(inputs.version)}</small></h1>
<section id="details"><h2>Model details</h2><ul>
<li>Candidate: <strong>{_e(inputs.candidate_role)}</strong>;
architecture before pruning: <code>{arch}</code></li>
<li>Structured pruning steps replayed on load: {inputs.pruning_steps} (sizes after pruning: Compression)</li>
<li>Serving runtime: {runtime}</li>
<li>Inputs: {len(inputs.feature_names)} features; classes: {", ".join(_e(c) for c in inputs.class_names)}</li>
</ul></section>
<section id="intended-use"><h2>Intended use</h2><p>{_e(inputs.intended_use)}</p>
<h3>Limitations</h3><p>{_e(inputs.limitations)}</p></section>
<section id="data"><h2>Data</h2>
<p>Seeded, stratified split; cross-split leakage checked; every split passed the data validation
(Great Expectations) before training.</p>
{_table(["split", "rows", "fingerprint (SHA-256)"], data_rows)}</section>
<section id="metrics"><h2>Metrics</h2>{_quality(inputs)}{_slices(inputs)}{_slice_plot(inputs)}</section>
<section id="robustness"><h2>Robustness and out-of-distribution detection</h2>
{_robustness(inputs)}{_ood(inputs)}</section>
<section id="compression"><h2>Compression</h2>{_compression(inputs)}</section>
<section id="gate"><h2>Gate</h2>{_gate(inputs)}</section>
<section id="notes"><h2>Notes</h2><ul>{notes}
<li>Intervals are 95% Wilson score intervals on the test rows; differences inside them are noise.</li>
<li>Energy is estimated from a per-layer model (Yang et al. 2017; Horowitz 2014), not measured.</li>
</ul></section>
</body></html>
"""


def card_model_checksum(page: str) -> str | None:
    """The checksum of the model a card rendered by :func:`render_model_card` describes, or None."""
    match = re.search(rf'<meta name="{_CHECKSUM_META}" content="([0-9a-f]+)">', page)
    return match.group(1) if match else None
