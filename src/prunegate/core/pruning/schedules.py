"""Pruning schedules: small pure functions returning the target sparsity of each pruning step.

Each registered schedule takes ``(final, steps)`` (plus optional keywords) and returns a list of target
sparsities, one per pruning step, ending at ``final``; a pipeline prunes to each target in turn and
fine-tunes in between.
"""

from __future__ import annotations

from collections.abc import Callable

from prunegate.core.pruning.names import NameTable

__all__ = ["SCHEDULES", "Schedule", "cubic_sparsity", "get_schedule", "gradual", "iterative", "one_shot"]

Schedule = Callable[..., list[float]]

_NAMES: NameTable[Schedule] = NameTable("schedule")
SCHEDULES: dict[str, Schedule] = _NAMES.entries


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")


def _check_steps(steps: int) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")


@_NAMES.register("one_shot")
def one_shot(final: float, steps: int = 1) -> list[float]:
    """Prune once, straight to ``final``: ``[final]``.

    ``steps`` is accepted so every schedule shares the ``(final, steps)`` call and is otherwise ignored.
    """
    _check_fraction("final", final)
    _check_steps(steps)
    return [float(final)]


@_NAMES.register("iterative")
def iterative(final: float, steps: int) -> list[float]:
    """Geometric iterative pruning: each step keeps the same fraction of the remaining weights.

    Step ``k`` (1-based) targets ``1 - (1 - final) ** (k / steps)`` (Han et al., 2015, "Learning both
    Weights and Connections"; the constant per-step rate of Frankle & Carbin, 2019, "The Lottery Ticket
    Hypothesis").
    """
    _check_fraction("final", final)
    _check_steps(steps)
    return [1.0 - (1.0 - final) ** (k / steps) for k in range(1, steps + 1)]


def cubic_sparsity(t: float, initial: float, final: float, t0: float, n: int, dt: float) -> float:
    """Zhu & Gupta, 2017, "To prune, or not to prune": ``s_t = s_f + (s_i - s_f)(1 - (t - t0)/(n Δt))³``.

    ``t`` is clamped to the pruning window ``[t0, t0 + n Δt]``, so the result is ``initial`` before it
    and ``final`` after it.

    Args:
        t: Current training step.
        initial: Sparsity ``s_i`` at the start of the window.
        final: Sparsity ``s_f`` at the end of the window.
        t0: First pruning step.
        n: Number of pruning steps.
        dt: Training steps between pruning steps (``Δt``).
    """
    _check_fraction("initial", initial)
    _check_fraction("final", final)
    if n <= 0 or dt <= 0:
        raise ValueError(f"n and dt must be positive, got n={n!r}, dt={dt!r}")
    progress = min(max((t - t0) / (n * dt), 0.0), 1.0)
    return final + (initial - final) * (1.0 - progress) ** 3


@_NAMES.register("gradual")
def gradual(final: float, steps: int, initial: float = 0.0) -> list[float]:
    """Cubic gradual pruning (Zhu & Gupta, 2017): :func:`cubic_sparsity` at ``t = 1 .. steps``.

    Uses ``t0 = 0``, ``n = steps`` and ``Δt = 1``, so it prunes fast early and slowly near ``final``.
    """
    _check_fraction("final", final)
    _check_steps(steps)
    if initial > final:
        raise ValueError(f"initial sparsity {initial!r} exceeds final sparsity {final!r}")
    return [cubic_sparsity(k, initial, final, 0, steps, 1) for k in range(1, steps + 1)]


def get_schedule(name: str) -> Schedule:
    """The schedule function registered under ``name``.

    Raises:
        ValueError: If ``name`` is unknown; the message lists the known schedules.
    """
    return _NAMES.get(name)
