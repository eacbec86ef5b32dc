"""The short summary table printed at the end of ``make run``, read from ``data/08_reporting``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prunegate.reporting.markdown import markdown_table
from prunegate.reporting.measured import read_measured_json

__all__ = ["MODEL_ROLES", "render_summary"]

# model role -> its metrics file under the reporting folder, in pipeline order
MODEL_ROLES = {
    "dense": "dense_metrics.json",
    "pruned": "pruned_metrics.json",
    "distilled": "distilled_metrics.json",
}
_COLUMNS = [
    ("accuracy", "accuracy", "{:.4f}"),
    ("f1_macro", "macro F1", "{:.4f}"),
    ("params", "params", "{:,}"),
    ("nonzero_params", "non-zero", "{:,}"),
    ("macs", "MACs", "{:,}"),
    ("size_bytes", "bytes", "{:,}"),
    ("estimated_energy_uj", "est. µJ", "{:.2f}"),
    ("measured_energy_uj", "RAPL µJ", "{:.2f}"),
    ("latency_ms_p50_b1", "p50 ms b1", "{:.3f}"),
    ("latency_ms_p50_b256", "p50 ms b256", "{:.3f}"),
]
_BASELINE = "dense"


def _read_json(path: Path) -> dict[str, Any] | None:
    return read_measured_json(path)  # with the timings and store tags kept in measured/


def _cell(metrics: dict[str, Any], key: str, fmt: str) -> str:
    value = metrics.get(key)
    return "-" if value is None else fmt.format(value)


def _versus(metrics: dict[str, Any], baseline: dict[str, Any] | None) -> list[str]:
    """Accuracy change (percentage points), MAC reduction and batch-256 speedup against the dense model;
    each ``-`` on its own where a value is missing (timings left out after a cache restore, say)."""
    base = baseline or {}

    def compared(key: str, show) -> str:
        value, reference = metrics.get(key), base.get(key)
        try:
            return "-" if value is None or reference is None else show(value, reference)
        except ZeroDivisionError:
            return "-"

    return [
        compared("accuracy", lambda value, reference: f"{100 * (value - reference):+.2f}"),
        compared("macs", lambda value, reference: f"{reference / value:.1f}x"),
        compared("latency_ms_p50_b256", lambda value, reference: f"{reference / value:.1f}x"),
    ]


_OOD_PREFIX = "ood_auroc_msp_"


def _ood_lines(reporting_dir: Path) -> list[str]:
    """OOD AUROC (max softmax probability) per OOD set and model, your own file (``user``) included."""
    evaluation = _read_json(reporting_dir / "evaluation.json") or {}
    models = [role for role in MODEL_ROLES if isinstance(evaluation.get(role), dict)]
    sets = sorted(
        {
            key[len(_OOD_PREFIX) :]
            for role in models
            for key in evaluation[role]
            if key.startswith(_OOD_PREFIX)
        }
    )
    if not sets:
        return []
    lines = [
        "",
        "OOD detection, AUROC of the max softmax probability (test rows vs each OOD set; `user`: your file "
        "at `ood_data.path`; energy scores and FPR@95 in evaluation.json):",
        "",
    ]
    rows = [
        [role] + [_cell(evaluation[role], _OOD_PREFIX + name, "{:.3f}") for name in sets] for role in models
    ]
    return lines + markdown_table(["model", *sets], rows)


def _packaging_lines(
    packaging: dict[str, Any] | None, blessing: dict[str, Any] | None, champion_checksum: str | None
) -> list[str]:
    """What was packaged, and what to do next; nothing when nothing was ever packaged."""
    if not packaging or not blessing:
        return []
    checksum = str(packaging.get("model_checksum", ""))
    if not blessing["blessed"]:  # the gate stopped this run: packaging.json is an earlier run's
        return [
            f"- not packaged: packaging.json and measured/model_card.html still describe the model packaged "
            f"before ({checksum[:12]})"
        ]
    if checksum and checksum == champion_checksum:
        next_step = f"it already is the champion ({checksum[:12]}), nothing to promote"
    else:
        next_step = "`make promote` then `make serve` to serve it"
    if "model_tag" in packaging:
        return [
            f"- packaged: `{packaging['model_tag']}` (runtime {packaging['runtime']}), "
            f"Bento `{packaging['bento_tag']}`; {next_step}"
        ]
    return [  # outputs restored by DVC: the tags (measured/) are another run's and were left out
        f"- packaged (runtime {packaging['runtime']}) by an earlier run whose outputs DVC restored: "
        "`make promote` finds that model in the store by its checksum; "
        f"`.venv/bin/dvc repro -f -s package` builds its Bento again; {next_step}"
    ]


# metrics that tell one model from another: equal in a stage's own file and in evaluation.json
_SAME_MODEL_KEYS = ("accuracy", "f1_macro", "macs", "params", "nonzero_params", "size_bytes")


def _model_metrics(reporting_dir: Path, role: str, evaluation: dict[str, Any]) -> dict[str, Any] | None:
    """A model's metrics from its stage's own file, with the evaluation stage's measurement of the same
    model over them: there every model was measured in one process (the speedups compare like with like),
    it is what the gate judged, and it was measured again when DVC restored the model's stage from its
    cache (that stage's timings, another run's, are then left out). ``evaluation.json`` of another model
    (a run stopped before the evaluation) is not used."""
    own = _read_json(reporting_dir / MODEL_ROLES[role])
    measured = evaluation.get(role)
    if own is None or not isinstance(measured, dict) or own.get("accuracy") is None:
        return own
    if any(own.get(key) != measured.get(key) for key in _SAME_MODEL_KEYS):
        return own
    return {**own, **measured}


def render_summary(
    reporting_dir: Path, notes: Sequence[str] = (), champion_checksum: str | None = None
) -> str:
    """A markdown summary: data checks, the verdict and packaging (then ``notes``, lines about them), then
    one row per model that has a metrics file.

    ``champion_checksum`` is the checksum of the model in ``champion/``: a packaged model that already is
    the champion is not offered for promotion again.
    """
    lines = ["", "## prunegate run summary", ""]
    leakage = _read_json(reporting_dir / "leakage_report.json")
    if leakage:
        lines.append(
            f"- data: {leakage['rows']} rows -> train {leakage['train_rows']} / val {leakage['val_rows']} / "
            f"test {leakage['test_rows']}; {leakage['dropped_rows']} leaked row(s) dropped"
        )
    validation = _read_json(reporting_dir / "validation_result.json")
    if validation:
        failures = sum(len(table["failures"]) for table in validation["tables"].values())
        state = "passed" if validation["success"] else f"FAILED ({failures} failed expectations)"
        lines.append(f"- data validation: {state} (report: {reporting_dir / 'validation_report.md'})")
    blessing = _read_json(reporting_dir / "blessing.json")
    if blessing:
        verdict = "BLESSED (shipped)" if blessing["blessed"] else "NOT BLESSED (not shipped)"
        report = reporting_dir / "gate_report.md"
        lines.append(f"- gate: candidate `{blessing['candidate']}` {verdict} (report: {report})")
    lines += _packaging_lines(_read_json(reporting_dir / "packaging.json"), blessing, champion_checksum)
    lines += notes
    titles = [title for _, title, _ in _COLUMNS] + ["Δ acc pp", "MACs ÷", "speedup b256"]
    evaluation = _read_json(reporting_dir / "evaluation.json") or {}
    models = {role: _model_metrics(reporting_dir, role, evaluation) for role in MODEL_ROLES}
    rows = [
        [role, *[_cell(metrics, key, fmt) for key, _, fmt in _COLUMNS], *_versus(metrics, models[_BASELINE])]
        for role, metrics in models.items()
        if metrics is not None
    ]
    lines += [
        "",
        *markdown_table(["model", *titles], rows or [["(no model metrics yet)"] + [""] * len(titles)]),
    ]
    if any(metrics is not None and "latency_ms_p50_b256" not in metrics for metrics in models.values()):
        lines.append(
            "\n`-` under a timing: no timing of that model in this run's outputs (DVC restored its stage "
            "from the cache, where timings are left out, and the evaluation did not measure that same "
            "model); `.venv/bin/prunegate run --force` measures every model again."
        )
    if rows and not any(
        "measured_energy_uj" in (_read_json(reporting_dir / f) or {}) for f in MODEL_ROLES.values()
    ):
        lines.append(
            "\nEnergy per inference is estimated (Horowitz 2014's per-operation energies, Yang et al. 2017's "
            "layer model); this machine has no readable RAPL power meter (/sys/class/powercap) to measure it."
        )
    lines += _ood_lines(reporting_dir)
    return "\n".join(lines) + "\n"
