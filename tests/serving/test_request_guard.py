"""The request guard answers 415 / 411 / 413 itself and passes everything else through untouched."""

import asyncio
import json

from prunegate.serving.request_guard import RequestGuard


def _call(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict]:
    sent, reached = [], []

    async def app(scope, receive, send):
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }
    asyncio.run(RequestGuard(app, routes=["/predict"], max_body_bytes=100)(scope, receive, send))
    body = json.loads(sent[1]["body"]) if not reached else {}
    return sent[0]["status"], body


def test_only_json_bodies_of_a_known_length_within_the_limit_reach_the_service():
    json_type = {"Content-Type": "application/json; charset=utf-8"}
    assert _call("POST", "/predict", {**json_type, "Content-Length": "100"}) == (200, {})
    status, body = _call("POST", "/predict", {"Content-Type": "multipart/form-data; boundary=x"})
    assert status == 415 and "got multipart/form-data" in body["error"]
    assert _call("POST", "/predict", json_type)[0] == 411
    status, body = _call("POST", "/predict", {**json_type, "Content-Length": "101"})
    assert status == 413 and "101 bytes, more than the 100 allowed" in body["error"]
    assert _call("POST", "/predict", {**json_type, "Content-Length": "many"})[0] == 400
    assert _call("GET", "/predict", {})[0] == 200  # other methods and routes are not its business
    assert _call("POST", "/model", {"Content-Type": "text/plain"})[0] == 200
