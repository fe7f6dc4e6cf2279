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
    x = np.ones((1024, 1024), dtype=dtype)
    w = np.ones((7, 7))
    extra = peak_extra(lambda: pyconv.correlate(x, w, workers=2, method="direct", **kwargs))
    # Scratch is a few padded lines per thread (here ~100 kB); a copy of the
    # input would be at least x.nbytes (1-8 MB).
    assert extra < 0.05 * x.nbytes + 200_000, extra


def test_no_copy_for_a_long_1d_signal():
    x = np.ones(4_000_000)
    extra = peak_extra(lambda: pyconv.correlate1d(x, np.ones(31), workers=2, method="direct"))
    assert extra < 0.01 * x.nbytes, extra


def test_non_contiguous_input_is_not_copied():
    base = np.ones((1024, 2048))
    x = base[:, ::2]
    extra = peak_extra(lambda: pyconv.correlate(x, np.ones((5, 5)), method="direct"))
    assert extra < 0.05 * x.nbytes, extra
