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

# --------------------------------------------------------------------------
# MEASURED: constants of the cost model (seconds), from
# tools/calibrate_plan.py on the 2-core development machine (AMD EPYC,
# Zen 5, gcc 12, scipy 1.17 pocketfft), workers=1; see that script for how.
# --------------------------------------------------------------------------
DIRECT_PER_TAP = {  # per output per non-zero tap
    "float32": 1.0e-10,
    "float64": 2.0e-10,
    "complex64": 4.0e-10,
    "complex128": 8.0e-10,
}
DIRECT_PER_OUTPUT = 2.0e-9  # per output: storing, gathering edges, loop overhead
FFT_PER_ELEMENT_LOG = {  # per gathered element per log2(transform size)
    "float32": 1.0e-9,
    "float64": 1.5e-9,
    "complex64": 2.0e-9,
    "complex128": 3.0e-9,
}
FFT_PER_BOX = 5.0e-5  # Python and scipy.fft call overhead per box
PARALLEL_EFFICIENCY = 0.9  # speed-up per added thread, both methods

# The FFT may use this much scratch (bytes) beyond input and output.
FFT_MEMORY_LIMIT = 256 * 2**20


def _threads_speedup(n_workers):
    return 1.0 + PARALLEL_EFFICIENCY * (max(1, n_workers) - 1)


def direct_cost(problem):
    """Predicted seconds for the direct method."""
    outputs = problem.output.size
    taps = int(np.count_nonzero(problem.weights))
    per_tap = DIRECT_PER_TAP[problem.work_dtype.name]
    seconds = outputs * (taps * per_tap + DIRECT_PER_OUTPUT)
    return seconds / _threads_speedup(problem.n_workers)


def fft_cost(problem, fft_plan):
    """Predicted seconds for the FFT method."""
    per_element = FFT_PER_ELEMENT_LOG[problem.work_dtype.name]
    n_boxes = fft_plan.work_elements / max(1.0, fft_plan.box_elements)
    seconds = fft_plan.work_elements * per_element / _threads_speedup(problem.n_workers)
    return seconds + n_boxes * FFT_PER_BOX


def fft_memory(problem, fft_plan):
    """Bytes of scratch the FFT method holds at its peak.

    About three arrays of a box (gathered tiles or index arrays, spectrum,
    inverse) plus the kernel's spectrum: 23 bytes per float64 box element
    measured with tracemalloc; 3.5 box-sized arrays bound it.
    """
    return int(3.5 * fft_plan.box_elements * problem.work_dtype.itemsize)


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
