"""Data and timing shared by the pyconv asv suites.

The suites use pyconv's public API only (``pyconv.correlate``,
``correlate1d``, ``choose_method``, ...) and the small timing helpers
below, never pyconv's private modules, so that ``asv continuous`` can run
this suite against older and newer commits alike.

Every case table lives in its suite's module as a dict (``CASES``,
``POINTS``), so tests/test_asv_benchmarks.py can shrink the data in place
and run every benchmark once on tiny arrays.

The quick pass (``asv run --python=same --quick``) starts one process per
benchmark and parameter combination, so the suites keep their grids to
named cases rather than full products, and the comparisons with other
libraries are ``track_`` ratios, both sides timed in one process. pyconv's
memory is ``track_peak_memory`` (tracemalloc's peak over input + output),
which, unlike asv's ``peakmem_``, does not drown in the process's baseline.
"""

import time
import tracemalloc

import numpy as np

# Best of this many alternating calls in the ratio helpers, after a warm-up.
RUNS = 3
# Calls before any is timed: one of each function, then more rounds for up
# to WARM_UP seconds (at most WARM_UP_CALLS rounds). A fresh process's first
# parallel calls meet fresh memory and a thread team still starting, which
# pyconv's busy-machine check can take for a busy machine: it then runs on
# one thread for its back-off (at least a quarter of a second).
WARM_UP = 0.5
WARM_UP_CALLS = 200


def array(shape, dtype, seed=0):
    """Seeded data: uniform in [-0.5, 0.5) for floats, 0..255 for integers."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        return rng.integers(0, 256, size=shape).astype(dtype)
    if dtype in (np.float32, np.float64):
        x = rng.random(shape, dtype=dtype)  # (much faster than standard_normal)
    else:
        x = rng.random(shape).astype(dtype)
    x -= 0.5
    return x


def kernel(taps, ndim, seed=1):
    """A seeded float64 kernel with `taps` taps along each of `ndim` axes."""
    return np.random.default_rng(seed).standard_normal((taps,) * ndim)


def peak_memory(function, input_bytes):
    """(input + peak) / (input + output) for one call of `function` after a
    warm-up call: the peak of what Python and numpy allocated during the call
    (tracemalloc; pyconv's output and scratch are numpy arrays), the output
    being what the call returned. 1.0: no scratch beyond the output.

    Exact and independent of the process's baseline (imports, the data),
    unlike asv's peakmem_ (the process's peak RSS), which at these sizes is
    mostly the baseline.
    """
    function()
    tracemalloc.start()
    try:
        output = function()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (input_bytes + peak) / (input_bytes + np.asarray(output).nbytes)


def best_of(function, runs=RUNS):
    """Best of `runs` timed calls, after one warm-up call (seconds)."""
    function()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def fastest(functions):
    """The function whose one timed call was the fastest (to pick the
    fastest of several ways to one result, before timing it against
    pyconv)."""

    def once(function):
        start = time.perf_counter()
        function()
        return time.perf_counter() - start

    return min(functions, key=once)


def warm_up_calls(functions):
    """Call the functions in turn, for the warm-up described above."""
    start = time.perf_counter()
    for _ in range(WARM_UP_CALLS):
        for function in functions:
            function()
        if time.perf_counter() - start >= WARM_UP:
            return


def ratio(numerator, denominator, runs=RUNS):
    """time(numerator) / time(denominator): best of `runs` calls of each,
    alternately in one process, after the warm-up."""
    warm_up_calls((numerator, denominator))
    best = [float("inf"), float("inf")]
    for _ in range(runs):
        for i, function in enumerate((numerator, denominator)):
            start = time.perf_counter()
            function()
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0] / best[1]


def median_ratio(numerator, denominator, calls, budget, min_calls=3):
    """The median over rounds of time(numerator) / time(denominator): the
    two called in turn after the warm-up, until each ran `calls`
    times, or `budget` seconds have passed and each ran `min_calls` times.
    The rounds alternate which goes first: the first call of a round runs
    after the other's, with colder caches. (The median of per-round ratios,
    not a ratio of medians or of bests: both calls of a round share the
    machine's state, which on a busy machine lasts seconds and moves a
    call's time by whole time slices.)"""
    warm_up_calls((numerator, denominator))
    times = ([], [])
    pairs = ((numerator, times[0]), (denominator, times[1]))
    start = time.perf_counter()
    while len(times[0]) < calls and (
            len(times[0]) < min_calls or time.perf_counter() - start < budget):
        for function, store in pairs if len(times[0]) % 2 == 0 else pairs[::-1]:
            begin = time.perf_counter()
            function()
            store.append(time.perf_counter() - begin)
    return float(np.median(np.array(times[0]) / np.array(times[1])))


def opencv():
    """The cv2 module; asv skips a benchmark whose setup raises NotImplementedError."""
    try:
        import cv2
    except ImportError:
        raise NotImplementedError("needs opencv-python-headless (pyconv-nd[bench])") from None
    return cv2
