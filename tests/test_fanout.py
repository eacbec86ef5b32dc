"""Cells of work on Dask: a plain loop with one worker, tasks on worker processes with more."""

import os

import pytest

from prunegate.fanout import ADDRESS_VARIABLE, FanoutError, FanoutSettings, fan_out


def _cell(value: int, offset: dict) -> tuple[int, int]:
    return value + offset["by"], os.getpid()


def _refuse(value: int) -> int:
    if value == 2:
        raise ValueError(f"cell {value} refused")
    return value


def test_one_worker_is_a_loop_in_this_process(monkeypatch):
    monkeypatch.delenv(ADDRESS_VARIABLE, raising=False)
    results = fan_out(_cell, [1, 2, 3], FanoutSettings(), shared={"offset": {"by": 10}})
    assert results == [(11, os.getpid()), (12, os.getpid()), (13, os.getpid())]


def test_two_workers_run_the_cells_elsewhere_in_order_and_a_failing_cell_raises(monkeypatch):
    monkeypatch.delenv(ADDRESS_VARIABLE, raising=False)
    results = fan_out(_cell, list(range(6)), FanoutSettings(workers=2), shared={"offset": {"by": 1}})
    assert [value for value, _ in results] == [1, 2, 3, 4, 5, 6]
    assert os.getpid() not in {pid for _, pid in results}
    with pytest.raises(ValueError, match="cell 2 refused"):
        fan_out(_refuse, [1, 2, 3], FanoutSettings(workers=2))


def test_an_unreachable_scheduler_is_named(monkeypatch):
    monkeypatch.setenv(ADDRESS_VARIABLE, "tcp://127.0.0.1:9")  # the environment's address is used
    with pytest.raises(FanoutError, match=r"the Dask scheduler at tcp://127\.0\.0\.1:9"):
        fan_out(_cell, [1], FanoutSettings(connect_timeout_s=2), shared={"offset": {"by": 0}})
