"""Choosing the method: the cost model, ``choose_method``'s logic, dispatch.

``auto`` estimates the time of both methods from operation counts and
constants measured on this kind of machine (see MEASURED below), and takes
the FFT only when it is predicted faster *and* safe: every input value,
weight and cval finite (the FFT would smear a NaN or inf over the whole
output), and its scratch memory within FFT_MEMORY_LIMIT of what the direct
method needs (which is nothing beyond input and output).
"""

import numpy as np

from pyconv import _direct, _fft
from pyconv._layout import line_axis

# --------------------------------------------------------------------------
# MEASURED: the cost model's constants, in seconds, fitted by
# tools/calibrate_plan.py (see its docstring for how) on the 2-core
# development machine: AMD EPYC (Zen 5) under KVM, gcc 12 -O3 (SSE2
# baseline), scipy 1.17 (pocketfft), workers=1, relative least squares.
# --------------------------------------------------------------------------
DIRECT = {  # per output: (per non-zero tap, per pass over the accumulator, fixed)
    # The fit puts the float cost on passes (4 taps each): the loop is bound
    # by loads and stores, not multiplies.
    "float32": (0.0, 2.93e-10, 8.35e-11),
    "float64": (0.0, 4.15e-10, 2.75e-10),
    "complex64": (6.52e-11, 9.66e-10, 1.76e-09),
    "complex128": (2.64e-10, 8.56e-10, 2.53e-09),
}
FFT = {  # (per gathered element per log2(transform size), per gathered element)
    "float32": (1.89e-10, 1.36e-09),
    "float64": (3.67e-10, 1.96e-09),
    "complex64": (4.80e-10, 1.01e-09),
    "complex128": (8.09e-10, 2.63e-09),
}
FFT_PER_BOX = 1.4e-4  # Python and scipy.fft call overhead per box
# What each added thread adds (median of t1 / t2 - 1 over the grid's
# points of each kind): the direct loop over output lines; the FFT over
# boxes when there are several, else only inside scipy.fft's transforms
# (a single box's gather, spectrum product and store are single-threaded).
DIRECT_PARALLEL = 0.85
FFT_BOX_PARALLEL = 0.8
FFT_TRANSFORM_PARALLEL = 0.5

# The FFT may use this much scratch (bytes) beyond input and output.
FFT_MEMORY_LIMIT = 256 * 2**20


def _speedup(n_workers, efficiency):
    return 1.0 + efficiency * (max(1, n_workers) - 1)


def direct_counts(problem):
    """(outputs, non-zero taps, passes) of the direct method.

    A pass is one sweep over the accumulator: each kernel row (a fixed tap
    on every axis but the line axis) takes ceil(its non-zero taps / 4).
    """
    weights = problem.weights
    if weights.ndim == 0:
        rows = weights.reshape(1, 1)
    else:
        line = line_axis(problem.input)
        rows = np.moveaxis(weights, line, -1).reshape(-1, weights.shape[line])
    per_row = np.count_nonzero(rows, axis=1)
    return problem.output.size, int(per_row.sum()), int(np.sum(-(-per_row // 4)))


def direct_cost(problem):
    """Predicted seconds for the direct method."""
    outputs, taps, passes = direct_counts(problem)
    per_tap, per_pass, fixed = DIRECT[problem.work_dtype.name]
    seconds = outputs * (taps * per_tap + passes * per_pass + fixed)
    return seconds / _speedup(problem.n_workers, DIRECT_PARALLEL)


def fft_cost(problem, fft_plan):
    """Predicted seconds for the FFT method."""
    per_element_log, per_element = FFT[problem.work_dtype.name]
    elements = fft_plan.n_boxes * fft_plan.box_elements
    transforms = elements * fft_plan.log2_transform * per_element_log
    rest = elements * per_element + fft_plan.n_boxes * FFT_PER_BOX
    if fft_plan.n_boxes > 1:  # boxes run on threads: everything in parallel
        threads = min(problem.n_workers, fft_plan.n_boxes)
        return (transforms + rest) / _speedup(threads, FFT_BOX_PARALLEL)
    return transforms / _speedup(problem.n_workers, FFT_TRANSFORM_PARALLEL) + rest


def fft_memory(problem, fft_plan):
    """Bytes of scratch the FFT method holds at its peak.

    Three box-sized arrays per box in flight (extended input, tiles or
    spectrum, inverse; 3.0 measured with tracemalloc), one box per thread,
    plus the kernel's spectrum and its padded intermediate (a tile each).
    """
    in_flight = min(problem.n_workers, fft_plan.n_boxes)
    tile = int(np.prod([fa.transform for fa in fft_plan.axes], dtype=np.int64))
    return (3 * in_flight * fft_plan.box_elements + 2 * tile) * problem.work_dtype.itemsize


def _finite(problem):
    x = problem.input
    if x.dtype.kind in "fc" and not np.isfinite(x).all():
        return False
    return bool(np.isfinite(problem.weights).all()) and bool(np.isfinite(problem.cval))


def _decide(problem):
    """(method, FFT plan or None) for a checked problem."""
    if problem.output.size == 0:
        return "direct", None
    if problem.method == "direct":
        return "direct", None
    fft_plan = _fft.plan(problem)
    if not fft_plan.axes:
        return "direct", None  # nothing to transform: a pointwise product
    if problem.method == "fft":
        return "fft", fft_plan
    if fft_cost(problem, fft_plan) >= direct_cost(problem):
        return "direct", None
    if fft_memory(problem, fft_plan) > max(FFT_MEMORY_LIMIT,
                                           problem.input.nbytes + problem.output.nbytes):
        return "direct", None
    if not _finite(problem):
        return "direct", None
    return "fft", fft_plan


def choose(problem):
    """'direct' or 'fft': what `run` would use for this problem."""
    return _decide(problem)[0]


def run(problem):
    """Compute a checked problem with the method it asks for (or auto's pick)."""
    method, fft_plan = _decide(problem)
    if method == "fft":
        return _fft.correlate(problem, fft_plan)
    return _direct.correlate(problem)
