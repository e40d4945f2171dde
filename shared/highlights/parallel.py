"""Bounded concurrency that carries the caller's context into its threads.

The time budget (highlights.budget) and the invocation's credentials (highlights.credentials) live
in context variables, which a new thread does not inherit: each task runs in its own copy of the
context of the thread that handed it over (`contextvars.copy_context()`), so every ICE or OSS call
a worker makes fits the caller's deadline and is signed with the caller's credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextvars import copy_context
from typing import TypeVar

T = TypeVar("T")


def bounded(
    tasks: Iterable[Callable[[], T]],
    *,
    workers: int,
    stop: Callable[[], bool] = lambda: False,
    name: str = "worker",
) -> Iterator[T]:
    """Run tasks, at most `workers` at a time, yielding their results as they end.

    Tasks are taken from `tasks` lazily, in the calling thread, only when a worker is free, and
    not at all once `stop()` is true: what was not taken is left for later. A task that raises
    raises here (tasks are expected to handle their own errors). With one worker, tasks run
    inline, in order. Every thread has ended when the iteration ends, however it ends.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    source = iter(tasks)
    if workers == 1:
        while not stop():
            task = next(source, None)
            if task is None:
                return
            yield task()
        return
    pending: set[Future[T]] = set()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name) as pool:
        try:
            while not stop():
                task = next(source, None)
                if task is None:
                    break
                pending.add(pool.submit(copy_context().run, task))
                while len(pending) >= workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()  # not started yet: never started; running ones are waited for
