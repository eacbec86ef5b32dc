"""The service over HTTP: a real ``bentoml serve`` subprocess on a free local port, one for the module."""

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import yaml
from tests.conftest import PROJECT_ROOT
from tests.serving.conftest import bentoml_home, held_out_rows, register, variant

from prunegate.registry.store import promote_version, read_pointer
from prunegate.serving.runtimes import EAGER, load_runtime

READY_TIMEOUT_S = 60.0
POLL_S = 0.1
SWAP_TIMEOUT_S = 15.0
LOADERS = 4  # client threads firing requests during the hot swap
BENTOML = Path(sys.executable).parent / "bentoml"
JSON = {"content-type": "application/json"}
LABELLER_TOKEN = "labeller-token-for-the-tests"
LABELLER = {"Authorization": f"Bearer {LABELLER_TOKEN}"}
BODY_TIMEOUT_S = 1.0

CARD = "<!DOCTYPE html><html><head><title>card of a</title></head><body><h1>Model card: a</h1></body></html>"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(POLL_S)
    return False


class Server:
    """What the tests need to know about the running service."""

    def __init__(
        self, root: Path, url: str, log: Path, tags: dict[str, str], versions: dict[str, str], dispatch: str
    ):
        self.root, self.url, self.log, self.tags, self.versions = root, url, log, tags, versions
        self.dispatch = dispatch
        self.client = httpx.Client(base_url=url, timeout=30)
        self.labeller = httpx.Client(base_url=url, timeout=30, headers=LABELLER)  # may POST /feedback

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module", params=["direct", "batched"])
def server(request, mlp_artifact, digits, tmp_path_factory):
    """The service with /predict calling the model directly, then through adaptive batching (/infer)."""
    root = tmp_path_factory.mktemp(f"serving-project-{request.param}")
    config = yaml.safe_load((PROJECT_ROOT / "conf/base/parameters_serving.yml").read_text())
    config["serving"].update(reload_interval_s=0.2, dispatch=request.param, body_timeout_s=BODY_TIMEOUT_S)
    (root / "serving.yml").write_text(yaml.safe_dump(config))
    models = {"a": mlp_artifact, "b": variant(mlp_artifact, 1)}
    tags = {"a": register(models["a"], digits, root / "models/a", runtime="onnx", card=CARD)}
    tags["b"] = register(models["b"], digits, root / "models/b", runtime=EAGER)
    shutil.rmtree(root / "models")
    promote_version(root / "registry", tags["a"], reason="test start")
    env = {
        **os.environ,
        "BENTOML_HOME": str(bentoml_home()),
        "BENTOML_DO_NOT_TRACK": "True",
        "PRUNEGATE_PROJECT_ROOT": str(root),
        "PRUNEGATE_SERVING_CONFIG": str(root / "serving.yml"),
        "PRUNEGATE_LABELLER_TOKEN": LABELLER_TOKEN,
    }
    env.pop("PRUNEGATE_MODEL_PATH", None)
    port, log = _free_port(), root / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(BENTOML), "serve", "prunegate.serving.service:PrunegateService", "--port", str(port)],
            cwd=root, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert process.poll() is None, f"bentoml serve exited:\n{log.read_text()}"
        try:
            return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        assert _wait_until(ready, READY_TIMEOUT_S), f"not ready after {READY_TIMEOUT_S} s:\n{log.read_text()}"
        yield Server(root, url, log, tags, {k: m.checksum[:12] for k, m in models.items()}, request.param)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group of the process started above, nothing else


@pytest.fixture(scope="module")
def rows(digits):
    return held_out_rows(digits, 8)


def _named(row, names):
    return dict(zip(names, row.tolist(), strict=True))


def _current(server: Server) -> str:
    return server.client.get("/model").json()["version"]


