"""Who may label served predictions: ``POST /feedback`` takes labels only from holders of a labeller token.

Signed request ids (:mod:`prunegate.serving.request_ids`) prove a row was served, not that whoever
sends its label knows the truth: anyone who was answered could label their rows with any class, and
``prunegate monitor --act`` retrains on those labels, with only the gate between a poisoner and the
champion. So labels cross a trust boundary of their own: the service accepts ``/feedback`` only with
``Authorization: Bearer <token>``, where the token is the server's ``PRUNEGATE_LABELLER_TOKEN`` (at
least 16 characters; give it to the labelling tool, not to the clients that call ``/predict``). Without
the variable, feedback is off: every ``/feedback`` gets 403 saying how to turn it on. A missing or wrong
token gets 401. Tokens are compared in constant time (``hmac.compare_digest``).
"""

from __future__ import annotations

import hmac
import logging
import os
from dataclasses import dataclass
from typing import Any

__all__ = ["FEEDBACK_ROUTE", "MIN_TOKEN_CHARS", "TOKEN_ENV", "LabellerCredential"]

logger = logging.getLogger(__name__)

TOKEN_ENV = "PRUNEGATE_LABELLER_TOKEN"
MIN_TOKEN_CHARS = 16
FEEDBACK_ROUTE = "/feedback"
_SCHEME = b"bearer "


@dataclass(frozen=True)
class LabellerCredential:
    """The labeller token ``/feedback`` requires (``None``: feedback is off)."""

    token: str | None
    why_off: str = f"feedback is off: set {TOKEN_ENV} on the server to accept labels from labellers"

    @classmethod
    def from_env(cls) -> LabellerCredential:
        token = os.environ.get(TOKEN_ENV) or None
        if token is not None and len(token) < MIN_TOKEN_CHARS:
            why = f"feedback is off: the server's {TOKEN_ENV} has fewer than {MIN_TOKEN_CHARS} characters"
            logger.warning("%s", why)
            return cls(None, why)
        return cls(token)

    def problem(self, scope: dict[str, Any]) -> tuple[int, str] | None:
        """403 while feedback is off, 401 without the right token, None for a labeller (and other routes)."""
        if scope.get("path") != FEEDBACK_ROUTE:
            return None
        if self.token is None:
            return 403, f"{FEEDBACK_ROUTE}: {self.why_off} (Authorization: Bearer <token>)"
        headers = {name.lower(): value for name, value in scope.get("headers", [])}
        sent = headers.get(b"authorization", b"")
        if not sent.lower().startswith(_SCHEME):
            return 401, f"{FEEDBACK_ROUTE} takes labels from labellers only (Authorization: Bearer <token>)"
        if not hmac.compare_digest(sent[len(_SCHEME) :].strip(), self.token.encode()):
            return 401, f"{FEEDBACK_ROUTE}: the labeller token is not the server's"
        return None
