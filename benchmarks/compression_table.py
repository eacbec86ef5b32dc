"""Markdown report of the compression benchmark: one table per section, the targets, the notes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from benchmarks.compression_stats import TargetCheck, metric_mean, metric_std
from prunegate.reporting.markdown import markdown_table

__all__ = ["render_report"]

Entry = Mapping[str, Any]
Column = tuple[str, Callable[[Entry], str]]

_KB = 1000.0
_MISSING = "—"


def _pm(name: str, digits: int = 2, scale: float = 1.0, suffix: str = "") -> Callable[[Entry], str]:
    """Formats a metric's ``mean ± std`` (scaled), or a dash when no seed measured it."""

    def cell(entry: Entry) -> str:
        mean, std = metric_mean(entry, name), metric_std(entry, name)
        if mean is None:
            return _MISSING
        return f"{mean / scale:.{digits}f} ± {std / scale:.{digits}f}{suffix}"

    return cell


def _label(name: str) -> Callable[[Entry], str]:
    def cell(entry: Entry) -> str:
        value = entry["labels"].get(name, _MISSING)
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)

    return cell


def _field(name: str, fmt: str = "") -> Callable[[Entry], str]:
    return lambda entry: _MISSING if entry.get(name) is None else format(entry[name], fmt)


def _runs(entry: Entry) -> str:
    return f"{entry['n_ok']}" + (f" ({entry['n_failed']} failed)" if entry["n_failed"] else "")


def _table(columns: Sequence[Column], entries: Sequence[Entry]) -> list[str]:
    if not entries:
        return ["(not run)"]
    lines = markdown_table(
        [title for title, _ in columns], [[cell(entry) for _, cell in columns] for entry in entries]
    )
    failures = [
        f"- {entry['method']} @ {entry['target']}: {error}" for entry in entries for error in entry["errors"]
    ]
    return lines + (["", "Failures:", *failures] if failures else [])


def _speedups(batches: Sequence[int]) -> list[Column]:
    return [
        (f"speedup b{batch}", _pm(f"speedup_b{batch}", suffix="x")) for batch in sorted(batches, reverse=True)
    ]


def _latencies(batches: Sequence[int]) -> list[Column]:
    return [(f"p50 b{batch} (ms)", _pm(f"latency_ms_p50_b{batch}", 3)) for batch in batches]


def _section(aggregates: Sequence[Entry], name: str) -> list[Entry]:
    return [entry for entry in aggregates if entry["section"] == name]


def _targets(checks: Sequence[TargetCheck]) -> list[str]:
    lines = []
    for check in checks:
        lines.append(
            f"- **({check.key}) {check.title}: {'met' if check.met else 'NOT met'}** — {check.summary}"
        )
        lines += [f"  - {detail}" for detail in check.details]
    return lines


def _notes(meta: Mapping[str, Any]) -> list[str]:
    test_rows = meta["test_rows"]
    return [
        f"- Accuracy drop: dense teacher of the same seed minus the compressed model, on the {test_rows}-row "
        f"test split (one test row = {100.0 / test_rows:.2f} pp). Every method fine-tunes with the same "
        f"budget ({meta['finetune_epochs']} epochs in total, {meta['schedule']} schedule in {meta['steps']} "
        "steps), except `snip`, which prunes at initialisation and then trains from scratch with the dense "
        f"recipe ({meta['training_epochs']} epochs). Training used {meta['training_threads']} torch "
        "thread(s).",
        f"- Latency: p50 of {meta['repeats']} runs after {meta['warmup']} warm-up runs, {meta['threads']} "
        "thread(s), eager PyTorch on this CPU; speedup = dense p50 / compressed p50 with the dense teacher "
        "re-measured right before each model (paired timing). MACs are counted by torch's FLOP counter at "
        "batch 1; MAC ratio = dense MACs / compressed MACs.",
        "- Unstructured sparsity is that of the prunable weights (hidden layers; the classifier and the "
        "biases are never pruned); the overall column counts every parameter. The weights stay dense, so "
        "MACs and latency do not change: the gain is storage (zlib-compressed artifact).",
        "- int8: `torch.ao` dynamic quantization of every Linear. The FLOP counter does not see quantized "
        "ops, so the MACs (and params) reported for int8 are the float model's. Sizes are "
        "`torch.save(state_dict)` bytes for both float and int8. The quantized model is the structured "
        f"one with the best *validation* accuracy at reduction {meta['student_reduction']:g} (not selected "
        "on test).",
        f"- Distillation: Hinton KD (T={meta['temperature']:g}, alpha={meta['alpha']:g}) from the dense "
        f"teacher into a fresh student with the widths of the {meta['student']} model; the scratch "
        f"student has the same architecture, epochs ({meta['distillation_epochs']}) and optimiser, "
        "without the teacher.",
    ]


