# Two entry points (see README): `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.prunegate-installed

# Telemetry off for every tool the project drives (no DNS lookups on an offline machine).
export KEDRO_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1
export DVC_NO_ANALYTICS := 1
export BENTOML_DO_NOT_TRACK := True
# the BentoML model store and Bentos live in the project, never in the user's global store
export BENTOML_HOME ?= $(CURDIR)/bentoml_home
export PATH := $(BIN):$(PATH)

# pip warns about every missing folder of this machine's local package index: drop those lines only.
PIP_FILTER := sed -u '/is ignored: it is neither a file nor a directory/d'

.PHONY: install browser run test test-e2e test-all lint data-use schema plots sweep summary bench-speedup bench-zoo bench-int8 bench-energy bench-scan ablation bench-scale bench-ddp bench-fanout airflow-dag airflow-venv bench-dense bench-compression gate promote demo-regression \
	serve rollback registry monitor simulate-drift bench-serving

install: $(STAMP)

# The stamp depends on pyproject.toml: a second install with nothing changed does nothing.
# torch is installed first and exactly: any other resolution could pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0" 2>&1 | $(PIP_FILTER)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]" 2>&1 | $(PIP_FILTER)
	@touch $@

# The raw data is an input of the chain: written once (bundled default) when missing, never replaced.
# `dvc repro package` reproduces the whole chain up to packaging; the pruning sweep is opt-in (make sweep).
run: install
	$(BIN)/prunegate run

# `make test` stays under 10 minutes on 2 cores: the end-to-end tests (marked slow, ~15 minutes: they run
# kedro and dvc on a copy of the project) are `make test-e2e`; CI (.ci/run) runs both.
test: install browser
	$(BIN)/python -m pytest -m "not slow"

# The model card test renders the card in headless Chromium. Debian's chromium is installed when it is
# missing and this is Debian/Ubuntu as root (CI); anywhere else the test is skipped with a note.
BROWSERS := chromium chromium-browser google-chrome
browser:
	@for b in $(BROWSERS); do command -v $$b >/dev/null && exit 0; done; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the model card's browser test"; \
	  apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; } || \
	    echo "note: chromium could not be installed: the model card's browser test will be skipped"; \
	else echo "note: no Chromium on PATH: the model card's browser test will be skipped"; fi

test-e2e: install browser airflow-venv
	$(BIN)/python -m pytest -m slow

# The Kedro pipelines as one Airflow DAG (kedro-airflow, deploy/airflow/dag_template.j2, conf/base/airflow.yml):
# one task per pipeline in the DVC stage order, written to airflow_dags/prunegate_dag.py. Copy it to your
# Airflow deployment's dags folder (see README, "Scaling out").
airflow-dag: install
	$(BIN)/kedro airflow create --jinja-file deploy/airflow/dag_template.j2 --target-dir airflow_dags

