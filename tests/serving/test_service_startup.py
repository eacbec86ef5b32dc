"""Starting the service with nothing servable ends at once with the reason, never a retry loop (issue 11).

And no serving process connects anywhere but loopback (telemetry off), audited with strace.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from tests.conftest import PROJECT_ROOT
from tests.serving.conftest import bentoml_home, held_out_rows, register, variant

from prunegate.registry.store import promote_version
from prunegate.serving.launch import EXIT_CANNOT_SERVE, SERVICE

BIN = Path(sys.executable).parent
STOP_TIMEOUT_S = 90.0  # BentoML needs ~5-10 s to start a worker here; a retry loop never ends
TELEMETRY_VARIABLES = (
    "BENTOML_DO_NOT_TRACK",
    "ORT_DISABLE_TELEMETRY",
    "DO_NOT_TRACK",
    "KEDRO_DISABLE_TELEMETRY",
)


def _project(root: Path, **serving) -> dict[str, str]:
    """A project folder with a serving config; the environment to serve it, telemetry variables unset."""
    config = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_serving.yml").read_text())
    config["serving"].update(serving)
    root.mkdir(parents=True, exist_ok=True)
    (root / "serving.yml").write_text(yaml.safe_dump(config))
    env = {key: value for key, value in os.environ.items() if key not in TELEMETRY_VARIABLES}
    env.pop("PRUNEGATE_MODEL_PATH", None)
    return {
        **env,
        "BENTOML_HOME": str(bentoml_home()),
        "PRUNEGATE_PROJECT_ROOT": str(root),
        "PRUNEGATE_SERVING_CONFIG": str(root / "serving.yml"),
    }


def _corrupt_champion(root: Path, artifact, digits, index: int) -> str:
    """A champion whose stored ONNX file is truncated, and no previous champion."""
    import bentoml

    tag = register(variant(artifact, index), digits, root / "model", runtime="onnx")
    shutil.rmtree(root / "model")
    promote_version(root / "registry", tag, reason="test")
    onnx = Path(bentoml.models.get(tag).path) / "model.onnx"
    onnx.write_bytes(onnx.read_bytes()[:100])
    return tag


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_prunegate_serve_exits_non_zero_naming_why_before_opening_a_port(tmp_path, mlp_artifact, digits):
    env = _project(tmp_path / "empty")
    empty = subprocess.run(
        [str(BIN / "prunegate"), "serve", "--port", str(_free_port())],
        cwd=tmp_path / "empty", env=env, capture_output=True, text=True, timeout=STOP_TIMEOUT_S,
    )  # fmt: skip
    assert empty.returncode == EXIT_CANNOT_SERVE
    assert "no champion" in empty.stderr and "Traceback" not in empty.stderr
    tag = _corrupt_champion(tmp_path / "corrupt", mlp_artifact, digits, index=11)
    env = _project(tmp_path / "corrupt")
    corrupt = subprocess.run(
        [str(BIN / "prunegate"), "serve", "--port", str(_free_port())],
        cwd=tmp_path / "corrupt", env=env, capture_output=True, text=True, timeout=STOP_TIMEOUT_S,
    )  # fmt: skip
    assert corrupt.returncode == EXIT_CANNOT_SERVE
    assert tag in corrupt.stderr and "no previous champion" in corrupt.stderr
    assert "Traceback" not in corrupt.stderr


def test_a_plain_bentoml_serve_with_nothing_to_serve_stops_instead_of_retrying(
    tmp_path, mlp_artifact, digits
):
    tag = _corrupt_champion(tmp_path, mlp_artifact, digits, index=12)
    env, port, log = _project(tmp_path), _free_port(), tmp_path / "server.log"
    started = time.monotonic()
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(BIN / "bentoml"), "serve", SERVICE, "--port", str(port)],
            cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"bentoml serve still running after {STOP_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")
    text = log.read_text()
    assert text.count("cannot serve") == 1 and tag in text, text
    assert "Traceback" not in text and "Application startup failed" not in text
    assert time.monotonic() - started < STOP_TIMEOUT_S
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)


NON_LOOPBACK = re.compile(r"connect\(\d+, \{sa_family=AF_INET6?, (?!.*(?:127\.0\.0\.1|::1|::ffff:127))")
DNS = re.compile(r"htons\(53\)")
ONNX_TELEMETRY_DELAY_S = 12  # ONNX Runtime's telemetry looked up its host ~9 s after a session started


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_the_served_process_tree_connects_to_nothing_but_loopback(tmp_path, mlp_artifact, digits):
    """`prunegate serve` (launcher, BentoML arbiter, worker) with an ONNX champion, under strace."""
    tag = register(variant(mlp_artifact, 13), digits, tmp_path / "model", runtime="onnx")
    promote_version(tmp_path / "registry", tag, reason="test")
    env, port, trace = _project(tmp_path), _free_port(), tmp_path / "connect.trace"
    env["PRUNEGATE_LABELLER_TOKEN"] = "a-labeller-token-for-this-test"
    url = f"http://127.0.0.1:{port}"
    command = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,accept,accept4", "-o", str(trace)]
    command += [str(BIN / "prunegate"), "serve", "--port", str(port)]
    with (tmp_path / "server.log").open("w") as output:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail((tmp_path / "server.log").read_text()[-3000:])
        rows = held_out_rows(digits, 2).tolist()
        answer = httpx.post(f"{url}/predict", json={"rows": rows}, timeout=10).json()
        labelled = httpx.post(
            f"{url}/feedback",
            json={"request_id": answer["request_id"], "label": ["1", "2"]},
            headers={"Authorization": f"Bearer {env['PRUNEGATE_LABELLER_TOKEN']}"},
        )
        assert labelled.status_code == 200
        time.sleep(ONNX_TELEMETRY_DELAY_S)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    lines = trace.read_text().splitlines()
    assert any("accept" in line for line in lines), "the audit did not see the worker accept a request"
    outbound = [line for line in lines if NON_LOOPBACK.search(line) or DNS.search(line)]
    assert outbound == [], "\n".join(outbound[:20])
