"""Choosing the method: the cost model, ``choose_method``'s logic, dispatch.

``auto`` estimates the time of both methods from operation counts and
constants measured on this kind of machine (see MEASURED below), and takes
the FFT only when it is predicted faster *and* safe: every input value,
weight and cval finite (the FFT would smear a NaN or inf over the whole
output; the input is checked box by box as the FFT runs, see `run`), and
its scratch memory within FFT_MEMORY_LIMIT of what the direct
method needs (which is nothing beyond input and output).

With nan_policy="omit" a NaN is a missing sample, which both methods
handle (the FFT with two transforms, ``_fft.correlate_omit``): only an
infinity stops the FFT, and auto takes it only when predicted
OMIT_FFT_MARGIN times faster than the direct method's one pass.
"""

import functools

import numpy as np

from pyconv import _direct_plan, _fft, _fft_backends
from pyconv._kernels import direct as _direct
from pyconv._normalize import check_fits_in_memory

# --------------------------------------------------------------------------
# MEASURED: the cost model's constants, in seconds, fitted by
# tools/calibrate_plan.py (see its docstring for how) on the 2-core
# development machine: AMD EPYC (Zen 5) under KVM, gcc 12 -O3 (SSE2
# baseline), scipy 1.17 (pocketfft), workers=1, relative least squares;
# the FFT's for each backend (--fft-backend), ducc0 0.42 (its PyPI wheel).
# --------------------------------------------------------------------------
DIRECT = {  # (per output per multiply-add, per output, per row visit)
    "float32": (2.78e-11, 3.39e-10, 1.87e-08),
    "float64": (5.10e-11, 5.06e-10, 2.31e-08),
    "complex64": (9.42e-11, 7.69e-10, 2.80e-08),
    "complex128": (1.76e-10, 1.54e-09, 3.36e-08),
}
# The FFT's constants, for each backend (pyconv._fft_backends).
FFT = {  # (per gathered element per log2(transform size), per gathered element)
    # The fit needs no per-element term once the log term is there.
    "scipy": {
        "float32": (2.68e-10, 0.0),
        "float64": (4.84e-10, 0.0),
        "complex64": (5.26e-10, 0.0),
        "complex128": (9.85e-10, 0.0),
    },
    # scipy's times the median ratio of the two backends' FFTs timed side by
    # side over the grid (--relative-to-scipy: the machine was shared with
    # other builds, which skewed absolute times by 2-4x): 0.81, 0.74, 0.81, 0.78.
    "ducc0": {
        "float32": (2.16e-10, 0.0),
        "float64": (3.60e-10, 0.0),
        "complex64": (4.26e-10, 0.0),
        "complex128": (7.72e-10, 0.0),
    },
}
# Python and library call overhead per box (the same Python around either library).
FFT_PER_BOX = {"scipy": 2.8e-4, "ducc0": 2.8e-4}
# What each added thread adds (median of t1 / t2 - 1 over the grid's
# points of each kind): the direct loop over output lines; the FFT over
# boxes when there are several, else only inside the backend's transforms
# (measured 0.00 on scipy.fft, -0.06 on ducc0: no gain). The FFT gains less
# than the direct loop: its temporaries are bound by memory, and first-touch
# page faults weigh heavily on this virtual machine. ducc0 writes into
# scratch reused from box to box (no page faults after the first box), and
# its boxes gained 0.18 on the shared machine.
DIRECT_PARALLEL = 0.60
FFT_BOX_PARALLEL = {"scipy": 0.09, "ducc0": 0.18}
FFT_TRANSFORM_PARALLEL = {"scipy": 0.0, "ducc0": 0.0}

# The FFT may use this much scratch (bytes) beyond input and output.
FFT_MEMORY_LIMIT = 256 * 2**20


def _speedup(n_workers, efficiency):
    return 1.0 + efficiency * (max(1, n_workers) - 1)


def direct_counts(problem, direct_plan):
    """(outputs, multiply-adds per output, row visits) of the direct method.

    A row visit is one kernel row (or, for a separable kernel, one line of
    a strip) set up for one work item: it pays the boundary lookups and the
    loop set-up, which short lines cannot amortise.
    """
    return problem.output.size, direct_plan.work_per_output, direct_plan.row_visits


def direct_cost(problem, direct_plan):
    """Predicted seconds for the direct method as `direct_plan` runs it."""
    return _direct_seconds(direct_plan, problem.output.size, problem.work_dtype)


@functools.lru_cache(maxsize=64)  # plans are cached: so are their costs
def _direct_seconds(direct_plan, outputs, work_dtype):
    per_tap, fixed, per_row_visit = DIRECT[work_dtype.name]
    seconds = (outputs * (direct_plan.work_per_output * per_tap + fixed)
               + direct_plan.row_visits * per_row_visit)
    return seconds / _speedup(direct_plan.n_threads, DIRECT_PARALLEL)


def fft_cost(problem, fft_plan):
    """Predicted seconds for the FFT method with the backend it was planned
    for (never less than that backend's FFT_PER_BOX)."""
    backend = fft_plan.transforms.name
    per_element_log, per_element = FFT[backend][problem.work_dtype.name]
    elements = fft_plan.n_boxes * fft_plan.box_elements
    transforms = elements * fft_plan.log2_transform * per_element_log
    rest = elements * per_element + fft_plan.n_boxes * FFT_PER_BOX[backend]
    if fft_plan.n_boxes > 1:  # boxes run on threads: everything in parallel
        threads = min(problem.n_workers, fft_plan.n_boxes)
        return (transforms + rest) / _speedup(threads, FFT_BOX_PARALLEL[backend])
    return (transforms / _speedup(problem.n_workers, FFT_TRANSFORM_PARALLEL[backend])
            + rest)