# Apache Airflow in its own virtualenv (its pins clash with the project's), for the test that loads the
# generated DAG with Airflow's own DagBag (~30 s from the local package index).
AIRFLOW_VENV := .venv-airflow
airflow-venv: $(AIRFLOW_VENV)/.installed
$(AIRFLOW_VENV)/.installed:
	@test -x $(AIRFLOW_VENV)/bin/python || $(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "apache-airflow==3.3.2" 2>&1 | $(PIP_FILTER)
	@touch $@

test-all: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests benchmarks examples scripts
	$(BIN)/ruff format --check src tests benchmarks examples scripts

# Make your CSV / Parquet file the project's raw data (checked, DVC-tracked, settings derived from it):
# make data-use DATA=path/to/yours.csv TARGET=label [ARGS="--sep ';' --input-shape 1,140"]
# (every option: .venv/bin/prunegate data use --help)
data-use: install
	@if [ -z "$(DATA)" ] || [ -z "$(TARGET)" ]; then \
		echo "usage: make data-use DATA=path/to/yours.csv TARGET=label_column [ARGS=\"--sep ';'\"]" >&2; exit 2; fi
	$(BIN)/prunegate data use "$(DATA)" --target "$(TARGET)" $(ARGS)

# Write a starting data schema from a trusted dataset: make schema DATA=path/to/trusted.csv TARGET=label
schema: install
	$(BIN)/prunegate infer-schema --data "$(DATA)" --target "$(TARGET)" --out conf/base/data_schema.yml

# The pruning sweep (methods x budgets, table + plots), the `sweep` stage; not part of `make run`.
sweep: install
	$(BIN)/prunegate data init
	$(BIN)/dvc repro sweep

# The DVC plots as one offline HTML page (data/08_reporting/plots.html); make plots REV=main compares.
plots: install
	$(BIN)/prunegate plots $(if $(REV),--diff $(REV))

summary: install
	$(BIN)/prunegate summary

# Test accuracy (clean and under input noise) of the default dense model over 3 training seeds (after
# `make run`); `... dense_seeds --min-std-ratio 0 0.5` compares without and with the standardisation floor.
# Measured speedup of structured pruning vs its MAC reduction (2x, 4x, 10x; with and without channel
# counts rounded to multiples of 8) on a ResNet-18 layout at 3x32x32, eager and ONNX Runtime, 1 thread,
# batch 1 and 32 (~5 minutes). Writes data/08_reporting/bench_pruning_speedup.json.
bench-speedup: install
	$(BIN)/python -m benchmarks.pruning_speedup

# Structured pruning of the zoo ResNet-1D on the harder built-in signal set (issue 9's targets): every
# criterion x allocation, Torch-Pruning's default recipe and the pruned widths from scratch, at 4x and 10x
# fewer MACs, 3 seeds (~35 minutes on one core; no `make run` needed).
# Writes data/08_reporting/bench_zoo_compression.{json,md}.
bench-zoo: install
	$(BIN)/python -m benchmarks.zoo_compression --criteria magnitude_l2 taylor --seeds 0 1 2

# Static int8 (ONNX Runtime QDQ, per-channel weights) against float ONNX for the zoo 1-D ResNet, 2-D ResNet
# and an MLP, dense and 10x pruned, 3 seeds: accuracy lost and speedup at batch 1 and 32 on one thread
# (issue 12's int8 targets; no `make run` needed). Writes data/08_reporting/bench_int8.{json,md}.
bench-int8: install
	$(BIN)/python -m benchmarks.static_int8 --seeds 0 1 2

# Energy-aware against MAC-aware structured pruning (sensitivity allocation, estimated joules per inference)
# on the zoo 1-D ResNet and an MLP, 3 seeds (issue 12's energy target; no `make run` needed).
# Writes data/08_reporting/bench_energy.{json,md}.
bench-energy: install
	$(BIN)/python -m benchmarks.energy_allocation --seeds 0 1 2

# Is the sensitivity scan signal or noise? Two scans on disjoint validation halves, accuracy against loss
# (issue 12 item 7; about 5 minutes, no `make run` needed). Writes data/08_reporting/bench_scan.{json,md}.
bench-scan: install
	$(BIN)/python -m benchmarks.scan_agreement --seeds 0 1 2

# Ablation of the shipped pruning recipe (make sure each component earns its place): no fine-tuning,
# distillation, sparsity regularisation, the other criterion, allocation and schedule, one at a time, on
# the zoo 1-D ResNet, 3 seeds, with OOD AUROC beside accuracy (issue 12; ~30 minutes on one core, no
# `make run` needed). Writes data/08_reporting/ablation.{json,md,png}.
ablation: install
	$(BIN)/python -m benchmarks.ablation --seeds 0 1 2

# Rows at scale: ingestion, validation, training (2 epochs) and the drift check on 10k, 100k and 1M
# synthetic rows x 64 features, one process per stage: work seconds and peak RSS; then the error of the
# sampled drift check (monitoring.drift_sample_rows) against every row (issue 13; no `make run` needed).
# Writes data/08_reporting/bench_scale.{json,md} and bench_drift_sampling.{json,md}.
bench-scale: install
	$(BIN)/python -m benchmarks.scale --rows 10000 100000 1000000
	$(BIN)/python -m benchmarks.drift_sampling

# One process vs 2 PyTorch DDP processes (gloo, CPU) for training, pruning fine-tuning and distillation,
# the project's own nodes and parameters, 3 seeds: test accuracy and wall time (issue 13; after `make run`;
# ~6 minutes on 2 cores). Writes data/08_reporting/bench_ddp.{json,md}.
bench-ddp: install
	$(BIN)/python -m benchmarks.ddp --seeds 0 1 2 --nproc 2

# The pruning sweep (make sweep's 12 cells, x 3 seeds) on 1 vs 2 local Dask workers, 3 alternating
# rounds: median wall time and whether the rows agree (issue 13; after `make run`; ~10 minutes). Writes
# data/08_reporting/bench_fanout.{json,md}.
bench-fanout: install
	$(BIN)/python -m benchmarks.sweep_fanout --workers 2 --repeats 3 --seeds 0 1 2

bench-dense: install
	$(BIN)/python -m benchmarks.dense_seeds --seeds 0 1 2

# Pruning (unstructured + structured, 6 criteria x 2 allocations x 4 MAC budgets), distillation and int8
# vs the dense model over 3 seeds, checked against the targets (after `make run`; about 3.5 minutes on 2 CPU
# cores; `--quick` smoke run ~6 s). Writes data/08_reporting/bench_compression.{json,md}.
bench-compression: install
	$(BIN)/python -m benchmarks.compression --seeds 0 1 2

# Evaluate and gate the candidate (reproducing whatever changed first); prints the report and exits
# non-zero when the candidate is NOT BLESSED.
# The report of an earlier run is removed first: a run that stops before the gate never shows an old verdict
# (an unchanged, cached gate stage gets its report back from the DVC cache). In a pull request (pr-gate.yml):
# make gate GATE_ARGS="--base-ref origin/main": the target branch's thresholds judge the model.
gate: install
	$(BIN)/prunegate gate $(GATE_ARGS)

# Make the blessed candidate of the last run the champion: champion/ (commit it) and the serving pointer.
promote: install
	$(BIN)/prunegate promote --reason "$(or $(REASON),promoted with make promote)"

# Serve the champion on 127.0.0.1:3000 (conf/base/parameters_serving.yml); hot-reloads on promote/rollback.
serve: install
	$(BIN)/prunegate serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

# Serve the previous champion again (a running service switches without failed requests); it becomes the
# git champion too: champion/ is rewritten (commit it).
rollback: install
	$(BIN)/prunegate rollback --reason "$(or $(REASON),rolled back with make rollback)"

registry: install
	$(BIN)/prunegate registry

# Drift and live accuracy of the logged traffic vs the training data; acts on the decision
# (retrain through the gate, or rollback) and records it in the registry history.
monitor: install
	$(BIN)/prunegate monitor --act

# Monitoring end to end in a temp copy: held-out traffic -> none, shifted traffic -> retrain (through the
# gate), a bad promotion -> rollback with zero failed requests; prints every decision (~2 minutes).
simulate-drift: install
	$(BIN)/python -m examples.demo.simulate_drift

# Serving throughput/latency at 16 and 32 clients: dense vs compressed, logging on/off, vs bare FastAPI;
# checked against the targets, JSON in data/08_reporting/bench_serving.json (after `make run`; ~5 minutes).
bench-serving: install
	$(BIN)/python -m benchmarks.serving

# A champion, a harmful change that the gate blocks and a harmless one it blesses, in a temp copy.
demo-regression: install
	$(BIN)/python -m examples.demo.regression