def test_bentoml_endpoints_and_model_info(server):
    for path in ("/healthz", "/livez", "/readyz", "/metrics", "/docs.json"):
        assert server.client.get(path).status_code == 200, path
    spec = server.client.get("/docs.json").json()
    assert {"/predict", "/feedback", "/model", "/infer"} <= set(spec["paths"])
    info = server.client.get("/model").json()
    champion = read_pointer(server.root / "registry").champion
    (name,) = [name for name, tag in server.tags.items() if tag == champion]
    assert (info["tag"], info["version"], info["max_batch_size"]) == (champion, server.versions[name], 256)
    assert info["runtime"] == ("onnx" if name == "a" else EAGER)
    assert info["dispatch"] == server.dispatch and info["row_latency_ms"] > 0
    assert len(info["feature_names"]) == 64 and info["class_names"][:2] == ["0", "1"]
    assert (info["registry_champion"], info["warning"]) == (champion, None)  # the champion is what serves


def test_the_model_card_of_the_served_version_or_a_404_naming_it(server):
    response = server.client.get("/card")
    champion = read_pointer(server.root / "registry").champion
    if champion == server.tags["a"]:
        assert response.status_code == 200 and response.text == CARD
        assert response.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in response.headers["content-security-policy"]
    else:
        assert response.status_code == 404
        assert "packaged without a model card" in response.json()["error"]