def fft_memory(problem, fft_plan):
    """Bytes of scratch the FFT method holds at its peak.

    Three box-sized arrays per box in flight (extended input, tiles or
    spectrum, inverse; 3.0 measured with tracemalloc), one box per thread,
    plus the kernel's spectrum (up to two tiles: complex and full length
    when units go in pairs) and its padded intermediate (up to a tile).
    With omit (``_fft.correlate_omit``), also its full-size arrays: the
    input in the working dtype, with NaN as 0, and the mask of present
    samples (and the bool mask of missing ones), and the two sums.
    """
    in_flight = min(problem.n_workers, fft_plan.n_boxes)
    tile = int(np.prod([fa.transform for fa in fft_plan.axes], dtype=np.int64))
    itemsize = problem.work_dtype.itemsize
    whole = 0
    if problem.omit:
        whole = (3 * itemsize + 1) * problem.input.size + 2 * itemsize * problem.output.size
    return (3 * in_flight * fft_plan.box_elements + 3 * tile) * itemsize + whole


def _finite(problem, scan_input):
    """Whether the weights, cval and (if `scan_input`) the input are all finite.

    With omit, NaN in the input and a NaN cval are missing samples, which
    the FFT handles (only an infinity is not finite there).
    """
    x = problem.input
    if problem.omit:
        if scan_input and x.dtype.kind in "fc" and np.isinf(x).any():
            return False
        return bool(np.isfinite(problem.weights).all()) and not np.isinf(problem.cval)
    if scan_input and x.dtype.kind in "fc" and not np.isfinite(x).all():
        return False
    return bool(np.isfinite(problem.weights).all()) and bool(np.isfinite(problem.cval))


# nan_policy="omit": the FFT runs two transforms and a ratio, and auto takes
# it only when predicted this many times faster than the direct method
# (whose omit sums cost about twice the plain ones).
OMIT_FFT_TRANSFORMS = 2
OMIT_FFT_MARGIN = 2.0
OMIT_DIRECT = 2.0


def _decide(problem, scan_input=True):
    """(method, its plan) for a checked problem with a non-empty output.

    `scan_input=False` leaves the input's NaN and infinities to the caller
    (see `run`).
    """
    if problem.method == "fft":
        fft_plan = _fft.plan(problem)
        if not fft_plan.axes:  # nothing to transform: a pointwise product
            return "direct", _direct_plan.plan(problem)
        check_fits_in_memory(fft_memory(problem, fft_plan), "method='fft' (its scratch)")
        return "fft", fft_plan
    direct_plan = _direct_plan.plan(problem)
    if problem.method == "direct":
        return "direct", direct_plan
    direct_seconds = direct_cost(problem, direct_plan)
    if problem.omit:
        direct_seconds *= OMIT_DIRECT / (OMIT_FFT_TRANSFORMS * OMIT_FFT_MARGIN)
    # Asked once: a call plans and runs with one backend (and a call that
    # cannot use the FFT never asks, so never imports ducc0).
    transforms = _fft_backends.current()
    if direct_seconds < FFT_PER_BOX[transforms.name]:
        # Every FFT costs at least one box's overhead (see fft_cost): no
        # need to plan one (which takes longer than such a direct call).
        return "direct", direct_plan
    fft_plan = _fft.plan(problem, transforms)
    if not fft_plan.axes:
        return "direct", direct_plan
    if (fft_cost(problem, fft_plan) >= direct_seconds
            or fft_memory(problem, fft_plan) > max(FFT_MEMORY_LIMIT,
                                                   problem.input.nbytes + problem.output.nbytes)
            or not _finite(problem, scan_input)):
        return "direct", direct_plan
    return "fft", fft_plan


def choose(problem):
    """'direct' or 'fft': what `run` would use for this problem."""
    if problem.output.size == 0:
        return "direct"
    return _decide(problem)[0]


def decide(problem):
    """(method, plan) that `run` would use for a checked problem with a
    non-empty output, the input left unscanned (see `run`).

    A caller that runs many problems differing only in their data (a
    stream's chunks) decides once and passes the decision to `run`.
    """
    return _decide(problem, scan_input=False)


def run(problem, decision=None, slot=None):
    """Compute a checked problem with the method it asks for (or auto's pick).

    `decision`: what `decide` returned for a problem that differs from this
    one only in its data, or None to decide here; `slot`: that decision's
    `_fft.SpectrumSlot`, kept with it (None: the spectrum is computed here
    for this call). When auto picks the FFT,
    the input is not scanned for NaN and infinities beforehand (a pass over
    it): each box checks its own result, in cache, and the first non-finite
    one hands the whole problem to the direct method, which keeps them where
    they belong.
    """
    if problem.output.size == 0:
        return problem.output
    method, plan = decision or decide(problem)
    if method == "fft":
        if problem.method == "fft":
            return (_fft.correlate_omit(problem, slot=slot) if problem.omit
                    else _fft.correlate(problem, plan, slot=slot))
        try:
            if problem.omit:
                return _fft.correlate_omit(problem, check_finite=True, slot=slot)
            return _fft.correlate(problem, plan, check_finite=True, slot=slot)
        except _fft.NotFinite:
            plan = _direct_plan.plan(problem)
    return _direct.correlate(problem, plan)
