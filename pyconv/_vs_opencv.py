"""``python -m pyconv --opencv``: pyconv against OpenCV, and against the machine.

The OpenCV table (docs/performance.rst): for each case, pyconv (``workers=2``)
and an anchor -- OpenCV with 2 threads and the matching border, or scipy
where OpenCV has no counterpart -- are checked to agree, then timed
alternately in one process (best of several runs). Each pyconv time is also
given as a multiple of a *floor*: the larger of the time to move the input
and output through memory (at the bandwidth measured here) and the time of
the least arithmetic either method needs (the direct method's multiply-adds,
or an FFT's ~5 N log2 N flops, at the matrix-product rate measured here).

OpenCV (``opencv-python-headless``) is a benchmark-only dependency, in the
``bench`` extra; pyconv never imports it otherwise.
"""

import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass
from threading import Thread

import numpy as np

import pyconv
from pyconv import _kernels
from pyconv._bench import best_time, best_times, machine_description
from pyconv._layout import separable_factors

# cv2's border for each scipy mode.
BORDERS = {"reflect": "BORDER_REFLECT", "mirror": "BORDER_REFLECT_101",
           "nearest": "BORDER_REPLICATE", "constant": "BORDER_CONSTANT"}


def import_cv2():
    try:
        import cv2
    except ImportError:
        raise ImportError("the OpenCV comparison needs opencv-python-headless: "
                          "pip install opencv-python-headless (or 'pyconv-nd[bench]')") from None
    return cv2


@dataclass
class Case:
    name: str
    target: float  # the bound on pyconv / anchor
    anchor_name: str
    x: np.ndarray
    w: np.ndarray
    kwargs: dict  # for pyconv.correlate
    anchor: object  # zero-argument function
    check: object  # zero-argument function: what pyconv must equal (or None: the anchor)


