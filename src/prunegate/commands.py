"""prunegate, the project's command line: run, data, gate, promote, rollback, serve, monitor, registry.

`prunegate run` and `prunegate gate` reproduce the DVC stages (each stage runs `kedro run --pipelines
<name>`); `kedro run` still runs the Kedro pipelines directly, outside DVC's cache.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from pathlib import Path

__all__ = ["main"]


GATE_REPORT = Path("data/08_reporting/gate_report.md")
THRESHOLD_NOTE = Path("data/08_reporting/gate_thresholds.md")  # which thresholds judged a pull request


def _dvc(*arguments: str) -> int:
    """``dvc <arguments>`` of this environment in the project folder, its output shown as it comes."""
    import os
    import subprocess

    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    return subprocess.run([sys.executable, "-m", "dvc", *arguments], env=env, check=False).returncode


def _parameters_refused() -> bool:
    """Validate the project's parameters as every stage's ``kedro run`` will, before DVC starts a stage.

    DVC removes a stage's outputs before it runs the stage's command: a bad key found by the stage's
    ``kedro run`` would leave the previous model files deleted. Checked here, it loses nothing.
    """
    from prunegate.errors import find_user_error, user_message
    from prunegate.hooks import validate_project_parameters

    try:
        validate_project_parameters(Path.cwd())
    except Exception as error:
        user_error = find_user_error(error)
        if user_error is None:
            raise
        sys.stderr.write(
            f"prunegate: the parameters are invalid; nothing was run\n{user_message(user_error)}\n"
        )
        return True
    return _untracked_overrides_refused()


def _untracked_overrides_refused() -> bool:
    """Refuse ``conf/local`` values DVC would ignore (:mod:`prunegate.untracked_overrides`)."""
    from prunegate.untracked_overrides import untracked_overrides

    found = untracked_overrides(Path.cwd())
    if not found:
        return False
    listed = "\n".join(f"  {line}" for line in found)
    sys.stderr.write(
        "prunegate: conf/local overrides what DVC tracks; nothing was run\n"
        f"{listed}\n"
        "DVC decides what to re-run from conf/base alone, so these would be ignored by a cached stage, and "
        "dvc.lock would record values the outputs were not made with. Put the change in conf/base (to "
        "keep), or try it as an experiment (the command above), and remove it from conf/local "
        "(conf/local/README.md)\n"
    )
    return True


def _run(args: argparse.Namespace) -> int:
    import time

    if _parameters_refused():
        return 1
    _data_init(argparse.Namespace(project_dir="."))  # the bundled data when the raw file is missing
    started = time.time()
    status = _dvc("repro", *(["--force"] if args.force else []), args.target)
    args.reporting_dir = "data/08_reporting"
    if status == 0:
        return _summary(args)
    if _gate_refused_since(Path(args.reporting_dir) / "blessing.json", started):
        _summary(args)  # the refused candidate's numbers, and that nothing was packaged
        sys.stderr.write(GATE_REFUSED_HINT)
    else:
        sys.stderr.write(_restore_hint(args.target))
    return status


GATE_REFUSED_HINT = (
    "prunegate: the gate did not bless the candidate (the failed checks are above; report: "
    f"{GATE_REPORT}): nothing was shipped or packaged, and the champion and what serves are unchanged. "
    "To get the last blessed run's outputs back, undo the change and `make run`: DVC restores the stages "
    "whose inputs match an earlier run from its cache instead of running them again (a `dvc checkout` now "
    "would put this run's models beside the last blessed verdict)\n"
)


def _gate_refused_since(blessing: Path, started: float) -> bool:
    """Whether the gate wrote a NOT BLESSED verdict during this run (the run's one expected failure)."""
    import json

    try:
        fresh = blessing.stat().st_mtime >= started - 1  # coarse file-system clocks
        return fresh and json.loads(blessing.read_text()).get("blessed") is False
    except (OSError, ValueError, AttributeError):
        return False


def _restore_hint(target: str) -> str:
    """What to do after a stage failed: fix or undo and run again, or put back what dvc.lock records."""
    return (
        "prunegate: the run stopped (the error is above). Fix the cause, or undo the change, and `make run` "
        "again: DVC restores the stages whose inputs match an earlier run from its cache instead of running "
        "them again. DVC removed the failed stage's earlier outputs before running it; "
        f"`.venv/bin/dvc checkout --with-deps --force {target}` puts back what dvc.lock records now without "
        "running anything: the outputs of the stages this run finished, and the last good ones of the rest. "
        "It writes over the reports the failed stage just wrote, so read those first (the validation "
        "report, if validation failed); your raw data file stays as it is\n"
    )


def _gate(args: argparse.Namespace) -> int:
    from prunegate.params import ConfigError
    from prunegate.target_thresholds import (
        TargetBranchError,
        applied_target_thresholds,
        compare_with_target,
        threshold_note,
    )

    GATE_REPORT.unlink(missing_ok=True)  # never show an earlier run's verdict
    THRESHOLD_NOTE.unlink(missing_ok=True)
    if _parameters_refused():
        sys.stdout.write("no gate report: the parameters are invalid (the error is above)\n")
        return 1
    comparison = None
    if args.base_ref:
        try:
            comparison = compare_with_target(args.base_ref)
        except (TargetBranchError, ConfigError) as error:
            sys.stderr.write(f"prunegate: {error}; nothing was run\n")
            return 1
        THRESHOLD_NOTE.parent.mkdir(parents=True, exist_ok=True)
        THRESHOLD_NOTE.write_text(threshold_note(comparison, args.allow_gate_change))
        sys.stdout.write(THRESHOLD_NOTE.read_text() + "\n")
    refused = comparison is not None and comparison.differs and not args.allow_gate_change
    with applied_target_thresholds(comparison) if refused else contextlib.nullcontext():
        status = _dvc("repro", "gate")
    if GATE_REPORT.is_file():
        sys.stdout.write(GATE_REPORT.read_text())
    else:
        sys.stdout.write("no gate report: the run stopped before the gate (the error is above)\n")
    if refused:
        sys.stderr.write(
            "prunegate: this pull request changes the gate's thresholds: the target branch's judged the "
            "model (above), and the gate fails until the change is approved (--allow-gate-change; in CI the "
            "gate-change-approved label)\n"
        )
        return status or 1
    return status


def _summary(args: argparse.Namespace) -> int:
    from prunegate.registry.champion import champion_checksum
    from prunegate.registry.measured_card import align_measured_card
    from prunegate.summary import render_summary

    reporting_dir = Path(args.reporting_dir)
    card = align_measured_card(reporting_dir)  # after a DVC restore it may be another model's card
    champion = champion_checksum(Path(getattr(args, "champion_dir", "champion")))
    sys.stdout.write(render_summary(reporting_dir, [card] if card else [], champion))
    return 0


def _infer_schema(args: argparse.Namespace) -> int:
    from prunegate.data.tables import read_table
    from prunegate.validation.schema import dump_schema, infer_schema

    frame = read_table(args.data)
    features = args.feature_columns.split(",") if args.feature_columns else None
    schema = infer_schema(frame, target_column=args.target, feature_columns=features)
    dump_schema(schema, args.out)
    sys.stdout.write(f"wrote a starting schema for {len(frame)} rows of {args.data} to {args.out}\n")
    return 0


def _plots(args: argparse.Namespace) -> int:
    from prunegate.reporting.dvc_plots import write_plots_page

    out = write_plots_page(Path.cwd(), Path(args.out), args.diff or [])
    sys.stdout.write(f"plots: {out} (renders offline)\n")
    return 0


def _data_init(args: argparse.Namespace) -> int:
    from prunegate.data.raw_source import ensure_raw_data, read_raw_data_source
    from prunegate.dvc_cli import DvcCommandError, run_dvc

    project = Path(args.project_dir)
    raw = project / read_raw_data_source(project).path
    existed = raw.exists()
    sys.stdout.write(ensure_raw_data(project) + "\n")
    if not existed and (project / ".dvc").is_dir():
        # into DVC's cache, as its committed .dvc file records it: `dvc exp run` checks the raw data out of
        # the cache, and `dvc push` sends only what the cache holds
        try:
            run_dvc(project, "add", str(raw.relative_to(project)))
        except DvcCommandError as error:  # e.g. not a git repository: the file is there, say what is missing
            sys.stderr.write(
                f"note: {raw.relative_to(project)} is not in DVC's cache ({error}); `dvc push` and "
                "`dvc exp run` need it there: run `dvc add` on it in the git repository\n"
            )
    overrides = sorted(
        path.name for path in (project / "conf" / "local").glob("*.yml") if path.name != "credentials.yml"
    )
    if overrides:  # `make run` runs this first: say it before DVC decides what to re-run
        sys.stdout.write(
            f"note: conf/local holds {', '.join(overrides)}: Kedro applies them, but DVC does not track "
            "conf/local, so `make run` does not re-run a stage for them (see conf/local/README.md)\n"
        )
    return 0


def _data_use(args: argparse.Namespace) -> int:
    from prunegate.data.use_data import use_own_data

    lines = use_own_data(
        Path(args.project_dir),
        Path(args.path),
        args.target,
        separator=args.sep,
        ignore=args.ignore.split(",") if args.ignore else None,
        input_shape=[int(size) for size in args.input_shape.split(",")] if args.input_shape else None,
        architecture=args.architecture,
        range_margin=args.range_margin,
    )
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _promote(args: argparse.Namespace) -> int:
    """Make the shipped model the champion in ``champion/`` and in the serving registry.

    Each side that already holds the shipped model (by its checksum) is left as it is: promoting the
    champion over itself would record it as its own previous champion, leaving nothing to roll back to.
    A ``make run`` after a promote packages the same model again under a new store tag (``champion/`` is
    an evaluation input), so the serving side compares checksums, not tags.
    """
    from prunegate.core.serialization import ModelArtifactError
    from prunegate.registry import PromotionError, promote
    from prunegate.registry.champion import champion_checksum
    from prunegate.registry.store import RegistryError, promote_version

    packaging = Path(args.reporting_dir) / "packaging.json"
    if not args.metrics_only and not packaging.is_file():
        logging.getLogger("prunegate").error(
            "%s is missing: run `make run` (it packages blessed models)", packaging
        )
        return 1
    champion_dir, registry_dir = Path(args.champion_dir), Path(args.registry_dir)
    try:
        # the store version is found and verified before anything is written
        tag = None if args.metrics_only else _packaged_version(packaging, Path(args.model))
        checksum = _checksum_or_none(Path(args.model))  # a missing or corrupt file: promote() says why
        serving = None if args.metrics_only else _serving_champion_holding(registry_dir, checksum)
        record = None
        if checksum is None or champion_checksum(champion_dir) != checksum:
            record = promote(
                Path(args.reporting_dir), Path(args.model), champion_dir, reason=args.reason, by=args.by
            )
        if tag and serving is None:
            promote_version(registry_dir, tag, reason=args.reason, by=args.by)
            serving = tag
    except (PromotionError, RegistryError, ModelArtifactError) as error:
        logging.getLogger("prunegate").error("%s", error)
        return 1
    serving_text = f"; serving {serving}" if serving else ""
    if record is None:
        sys.stdout.write(
            f"{checksum[:12]} is already the champion{f' (serving {serving})' if serving else ''}: "
            f"{champion_dir}/ unchanged\n"
        )
        return 0
    sys.stdout.write(
        f"promoted {record['model']} ({record['checksum'][:12]}) to champion{serving_text}; "
        f"commit {champion_dir}/ so that pull requests are gated against it\n"
    )
    return 0


def _checksum_or_none(model: Path) -> str | None:
    from prunegate.core.serialization import ModelArtifactError, load_artifact

    try:
        return load_artifact(model).checksum  # verified against the file's checksum
    except (ModelArtifactError, OSError):
        return None


def _serving_champion_holding(registry_dir: Path, checksum: str | None) -> str | None:
    """The serving champion's tag when it holds the model with ``checksum`` (under any tag), else None."""
    from prunegate.registry.store import RegistryError, model_metadata, read_pointer

    champion = read_pointer(registry_dir).champion
    if champion is None or checksum is None:
        return None
    try:
        return champion if model_metadata(champion).get("checksum") == checksum else None
    except RegistryError:
        return None


def _packaged_version(packaging: Path, shipped: Path) -> str:
    """The store version holding the shipped model itself, whichever run packaged it.

    The tag the packaging run recorded is used when it holds this very model. It may not: after DVC
    restored an earlier run's outputs from its cache (``measured/``, where tags live, is no DVC output),
    the shipped model is an earlier one, still in the store; it is found there by its checksum.
    """
    from prunegate.core.serialization import load_artifact
    from prunegate.registry import PromotionError
    from prunegate.registry.store import RegistryError, find_version, model_metadata, model_path
    from prunegate.reporting.measured import read_measured_json

    if not shipped.is_file():
        raise PromotionError(f"{shipped} is missing: only a blessed run writes it")
    checksum = load_artifact(shipped).checksum
    recorded = (read_measured_json(packaging, warn=False) or {}).get("model_tag")  # checked below
    try:
        holds_it = bool(recorded) and model_metadata(recorded).get("checksum") == checksum
    except RegistryError:
        holds_it = False
    tag = recorded if holds_it else find_version(checksum)
    if tag is None:
        raise RegistryError(
            f"the shipped model {shipped} ({checksum[:12]}) is not in the model store: "
            "`.venv/bin/dvc repro -f -s package` packages it again; nothing was promoted"
        )
    model_path(tag)  # every stored file checked against its digest
    return tag


def _rollback(args: argparse.Namespace) -> int:
    """Serve the previous champion again, then make it the git champion too (else PRs meet a lower bar)."""
    from prunegate.registry import PromotionError, restore_champion
    from prunegate.registry.store import RegistryError, rollback

    log = logging.getLogger("prunegate")
    try:
        pointer = rollback(Path(args.registry_dir), reason=args.reason, by=args.by)
    except RegistryError as error:
        log.error("%s", error)
        return 1
    serving = f"rolled back: now serving {pointer.champion} (a running service reloads it)"
    try:
        record = restore_champion(Path(args.champion_dir), pointer.champion, reason=args.reason, by=args.by)
    except (PromotionError, RegistryError, OSError) as error:
        log.error(
            "%s; but %s/ was NOT updated: %s. The serving rollback already happened; pull requests are still "
            "gated against the rolled-back model until %s/ holds %s",
            serving,
            args.champion_dir,
            error,
            args.champion_dir,
            pointer.champion,
        )
        return 1
    sys.stdout.write(
        f"{serving}; {args.champion_dir}/ now holds {record['model']} ({record['checksum'][:12]}): "
        f"commit {args.champion_dir}/ so that pull requests are gated against it\n"
    )
    return 0


def _history(args: argparse.Namespace) -> int:
    from prunegate.registry.serving_view import serving_view
    from prunegate.registry.store import history, read_pointer
    from prunegate.registry.table import registry_table

    pointer = read_pointer(Path(args.registry_dir))
    champion, previous = _with_checksum(pointer.champion), _with_checksum(pointer.previous)
    view = serving_view(pointer)
    serving = _with_checksum(view.serving) if view.serving else "nothing"
    table = registry_table(champion, previous, history(Path(args.registry_dir)), serving=serving)
    if view.problem:
        table = f"WARNING: {view.problem}\n" + table
    sys.stdout.write(table)
    return 0


def _with_checksum(tag: str | None) -> str | None:
    """``tag`` with its model's checksum, the one ``champion/model.json`` and ``packaging.json`` name."""
    from prunegate.registry.store import RegistryError, model_metadata

    if tag is None:
        return None
    try:
        checksum = str(model_metadata(tag).get("checksum", "unknown"))
    except RegistryError:
        return f"{tag} (not in the model store)"
    return f"{tag} (model checksum {checksum[:12]})"


def _monitor(args: argparse.Namespace) -> int:
    from prunegate.monitoring.command import monitor
    from prunegate.monitoring.live_accuracy import describe_live

    result = monitor(Path.cwd(), Path(args.registry_dir), act=args.act)
    summary = result["summary"]
    lines = [f"decision: {summary['decision']}", *[f"  - {reason}" for reason in summary.get("reasons", [])]]
    lines.append(describe_live(summary.get("live", {})))
    outcome = result.get("outcome", {})
    if outcome:
        lines.append(f"action: {outcome['action']} (recorded in the registry history)")
    else:
        lines.append("not acted on or recorded: `prunegate monitor --act` (make monitor) carries it out")
    if "git_champion" in outcome:
        lines.append(f"git champion: {outcome['git_champion']}")
    lines.append("report: data/08_reporting/drift_report.html, data/08_reporting/monitoring_summary.json")
    sys.stdout.write("\n".join(lines) + "\n")
    return 1 if outcome.get("git_champion_updated") is False or outcome.get("failed") else 0


def _serve(args: argparse.Namespace) -> int:
    from prunegate.serving.launch import serve

    return serve(args.host, args.port, args.bentoml_args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prunegate", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="the whole chain with DVC (unchanged stages are skipped), then the summary (make run)",
        description="Check every parameters section, write the bundled digits data when the raw file is "
        "missing, reproduce the DVC stages up to --target (unchanged ones are skipped or restored from DVC's "
        "cache) and print the summary. When a stage fails, its exit status is kept and the command that "
        "restores the last good outputs is printed.",
    )
    run.add_argument("--target", default="package", help="the last DVC stage to reproduce (default: package)")
    run.add_argument("--force", action="store_true", help="run every stage again, changed or not")
    run.set_defaults(handler=_run)

    gate = commands.add_parser(
        "gate",
        help="reproduce up to the gate and print its report (make gate)",
        description="Reproduce the DVC stages up to the gate (unchanged ones are restored from DVC's cache) "
        "and print this run's gate report. Exit status 0 when the candidate is BLESSED, non-zero when it "
        "is not or when the run stopped before the gate (the report of an earlier run is never shown).",
    )
    gate.add_argument(
        "--base-ref",
        help="the pull request's target branch (e.g. origin/main): its gate thresholds judge the model, and "
        "a pull request that changes them fails unless --allow-gate-change; the comparison is written to "
        f"{THRESHOLD_NOTE}",
    )
    gate.add_argument(
        "--allow-gate-change",
        action="store_true",
        help="apply the pull request's own thresholds where they differ from --base-ref's (a maintainer "
        "approved the change)",
    )
    gate.set_defaults(handler=_gate)

    summary = commands.add_parser("summary", help="print the summary table of the last run")
    summary.add_argument("--reporting-dir", default="data/08_reporting")
    summary.add_argument("--champion-dir", default="champion", help="the git champion (champion/)")
    summary.set_defaults(handler=_summary)

    plots = commands.add_parser("plots", help="the DVC plots as one HTML page that renders offline")
    plots.add_argument("--diff", nargs="*", metavar="REV", help="compare with these git revisions, e.g. main")
    plots.add_argument("--out", default="data/08_reporting/plots.html")
    plots.set_defaults(handler=_plots)

    schema = commands.add_parser("infer-schema", help="write a starting data schema from a trusted table")
    schema.add_argument("--data", required=True, help="trusted CSV or Parquet file")
    schema.add_argument("--target", required=True, help="name of the label column")
    schema.add_argument("--feature-columns", default=None, help="comma-separated; default: all but target")
    schema.add_argument("--out", default="conf/base/data_schema.yml")
    schema.set_defaults(handler=_infer_schema)

    data = commands.add_parser("data", help="the project's raw data")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    data_init = data_commands.add_parser(
        "init", help="write the bundled default raw data when the raw file is missing (never overwrites)"
    )
    data_init.add_argument("--project-dir", default=".")
    data_init.set_defaults(handler=_data_init)
    data_use = data_commands.add_parser(
        "use",
        help="make your CSV or Parquet file the project's raw data (checked, DVC-tracked, settings derived)",
    )
    data_use.add_argument("path", help="your CSV or Parquet file")
    data_use.add_argument("--target", required=True, help="the label column")
    data_use.add_argument("--sep", default=None, help="CSV separator (default ','); e.g. ';' or '\\t'")
    data_use.add_argument("--ignore", default=None, help="comma-separated columns that are not features")
    data_use.add_argument(
        "--input-shape", default=None, help="how one row is shaped: C,L (signals) or C,H,W (images)"
    )
    data_use.add_argument("--architecture", default=None, help="set training.architecture (e.g. resnet1d)")
    data_use.add_argument(
        "--range-margin", type=float, default=0.1, help="schema ranges: observed range +- this fraction"
    )
    data_use.add_argument("--project-dir", default=".")
    data_use.set_defaults(handler=_data_use)

    promote = commands.add_parser("promote", help="make the blessed candidate of the last run the champion")
    promote.add_argument("--reason", required=True, help="why (recorded in champion/history.jsonl)")
    promote.add_argument("--by", default=None, help="who (default: the current user)")
    promote.add_argument(
        "--reporting-dir",
        default="data/08_reporting",
        help="the run's reports (blessing, packaging)",
    )
    promote.add_argument(
        "--model", default="data/06_models/shipped.pt", help="the blessed model file the run shipped"
    )
    promote.add_argument(
        "--champion-dir", default="champion", help="the git champion, written here: commit it"
    )
    promote.add_argument(
        "--registry-dir", default="registry", help="the serving registry (pointer.json, history.jsonl)"
    )
    promote.add_argument("--metrics-only", action="store_true", help="only champion/ (no serving registry)")
    promote.set_defaults(handler=_promote)

    back = commands.add_parser("rollback", help="serve the previous champion again (and rewrite champion/)")
    back.add_argument("--reason", required=True, help="why (recorded in both histories)")
    back.add_argument("--by", default=None)
    back.add_argument("--registry-dir", default="registry")
    back.add_argument("--champion-dir", default="champion", help="rewritten to the model serving again")
    back.set_defaults(handler=_rollback)

    watch = commands.add_parser("monitor", help="drift and live accuracy of served traffic, and a decision")
    watch.add_argument("--act", action="store_true", help="carry out the decision (rollback or retrain)")
    watch.add_argument("--registry-dir", default="registry")
    watch.set_defaults(handler=_monitor)

    serve = commands.add_parser(
        "serve", help="check that there is a model to serve, then start the BentoML service"
    )
    serve.add_argument("--host", help="default: serving.host in conf/base/parameters_serving.yml")
    serve.add_argument("--port", type=int, help="default: serving.port")
    serve.add_argument("bentoml_args", nargs=argparse.REMAINDER, help="passed on to `bentoml serve`")
    serve.set_defaults(handler=_serve)

    registry = commands.add_parser("registry", help="the serving champion, previous, and the history")
    registry.add_argument("--registry-dir", default="registry")
    registry.set_defaults(handler=_history)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, OSError, RuntimeError) as error:
        logging.getLogger("prunegate").error("%s", error)
        return 2


if __name__ == "__main__":
    sys.exit(main())
