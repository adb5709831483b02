"""Many pipelines on every core: the simulated builds of ``provsim check`` in a process pool.

Files are read and parsed in the calling process; an AIB image template may
come unread (:class:`~provsim.pipeline.aib.UnreadTemplate`, from
:func:`~provsim.pipeline.detect.pipelines_to_read`) and is read by the worker
that builds it: a bad one is refused with its file and line as before, only
after the chunks in front of it are built. Each pipeline's build, registrations and VM
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

import gc
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ..model import OsState
from .model import Pipeline

if TYPE_CHECKING:
    from .aib import UnreadTemplate

    Readable = Pipeline | UnreadTemplate

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
#: What a build's document becomes before it is sent back (see :func:`check_documents`).
Finish = Callable[[dict[str, Any]], Any]
_Finished = TypeVar("_Finished")


def usable_cores() -> int:
    """The cores this process may run on (a container's or a CI runner's CPU set), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@overload
def check_documents(
    pipelines: Sequence[Readable],
    seed: int = 0,
    vhd_as: OsState | None = None,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    release: bool = False,
) -> list[dict[str, Any]]: ...


@overload
def check_documents(
    pipelines: Sequence[Readable],
    seed: int = 0,
    vhd_as: OsState | None = None,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    release: bool = False,
    finish: Callable[[dict[str, Any]], _Finished],
) -> list[_Finished]: ...


def check_documents(
    pipelines: Sequence[Readable],
    seed: int = 0,
    vhd_as: OsState | None = None,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    release: bool = False,
    finish: Finish | None = None,
) -> list[Any]:
    """Each pipeline's report as its JSON document (``PipelineReport.to_dict``), in the order given.

    ``pipelines``: read, or AIB templates left for the builds to read.
    ``jobs``: the most worker processes (default: every usable core).
    ``release``: ``pipelines`` (a list) is emptied as its pipelines are handed
    to the builds, so that their memory is free for the documents (the 10,000
    pipelines of one ARM file hold about 55 MiB); the CLI reads them for this
    call only.
    ``finish``: what each document becomes, where it is made (in a worker:
    the caller's work on each pipeline's report goes to every core too, and
    only what it keeps comes back); picklable where workers are spawned.
    """
    total = len(pipelines)
    workers = min(jobs or usable_cores(), max(1, total // 2))
    if workers < 2 or total < PARALLEL_FROM:
        return _in_process(pipelines, seed, vhd_as, progress, release, finish)
    # The first pipeline is built here: it imports what building needs (Faker, the script parsers) once,
    # before the workers are forked with it, instead of once in every worker.
    documents = _check_chunk(pipelines[:1], seed, vhd_as, finish)
    context = _context()
    size = _chunk_size(total - 1, workers * CHUNKS_PER_WORKER)
    bounds = [(start, min(start + size, total)) for start in range(1, total, size)]
    global _HANDED
    if context.get_start_method() == "fork":
        # Forked workers start with the pipelines in their memory: a chunk is sent as its bounds, not pickled
        # (pickling 10,000 pipelines here and unpickling them there was a third of the calling process's time).
        _HANDED = pipelines
        tasks: list[Any] = bounds
    else:
        from .detect import read

        # Spawned workers are sent the pipelines themselves: read here (a template's reader is not pickled).
        tasks = [[read(pipeline) for pipeline in pipelines[start:stop]] for start, stop in bounds]
    # Imported here: multiprocessing and the executor cost a check of one template 40-50 ms.
    from concurrent.futures import ProcessPoolExecutor

    executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_signals)
    # What the workers inherit is kept out of their collections (the gc.freeze documentation's advice for fork):
    # a collection in a worker would otherwise go over every inherited object, writing to each page it shares
    # with this process, so the copies cost a third of the workers' time on 1000 templates.
    frozen_here = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        count = len(tasks)
        results = executor.map(_check_task, tasks, [seed] * count, [vhd_as] * count, [finish] * count)
        # Every chunk is submitted by now, so every worker is forked: this process no longer needs the pipelines.
        if frozen_here:
            gc.unfreeze()
        _HANDED = ()
        del tasks
        if release and isinstance(pipelines, list):
            pipelines.clear()
        for done in results:
            documents += done
            if progress is not None:
                progress(len(documents), total)
    except BaseException:
        # A bad input, a bug or a stop: the rest is not wanted; running chunks end on their own (under a second).
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        _HANDED = ()
        if frozen_here:
            gc.unfreeze()
    executor.shutdown()
    return documents


#: The pipelines of the running :func:`check_documents`, for the workers it forks (empty otherwise).
_HANDED: Sequence[Readable] = ()


def _in_process(
    pipelines: Sequence[Readable],
    seed: int,
    vhd_as: OsState | None,
    progress: Progress | None,
    release: bool,
    finish: Finish | None,
) -> list[Any]:
    documents: list[Any] = []
    total = len(pipelines)
    if release and isinstance(pipelines, list):
        # Each pipeline goes as its document comes: taken from the end of the reversed list, in order.
        pipelines.reverse()
        while pipelines:
            documents += _check_chunk([pipelines.pop()], seed, vhd_as, finish)
            if progress is not None:
                progress(len(documents), total)
        return documents
    for index in range(total):
        documents += _check_chunk(pipelines[index : index + 1], seed, vhd_as, finish)
        if progress is not None:
            progress(len(documents), total)
    return documents


def _check_task(
    task: tuple[int, int] | list[Pipeline], seed: int, vhd_as: OsState | None, finish: Finish | None
) -> list[Any]:
    """One chunk in a worker: its bounds in the forked :data:`_HANDED`, or (spawned) the pipelines themselves."""
    if isinstance(task, list):
        return _check_chunk(task, seed, vhd_as, finish)
    start, stop = task
    if len(_HANDED) < stop:  # a worker forked after the hand-over (a replacement): never a short report
        raise RuntimeError(f"worker has {len(_HANDED)} pipelines, chunk {start}-{stop} asked for")
    return _check_chunk(_HANDED[start:stop], seed, vhd_as, finish)


def _check_chunk(
    pipelines: Sequence[Readable], seed: int, vhd_as: OsState | None, finish: Finish | None = None
) -> list[Any]:
    from .build import simulate_build
    from .check import report_build
    from .detect import read

    documents = [report_build(simulate_build(read(pipeline), seed), seed, vhd_as).to_dict() for pipeline in pipelines]
    return documents if finish is None else [finish(document) for document in documents]


def _chunk_size(count: int, chunks: int) -> int:
    """Pipelines per chunk: ``count`` in about ``chunks`` consecutive slices of at most :data:`MAX_CHUNK`.

    >>> _chunk_size(10, 4), _chunk_size(1000, 2), _chunk_size(0, 4)
    (3, 100, 1)
    """
    return min(MAX_CHUNK, max(1, -(-count // chunks)))


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
