"""The request guard answers 415 / 411 / 413 / 408 / 400 itself and hands the service whole JSON bodies."""

import asyncio
import json
import logging
import time

from prunegate.serving.request_guard import RequestGuard

JSON_TYPE = {"Content-Type": "application/json; charset=utf-8"}
BODY = b'{"rows": [[1, 2]]}'


def _call(method: str, path: str, headers: dict[str, str], messages=None, timeout_s: float = 5.0):
    """Status, JSON answer (when the guard answered), what the service received (None: not reached)."""
    sent, reached = [], []
    pending = list(messages if messages is not None else [{"type": "http.request", "body": BODY}])

    async def app(scope, receive, send):
        reached.append((await receive())["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive():
        if pending:
            return pending.pop(0)
        await asyncio.sleep(3600)  # a client that sends nothing more

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("10.0.0.7", 5000),
    }
    guard = RequestGuard(
        app,
        routes=["/predict"],
        max_body_bytes=100,
        body_timeout_s=timeout_s,
        known_keys={"/predict": ["rows"]},
    )
    asyncio.run(guard(scope, receive, send))
    if not sent:
        return None, {}, None
    answer = json.loads(sent[1]["body"]) if not reached else {}
    if not reached:
        assert (b"connection", b"close") in sent[0]["headers"]
    return sent[0]["status"], answer, reached[0] if reached else None


def _length(body: bytes = BODY) -> dict[str, str]:
    return {**JSON_TYPE, "Content-Length": str(len(body))}


def test_only_json_bodies_of_a_known_length_within_the_limit_reach_the_service():
    assert _call("POST", "/predict", _length())[::2] == (200, BODY)
    status, body, _ = _call("POST", "/predict", {"Content-Type": "multipart/form-data; boundary=x"})
    assert status == 415 and "got multipart/form-data" in body["error"]
    assert _call("POST", "/predict", JSON_TYPE)[0] == 411
    status, body, _ = _call("POST", "/predict", {**JSON_TYPE, "Content-Length": "101"})
    assert status == 413 and "101 bytes, more than the 100 allowed" in body["error"]
    assert _call("POST", "/predict", {**JSON_TYPE, "Content-Length": "many"})[0] == 400
    assert _call("GET", "/predict", {})[0] == 200  # other methods and routes are not its business
    assert _call("POST", "/model", {"Content-Type": "text/plain"})[0] == 200


def test_a_body_in_pieces_reaches_the_service_whole():
    pieces = [
        {"type": "http.request", "body": BODY[:5], "more_body": True},
        {"type": "http.request", "body": BODY[5:]},
    ]
    assert _call("POST", "/predict", _length(), pieces)[::2] == (200, BODY)


def test_a_body_that_does_not_arrive_in_time_gets_408_at_the_deadline():
    """Issue 25 item 5: 10 of 1,000 bytes held the request until the 30 s timeout (then 504)."""
    trickle = [{"type": "http.request", "body": b'{"rows":', "more_body": True}]
    started = time.monotonic()
    status, body, reached = _call("POST", "/predict", {**JSON_TYPE, "Content-Length": "90"}, trickle, 0.3)
    assert time.monotonic() - started < 2
    assert (status, reached) == (408, None)
    assert "did not arrive within 0.3 s (serving.body_timeout_s): 8 of its 90 bytes came" in body["error"]


def test_a_body_shorter_or_longer_than_its_length_is_refused():
    short = [{"type": "http.request", "body": BODY[:-1]}]
    status, body, _ = _call("POST", "/predict", _length(), short)
    assert (
        status == 400 and f"has {len(BODY) - 1} bytes, its Content-Length says {len(BODY)}" in body["error"]
    )
    status, body, _ = _call("POST", "/predict", _length(BODY[:-1]))
    assert status == 400 and "longer than its Content-Length" in body["error"]


def test_a_client_gone_mid_body_is_one_info_line_and_no_answer(caplog):
    """Issue 25 item 6: each disconnect logged an ERROR with a 19-line traceback."""
    gone = [{"type": "http.request", "body": BODY[:4], "more_body": True}, {"type": "http.disconnect"}]
    with caplog.at_level(logging.INFO, logger="prunegate.serving.request_guard"):
        assert _call("POST", "/predict", _length(), gone) == (None, {}, None)
    (record,) = caplog.records
    assert record.levelno == logging.INFO and record.exc_info is None
    assert (
        record.getMessage() == f"client 10.0.0.7 disconnected from /predict after 4 of {len(BODY)} body bytes"
    )


def test_repeated_keys_and_malformed_json_are_refused_for_every_route():
    """Issue 25 item 8: a repeated key was accepted and the last one won."""
    for body in (b'{"rows": [[1]], "rows": [[2]]}', b'{"rows": [{"a": 1, "a": 2}]}'):
        status, answer, reached = _call(
            "POST", "/predict", _length(body), [{"type": "http.request", "body": body}]
        )
        assert (status, reached) == (400, None) and "appears twice in one object" in answer["error"], body
    bad = b'{"rows": [[1, 2]'
    status, answer, _ = _call("POST", "/predict", _length(bad), [{"type": "http.request", "body": bad}])
    assert status == 400 and "not valid JSON" in answer["error"]


def test_a_top_level_key_the_route_does_not_take_is_named():
    body = b'{"rows": [[1]], "x": 1, "extra": 2}'
    status, answer, reached = _call(
        "POST", "/predict", _length(body), [{"type": "http.request", "body": body}]
    )
    assert (status, reached) == (400, None)
    assert answer["error"] == "/predict: unknown key 'extra', 'x' (it takes rows)"
