"""Peak extra memory of the direct method (method="direct" throughout):
scratch lines per thread, never a (padded or converted) copy of the input.
tracemalloc sees numpy's buffers."""

import tracemalloc

import numpy as np
import pytest

import pyconv


def peak_extra(function):
    """Peak bytes allocated while `function` runs, beyond what it returns.

    One call first, so one-time costs (lazy imports, caches) are not counted.
    """
    function()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - result.nbytes


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8, np.int32, np.complex64])
@pytest.mark.parametrize("kwargs", [{}, {"mode": "constant", "cval": 1.0}, {"stride": 2},
                                    {"dilation": 5, "mode": "wrap"}])
def test_no_copy_of_the_input(dtype, kwargs):
    x = np.ones((2048, 1024), dtype=dtype)
    work = np.dtype(np.complex128 if np.dtype(dtype).kind == "c" else np.float64)
    line = x.shape[1] * work.itemsize
    for w in (np.ones((7, 7)), np.arange(49.0).reshape(7, 7) % 5):  # separable, not
        extra = peak_extra(lambda w=w: pyconv.correlate(x, w, workers=2, method="direct",
                                                        **kwargs))
        # Per thread: a few padded lines, or for a separable kernel one strip
        # of at most 32 + kernel span lines (dilation 5: 62). A copy of the
        # input would be x.nbytes (2-16 MB).
        assert extra < 2 * 64 * line + 256 * 1024, extra
        assert extra < 0.25 * x.nbytes + 256 * 1024, extra


def test_no_copy_for_a_long_1d_signal():
    x = np.ones(4_000_000)
    extra = peak_extra(lambda: pyconv.correlate1d(x, np.ones(31), workers=2, method="direct"))
    assert extra < 0.01 * x.nbytes, extra


def test_non_contiguous_input_is_not_copied():
    base = np.ones((2048, 2048))
    x = base[:, ::2]
    extra = peak_extra(lambda: pyconv.correlate(x, np.ones((5, 5)), method="direct"))
    assert extra < 0.06 * x.nbytes, extra
