"""Many pipelines on every core: the simulated builds of ``provsim check`` in a process pool.

Reading stays in the calling process (a bad template is refused before any
work, naming its file as before); each pipeline's build, registrations and VM
creations are independent of every other's (``report_build(simulate_build(...))``
in :mod:`provsim.pipeline.check`), so they go to a
:class:`concurrent.futures.ProcessPoolExecutor` in chunks, and come back as
the report's JSON documents, in the order the pipelines were read: the output
is the same, byte for byte, with one worker or many.

A pool pays for itself only with many pipelines (a process starts in about
10 ms when forked, each pipeline takes about 2 ms): below
:data:`PARALLEL_FROM` pipelines, or with one core, they are built here.
Workers are forked where the platform allows it, so they start with the
modules already imported; elsewhere they are spawned. A worker ignores
Ctrl-C and SIGHUP (the calling process handles the stop and the pool's
shutdown) but dies on SIGTERM, which is how a pool's workers are ended.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..model import OsState
from .model import Pipeline

#: Fewer pipelines than this are built in the calling process: a pool would cost more than it saves.
PARALLEL_FROM = 32
#: Chunks per worker: enough for the work to even out and the progress to move, few enough to keep the
#: cost of sending pipelines to workers small.
CHUNKS_PER_WORKER = 8
#: The most pipelines in one chunk (a few tenths of a second of work): on Ctrl-C or SIGTERM the chunks
#: running finish before the workers exit, and that must stay short.
MAX_CHUNK = 100

#: Told how many of the pipelines are done, after each chunk: ``progress(done, total)``.
Progress = Callable[[int, int], None]


def usable_cores() -> int:
    """The cores this process may run on (a container's or a CI runner's CPU set), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_documents(
    pipelines: Sequence[Pipeline],
    seed: int = 0,
    vhd_as: OsState | None = None,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Each pipeline's report as its JSON document (``PipelineReport.to_dict``), in the order given.

    ``jobs``: the most worker processes (default: every usable core).
    """
    workers = min(jobs or usable_cores(), max(1, len(pipelines) // 2))
    if workers < 2 or len(pipelines) < PARALLEL_FROM:
        return _in_process(pipelines, seed, vhd_as, progress)
    # The first pipeline is built here: it imports what building needs (Faker, the script parsers) once,
    # before the workers are forked with it, instead of once in every worker.
    documents = _check_chunk(pipelines[:1], seed, vhd_as)
    chunks = list(_chunks(pipelines[1:], workers * CHUNKS_PER_WORKER))
    # Imported here: multiprocessing and the executor cost a check of one template 40-50 ms.
    from concurrent.futures import ProcessPoolExecutor

    executor = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_worker_signals)
    try:
        for done in executor.map(_check_chunk, chunks, [seed] * len(chunks), [vhd_as] * len(chunks)):
            documents += done
            if progress is not None:
                progress(len(documents), len(pipelines))
    except BaseException:
        # A bad input, a bug or a stop: the rest is not wanted; running chunks end on their own (under a second).
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown()
    return documents


def _in_process(
    pipelines: Sequence[Pipeline], seed: int, vhd_as: OsState | None, progress: Progress | None
) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for pipeline in pipelines:
        documents += _check_chunk([pipeline], seed, vhd_as)
        if progress is not None:
            progress(len(documents), len(pipelines))
    return documents


def _check_chunk(pipelines: Sequence[Pipeline], seed: int, vhd_as: OsState | None) -> list[dict[str, Any]]:
    from .build import simulate_build
    from .check import report_build

    return [report_build(simulate_build(pipeline, seed), seed, vhd_as).to_dict() for pipeline in pipelines]


def _chunks(pipelines: Sequence[Pipeline], count: int) -> Iterator[list[Pipeline]]:
    """``pipelines`` in about ``count`` consecutive slices of at most :data:`MAX_CHUNK`, in order.

    >>> [len(chunk) for chunk in _chunks(list(range(10)), 4)]  # type: ignore[arg-type]
    [3, 3, 3, 1]
    >>> len(list(_chunks(list(range(1000)), 2)))  # type: ignore[arg-type]
    10
    """
    size = min(MAX_CHUNK, max(1, -(-len(pipelines) // count)))
    for start in range(0, len(pipelines), size):
        yield list(pipelines[start : start + size])


def _context() -> Any:
    # fork: a worker starts with provsim, Faker and the parsers already imported (spawn would import them again).
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _worker_signals() -> None:
    """Ctrl-C and SIGHUP are the calling process's to handle; SIGTERM ends a worker, as the pool expects."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
