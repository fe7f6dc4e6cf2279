"""The table of ``python -m pyconv``: pyconv against scipy, case by case.

Every case makes its own synthetic data, computes pyconv's result and the
reference (scipy.ndimage, or scipy.signal's FFT convolutions for large
kernels, or scipy.ndimage followed by slicing/zero-filling for stride and
dilation, which scipy does not have), checks they agree to floating-point
rounding, and only then times both, alternately, best of several runs. A
case that fails its check reports FAILED instead of a speed-up.
"""

from dataclasses import dataclass

import numpy as np
import scipy.ndimage as ndi
import scipy.signal

import pyconv
from pyconv.bench._display import text_table
from pyconv.bench._timing import best_times

# Seconds spent timing each case (at least 3 calls of each side, at most 20).
BUDGET = {"quick": 0.05, "default": 0.4, "full": 1.0}


@dataclass
class Case:
    name: str
    shape: tuple
    dtype: str
    taps: tuple
    kwargs: dict  # for pyconv.correlate
    reference: str  # how scipy computes the same thing


@dataclass
class Result:
    case: str
    reference: str
    pyconv_seconds: float
    scipy_seconds: float
    speedup: float | None  # None when the check failed
    max_error: float
    tolerance: float
    passed: bool
    method: str


def cases(size):
    """The cases at size 'quick', 'default' or 'full'."""
    scale = {"quick": 0.25, "default": 1.0, "full": 2.0}[size]

    def n(value):
        return max(16, int(value * scale))

    chosen = [
        Case("1-D signal, small kernel", (n(2_000_000),), "float64", (31,),
             {"mode": "reflect"}, "ndimage"),
        Case("1-D signal, large kernel", (n(2_000_000),), "float32", (1025,),
             {"mode": "constant"}, "oaconvolve"),
        Case("2-D image, small kernel", (n(2048), n(2048)), "float32", (3, 3),
             {"mode": "reflect"}, "ndimage"),
        Case("2-D image, 7x7", (n(1536), n(1536)), "float64", (7, 7),
             {"mode": "reflect"}, "ndimage"),
        Case("2-D image, large kernel", (n(1024), n(1024)), "float64", (41, 41),
             {"mode": "constant"}, "fftconvolve"),
        Case("3-D video, small kernel", (n(64), n(256), n(256)), "float32", (3, 3, 3),
             {"mode": "reflect"}, "ndimage"),
        Case("3-D video, 2-D kernel per frame", (n(32), n(384), n(384)), "float64", (5, 5),
             {"mode": "nearest", "axes": (1, 2)}, "ndimage"),
        Case("2-D image, stride 2", (n(2048), n(2048)), "float32", (3, 3),
             {"mode": "constant", "stride": 2}, "ndimage then [::2, ::2]"),
        Case("2-D image, dilation 2", (n(2048), n(2048)), "float32", (3, 3),
             {"mode": "constant", "dilation": 2}, "ndimage, zero-filled 5x5"),
    ]
    if size == "full":
        chosen += [
            Case("1-D 10M samples, 1025 taps", (10_000_000,), "float64", (1025,),
                 {"mode": "constant"}, "oaconvolve"),
            Case("3-D volume 128^3, 5x5x5", (128, 128, 128), "float64", (5, 5, 5),
                 {"mode": "nearest"}, "ndimage"),
            Case("2-D 4096^2 uint8, 3x3 box", (4096, 4096), "uint8", (3, 3),
                 {"mode": "reflect"}, "ndimage"),
        ]
    return chosen


def make_data(case, rng):
    """(x, w): random data of the case's shape and dtype, and its kernel
    (for integer data a box, whose sums scipy and pyconv round alike)."""
    if np.dtype(case.dtype).kind in "iu":
        x = rng.integers(0, 256, size=case.shape).astype(case.dtype)
        w = np.full(case.taps, 1.0 / np.prod(case.taps))
    else:
        x = rng.standard_normal(case.shape).astype(case.dtype)
        w = rng.standard_normal(case.taps)
    return x, w


def reference_function(case, x, w):
    """scipy's way of computing the case, as a zero-argument function."""
    kwargs = dict(case.kwargs)
    stride = kwargs.pop("stride", 1)
    dilation = kwargs.pop("dilation", 1)
    axes = kwargs.pop("axes", None)
    mode = kwargs.pop("mode")
    if case.reference in ("oaconvolve", "fftconvolve"):
        # correlate = convolve with the reversed kernel; 'same' with constant 0.
        flipped = w[(slice(None, None, -1),) * w.ndim]
        convolve = getattr(scipy.signal, case.reference)
        return lambda: convolve(x, flipped, mode="same")
    if dilation != 1:
        zero_filled = np.zeros([dilation * (k - 1) + 1 for k in w.shape])
        zero_filled[(slice(None, None, dilation),) * w.ndim] = w
        return lambda: ndi.correlate(x, zero_filled, mode=mode)
    if stride != 1:
        keep = (slice(None, None, stride),) * x.ndim
        return lambda: ndi.correlate(x, w, mode=mode)[keep]
    if axes is not None:
        return lambda: ndi.correlate(x, w, mode=mode, axes=axes)
    return lambda: ndi.correlate(x, w, mode=mode)


def tolerance(x, w, dtype):
    """Rounding of a sum in the working precision (integers: one unit)."""
    if np.dtype(dtype).kind in "iu":
        return 1.0
    eps = np.finfo(dtype).eps
    terms = max(w.size, np.log2(max(x.size, 2)))
    return float((terms + 2) * eps * np.abs(w).sum() * np.abs(x).max())


def run_case(case, workers, budget, rng):
    """Check pyconv's result against scipy's, then time both: a Result."""
    x, w = make_data(case, rng)
    ours = pyconv.correlate(x, w, workers=workers, **case.kwargs)
    theirs = reference_function(case, x, w)()
    if np.dtype(case.dtype).kind in "iu":  # scipy truncates; compare to its float result
        theirs = np.rint(reference_function(case, x.astype(np.float64), w)())
    error = float(np.max(np.abs(ours.astype(np.float64) - theirs))) if ours.size else 0.0
    limit = tolerance(x, w, case.dtype)
    passed = ours.shape == theirs.shape and error <= limit
    method = pyconv.choose_method(x, w, workers=workers, **case.kwargs)
    if not passed:
        return Result(case.name, case.reference, float("nan"), float("nan"), None, error,
                      limit, False, method)
    ours_time, theirs_time = best_times(
        lambda: pyconv.correlate(x, w, workers=workers, **case.kwargs),
        reference_function(case, x, w), budget)
    return Result(case.name, case.reference, ours_time, theirs_time, theirs_time / ours_time,
                  error, limit, True, method)


def format_table(results):
    """The results as a text table; a failed case shows FAILED and its error."""
    header = ("case", "method", "pyconv", "scipy", "speed-up", "max error")
    rows = []
    for r in results:
        if r.passed:
            rows.append((r.case, r.method, f"{r.pyconv_seconds * 1e3:.2f} ms",
                         f"{r.scipy_seconds * 1e3:.2f} ms", f"{r.speedup:.1f}x",
                         f"{r.max_error:.1e}"))
        else:
            rows.append((r.case, r.method, "-", "-", "FAILED",
                         f"{r.max_error:.1e} > {r.tolerance:.1e}"))
    return text_table(header, rows, left=2)
