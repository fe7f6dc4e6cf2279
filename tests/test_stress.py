"""Thousands of calls leak nothing; 16 threads at once get the right results."""

import gc
import sys
import threading
import tracemalloc

import numpy as np
import pytest
from common import UNDER_ASAN, assert_close

import pyconv
from pyconv import _direct_plan, _normalize, _plan

MODES = ["reflect", "constant", "nearest", "mirror", "wrap"]
DTYPES = [np.float32, np.float64, np.complex64, np.uint8, np.int16, np.float16]


def random_call(rng):
    """(function, args, kwargs) of a small random problem, sometimes a bad one."""
    ndim = int(rng.integers(1, 4))
    shape = tuple(int(n) for n in rng.integers(1, 24, size=ndim))
    dtype = DTYPES[int(rng.integers(len(DTYPES)))]
    x = (rng.standard_normal(shape) * 20).astype(dtype)
    w = rng.standard_normal(tuple(int(k) for k in rng.integers(1, 6, size=ndim)))
    kwargs = {
        "mode": MODES[int(rng.integers(len(MODES)))],
        "stride": int(rng.integers(1, 3)),
        "dilation": int(rng.integers(1, 3)),
        "padding": ["same", "valid", "full", 1][int(rng.integers(4))],
        "method": ["auto", "direct", "fft"][int(rng.integers(3))],
        "workers": int(rng.integers(1, 3)),
    }
    if rng.random() < 0.2:
        kwargs["output"] = np.float64 if x.dtype.kind != "c" else np.complex128
    if rng.random() < 0.1:
        kwargs["mode"] = "no-such-mode"  # the error path must not leak either
    function = pyconv.convolve if rng.random() < 0.5 else pyconv.correlate
    return function, x, w, kwargs


def call(function, x, w, kwargs):
    try:
        return function(x, w, **kwargs)
    except ValueError:
        return None


def rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/statm")
def clear_bounded_caches():
    """Empty pyconv's caches of plans and geometries. They are bounded (a
    test of their own checks the bound), but which entries they hold at a
    given moment varies, and with it the memory they take."""
    _direct_plan._PLANS.clear()
    _plan._direct_seconds.cache_clear()
    _normalize._cached_geometry.cache_clear()


def test_thousands_of_calls_leak_nothing():
    rng = np.random.default_rng(7)
    calls = [random_call(rng) for _ in range(200)]
    for args in calls:  # warm up: caches, lazy imports, scipy.fft plans
        call(*args)
    refcounts = [(sys.getrefcount(x), sys.getrefcount(w)) for _, x, w, _ in calls]
    gc.collect()
    rss_before = rss_bytes()
    tracemalloc.start()
    try:
        for i in range(3000):
            call(*calls[i % len(calls)])
            if i == 999:
                clear_bounded_caches()
                gc.collect()
                traced_before = tracemalloc.get_traced_memory()[0]
        clear_bounded_caches()
        gc.collect()
        traced_after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    rss_growth = rss_bytes() - rss_before
    assert traced_after - traced_before < 64 * 1024, traced_after - traced_before
    if not UNDER_ASAN:  # tracemalloc and refcounts hold under the sanitizer too
        assert rss_growth < 16 * 2**20, rss_growth
    assert refcounts == [(sys.getrefcount(x), sys.getrefcount(w)) for _, x, w, _ in calls]


def test_output_and_input_refcounts_unchanged():
    x = np.random.default_rng(0).standard_normal((30, 30))
    out = np.empty((30, 30))
    before = sys.getrefcount(x), sys.getrefcount(out)
    for method in ("direct", "fft"):
        for _ in range(100):
            pyconv.correlate(x, np.ones((3, 3)), output=out, method=method)
    assert (sys.getrefcount(x), sys.getrefcount(out)) == before


def test_sixteen_threads_of_random_calls():
    rng = np.random.default_rng(11)
    work = [[random_call(rng) for _ in range(100)] for _ in range(16)]
    expected = [[call(f, x, w, {**kw, "workers": 1, "method": "direct"})
                 for f, x, w, kw in calls] for calls in work]
    failures = []
    barrier = threading.Barrier(16)

    def run(i):
        barrier.wait()
        for (function, x, w, kwargs), want in zip(work[i], expected[i], strict=True):
            got = call(function, x, w, kwargs)
            try:
                if want is None:
                    assert got is None
                elif kwargs["method"] == "direct":
                    assert got.tobytes() == want.tobytes()  # bitwise, any workers
                else:
                    assert_close(got, want, x, w)
            except AssertionError as error:
                failures.append((i, kwargs, error))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]
