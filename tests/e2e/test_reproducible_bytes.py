"""Issue 25 item 9: two machines of the same kind give the same model bytes.

On another machine `make run` rewrote dvc.lock: dense.pt had other bytes (same size, same accuracy).
PyTorch, MKL and oneDNN choose kernels by the CPU's instruction sets and split sums across its threads;
measured here (AVX-512 machine, 2 cores), 1 vs 2 threads and AVX2 vs AVX-512 kernels each changed
dense.pt. The stage command (scripts/kedro) pins both. A test cannot borrow a second machine, so the
"machines" here are environments that would make PyTorch pick other kernels and thread counts.
"""

import hashlib

import pytest
from tests.e2e.conftest import run

pytestmark = pytest.mark.slow

MACHINES = [
    {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "ATEN_CPU_CAPABILITY": "default"},
    {"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"},  # this machine's own choice of kernels
    {"OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "3", "ATEN_CPU_CAPABILITY": "avx512"},
]
MODELS = {
    "mlp": "training.epochs=6,training.show_progress=false",
    "resnet": "training.architecture=resnet,training.epochs=2,training.show_progress=false",
}


@pytest.mark.parametrize("model", sorted(MODELS))
def test_the_stage_command_trains_the_same_bytes_whatever_the_machine_would_choose(project, model):
    for pipeline in ("ingestion", "validation"):
        setup = run(["scripts/kedro", "run", "--pipelines", pipeline], project)
        assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-2000:]
    digests = {}
    for index, machine in enumerate(MACHINES):
        command = ["scripts/kedro", "run", "--pipelines", "training", "--params", MODELS[model]]
        trained = run(command, project, extra_env=machine)
        assert trained.returncode == 0, trained.stdout[-2000:] + trained.stderr[-2000:]
        digests[index] = hashlib.sha256((project / "data/06_models/dense.pt").read_bytes()).hexdigest()
    assert len(set(digests.values())) == 1, digests
