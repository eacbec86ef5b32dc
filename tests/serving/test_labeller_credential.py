"""Labels cross a trust boundary: /feedback needs the labeller token, and is off without one."""

import pytest

from prunegate.serving.labeller_credential import TOKEN_ENV, LabellerCredential


def _scope(path: str = "/feedback", authorization: str | None = None) -> dict:
    headers = [] if authorization is None else [(b"authorization", authorization.encode())]
    return {"path": path, "headers": headers}


def test_without_a_token_on_the_server_feedback_is_off_and_says_how_to_turn_it_on(monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    status, message = LabellerCredential.from_env().problem(_scope(authorization="Bearer anything-at-all"))
    assert status == 403 and f"set {TOKEN_ENV} on the server" in message
    assert LabellerCredential.from_env().problem(_scope("/predict")) is None  # other routes: not its business


def test_a_short_token_turns_feedback_off_rather_than_protect_it_weakly(monkeypatch, caplog):
    monkeypatch.setenv(TOKEN_ENV, "short")
    status, message = LabellerCredential.from_env().problem(_scope(authorization="Bearer short"))
    assert status == 403 and "fewer than 16 characters" in message
    assert "fewer than 16 characters" in caplog.text


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        (None, 401),
        ("Basic dXNlcjpwYXNz", 401),
        ("Bearer the-labellers-token-but-wrong", 401),
        ("Bearer the-labellers-token", None),
        ("bearer the-labellers-token", None),  # the scheme is case-insensitive (RFC 7235)
    ],
)
def test_only_the_servers_token_passes(monkeypatch, authorization, expected):
    monkeypatch.setenv(TOKEN_ENV, "the-labellers-token")
    problem = LabellerCredential.from_env().problem(_scope(authorization=authorization))
    assert (problem[0] if problem else None) == expected
