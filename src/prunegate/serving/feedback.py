"""``POST /feedback``: which rows a request's labels belong to, and whether they may be labelled.

Labels are accepted only for rows this service served (a request id it signed, see
:mod:`prunegate.serving.request_ids`) within the retention window, one label per row
(:class:`~prunegate.serving.label_ledger.LabelLedger`), at most one per row of the request:

- ``request_id`` a request id: one label per row of that request, in row order;
- ``request_id`` a row id (``<request id>/<row>``, from ``row_ids`` of the answer): one label.

Every refusal is a :class:`~prunegate.serving.schemas.RequestValidationError` naming the field: 404 for
an id that was never served (or has expired), 409 for rows that already have a label, 400 for a label
count that does not match the rows.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from prunegate.serving.label_ledger import LabelLedger
from prunegate.serving.request_ids import RequestIdSigner, parse_row_id
from prunegate.serving.responses import row_ids_for
from prunegate.serving.schemas import FieldError, RequestValidationError

__all__ = ["FeedbackTarget", "claim_rows", "feedback_target"]

NOT_SERVED = 404
ALREADY_LABELLED = 409
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class FeedbackTarget:
    """The rows a feedback request labels, and when their request was answered."""

    row_ids: list[str]
    served_at: float


def feedback_target(
    request_id: str,
    labels: Sequence[str],
    signer: RequestIdSigner,
    max_age_s: float,
    now: float | None = None,
) -> FeedbackTarget:
    """The row ids ``labels`` belong to.

    Raises:
        RequestValidationError: 404 when ``request_id`` was not served by this service or is older than
            ``max_age_s``; 400 when the number of labels does not match the rows.
    """
    base, row = parse_row_id(request_id)
    issued = signer.verify(base)
    if issued is None or (row is not None and row >= issued.rows):
        raise _refused(
            "request_id",
            f"{request_id!r} is not the id of a request (or row) this service answered",
            NOT_SERVED,
        )
    age_s = (time.time() if now is None else now) - issued.issued_at
    if age_s > max_age_s:
        days = max_age_s / SECONDS_PER_DAY
        raise _refused(
            "request_id",
            f"{request_id!r} was answered {age_s / SECONDS_PER_DAY:.1f} days ago; labels are taken for "
            f"{days:g} days (serving.feedback_max_age_days)",
            NOT_SERVED,
        )
    row_ids = row_ids_for(base, issued.rows)
    if row is not None:
        row_ids = [row_ids[row]]
    if len(labels) != len(row_ids):
        hint = "" if issued.rows == 1 else f", or label one row as '{base}/<row>'"
        raise _refused(
            "label",
            f"request {base!r} had {issued.rows} row(s): give {len(row_ids)} label(s), in row order{hint}; "
            f"got {len(labels)}",
            400,
        )
    return FeedbackTarget(row_ids=row_ids, served_at=issued.issued_at)


def claim_rows(ledger: LabelLedger, target: FeedbackTarget) -> None:
    """Record the target rows as labelled.

    Raises:
        RequestValidationError: 409 naming the rows that already have a label (none is recorded then).
    """
    taken = ledger.claim(target.row_ids, target.served_at)
    if taken:
        others = [row_id for row_id in target.row_ids if row_id not in taken]
        hint = f"; label the other rows one by one, by their row ids: {others}" if others else ""
        message = f"already labelled (one label per row): {taken}; nothing was recorded{hint}"
        raise _refused("request_id", message, ALREADY_LABELLED)


def _refused(field: str, message: str, status: int) -> RequestValidationError:
    return RequestValidationError([FieldError((field,), message)], status=status)
