"""Shared grids and tolerances for the pyconv tests (imported by test modules)."""

import os

import numpy as np

# Under AddressSanitizer (the sanitized CI stage preloads libasan), shadow
# memory and the free quarantine grow RSS whatever pyconv does: RSS budgets
# are checked in the plain run only.
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")

MODES = ["reflect", "constant", "nearest", "mirror", "wrap"]
MODE_ALIASES = ["grid-mirror", "grid-constant", "grid-wrap"]
ALL_MODES = MODES + MODE_ALIASES

FLOAT_DTYPES = [np.float32, np.float64]
COMPLEX_DTYPES = [np.complex64, np.complex128]
INT_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]
ALL_DTYPES = [np.float16] + FLOAT_DTYPES + COMPLEX_DTYPES + INT_DTYPES

# Working precision per output dtype (float32 for <= single / small ints).
SINGLE_PRECISION = {np.dtype(t) for t in (np.float16, np.float32, np.complex64,
                                          np.int8, np.uint8, np.int16, np.uint16)}


def work_eps(out_dtype):
    return np.finfo(np.float32 if np.dtype(out_dtype) in SINGLE_PRECISION else np.float64).eps


def assert_close(actual, expected, x, w, out_dtype=None, cval=0.0):
    """Equal up to the working precision's rounding of a sum of len(w) terms.

    The bound is (taps + 2) * eps * sum|w| * max|x_ext| -- the classical
    bound for a naive sum; for the FFT, log2(size) replaces taps when larger
    (its measured error stays below 1 eps * sum|w| * max|x|) -- plus one
    unit in the last place of the output dtype for the final rounding.
    """
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    out_dtype = np.dtype(out_dtype or actual.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert actual.dtype == out_dtype, (actual.dtype, out_dtype)
    w = np.asarray(w)
    x = np.asarray(x)
    x_max = max(float(np.max(np.abs(x))) if x.size else 0.0, abs(cval))
    scale = float(np.sum(np.abs(w.astype(np.complex128)))) * x_max
    terms = max(w.size, np.log2(max(x.size, 2)))
    atol = (terms + 2) * work_eps(out_dtype) * scale
    if out_dtype.kind in "iu":
        atol = max(atol, 1.0)  # rounding to an integer may flip near .5
    elif out_dtype == np.float16:
        atol += float(np.finfo(np.float16).eps) * max(scale, 1.0)
    np.testing.assert_allclose(
        actual.astype(np.complex128), expected.astype(np.complex128), rtol=0, atol=atol + 1e-300
    )


def random_array(rng, shape, dtype):
    """Values that exercise the dtype: negatives where allowed, moderate range."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        low, high = max(info.min, -100), min(info.max, 100)
        return rng.integers(low, high, size=shape, endpoint=True).astype(dtype)
    values = rng.standard_normal(shape)
    if dtype.kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


def assert_omit_close(actual, expected, x, w, out_dtype=None, terms=None):
    """NaN exactly where the reference has it; elsewhere equal up to rounding.

    The ratio's error: each sum is off by (taps + 2) eps sum|w| max|x| (or
    sum|w| for the present weights); divided by the present weights (at
    least the smallest |w| here), times sum(w).
    """
    actual = np.asarray(actual)
    out_dtype = np.dtype(out_dtype or actual.dtype)
    assert actual.dtype == out_dtype, (actual.dtype, out_dtype)
    assert actual.shape == expected.shape
    missing = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(actual), missing)
    w = np.asarray(w, dtype=np.complex128)
    present = np.abs(x[~np.isnan(x)]) if x.dtype.kind in "fc" else np.abs(x)
    x_max = max(1.0, float(present.max(initial=0)))
    eps = np.finfo(np.float32 if out_dtype in (np.float16, np.float32, np.complex64)
                   or out_dtype.kind in "iu" else np.float64).eps
    sum_abs = float(np.abs(w).sum())
    smallest = float(np.abs(w[w != 0]).min())
    n_terms = max(w.size, terms or 0) + 2
    atol = 4 * n_terms * eps * x_max * sum_abs / smallest * abs(complex(w.sum()))
    if out_dtype == np.float16:
        atol += 2 * float(np.finfo(np.float16).eps) * x_max
    np.testing.assert_allclose(actual[~missing].astype(np.complex128),
                               expected[~missing].astype(np.complex128), rtol=0, atol=atol)


def results_of(monkeypatch, module, name):
    """The results of every call of module.name from now on, newest last
    (the function itself runs as before)."""
    seen = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        seen.append(real(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(module, name, spy)
    return seen
