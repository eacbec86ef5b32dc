"""Schedules follow their formulas at the end points and never decrease."""

from __future__ import annotations

from itertools import pairwise

import pytest

from prunegate.core.pruning import SCHEDULES, cubic_sparsity, get_schedule, gradual, iterative, one_shot

FINALS = [0.0, 0.5, 0.9, 0.95]


def _non_decreasing(values: list[float]) -> bool:
    return all(later >= earlier for earlier, later in pairwise(values))


def test_one_shot_is_the_final_sparsity() -> None:
    assert one_shot(0.8) == [0.8]
    assert one_shot(0.8, steps=5) == [0.8]


@pytest.mark.parametrize("final", FINALS)
def test_iterative_is_geometric(final: float) -> None:
    steps = 4
    schedule = iterative(final, steps)
    assert len(schedule) == steps
    assert schedule[-1] == pytest.approx(final)
    for k, sparsity in enumerate(schedule, start=1):
        assert sparsity == pytest.approx(1 - (1 - final) ** (k / steps))
    # Every step keeps the same fraction of the weights the previous step kept.
    keep = [1.0, *(1 - sparsity for sparsity in schedule)]
    ratios = [later / earlier for earlier, later in pairwise(keep)]
    assert ratios == pytest.approx([ratios[0]] * steps)
    assert _non_decreasing(schedule)


def test_iterative_first_step_of_two_at_75_percent() -> None:
    assert iterative(0.75, 2) == pytest.approx([0.5, 0.75])


def test_cubic_end_points_and_clamping() -> None:
    kwargs = {"initial": 0.1, "final": 0.9, "t0": 10, "n": 5, "dt": 2}
    assert cubic_sparsity(10, **kwargs) == pytest.approx(0.1)
    assert cubic_sparsity(20, **kwargs) == pytest.approx(0.9)
    assert cubic_sparsity(0, **kwargs) == pytest.approx(0.1)
    assert cubic_sparsity(100, **kwargs) == pytest.approx(0.9)
    # Half-way: s_f + (s_i - s_f) * 0.5**3.
    assert cubic_sparsity(15, **kwargs) == pytest.approx(0.9 - 0.8 * 0.125)
    values = [cubic_sparsity(t, **kwargs) for t in range(0, 25)]
    assert _non_decreasing(values)


@pytest.mark.parametrize("final", FINALS)
def test_gradual_ends_at_final_and_front_loads(final: float) -> None:
    schedule = gradual(final, 5, initial=0.0)
    assert len(schedule) == 5
    assert schedule[-1] == pytest.approx(final)
    assert schedule[0] == pytest.approx(final * (1 - (1 - 1 / 5) ** 3))
    assert _non_decreasing(schedule)
    increments = [later - earlier for earlier, later in pairwise([0.0, *schedule])]
    assert _non_decreasing(list(reversed(increments)))  # pruning slows down towards the end


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: iterative(1.2, 3), r"final must be in \[0, 1\]"),
        (lambda: iterative(0.5, 0), "steps must be a positive integer"),
        (lambda: gradual(0.3, 3, initial=0.5), "exceeds final"),
        (lambda: cubic_sparsity(1, 0.0, 0.5, 0, 0, 1), "n and dt must be positive"),
    ],
)
def test_invalid_arguments_raise(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_schedule_registry() -> None:
    assert sorted(SCHEDULES) == ["gradual", "iterative", "one_shot"]
    assert get_schedule("iterative") is iterative
    for name in SCHEDULES:
        assert get_schedule(name)(0.9, 3)[-1] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="unknown schedule 'linear'; known schedules: gradual, iterative"):
        get_schedule("linear")
