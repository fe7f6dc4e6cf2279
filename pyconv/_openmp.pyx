"""Thread counts: the one place that turns ``workers`` into a number.

``effective_workers`` reads OpenMP's state at call time, so ``OMP_NUM_THREADS``
and ``threadpoolctl.threadpool_limits(..., "openmp")`` are respected.
"""

import operator
import os
import time

from cython.parallel cimport parallel, threadid

# More threads than any machine pyconv runs on has cores: a larger count is
# a mistake, and asking the OpenMP runtime for it can end the process (it
# aborts when it cannot create a thread).
MAX_WORKERS = 1024

# GNU libgomp's thread pool does not survive fork(): a child whose parent
# had run a parallel region waits forever for the parent's threads once it
# starts one itself. So a child forked after the parent used threads runs
# every call on one thread (as the workers of a fork-based process pool
# should anyway).
_used_threads = False
_single_thread_after_fork = False


def _after_fork_in_child():
    global _single_thread_after_fork
    _single_thread_after_fork = _single_thread_after_fork or _used_threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def have_openmp():
    """True when the compiled kernels were built with OpenMP."""
    return bool(PYCONV_HAVE_OPENMP)


def max_threads():
    """OpenMP's current default team size (1 without OpenMP)."""
    return omp_get_max_threads()


def num_procs():
    """Cores this process may run on."""
    if PYCONV_HAVE_OPENMP:
        return omp_get_num_procs()
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def effective_workers(workers):
    """Number of threads for ``workers``.

    ``None``: OpenMP's current limit (``OMP_NUM_THREADS``, threadpoolctl);
    ``n >= 1``: exactly n; ``-1``: every core, ``-2`` one fewer, and so on.
    ``0``, counts below one core and counts above MAX_WORKERS are a
    ValueError; non-integers a TypeError. In a process forked after its
    parent ran threads, always 1 (see _single_thread_after_fork).
    """
    global _used_threads
    count = _resolve(workers)
    if _single_thread_after_fork:
        return 1
    if count > 1:
        _used_threads = True
    return count


def _resolve(workers):
    if workers is None:
        return max(1, omp_get_max_threads())
    if isinstance(workers, bool):
        raise TypeError("workers must be None or an integer, got bool")
    try:
        count = operator.index(workers)
    except TypeError:
        raise TypeError(
            f"workers must be None or an integer, got {type(workers).__name__}"
        ) from None
    if count > MAX_WORKERS:
        raise ValueError(f"workers={count} is more than the {MAX_WORKERS} threads pyconv "
                         f"starts at most (this machine has {num_procs()} cores)")
    if count >= 1:
        return count
    if count == 0:
        raise ValueError("workers must be None, a positive integer or a negative one "
                         "counting back from all cores (-1 = all); got 0")
    cores = num_procs()
    resolved = cores + 1 + count
    if resolved < 1:
        raise ValueError(f"workers={count} asks for fewer than one thread on "
                         f"{cores} cores")
    return resolved


def team_size(int n_threads):
    """Size of the thread team a parallel region of `n_threads` really gets.

    Used by the tests to prove the build is multi-threaded.
    """
    global _used_threads
    cdef int sizes[1]
    cdef int* size = sizes
    size[0] = 1
    _used_threads = _used_threads or n_threads > 1
    with nogil, parallel(num_threads=n_threads):
        if threadid() == 0:
            size[0] = omp_get_num_threads()
    return size[0]


# Busy machines. A parallel call waits, at its end, for every thread of its
# team; when other processes keep the cores busy, the OS may not run one of
# them for several time slices, and the call can take many times its
# single-threaded time. So every parallel call of the direct method reports
# its first thread's working time, how long that thread then waited for the
# others, and the share of the items it did. Threads did not pay when that
# thread did no work at all (the OS ran it late), when it waited longer
# than BUSY_WAIT of its working time (with work handed out a few items at a
# time, a thread that keeps running waits for one handful at most), or when
# the call took more than BUSY_SHARE of what one thread would have (the
# working time over the share). On a calm machine one such call is a
# hiccup (a virtual CPU the host ran late once); two in a row mean a busy
# machine. Parallel calls then run on one thread for a back-off period
# that doubles while the machine stays busy (MIN_BACKOFF up to MAX_BACKOFF
# seconds); a parallel call after it that did pay halves it (one lucky
# call on a machine still busy does not bring every call back to a team),
# and below MIN_BACKOFF the machine is calm again.
BUSY_WAIT = 0.5
BUSY_SHARE = 0.9
MIN_BACKOFF = 0.25
MAX_BACKOFF = 8.0
_backoff = 0.0
_busy_until = 0.0
_strike = False  # the last parallel call of a calm machine did not pay


def parallel_threads(n_threads):
    """Threads a call planned for `n_threads` runs on now (1 while backing off)."""
    if n_threads > 1 and _busy_until and time.monotonic() < _busy_until:
        return 1
    return n_threads


def record_wait(work, wait, share):
    """After a parallel call: its first thread's seconds of work, then of
    waiting, and the share of the items that thread did (0 to 1)."""
    global _backoff, _busy_until, _strike
    if share <= 0 or wait > BUSY_WAIT * work or work + wait > BUSY_SHARE * work / share:
        if not _backoff and not _strike:
            _strike = True
            return
        _strike = False
        _backoff = min(MAX_BACKOFF, max(MIN_BACKOFF, 2 * _backoff))
        _busy_until = time.monotonic() + _backoff
    else:
        _strike = False
        _backoff = _backoff / 2 if _backoff > MIN_BACKOFF else 0.0
        _busy_until = time.monotonic() + _backoff if _backoff else 0.0