def _gaussian(taps, sigma):
    g = np.exp(-0.5 * ((np.arange(taps) - taps // 2) / sigma) ** 2)
    return g / g.sum()


# The cases, in order (importable without OpenCV: the asv suite's params).
NAMES = (
    "2-D 2048^2 float32, 3x3, reflect",
    "2-D 2048^2 float64, 7x7, reflect",
    "2-D 2048^2 float32, 15x15, reflect",
    "2-D 2048^2 float32, 15x15 Gaussian (2-D kernel)",
    "1-D 10^7 float64, 31 taps, reflect",
    "1-D 10^7 float64, 1025 taps, constant",
    "3-D 64x256x256 float32, 3x3x3, reflect",
    "3-D 128^3 float64, 5x5x5, nearest",
    "2-D 4096^2 float32, 3x3, stride 2, constant",
    "2-D 2048^2 float32, 3x3, dilation 2, constant",
    "2-D 1024^2 float64, 63x63, constant",
    "2-D 4096^2 uint8, 3x3 box, reflect",
)


def cases(scale=1.0, seed=0):
    """The issue's table, in the order of NAMES; `scale` shrinks the data (for tests)."""
    cv2 = import_cv2()
    import scipy.ndimage as ndi
    import scipy.signal

    rng = np.random.default_rng(seed)

    def n(value):
        return max(16, int(value * scale))

    def normal(shape, dtype=np.float64):
        return rng.standard_normal(shape).astype(dtype)

    def filter2d(x, kernel, mode):
        border = getattr(cv2, BORDERS[mode])
        kernel = np.asarray(kernel, dtype=x.dtype)
        if x.ndim == 1:  # a 1xN image; its result viewed as the signal again
            return lambda: cv2.filter2D(x[None], -1, kernel[None], borderType=border)[0]
        return lambda: cv2.filter2D(x, -1, kernel, borderType=border)

    table = []

    def add(name, target, anchor_name, x, w, kwargs, anchor, check=None):
        table.append(Case(name, target, anchor_name, x, w, kwargs, anchor, check))

    x = normal((n(2048), n(2048)), np.float32)
    w = normal((3, 3))
    add("2-D 2048^2 float32, 3x3, reflect", 1.0, "cv2.filter2D", x, w,
        {"mode": "reflect"}, filter2d(x, w, "reflect"))
    x = normal((n(2048), n(2048)))
    w = normal((7, 7))
    add("2-D 2048^2 float64, 7x7, reflect", 0.6, "cv2.filter2D", x, w,
        {"mode": "reflect"}, filter2d(x, w, "reflect"))
    x = normal((n(2048), n(2048)), np.float32)
    w = normal((15, 15))
    add("2-D 2048^2 float32, 15x15, reflect", 0.5, "cv2.filter2D", x, w,
        {"mode": "reflect"}, filter2d(x, w, "reflect"))
    g = _gaussian(15, 2.5)
    g32 = g.astype(np.float32)
    add("2-D 2048^2 float32, 15x15 Gaussian (2-D kernel)", 1.0, "cv2.sepFilter2D", x,
        np.outer(g, g), {"mode": "reflect"},
        lambda x=x, g=g32: cv2.sepFilter2D(x, -1, g, g, borderType=cv2.BORDER_REFLECT))
    s = normal(n(10_000_000))
    w = normal(31)
    add("1-D 10^7 float64, 31 taps, reflect", 0.5, "cv2.filter2D (1xN)", s, w,
        {"mode": "reflect"}, filter2d(s, w, "reflect"))
    w = normal(1025 if scale >= 1 else 65)
    add("1-D 10^7 float64, 1025 taps, constant", 0.6, "cv2.filter2D (1xN)", s, w,
        {"mode": "constant"}, filter2d(s, w, "constant"))
    v = normal((n(64), n(256), n(256)), np.float32)
    w = normal((3, 3, 3))
    ndimage_time = lambda v=v, w=w: ndi.correlate(v, w, mode="reflect")  # noqa: E731
    fft_time = lambda v=v, w=w: scipy.signal.fftconvolve(v, w[::-1, ::-1, ::-1],  # noqa: E731
                                                        mode="same")
    add("3-D 64x256x256 float32, 3x3x3, reflect", 0.1,
        "best of scipy ndimage / fftconvolve", v, w, {"mode": "reflect"},
        (ndimage_time, fft_time), check=ndimage_time)
    c = normal((n(128), n(128), n(128)))
    w = normal((5, 5, 5))
    add("3-D 128^3 float64, 5x5x5, nearest", 0.35, "scipy.signal.fftconvolve", c, w,
        {"mode": "nearest"},
        lambda c=c, w=w: scipy.signal.fftconvolve(c, w[::-1, ::-1, ::-1], mode="same"),
        check=lambda c=c, w=w: ndi.correlate(c, w, mode="nearest"))
    x = normal((n(4096), n(4096)), np.float32)
    w = normal((3, 3))
    full = filter2d(x, w, "constant")
    add("2-D 4096^2 float32, 3x3, stride 2, constant", 0.35, "cv2.filter2D then [::2, ::2]",
        x, w, {"mode": "constant", "stride": 2}, lambda full=full: full()[::2, ::2])
    x = normal((n(2048), n(2048)), np.float32)
    zero_filled = np.zeros((5, 5))
    zero_filled[::2, ::2] = w
    add("2-D 2048^2 float32, 3x3, dilation 2, constant", 1.0,
        "cv2.filter2D, zero-filled 5x5", x, w, {"mode": "constant", "dilation": 2},
        filter2d(x, zero_filled, "constant"))
    x = normal((n(1024), n(1024)))
    w = normal((63, 63) if scale >= 1 else (15, 15))
    add("2-D 1024^2 float64, 63x63, constant", 1.0, "cv2.filter2D (its DFT path)", x, w,
        {"mode": "constant"}, filter2d(x, w, "constant"))
    u = rng.integers(0, 256, (n(4096), n(4096))).astype(np.uint8)
    add("2-D 4096^2 uint8, 3x3 box, reflect", 1.0, "cv2.blur", u, np.full((3, 3), 1 / 9),
        {"mode": "reflect"}, lambda u=u: cv2.blur(u, (3, 3), borderType=cv2.BORDER_REFLECT))
    assert tuple(case.name for case in table) == NAMES
    return table


# --------------------------------------------------------------------------
# The machine's limits
# --------------------------------------------------------------------------


@dataclass
class Limits:
    bandwidth: float  # bytes moved (read + written) per second, both cores copying
    flops32: float  # float32 matrix product, flop/s, both cores
    flops64: float


def measure_limits(workers=2, megabytes=256):
    """A large copy's bandwidth and the matrix products' flop rate, `workers` threads."""
    from threadpoolctl import threadpool_limits

    source = np.ones(megabytes * 2**20 // 8)
    target = np.empty_like(source)
    halves = np.array_split(np.arange(source.size), workers)

    def copy():  # numpy releases the GIL for a large copy: one slice per thread
        threads = [Thread(target=np.copyto, args=(target[h[0]:h[-1] + 1],
                                                  source[h[0]:h[-1] + 1]))
                   for h in halves]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    copy()
    bandwidth = 2 * source.nbytes / best_time(copy, 5)
    rates = {}
    for dtype in (np.float32, np.float64):
        a = np.random.default_rng(0).standard_normal((2048, 2048)).astype(dtype)
        with threadpool_limits(workers, user_api="blas"):
            a @ a
            rates[dtype] = 2 * 2048**3 / best_time(lambda a=a: a @ a, 3)
    return Limits(bandwidth, rates[np.float32], rates[np.float64])


def _fft_flops(shape, taps):
    """The least flops of an overlap-save FFT correlation: ~5 N log2 N for a
    forward and an inverse real transform of N points, with each axis' tile
    (a power of two) chosen for the least work per output."""
    elements, log_length = 1.0, 0.0
    for n, k in zip(shape, taps, strict=True):
        best = None
        for length in (2**p for p in range(max(1, int(k - 1).bit_length()), 40)):
            useful = length - k + 1
            per_output = length * np.log2(length) / useful
            if best is None or per_output < best[0]:
                best = (per_output, length, useful)
            if length >= 2 * (n + k):
                break
        _, length, useful = best
        elements *= -(-n // useful) * length
        log_length += np.log2(length)
    return 5 * elements * log_length


def work(case):
    """(bytes in and out, least multiply-adds of the direct method, flops of an FFT)."""
    stride = case.kwargs.get("stride", 1)
    outputs = case.x.size // (stride ** case.x.ndim)
    moved = case.x.nbytes + outputs * case.x.itemsize  # every case writes its input's dtype
    per_output = np.count_nonzero(case.w)
    factors = separable_factors(case.w) if case.w.ndim > 1 else None
    if factors is not None:  # two passes: b along the line, a across lines
        per_output = min(per_output, sum(np.count_nonzero(f) for f in factors))
    return moved, outputs * per_output, _fft_flops(case.x.shape, case.w.shape)


def floor_seconds(case, limits):
    moved, multiply_adds, fft_flops = work(case)
    single = case.x.dtype in (np.float32, np.uint8)
    flops = limits.flops32 if single else limits.flops64
    arithmetic = min(2 * multiply_adds, fft_flops) / flops
    return max(moved / limits.bandwidth, arithmetic)


# --------------------------------------------------------------------------
# Running the table
# --------------------------------------------------------------------------


@dataclass
class Row:
    case: str
    anchor: str
    anchor_seconds: float
    pyconv_seconds: float
    ratio: float
    target: float
    floor_seconds: float
    method: str
    peak_memory: float  # (input + output + scratch) / (input + output), direct method
    max_error: float
    passed: bool


def _anchor_function(case):
    if isinstance(case.anchor, tuple):  # the best of several: time each, keep the fastest
        times = [best_time(function, 2) for function in case.anchor]
        return case.anchor[int(np.argmin(times))]
    return case.anchor


def tolerance(case, out):
    if out.dtype.kind in "iu":
        return 1.0
    eps = np.finfo(out.dtype).eps
    return float((case.w.size + 2) * eps * np.abs(case.w).sum() * np.abs(case.x).max())


def peak_memory(case):
    """(input + output + the direct method's peak scratch) / (input + output)."""
    tracemalloc.start()
    try:
        out = pyconv.correlate(case.x, case.w, method="direct", workers=2, **case.kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (case.x.nbytes + peak) / (case.x.nbytes + out.nbytes)


def run(case, limits, workers=2, runs=15):
    cv2 = import_cv2()
    cv2.setNumThreads(workers)
    ours = pyconv.correlate(case.x, case.w, workers=workers, **case.kwargs)
    anchor = _anchor_function(case)
    expected = (case.check or anchor)()
    error = float(np.max(np.abs(ours.astype(np.float64) - expected.astype(np.float64))))
    passed = ours.shape == expected.shape and error <= tolerance(case, ours)
    method = pyconv.choose_method(case.x, case.w, workers=workers, **case.kwargs)
    if not passed:
        return Row(case.name, case.anchor_name, np.nan, np.nan, np.nan, case.target, np.nan,
                   method, np.nan, error, False)

    def ours_call():
        pyconv.correlate(case.x, case.w, workers=workers, **case.kwargs)

    ours_best, anchor_best = best_times(ours_call, anchor, budget=0.0, min_runs=runs,
                                        max_runs=runs)
    return Row(case.name, case.anchor_name, anchor_best, ours_best, ours_best / anchor_best,
               case.target, floor_seconds(case, limits), method, peak_memory(case), error,
               True)


def scaling(case, runs=10, rounds=3, into_output=True):
    """time(workers=1) / time(workers=2), each timed in a block of calls.

    Blocks, not alternation: alternating leaves the second thread idle
    between calls, and waking a sleeping virtual CPU costs time that is the
    machine's, not the loop's. `into_output`: every call writes one output
    allocated beforehand (``output=``), so the ratio is pyconv's work alone;
    otherwise each call allocates its own. glibc maps an array of 32 MiB or
    more afresh at every allocation, and the kernel zeroing its new pages as
    the threads first write them does not run twice as fast on two threads.
    """
    out = np.empty_like(pyconv.correlate(case.x, case.w, method="direct", **case.kwargs))
    times = {1: np.inf, 2: np.inf}
    for _ in range(rounds):
        for workers in times:
            call = lambda workers=workers: pyconv.correlate(  # noqa: E731
                case.x, case.w, out if into_output else None, workers=workers,
                method="direct", **case.kwargs)
            call()
            times[workers] = min(times[workers], best_time(call, runs))
    return times[1] / times[2]


def format_rows(rows, limits):
    lines = [f"machine: copy {limits.bandwidth / 1e9:.1f} GB/s (read + write), matrix "
             f"product {limits.flops32 / 1e9:.0f} / {limits.flops64 / 1e9:.0f} GFLOP/s "
             "(float32 / float64), 2 threads",
             f"{'case':50s} {'anchor':>10s} {'pyconv':>10s} {'ratio':>6s} {'target':>7s} "
             f"{'floor x':>8s} {'method':>7s} {'memory':>7s}"]
    for row in rows:
        if not row.passed:
            lines.append(f"{row.case:50s} FAILED: max error {row.max_error:.2e}")
            continue
        mark = "" if row.ratio <= row.target else "  (over)"
        lines.append(f"{row.case:50s} {row.anchor_seconds * 1e3:8.2f}ms "
                     f"{row.pyconv_seconds * 1e3:8.2f}ms {row.ratio:6.2f} "
                     f"{row.target:7.2f} {row.pyconv_seconds / row.floor_seconds:8.1f} "
                     f"{row.method:>7s} {row.peak_memory:7.2f}{mark}")
    return "\n".join(lines)


COMPUTE_BOUND = ("2-D 2048^2 float64, 7x7, reflect", "2-D 2048^2 float32, 15x15, reflect",
                 "3-D 128^3 float64, 5x5x5, nearest")


def report(workers=2, json_path=None, progress=True, scale=1.0, limits=None):
    """Run the table, print it; returns True when every check passed."""
    limits = limits or measure_limits(workers)
    table = cases(scale)
    rows = []
    for i, case in enumerate(table, 1):
        if progress:
            print(f"[{i}/{len(table)}] {case.name}", flush=True, file=sys.stderr)
        rows.append(run(case, limits, workers))
    print(format_rows(rows, limits))
    bound = [case for case in table if case.name in COMPUTE_BOUND]
    speedups = {case.name: scaling(case) for case in bound}
    fresh = {case.name: scaling(case, into_output=False) for case in bound}
    for name, speedup in speedups.items():
        print(f"workers=2 over workers=1 (direct), {name}: {speedup:.2f}x into an output, "
              f"{fresh[name]:.2f}x with a new output each call")
    if json_path:
        import json

        with open(json_path, "w") as file:
            json.dump({"date": time.strftime("%Y-%m-%d %H:%M:%S"),
                       "machine": machine_description(), "workers": workers,
                       "opencv": import_cv2().__version__, "direct_kernels": _kernels.LEVEL,
                       "limits": asdict(limits),
                       "rows": [asdict(r) for r in rows], "scaling": speedups,
                       "scaling_fresh_output": fresh},
                      file, indent=2, default=float)
    return all(row.passed for row in rows)
