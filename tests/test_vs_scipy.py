"""Parity with scipy.ndimage where it defines the answer.

scipy truncates and wraps integers; pyconv rounds and saturates (a
deliberate difference), so integer cases compare with scipy's float64 result
put through the documented rounding. Weights in the integer cases are multiples
of 1/4 so the single-precision sums are exact. float16 is compared with
scipy on the float32 copy.
"""

import numpy as np
import pytest
import scipy.ndimage as ndi
from common import (
    ALL_DTYPES,
    ALL_MODES,
    INT_DTYPES,
    MODES,
    assert_close,
    random_array,
)
from reference import to_dtype

import pyconv

SHAPES = {1: (23,), 2: (11, 13), 3: (7, 8, 9), 4: (5, 6, 4, 7)}


def kernel(rng, shape, dtype):
    if np.dtype(dtype).kind in "iu":
        return rng.integers(-4, 5, size=shape) / 4.0
    if np.dtype(dtype).kind == "c":
        return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return rng.standard_normal(shape)


def scipy_expected(function, x, w, dtype, **kwargs):
    """scipy's answer, in the dtype pyconv returns (rounded/saturated for ints)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        return to_dtype(function(x.astype(np.float64), w, output=np.float64, **kwargs), dtype)
    if dtype == np.float16:
        return function(x.astype(np.float32), w, **kwargs).astype(np.float16)
    if dtype.kind == "c" or np.iscomplexobj(w):
        return function(x.astype(np.complex128), w, **kwargs).astype(
            np.promote_types(dtype, np.complex64))
    return function(x.astype(np.float64), w, output=np.float64, **kwargs).astype(dtype)


@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("function", ["correlate", "convolve"])
def test_dtype_by_mode_2d(rng, function, dtype, mode):
    x = random_array(rng, (12, 17), dtype)
    w = kernel(rng, (3, 4), dtype)
    expected = scipy_expected(getattr(ndi, function), x, w, x.dtype, mode=mode, cval=1.5)
    actual = getattr(pyconv, function)(x, w, mode=mode, cval=1.5)
    assert_close(actual, expected, x, w, expected.dtype, cval=1.5)


@pytest.mark.parametrize("origin", ["low", 0, "high"])
@pytest.mark.parametrize("parity", ["odd", "even"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
@pytest.mark.parametrize("function", ["correlate", "convolve"])
def test_ndim_mode_origin(rng, function, ndim, mode, parity, origin):
    x = rng.standard_normal(SHAPES[ndim])
    # Kernels of 3 or 4 taps per axis (3 or 2 in 4-D to keep the test quick).
    taps = [(3 if parity == "odd" else 4) if ndim < 4 else (3 if parity == "odd" else 2)] * ndim
    w = rng.standard_normal(taps)
    k = taps[0]
    origins = {"low": -(k // 2), 0: 0, "high": (k - 1) // 2}
    o = origins[origin]
    expected = getattr(ndi, function)(x, w, mode=mode, cval=-0.5, origin=o)
    actual = getattr(pyconv, function)(x, w, mode=mode, cval=-0.5, origin=o)
    assert_close(actual, expected, x, w, cval=-0.5)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("origin", [(-1, 0, 1), (1, -2, 0), (0, 1, -1)])
def test_per_axis_origin_3d(rng, mode, origin):
    x = rng.standard_normal((9, 10, 11))
    w = rng.standard_normal((3, 4, 3))
    for function in ("correlate", "convolve"):
        expected = getattr(ndi, function)(x, w, mode=mode, origin=origin)
        actual = getattr(pyconv, function)(x, w, mode=mode, origin=origin)
        assert_close(actual, expected, x, w)


AXES_CASES = [
    ((6, 7, 8), (0,)),
    ((6, 7, 8), (1,)),
    ((6, 7, 8), (2,)),
    ((6, 7, 8), (-1,)),
    ((6, 7, 8), (0, 2)),
    ((6, 7, 8), (2, 0)),  # out of order: weights follow the order given
    ((6, 7, 8), (1, 2)),
    ((6, 7, 8), (2, 1, 0)),
    ((4, 5, 6, 7), (1, 3)),
    ((4, 5, 6, 7), (3, 0, 2)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,axes", AXES_CASES)
@pytest.mark.parametrize("function", ["correlate", "convolve"])
def test_axes(rng, function, shape, axes, mode):
    x = rng.standard_normal(shape)
    taps = [3, 4, 2][: len(axes)]
    w = rng.standard_normal(taps)
    # scipy sorts axes and lines the weights up with the sorted order.
    normalized = [a % len(shape) for a in axes]
    order = np.argsort(normalized)
    w_sorted = np.transpose(w, order)
    expected = getattr(ndi, function)(x, w_sorted, mode=mode, axes=sorted(normalized))
    actual = getattr(pyconv, function)(x, w, mode=mode, axes=axes)
    assert_close(actual, expected, x, w)


@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("function", ["correlate1d", "convolve1d"])
def test_1d_functions_dtype_mode(rng, function, dtype, mode):
    x = random_array(rng, (5, 31), dtype)
    w = kernel(rng, (5,), dtype)
    for axis in (0, 1, -1):
        expected = scipy_expected(getattr(ndi, function), x, w, x.dtype, axis=axis,
                                  mode=mode, cval=2.0)
        actual = getattr(pyconv, function)(x, w, axis=axis, mode=mode, cval=2.0)
        assert_close(actual, expected, x, w, expected.dtype, cval=2.0)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("taps", [1, 2, 3, 6, 7])
@pytest.mark.parametrize("function", ["correlate1d", "convolve1d"])
def test_1d_functions_origin(rng, function, taps, mode):
    x = rng.standard_normal((4, 19))
    w = rng.standard_normal(taps)
    for origin in range(-(taps // 2), (taps - 1) // 2 + 1):
        expected = getattr(ndi, function)(x, w, mode=mode, origin=origin)
        actual = getattr(pyconv, function)(x, w, mode=mode, origin=origin)
        assert_close(actual, expected, x, w)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda t: np.dtype(t).name)
def test_integer_sums_exact(rng, dtype):
    """Dyadic weights and small integers: the sums are exact, so equality is."""
    x = random_array(rng, (16, 16), dtype)
    w = rng.integers(-4, 5, size=(3, 3)) / 4.0
    expected = to_dtype(ndi.correlate(x.astype(np.float64), w, output=np.float64), dtype)
    np.testing.assert_array_equal(pyconv.correlate(x, w), expected)


def test_float64_matches_scipy_to_rounding(rng):
    """float64 'same' is scipy.ndimage up to summation order."""
    x = rng.standard_normal((64, 64))
    w = rng.standard_normal((5, 5))
    np.testing.assert_allclose(pyconv.correlate(x, w), ndi.correlate(x, w),
                               rtol=1e-13, atol=1e-13)
