"""A pull request is gated with its target branch's thresholds, not with the ones it brings.

The gate workflow runs the pull request's own checkout, so a pull request that loosened
``conf/base/parameters_gate.yml`` (``max_worsening_abs: 1.0``, ``lower_bound: 0.0``) passed its own gate
with a model 85 points worse. ``prunegate gate --base-ref origin/main`` compares the two ``gate`` sections
(parsed, so comments and layout do not count):

- the same: the run goes on;
- different, without ``--allow-gate-change`` (the workflow passes it when a maintainer put the
  ``gate-change-approved`` label on the pull request): the target branch's section is put in place for
  the run (the pull request's file is restored afterwards) and the command fails whatever the verdict;
- different and allowed: the pull request's thresholds are applied, and said to be.

Either way :func:`threshold_note` is the text the report comment and the job summary open with: which
thresholds judged the model, every check that differs, and the gate's files (code, Makefile, workflows)
the pull request changes, which CODEOWNERS sends to their owners for review.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from prunegate.gate.config import SECTION, MetricCheck, parse_gate_config

__all__ = [
    "APPROVAL_LABEL",
    "GATE_FILE",
    "PROTECTED_PATHS",
    "TargetBranchError",
    "ThresholdComparison",
    "applied_target_thresholds",
    "compare_with_target",
    "describe_check",
    "threshold_note",
]

GATE_FILE = Path("conf/base/parameters_gate.yml")
_OLD_GATE_FILE = "conf/base/gates.yml"  # before the thresholds were a parameters section
APPROVAL_LABEL = "gate-change-approved"
# what decides a pull request's verdict besides the model: its owners review a change (.github/CODEOWNERS)
PROTECTED_PATHS = (
    str(GATE_FILE),
    "src/prunegate/gate/",
    "src/prunegate/pipelines/gate/",
    "src/prunegate/target_thresholds.py",
    "Makefile",
    "dvc.yaml",
    ".github/",
)


class TargetBranchError(RuntimeError):
    """The target branch (or its gate thresholds) cannot be read: the comparison cannot be made."""


@dataclass(frozen=True)
class ThresholdComparison:
    """The pull request's ``gate`` section against its target branch's."""

    base_ref: str
    target_text: str  # the target branch's file, to put in place for the run
    removed: list[str] = field(default_factory=list)  # checks only the target branch has
    added: list[str] = field(default_factory=list)  # checks only the pull request has
    protected_changes: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # the same check, other thresholds: "old -> new"

    @property
    def differs(self) -> bool:
        return bool(self.removed or self.added or self.changed)


def compare_with_target(base_ref: str, project: Path = Path()) -> ThresholdComparison:
    """Compare ``project``'s gate thresholds and gate files with those of ``base_ref`` (a git ref).

    Raises:
        TargetBranchError: ``base_ref`` is unknown, or its thresholds cannot be read or are invalid.
    """
    target_text, target_section = _target_section(base_ref, project)
    target = parse_gate_config(target_section, f"{base_ref}:{GATE_FILE}")
    ours = parse_gate_config(_section(yaml.safe_load((project / GATE_FILE).read_text())), str(GATE_FILE))
    changed, removed, added = [], [], []
    for gate in ("compression", "regression"):
        theirs_checks = {_identity(check): describe_check(check) for check in getattr(target, gate)}
        our_checks = {_identity(check): describe_check(check) for check in getattr(ours, gate)}
        for key in sorted(theirs_checks.keys() | our_checks.keys(), key=str):
            before, after = theirs_checks.get(key), our_checks.get(key)
            if before == after:
                continue
            if before is not None and after is not None:
                changed.append(f"{gate}: {before} -> {_settings(after)}")
            elif before is not None:
                removed.append(f"{gate}: {before}")
            else:
                added.append(f"{gate}: {after}")
    return ThresholdComparison(
        base_ref, target_text, removed, added, _protected_changes(base_ref, project), changed
    )


def _identity(check: MetricCheck) -> tuple[str, str | None, str]:
    """What makes two checks the same check with other thresholds: metric, slice and direction."""
    return check.metric, check.slice, check.direction


def _settings(described: str) -> str:
    return described.partition(": ")[2]


def describe_check(check: MetricCheck) -> str:
    """One check in one line: ``accuracy[class=3] higher: max_worsening_abs=0.005, confidence=0.95``."""
    fields = check.model_dump(exclude_none=True, exclude={"metric", "slice", "direction", "description"})
    if fields.get("when_undecided") == "point_estimate":
        del fields["when_undecided"]  # the default
    where = f"[{check.slice}]" if check.slice else ""
    settings = ", ".join(
        f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"
        for key, value in sorted(fields.items())
    )
    return f"{check.metric}{where} {check.direction}: {settings}"


def threshold_note(comparison: ThresholdComparison, allowed: bool) -> str:
    """Markdown: which thresholds judged the model, what differs, which gate files changed."""
    ref = comparison.base_ref
    if not comparison.differs:
        lines = [f"Thresholds: the target branch's (`{ref}`); this pull request does not change them."]
    elif allowed:
        lines = [
            f"⚠️ **This pull request changes the gate's thresholds**, approved (`--allow-gate-change`; in CI "
            f"the `{APPROVAL_LABEL}` label): its own were applied, not the target branch's (`{ref}`)."
        ]
    else:
        lines = [
            f"❌ **This pull request changes the gate's thresholds, so the gate fails** whatever the verdict "
            f"below, until a maintainer approves the change (in CI: the `{APPROVAL_LABEL}` label; locally: "
            f"`--allow-gate-change`). The verdict below is the model judged with the target branch's "
            f"thresholds (`{ref}`), not with this pull request's."
        ]
    lines += [f"- changed: `{check}`" for check in comparison.changed]
    lines += [f"- removed: `{check}`" for check in comparison.removed]
    lines += [f"- added: `{check}`" for check in comparison.added]
    if comparison.protected_changes:
        files = ", ".join(f"`{path}`" for path in comparison.protected_changes)
        lines.append(
            f"\nThis pull request also changes files that decide the gate ({files}): their owners "
            "review it (.github/CODEOWNERS)."
        )
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def applied_target_thresholds(comparison: ThresholdComparison, project: Path = Path()) -> Iterator[None]:
    """The target branch's gate file in place for the run; the pull request's put back afterwards."""
    path = project / GATE_FILE
    ours = path.read_bytes()
    path.write_text(comparison.target_text)
    try:
        yield
    finally:
        path.write_bytes(ours)


def _git(project: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *arguments], cwd=project, capture_output=True, text=True, check=False)


def _target_section(base_ref: str, project: Path) -> tuple[str, Any]:
    if _git(project, "rev-parse", "--verify", "--quiet", f"{base_ref}^{{commit}}").returncode != 0:
        raise TargetBranchError(f"--base-ref {base_ref}: no such commit here (fetch it: git fetch origin)")
    shown = _git(project, "show", f"{base_ref}:{GATE_FILE}")
    if shown.returncode == 0:
        return shown.stdout, _section(yaml.safe_load(shown.stdout))
    old = _git(project, "show", f"{base_ref}:{_OLD_GATE_FILE}")
    if old.returncode == 0:  # the target branch still has the old layout: the same checks, unwrapped
        return yaml.safe_dump({SECTION: yaml.safe_load(old.stdout)}, sort_keys=False), yaml.safe_load(
            old.stdout
        )
    raise TargetBranchError(
        f"{base_ref} has neither {GATE_FILE} nor {_OLD_GATE_FILE}: no thresholds to apply"
    )


def _section(document: Any) -> Any:
    return document.get(SECTION) if isinstance(document, dict) else None


def _protected_changes(base_ref: str, project: Path) -> list[str]:
    changed = _git(project, "diff", "--name-only", f"{base_ref}...HEAD")
    names = changed.stdout.split() if changed.returncode == 0 else []
    return sorted(name for name in names if name.startswith(PROTECTED_PATHS))
