"""Labels only for served rows, one per row, within the window: signed ids and the label ledger."""

import threading

import pytest

from prunegate.serving.feedback import claim_rows, feedback_target
from prunegate.serving.label_ledger import LabelLedger
from prunegate.serving.request_ids import KEY_ENV, KEY_FILE, RequestIdSigner, parse_row_id
from prunegate.serving.schemas import RequestValidationError

DAY_S = 86400.0
NOW = 1_800_000_000.0


@pytest.fixture
def signer(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    return RequestIdSigner.for_folder(tmp_path)


def _refusal(call) -> RequestValidationError:
    with pytest.raises(RequestValidationError) as caught:
        call()
    return caught.value


def test_an_issued_id_verifies_and_says_when_and_how_many_rows(signer):
    request_id = signer.issue(3, now=NOW)
    issued = signer.verify(request_id)
    assert issued is not None and (issued.issued_at, issued.rows) == (NOW, 3)
    assert signer.issue(3, now=NOW) != request_id  # a fresh nonce each time


@pytest.mark.parametrize(
    "forge",
    [
        lambda rid: "0" * 32,  # the old uuid format, or anything made up
        lambda rid: rid[:-1] + ("0" if rid[-1] != "0" else "1"),  # the MAC edited
        lambda rid: rid.replace(".3.", ".c8.", 1),  # more rows claimed than served
        lambda rid: "é" + rid[1:],  # non-ASCII text
        lambda rid: "",
    ],
)
def test_a_made_up_or_edited_id_does_not_verify(signer, forge):
    assert signer.verify(forge(signer.issue(3, now=NOW))) is None


def test_the_key_file_is_shared_by_workers_and_an_env_key_takes_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    first = RequestIdSigner.for_folder(tmp_path)
    second = RequestIdSigner.for_folder(tmp_path)  # another worker: same file, same key
    assert second.verify(first.issue(1)) is not None
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv(KEY_ENV, "ab" * 32)
    assert RequestIdSigner.for_folder(tmp_path).verify(first.issue(1)) is None
    monkeypatch.setenv(KEY_ENV, "not hex")
    with pytest.raises(ValueError, match=KEY_ENV):
        RequestIdSigner.for_folder(tmp_path)


def test_workers_starting_together_agree_on_one_key(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    signers: list[RequestIdSigner] = []
    threads = [
        threading.Thread(target=lambda: signers.append(RequestIdSigner.for_folder(tmp_path)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    request_id = signers[0].issue(1)
    assert all(other.verify(request_id) is not None for other in signers)
    assert sorted(path.name for path in tmp_path.iterdir()) == [KEY_FILE]  # no temp file left


def test_row_ids_parse():
    assert parse_row_id("abc.1.2.3/4") == ("abc.1.2.3", 4)
    assert parse_row_id("abc.1.2.3") == ("abc.1.2.3", None)
    assert parse_row_id("abc/x") == ("abc/x", None)


def test_labels_map_to_the_rows_of_the_request_or_to_one_row(signer):
    three = signer.issue(3, now=NOW)
    assert feedback_target(three, ["a", "b", "c"], signer, DAY_S, now=NOW).row_ids == [
        f"{three}/{i}" for i in range(3)
    ]
    assert feedback_target(f"{three}/2", ["c"], signer, DAY_S, now=NOW).row_ids == [f"{three}/2"]
    one = signer.issue(1, now=NOW)
    assert feedback_target(one, ["a"], signer, DAY_S, now=NOW).row_ids == [one]
    assert feedback_target(f"{one}/0", ["a"], signer, DAY_S, now=NOW).row_ids == [one]


def test_unknown_expired_and_miscounted_feedback_is_refused_naming_why(signer):
    three = signer.issue(3, now=NOW)
    made_up = _refusal(lambda: feedback_target("0123abcd", ["a"], signer, DAY_S, now=NOW))
    assert made_up.status == 404 and "0123abcd" in str(made_up) and made_up.errors[0].loc == ("request_id",)
    beyond = _refusal(lambda: feedback_target(f"{three}/3", ["a"], signer, DAY_S, now=NOW))
    assert beyond.status == 404
    expired = _refusal(lambda: feedback_target(three, ["a"] * 3, signer, DAY_S, now=NOW + 2 * DAY_S))
    assert expired.status == 404 and "feedback_max_age_days" in str(expired)
    too_many = _refusal(lambda: feedback_target(three, ["a"] * 200_000, signer, DAY_S, now=NOW))
    assert too_many.status == 400 and "3 row(s)" in str(too_many) and too_many.errors[0].loc == ("label",)


def test_a_row_takes_one_label_and_a_refused_claim_records_nothing(signer, tmp_path):
    ledger = LabelLedger(tmp_path / "ledger.sqlite3", DAY_S)
    three = signer.issue(3, now=NOW)
    claim_rows(ledger, feedback_target(f"{three}/1", ["b"], signer, DAY_S, now=NOW))
    again = _refusal(
        lambda: claim_rows(ledger, feedback_target(three, ["a", "b", "c"], signer, DAY_S, now=NOW))
    )
    assert again.status == 409 and str(again).startswith("request_id: already labelled")
    assert f"label the other rows one by one, by their row ids: ['{three}/0', '{three}/2']" in str(again)
    claim_rows(ledger, feedback_target(f"{three}/0", ["a"], signer, DAY_S, now=NOW))  # /0 was not recorded
    ledger.close()
    reopened = LabelLedger(tmp_path / "ledger.sqlite3", DAY_S)  # a restart (or another worker) knows
    assert reopened.claim([f"{three}/0", f"{three}/2"], NOW) == [f"{three}/0"]


def test_concurrent_claims_of_one_row_let_exactly_one_win(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    ledgers = [LabelLedger(path, DAY_S) for _ in range(4)]  # separate connections, like separate workers
    results: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda led=led: results.append(led.claim(["r"], NOW))) for led in ledgers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(len, results)) == [0, 1, 1, 1]


def test_rows_older_than_the_window_are_forgotten(tmp_path):
    ledger = LabelLedger(tmp_path / "ledger.sqlite3", DAY_S)
    ledger.claim(["old"], NOW - 2 * DAY_S)
    ledger.claim(["new"], NOW)
    assert ledger.prune(now=NOW) == 1
    assert ledger.claim(["old", "new"], NOW) == ["new"]
