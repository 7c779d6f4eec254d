"""The build's one parallel map: a task over items in forked processes, results in order.

Used where a benchmark shows it pays on a 2-core machine: the actor pages of a large site
(``bench/bench_site.py``) and the posters a build draws after the site is ready
(``bench/bench_example.py``). The workers are forked, so they start with the parent's state as
it is (nothing pickled on the way in, only each item and its result); without ``fork`` (Windows,
macOS' default) or with one worker the task runs in this process.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

__all__ = ["default_workers", "forked_map"]

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

_TASK: tuple[Callable[[Any, Any], Any], Any] | None = None
"""The task and its state, in a worker (inherited through fork)."""


def default_workers() -> int:
    """Two workers on a machine with two cores or more, else one."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def _run(item: Any) -> Any:
    assert _TASK is not None
    task, state = _TASK
    return task(state, item)


def forked_map(task: Callable[[S, T], R], state: S, items: Sequence[T], *,
               workers: int) -> Iterator[R]:
    """``task(state, item)`` for each item, in ``workers`` forked processes, in order.

    ``task`` must be a module-level function (it is named to the workers, not pickled with its
    state). The collector's objects are frozen meanwhile, so that it does not touch (hence copy)
    every page of memory the workers inherited.
    """
    global _TASK
    if workers <= 1 or len(items) < 2 or "fork" not in mp.get_all_start_methods():
        for item in items:
            yield task(state, item)
        return
    _TASK = (task, state)
    gc.freeze()
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            yield from pool.imap(_run, items)
    finally:
        gc.unfreeze()
        _TASK = None