def render_report(aggregates: Sequence[Entry], checks: Sequence[TargetCheck], meta: Mapping[str, Any]) -> str:
    """The whole markdown report; ``meta`` describes the run (seeds, grid, profiling and budgets)."""
    batches = list(meta["latency_batches"])
    seeds = ", ".join(map(str, meta["seeds"]))
    lines = [
        "# Compression benchmark",
        "",
        f"Grid `{meta['grid']}`, seeds {seeds}; every cell is mean ± std over seeds (Blalock et al., 2020).",
        "",
        *(
            [
                f"**Run on {meta['fanout']} of one host**: cells ran side by side, so the latencies and "
                "speedups below shared the CPU with other cells; for timing, run with one worker.",
                "",
            ]
            if meta.get("shared_host")
            else []
        ),
        "## Dense teacher",
        "",
        *_table(
            [
                ("runs", _runs),
                ("accuracy", _pm("accuracy", 4)),
                ("params", _pm("params", 0)),
                ("MACs", _pm("macs", 0)),
                ("size (kB)", _pm("size_bytes", 1, _KB)),
                ("zlib size (kB)", _pm("size_bytes_zlib", 1, _KB)),
                *_latencies(batches),
                ("train s", _pm("seconds", 1)),
            ],
            _section(aggregates, "dense"),
        ),
        "",
        f"## 1. Unstructured: global {meta['unstructured_criterion']}, fine-tuned",
        "",
        *_table(
            [
                ("target sparsity", _field("target", "g")),
                ("sparsity (prunable)", _pm("sparsity", 4)),
                ("sparsity (all params)", _pm("overall_sparsity", 4)),
                ("acc drop (pp)", _pm("accuracy_drop_pp")),
                ("nonzero params", _pm("nonzero_params", 0)),
                ("zlib size (kB)", _pm("size_bytes_zlib", 1, _KB)),
                ("zlib size ratio", _pm("zlib_size_ratio", suffix="x")),
                ("runs", _runs),
            ],
            _section(aggregates, "unstructured"),
        ),
        "",
        "## 2. Structured: MAC budget, per criterion and allocation",
        "",
        *_table(
            [
                ("MAC reduction", _field("target", "g")),
                ("criterion", _label("criterion")),
                ("allocation", _label("allocation")),
                ("acc drop (pp)", _pm("accuracy_drop_pp")),
                ("MAC ratio", _pm("mac_ratio", suffix="x")),
                ("param ratio", _pm("param_ratio", suffix="x")),
                *_speedups(batches),
                ("widths", _label("widths")),
                ("runs", _runs),
            ],
            _section(aggregates, "structured"),
        ),
        "",
        "## 3. Distillation vs training from scratch (same student architecture and epochs)",
        "",
        *_table(
            [
                ("student", _field("method")),
                ("widths", _label("widths")),
                ("accuracy", _pm("accuracy", 4)),
                ("acc drop (pp)", _pm("accuracy_drop_pp")),
                ("MAC ratio", _pm("mac_ratio", suffix="x")),
                ("runs", _runs),
            ],
            _section(aggregates, "distillation"),
        ),
        "",
        "## 4. int8 dynamic quantization of the best structured model",
        "",
        *_table(
            [
                ("model", _field("method")),
                ("source", _label("source")),
                ("acc drop (pp)", _pm("accuracy_drop_pp")),
                ("MAC ratio", _pm("mac_ratio", suffix="x")),
                ("state dict (kB)", _pm("state_dict_bytes", 1, _KB)),
                ("size ratio", _pm("size_ratio", suffix="x")),
                *_latencies(batches),
                *_speedups(batches),
                ("runs", _runs),
            ],
            _section(aggregates, "quantization"),
        ),
        "",
        "## Targets (on the means over seeds)",
        "",
        *_targets(checks),
        "",
        "## Notes",
        "",
        *_notes(meta),
    ]
    return "\n".join(lines) + "\n"