def test_a_single_row_is_predicted_like_the_model_does(server, rows, mlp_artifact, tmp_path):
    response = server.client.post("/predict", json={"rows": [rows[0].tolist()]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["row_ids"] == [body["request_id"]] and body["model_version"] == _current(server)
    assert math.isclose(sum(body["probabilities"][0].values()), 1.0, abs_tol=1e-5)
    if body["model_version"] == server.versions["a"]:
        from prunegate.core.serialization import save_artifact

        save_artifact(mlp_artifact, tmp_path / "model.pt")
        expected = load_runtime(EAGER, tmp_path).predict_proba(rows[:1])
        served = np.array([list(body["probabilities"][0].values())])
        assert np.max(np.abs(served - expected)) <= 1e-5
        assert body["predictions"] == [str(int(expected.argmax()))]


def test_a_batch_in_both_row_formats(server, rows):
    names = server.client.get("/model").json()["feature_names"]
    batch = [rows[0].tolist(), _named(rows[1], names), rows[2].tolist()]
    body = server.client.post("/predict", json={"rows": batch}).json()
    assert len(body["predictions"]) == 3 and body["row_ids"][2] == f"{body['request_id']}/2"
    same = server.client.post("/predict", json={"rows": [rows[1].tolist()]}).json()
    assert same["probabilities"][0] == pytest.approx(body["probabilities"][1], abs=1e-6)


def _bad_requests(rows, names):
    good, named = rows[0].tolist(), _named(rows[0], names)
    return {
        "wrong length": ({"rows": [good[:10]]}, "rows[0]"),
        "missing name": ({"rows": [{k: v for k, v in named.items() if k != "pixel_3_3"}]}, "rows[0]"),
        "extra name": ({"rows": [{**named, "pixel_9_9": 1.0}]}, "rows[0]"),
        "string": ({"rows": [["1.5", *good[1:]]]}, "rows[0].pixel_0_0"),
        "out of range": ({"rows": [[*good[:5], 99.0, *good[6:]]]}, "rows[0].pixel_0_5"),
        "empty": ({"rows": []}, "rows"),
        "over the cap": ({"rows": [good] * 257}, "rows"),
        "not a list": ({"rows": "1,2,3"}, "rows"),
        "no rows field": ({"data": [good]}, "rows"),
    }


def test_each_bad_request_is_a_4xx_naming_the_field_and_logs_no_traceback(server, rows):
    names = server.client.get("/model").json()["feature_names"]
    for kind, (body, field) in _bad_requests(rows, names).items():
        response = server.client.post("/predict", json=body)
        assert 400 <= response.status_code < 500, (kind, response.text)
        assert field in response.text, (kind, response.text)
    for token, field in (("NaN", "rows[0].pixel_0_1"), ("Infinity", "rows[0].pixel_0_1")):
        raw = json.dumps({"rows": [rows[0].tolist()]}).replace("[[0.0, 0.0", f"[[0.0, {token}", 1)
        response = server.client.post("/predict", content=raw, headers=JSON)
        assert response.status_code == 400 and field in response.text, (token, response.text)
    response = server.client.post("/predict", content=b"{not json", headers=JSON)
    assert response.status_code == 400
    assert server.client.post("/infer", json={"features": [[1.0, 2.0]]}).status_code == 400
    time.sleep(POLL_S * 3)  # let the server write its log lines
    assert "Traceback" not in server.log_text()


def test_bodies_the_json_routes_cannot_take_are_refused_before_parsing(server, rows):
    body = {"rows": [rows[0].tolist()]}
    for route in ("/predict", "/infer", "/feedback"):
        form = server.labeller.post(route, files={"rows": ("rows.json", json.dumps(body))})
        assert form.status_code == 415 and "application/json" in form.json()["error"], (route, form.text)
        urlencoded = server.labeller.post(route, data={"rows": "1,2"})
        assert urlencoded.status_code == 415, (route, urlencoded.text)
    huge = b'{"rows": [' + b"[0.0]," * 1_000_000 + b"[0.0]]}"  # 6 MB, over the 4 MiB default
    too_big = server.client.post("/predict", content=huge, headers=JSON)
    assert too_big.status_code == 413 and "serving.max_body_bytes" in too_big.json()["error"]
    assert server.client.post("/predict", json=body).status_code == 200  # JSON still served
    time.sleep(POLL_S * 3)
    assert "Traceback" not in server.log_text()


def test_feedback_is_taken_once_per_served_row_and_everything_else_is_refused(server, rows):
    body = server.client.post("/predict", json={"rows": [rows[3].tolist(), rows[4].tolist()]}).json()
    request_id = body["request_id"]
    other = server.client.post("/predict", json={"rows": [rows[5].tolist(), rows[6].tolist()]}).json()
    one = server.labeller.post("/feedback", json={"request_id": body["row_ids"][0], "label": "3"})
    assert one.status_code == 200 and one.json() == {"accepted": 1}
    unknown = server.labeller.post("/feedback", json={"request_id": request_id, "label": ["3", "eleven"]})
    assert unknown.status_code == 400 and "label[1]" in unknown.text and "eleven" in unknown.text
    number = server.labeller.post("/feedback", json={"request_id": request_id, "label": 3})
    assert (
        number.status_code == 400 and "must be a class name" in number.text and "pydantic" not in number.text
    )
    again = server.labeller.post("/feedback", json={"request_id": request_id, "label": ["3", "4"]})
    assert again.status_code == 409 and f"{request_id}/0" in again.text  # row 0 has its label
    assert server.labeller.post(
        "/feedback", json={"request_id": body["row_ids"][1], "label": "4"}
    ).json() == {"accepted": 1}
    made_up = server.labeller.post("/feedback", json={"request_id": "never-served", "label": "1"})
    assert made_up.status_code == 404 and "never-served" in made_up.text
    flood = server.labeller.post("/feedback", json={"request_id": other["request_id"], "label": ["1"] * 5000})
    assert flood.status_code == 400 and "at most" in flood.text
    both = server.labeller.post("/feedback", json={"request_id": other["request_id"], "label": ["5", "6"]})
    assert both.json() == {"accepted": 2}
    feedback = server.root / "monitoring" / "feedback.jsonl"

    def written() -> list[dict]:
        return [json.loads(line) for line in feedback.read_text().splitlines()] if feedback.is_file() else []

    assert _wait_until(lambda: len(written()) == 4, READY_TIMEOUT_S / 4)
    time.sleep(POLL_S * 3)
    assert [(r["request_id"], r["label"]) for r in written()] == [
        (f"{request_id}/0", "3"), (f"{request_id}/1", "4"),
        (f"{other['request_id']}/0", "5"), (f"{other['request_id']}/1", "6"),
    ]  # fmt: skip
    logged = [
        json.loads(line)
        for path in (server.root / "monitoring" / "predictions").glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert {f"{request_id}/0", f"{request_id}/1"} <= {r["request_id"] for r in logged}


def test_a_hot_swap_changes_the_version_without_a_failed_request(server, rows):
    before = _current(server)
    target = "b" if before == server.versions["a"] else "a"
    seen, failures, stop = [], [], threading.Event()

    def fire() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            while not stop.is_set():
                response = client.post("/predict", json={"rows": rows[:4].tolist()})
                if response.status_code == 200:
                    seen.append(response.json()["model_version"])
                else:
                    failures.append((response.status_code, response.text))

    threads = [threading.Thread(target=fire) for _ in range(LOADERS)]
    for thread in threads:
        thread.start()
    try:
        assert _wait_until(lambda: len(seen) > LOADERS, SWAP_TIMEOUT_S)
        promote_version(server.root / "registry", server.tags[target], reason="hot swap test")
        swapped = _wait_until(lambda: seen and seen[-1] == server.versions[target], SWAP_TIMEOUT_S)
        time.sleep(POLL_S * 3)  # keep firing a little after the swap
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert swapped, server.log_text()[-2000:]
    assert failures == []
    assert {before, server.versions[target]} <= set(seen)
    assert _current(server) == server.versions[target]


SCHEMA_EXAMPLES = 40  # per operation and generation mode (valid and invalid bodies): ~500 requests in all


def test_the_published_spec_says_exactly_what_the_service_accepts(server):
    """Schemathesis with every check (as ``schemathesis run --checks all``) on the served OpenAPI spec.

    Valid bodies must be answered 2xx (or 404/409 for feedback on ids never served), invalid ones 4xx,
    every answer must match its documented schema and status, and nothing is a server error. Through
    Hypothesis directly: schemathesis' pytest loader fails on pytest 9.
    """
    import schemathesis
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    checks = CHECKS.get_all()
    schema = schemathesis.openapi.from_url(f"{server.url}/docs.json")
    failures: dict[str, str] = {}
    statuses: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        for mode in GenerationMode:
            try:
                _check_operation(server.url, result.ok(), mode, checks, failures, statuses)
            except Unsatisfiable:  # no invalid request exists for an operation without inputs (GET /healthz)
                continue
    assert failures == {}, "\n\n".join(f"{key}: {text}" for key, text in failures.items())
    assert {"/predict", "/feedback", "/infer", "/model"} <= set(statuses)
    assert {200, 400} <= statuses["/predict"] and 404 in statuses["/feedback"]
    assert "Traceback" not in server.log_text()


def _check_operation(url, operation, mode, checks, failures: dict, statuses: dict) -> None:
    """Up to SCHEMA_EXAMPLES generated requests to one operation; the first failure per operation is kept."""
    from hypothesis import HealthCheck, given, settings

    @settings(
        max_examples=SCHEMA_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(case=operation.as_strategy(mode))
    def check(case) -> None:
        try:
            response = case.call_and_validate(base_url=url, checks=checks, headers=LABELLER)
        except BaseException as failure:  # schemathesis' FailureGroup: collected, reported by the test
            key = f"{operation.label} ({mode.value})"
            failures.setdefault(key, f"{str(failure)[:1500]}\nbody: {str(case.body)[:300]}")
            return
        statuses.setdefault(operation.path, set()).add(response.status_code)

    check()


def _raw_socket(server: Server, head: bytes) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=30)
    connection.sendall(head)
    return connection


def _read_to_close(connection: socket.socket) -> str:
    chunks = []
    while chunk := connection.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def _partial_predict(server: Server, declared: int = 1000, sent: bytes = b'{"rows": [') -> socket.socket:
    head = (
        f"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    return _raw_socket(server, head + sent)


def test_slow_bodies_hold_no_request_slot_and_get_408_at_the_deadline(server, rows):
    """Issue 25 item 5: 64 connections sending 10 of 1,000 bytes made every /predict get 429 for 30 s."""
    slow = [_partial_predict(server) for _ in range(80)]  # more than max_concurrency (64)
    try:
        time.sleep(0.3)  # every slow request is waiting for its body
        started = time.monotonic()
        answers = [server.client.post("/predict", json={"rows": [rows[0].tolist()]}) for _ in range(5)]
        assert [answer.status_code for answer in answers] == [200] * 5, answers[0].text
        assert time.monotonic() - started < BODY_TIMEOUT_S  # answered while the slow bodies wait
        first = _read_to_close(slow[0])  # blocks until the deadline
        assert first.startswith("HTTP/1.1 408"), first
        assert "serving.body_timeout_s" in first and "10 of its 1000 bytes came" in first
    finally:
        for connection in slow:
            connection.close()


def test_a_client_that_leaves_mid_body_is_one_info_line_without_a_traceback(server):
    """Issue 25 item 6: each mid-body disconnect logged an ERROR with a 19-line traceback."""
    before = server.log_text()
    for _ in range(3):
        _partial_predict(server, declared=999, sent=b'{"rows"').close()
    line = "of 999 body bytes"  # "client ... disconnected from /predict after <0 or 7> of 999 body bytes"

    def logged() -> int:
        return server.log_text()[len(before) :].count(line)

    assert _wait_until(lambda: logged() == 3, 10), server.log_text()[-2000:]
    new = server.log_text()[len(before) :]
    assert "Traceback" not in new and "ERROR" not in new, new
    assert all("[INFO]" in text for text in new.splitlines() if line in text)


def test_every_json_route_refuses_unknown_and_repeated_keys(server, rows):
    """Issue 25 item 8: /infer took {"features": [...], "x": 1}, and a repeated key's last value won."""
    row = json.dumps([rows[0].tolist()])
    unknown = {
        "/predict": f'{{"rows": {row}, "x": 1}}',
        "/infer": f'{{"features": {row}, "x": 1}}',
        "/feedback": '{"request_id": "r", "label": "1", "x": 1}',
    }
    for route, body in unknown.items():
        answer = server.labeller.post(route, content=body, headers=JSON)
        assert answer.status_code == 400, (route, answer.text)
        assert answer.json()["error"].startswith(f"{route}: unknown key 'x' (it takes "), answer.text
    repeated = {
        "/predict": f'{{"rows": {row}, "rows": {row}}}',
        "/infer": f'{{"features": {row}, "features": {row}}}',
        "/feedback": '{"request_id": "r", "label": "1", "label": "2"}',
    }
    for route, body in repeated.items():
        answer = server.labeller.post(route, content=body, headers=JSON)
        assert answer.status_code == 400 and "appears twice" in answer.json()["error"], (route, answer.text)
    assert server.client.post("/infer", json={"features": [rows[0].tolist()]}).status_code == 200


def test_only_a_labeller_may_label_a_served_row(server, rows):
    """Issue 25 item 10: anyone who was served a row could label it with any class."""
    served = server.client.post("/predict", json={"rows": [rows[7].tolist()]}).json()
    label = {"request_id": served["request_id"], "label": "1"}
    anonymous = server.client.post("/feedback", json=label)
    assert anonymous.status_code == 401 and "Authorization: Bearer" in anonymous.json()["error"]
    wrong = server.client.post("/feedback", json=label, headers={"Authorization": "Bearer not-the-token!!"})
    assert wrong.status_code == 401 and "not the server's" in wrong.json()["error"]
    assert server.labeller.post("/feedback", json=label).json() == {"accepted": 1}
