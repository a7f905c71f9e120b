"""How a check's time grows with its input: the ratio of two sizes, never a time of its own.

Given eight times the input, a check that reads it once takes about eight times as long,
and one with overlapping quantifiers about sixty-four times. Time is this thread's CPU
time, which other processes on a busy machine do not add to (wall-clock time favours the
short runs, which are less often interrupted), and each size is timed as the best of a
few runs, each repeated until it lasts five milliseconds.
"""

import contextlib
import time
from collections.abc import Callable

from django.core.exceptions import ValidationError

# A run shorter than this is mostly the clock's own noise.
_SHORTEST_RUN = 0.005
_RUNS = 5


def quietly(check: Callable[[str], object]) -> Callable[[str], None]:
    """The check, with its refusal (a ValidationError) taken as an answer like any other."""

    def run(value: str) -> None:
        with contextlib.suppress(ValidationError):
            check(value)

    return run


def _run(check: Callable[[str], None], value: str, repeat: int, budget: float) -> float:
    start = time.thread_time()
    for _ in range(repeat):
        check(value)
        if time.thread_time() - start > budget:
            break  # already far slower than it may be: no need to wait for the rest
    return time.thread_time() - start


def growth(check: Callable[[str], None], make: Callable[[int], str], small: int, large: int) -> float:
    """How many times longer `check(make(large))` takes than `check(make(small))`.

    The two sizes take turns, so a change in the machine's load falls on both. A check that
    grows faster than `4 * large / small` has each run stopped there (the ratio returned is
    then at least that): a quadratic one is judged without waiting for it to finish.
    """
    little, big = make(small), make(large)
    repeat = 1
    while _run(check, little, repeat, float("inf")) < _SHORTEST_RUN and repeat < 1_000_000:
        repeat *= 2
    small_time = large_time = float("inf")
    for _ in range(_RUNS):
        small_time = min(small_time, _run(check, little, repeat, float("inf")))
        budget = small_time * 4 * large / small
        # A run past the budget is cut short; one such run may be the machine's doing, not the
        # check's, so only the best of all the runs is judged.
        large_time = min(large_time, _run(check, big, repeat, budget))
    return large_time / small_time
