"""``python -m pyconv --opencv``: pyconv against OpenCV, and against the machine.

For each case, pyconv and its *anchor* -- OpenCV with as many threads and
the matching border, or scipy where OpenCV has no counterpart -- are checked
to agree, then timed alternately in one process (best of several runs). The
printed table explains its columns underneath (see `legend`): besides both
times and their ratio, pyconv's time as a multiple of this machine's
*floor* (the larger of moving the input and output through memory once at
the bandwidth measured here, and the least arithmetic either method needs
at the matrix-product rate measured here), and the direct method's peak
memory. The JSON (``--json``) also holds each case's target: the ratio the
project aims for.

OpenCV (``opencv-python-headless``) and threadpoolctl are benchmark-only
dependencies, in the ``bench`` extra; pyconv never imports them otherwise.
"""

import json
import textwrap
import time
import tracemalloc
from dataclasses import asdict, dataclass
from threading import Thread

import numpy as np

import pyconv
from pyconv.bench._display import progress as progress_bar
from pyconv.bench._display import text_table
from pyconv.bench._timing import best_time, best_times, machine_description

# cv2's border for each scipy mode.
BORDERS = {"reflect": "BORDER_REFLECT", "mirror": "BORDER_REFLECT_101",
           "nearest": "BORDER_REPLICATE", "constant": "BORDER_CONSTANT"}

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
    "gaussian_filter 2048^2 float32, sigma 3",
    "uniform_filter 2048^2 float32, size 15",
    "sobel 2048^2 float32, axis 0",
    "gaussian_filter 128^3 float32, sigma 2",
    "2-D 2048^2 float32, 5x5 binomial, stride 2, mirror",
    "gaussian_filter 2048^2 float64, sigma 8",
)

# The cases limited by arithmetic rather than memory: their speed-up from
# one worker to two is reported too.
COMPUTE_BOUND = ("2-D 2048^2 float64, 7x7, reflect", "2-D 2048^2 float32, 15x15, reflect",
                 "3-D 128^3 float64, 5x5x5, nearest")


def import_cv2():
    try:
        import cv2
    except ImportError:
        raise ImportError("the OpenCV comparison needs opencv-python-headless: "
                          "pip install opencv-python-headless (or 'pyconv-nd[bench]')") from None
    return cv2


def import_threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:
        raise ImportError("the OpenCV comparison needs threadpoolctl (to measure the "
                          "matrix-product rate on as many threads as pyconv uses): "
                          "pip install threadpoolctl (or 'pyconv-nd[bench]')") from None
    return threadpoolctl


# --------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    target: float  # the ratio pyconv / anchor the project aims for (kept in the JSON)
    anchor_name: str
    x: np.ndarray
    w: np.ndarray
    kwargs: dict  # for pyconv.correlate
    anchor: object  # zero-argument function, or a tuple of them: the fastest is timed
    check: object  # zero-argument function: what pyconv must equal (or None: the anchor)
    # The filter family's cases: pyconv's call, ``call(out, workers, method)``
    # (None: pyconv.correlate(x, w, out, **kwargs)), and the multiply-adds per
    # output of its 1-D passes (0: counted from w).
    call: object = None
    taps: int = 0


class _Data:
    """Seeded random data, each length scaled by `scale` (tests shrink it)."""

    def __init__(self, scale, seed):
        self.scale = scale
        self.rng = np.random.default_rng(seed)

    def n(self, value):
        return max(16, int(value * self.scale))

    def normal(self, shape, dtype=np.float64):
        return self.rng.standard_normal(shape).astype(dtype)


def _filter2d(cv2, x, kernel, mode):
    """cv2.filter2D of `x` with the border of `mode`, as a zero-argument function."""
    border = getattr(cv2, BORDERS[mode])
    kernel = np.asarray(kernel, dtype=x.dtype)
    if x.ndim == 1:  # a 1xN image; its result viewed as the signal again
        return lambda: cv2.filter2D(x[None], -1, kernel[None], borderType=border)[0]
    return lambda: cv2.filter2D(x, -1, kernel, borderType=border)


def _gaussian(taps, sigma):
    g = np.exp(-0.5 * ((np.arange(taps) - taps // 2) / sigma) ** 2)
    return g / g.sum()


def _image_cases(cv2, data):
    table = []
    for name, target, dtype, taps in ((NAMES[0], 1.0, np.float32, 3),
                                      (NAMES[1], 0.6, np.float64, 7),
                                      (NAMES[2], 0.5, np.float32, 15)):
        x = data.normal((data.n(2048), data.n(2048)), dtype)
        w = data.normal((taps, taps))
        table.append(Case(name, target, "cv2.filter2D", x, w, {"mode": "reflect"},
                          _filter2d(cv2, x, w, "reflect"), None))
    image = x  # the 15x15 case's: the Gaussian filters the same image
    g = _gaussian(15, 2.5)
    g32 = g.astype(np.float32)
    table.append(Case(NAMES[3], 1.0, "cv2.sepFilter2D", image, np.outer(g, g),
                      {"mode": "reflect"},
                      lambda: cv2.sepFilter2D(image, -1, g32, g32,
                                              borderType=cv2.BORDER_REFLECT), None))
    return table


def _signal_cases(cv2, data):
    s = data.normal(data.n(10_000_000))
    short = data.normal(31)
    long = data.normal(1025 if data.scale >= 1 else 65)
    return [Case(NAMES[4], 0.5, "cv2.filter2D (1xN)", s, short, {"mode": "reflect"},
                 _filter2d(cv2, s, short, "reflect"), None),
            Case(NAMES[5], 0.6, "cv2.filter2D (1xN)", s, long, {"mode": "constant"},
                 _filter2d(cv2, s, long, "constant"), None)]


def _volume_cases(data):
    """OpenCV has no 3-D filter: these compare with scipy."""
    import scipy.ndimage as ndi
    import scipy.signal

    def fftconvolve(x, w):
        return lambda: scipy.signal.fftconvolve(x, w[::-1, ::-1, ::-1], mode="same")

    def ndimage(x, w, mode):
        return lambda: ndi.correlate(x, w, mode=mode)

    v = data.normal((data.n(64), data.n(256), data.n(256)), np.float32)
    w = data.normal((3, 3, 3))
    first = Case(NAMES[6], 0.1, "best of scipy ndimage / fftconvolve", v, w,
                 {"mode": "reflect"}, (ndimage(v, w, "reflect"), fftconvolve(v, w)),
                 ndimage(v, w, "reflect"))
    c = data.normal((data.n(128),) * 3)
    w = data.normal((5, 5, 5))
    second = Case(NAMES[7], 0.35, "scipy.signal.fftconvolve", c, w, {"mode": "nearest"},
                  fftconvolve(c, w), ndimage(c, w, "nearest"))
    return [first, second]


def _more_image_cases(cv2, data):
    """Stride and dilation (which OpenCV lacks), a large kernel, 8-bit data."""
    x = data.normal((data.n(4096), data.n(4096)), np.float32)
    w = data.normal((3, 3))
    full = _filter2d(cv2, x, w, "constant")
    table = [Case(NAMES[8], 0.35, "cv2.filter2D then [::2, ::2]", x, w,
                  {"mode": "constant", "stride": 2}, lambda: full()[::2, ::2], None)]
    x = data.normal((data.n(2048), data.n(2048)), np.float32)
    zero_filled = np.zeros((5, 5))
    zero_filled[::2, ::2] = w
    table.append(Case(NAMES[9], 1.0, "cv2.filter2D, zero-filled 5x5", x, w,
                      {"mode": "constant", "dilation": 2},
                      _filter2d(cv2, x, zero_filled, "constant"), None))
    x = data.normal((data.n(1024), data.n(1024)))
    w = data.normal((63, 63) if data.scale >= 1 else (15, 15))
    table.append(Case(NAMES[10], 1.0, "cv2.filter2D (its DFT path)", x, w,
                      {"mode": "constant"}, _filter2d(cv2, x, w, "constant"), None))
    u = data.rng.integers(0, 256, (data.n(4096), data.n(4096))).astype(np.uint8)
    table.append(Case(NAMES[11], 1.0, "cv2.blur", u, np.full((3, 3), 1 / 9),
                      {"mode": "reflect"},
                      lambda: cv2.blur(u, (3, 3), borderType=cv2.BORDER_REFLECT), None))
    return table


def _family_case(name, target, anchor_name, x, sigma_or_size, function, anchor, **kwargs):
    """A case of the filter family: pyconv.<function>(x, sigma_or_size, **kwargs)."""
    import scipy.ndimage as ndi

    call = getattr(pyconv, function)

    def ours(out=None, workers=None, method=None):
        extra = {} if method is None or function != "gaussian_filter" else {"method": method}
        return call(x, sigma_or_size, output=out, workers=workers, **kwargs, **extra)

    if function == "sobel":
        weights = np.outer([-1.0, 0.0, 1.0], [1.0, 2.0, 1.0])
    elif function == "uniform_filter":
        weights = np.full((sigma_or_size,) * x.ndim, sigma_or_size ** -float(x.ndim))
    else:
        taps = 2 * int(4 * sigma_or_size + 0.5) + 1  # a sum of 1, as the Gaussian's
        weights = np.full((taps,) * x.ndim, taps ** -float(x.ndim))
    check = lambda: getattr(ndi, function)(x.astype(np.float64), sigma_or_size,  # noqa: E731
                                           **kwargs)
    return Case(name, target, anchor_name, x, weights, {}, anchor, check, call=ours,
                taps=sum(weights.shape) if function != "uniform_filter" else 2 * x.ndim)


def _family_cases(cv2, data):
    """gaussian_filter, uniform_filter and sobel against OpenCV's (or scipy's
    where OpenCV has no counterpart), and a pyramid level against cv2.pyrDown."""
    import scipy.ndimage as ndi

    reflect = cv2.BORDER_REFLECT
    image = data.normal((data.n(2048), data.n(2048)), np.float32)
    table = [
        _family_case(NAMES[12], 1.0, "cv2.GaussianBlur (25x25)", image, 3.0,
                     "gaussian_filter",
                     lambda: cv2.GaussianBlur(image, (25, 25), 3.0, borderType=reflect)),
        _family_case(NAMES[13], 1.0, "cv2.blur", image, 15, "uniform_filter",
                     lambda: cv2.blur(image, (15, 15), borderType=reflect)),
        _family_case(NAMES[14], 1.0, "cv2.Sobel", image, 0, "sobel",
                     lambda: cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3, borderType=reflect)),
    ]
    volume = data.normal((data.n(128),) * 3, np.float32)
    table.append(_family_case(NAMES[15], 0.1, "scipy.ndimage.gaussian_filter", volume, 2.0,
                              "gaussian_filter", lambda: ndi.gaussian_filter(volume, 2.0)))
    binomial = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16
    table.append(Case(NAMES[16], 1.0, "cv2.pyrDown", image, np.outer(binomial, binomial),
                      {"mode": "mirror", "stride": 2}, lambda: cv2.pyrDown(image), None))
    wide = image.astype(np.float64)
    table.append(_family_case(NAMES[17], 0.05, "scipy.ndimage.gaussian_filter", wide, 8.0,
                              "gaussian_filter", lambda: ndi.gaussian_filter(wide, 8.0)))
    return table


def cases(scale=1.0, seed=0):
    """The cases, in the order of NAMES; `scale` shrinks the data (for tests)."""
    cv2 = import_cv2()
    data = _Data(scale, seed)
    table = (_image_cases(cv2, data) + _signal_cases(cv2, data) + _volume_cases(data)
             + _more_image_cases(cv2, data) + _family_cases(cv2, data))
    assert tuple(case.name for case in table) == NAMES
    return table


# --------------------------------------------------------------------------
# The machine's floor
# --------------------------------------------------------------------------


@dataclass
class Limits:
    bandwidth: float  # bytes moved (read + written) per second, all threads copying
    flops32: float  # float32 matrix product, flop/s, all threads
    flops64: float


def measure_limits(workers=2, megabytes=256):
    """A large copy's bandwidth and the matrix products' flop rate, `workers` threads."""
    threadpool_limits = import_threadpoolctl().threadpool_limits
    source = np.ones(megabytes * 2**20 // 8)
    target = np.empty_like(source)
    parts = np.array_split(np.arange(source.size), workers)

    def copy():  # numpy releases the GIL for a large copy: one slice per thread
        threads = [Thread(target=np.copyto, args=(target[p[0]:p[-1] + 1],
                                                  source[p[0]:p[-1] + 1]))
                   for p in parts]
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


def _taps_per_output(w):
    """Multiply-adds per output of the least direct computation: one per
    non-zero weight, or, for a kernel that is an outer product of its last
    axis and the others, one per non-zero weight of each 1-D factor."""
    taps = np.count_nonzero(w)
    matrix = w.reshape(-1, w.shape[-1]) if w.ndim > 1 else w[None]
    if min(matrix.shape) < 2:
        return taps
    singular = np.linalg.svd(matrix, compute_uv=False)
    if singular[1] <= max(matrix.shape) * np.finfo(matrix.dtype).eps * singular[0]:
        rows = np.count_nonzero(np.any(matrix != 0, axis=1))
        columns = np.count_nonzero(np.any(matrix != 0, axis=0))
        taps = min(taps, rows + columns)
    return taps


def work(case):
    """(bytes in and out, least multiply-adds of the direct method, flops of an FFT)."""
    stride = case.kwargs.get("stride", 1)
    outputs = case.x.size // (stride ** case.x.ndim)
    moved = case.x.nbytes + outputs * case.x.itemsize  # every case writes its input's dtype
    taps = case.taps or _taps_per_output(case.w)
    return moved, outputs * taps, _fft_flops(case.x.shape, case.w.shape)


def floor_seconds(case, limits):
    """The least time the machine needs for the case (see the module's docstring)."""
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
    """Rounding of a sum in the working precision (integers: one unit)."""
    if out.dtype.kind in "iu":
        return 1.0
    eps = np.finfo(out.dtype).eps
    return float((case.w.size + 2) * eps * np.abs(case.w).sum() * np.abs(case.x).max())


def _pyconv(case, out=None, workers=2, method=None):
    """pyconv's result for the case (`method`: None for its default)."""
    if case.call is not None:
        return case.call(out, workers, method)
    kwargs = case.kwargs if method is None else {**case.kwargs, "method": method}
    return pyconv.correlate(case.x, case.w, out, workers=workers, **kwargs)


def peak_memory(case, workers=2):
    """(input + output + the direct method's peak scratch) / (input + output)."""
    tracemalloc.start()
    try:
        out = _pyconv(case, workers=workers, method="direct")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (case.x.nbytes + peak) / (case.x.nbytes + out.nbytes)


def run(case, limits, workers=2, runs=15):
    """Check pyconv against the anchor (or the case's check), then time both: a Row."""
    import_cv2().setNumThreads(workers)
    ours = _pyconv(case, workers=workers)
    anchor = _anchor_function(case)
    expected = (case.check or anchor)()
    error = float(np.max(np.abs(ours.astype(np.float64) - expected.astype(np.float64))))
    passed = ours.shape == expected.shape and error <= tolerance(case, ours)
    method = ("passes" if case.call is not None
              else pyconv.choose_method(case.x, case.w, workers=workers, **case.kwargs))
    if not passed:
        return Row(case.name, case.anchor_name, np.nan, np.nan, np.nan, case.target, np.nan,
                   method, np.nan, error, False)

    def ours_call():
        _pyconv(case, workers=workers)

    ours_best, anchor_best = best_times(ours_call, anchor, budget=0.0, min_runs=runs,
                                        max_runs=runs)
    return Row(case.name, case.anchor_name, anchor_best, ours_best, ours_best / anchor_best,
               case.target, floor_seconds(case, limits), method,
               peak_memory(case, workers), error, True)


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
    out = np.empty_like(_pyconv(case, method="direct"))
    times = {1: np.inf, 2: np.inf}
    for _ in range(rounds):
        for workers in times:
            call = lambda workers=workers: _pyconv(  # noqa: E731
                case, out if into_output else None, workers, "direct")
            call()
            times[workers] = min(times[workers], best_time(call, runs))
    return times[1] / times[2]


def format_rows(rows):
    """The rows as a text table; a failed case shows FAILED and its error."""
    header = ("case", "anchor", "its time", "pyconv", "ratio", "x floor", "method", "memory")
    cells = []
    for row in rows:
        if not row.passed:
            cells.append((row.case, row.anchor, "FAILED", f"max error {row.max_error:.1e}",
                          *[""] * 4))
            continue
        cells.append((row.case, row.anchor, f"{row.anchor_seconds * 1e3:.2f} ms",
                      f"{row.pyconv_seconds * 1e3:.2f} ms", f"{row.ratio:.2f}",
                      f"{row.pyconv_seconds / row.floor_seconds:.1f}", row.method,
                      f"{row.peak_memory:.2f}"))
    return text_table(header, cells, left=2)


def legend(limits, workers):
    """What the columns of `format_rows` mean, with this machine's limits."""
    entries = [
        "anchor: what pyconv is compared with; ratio: pyconv's time / the anchor's "
        "(below 1: pyconv is faster).",
        "x floor: pyconv's time / the least this machine needs for the case: the larger of "
        f"moving the input and output through memory once (at {limits.bandwidth / 1e9:.1f} "
        f"GB/s, a large copy's rate on {workers} threads) and the fewest flops of a direct "
        "sum (a separable kernel as its two 1-D passes) or an FFT (~5 N log2 N), at a "
        f"matrix product's rate ({limits.flops32 / 1e9:.0f} GFLOP/s float32, "
        f"{limits.flops64 / 1e9:.0f} float64, {workers} threads).",
        "memory: the direct method's peak memory / (input + output); 1.00 is no scratch.",
    ]
    return "\n".join(textwrap.fill(entry, 90, subsequent_indent="  ") for entry in entries)


def _scaling(table):
    """{case: speed-up} of two workers over one into one output, and with a
    new output each call, for the COMPUTE_BOUND cases."""
    bound = [case for case in table if case.name in COMPUTE_BOUND]
    return ({case.name: scaling(case) for case in bound},
            {case.name: scaling(case, into_output=False) for case in bound})


def report(workers=2, json_path=None, progress=True, scale=1.0, limits=None):
    """Run the table, print it; returns True when every check passed."""
    limits = limits or measure_limits(workers)
    table = cases(scale)
    rows = [run(case, limits, workers)
            for case in progress_bar(table, progress, desc="pyconv against OpenCV")]
    run_facts = {"date": time.strftime("%Y-%m-%d %H:%M:%S"),
                 "machine": machine_description(), "workers": workers,
                 "opencv": import_cv2().__version__,
                 "direct_kernels": pyconv.show_config(mode="dicts")["simd"]["direct_kernels"],
                 "fft_backend": pyconv.show_config(mode="dicts")["fft"]["backend"]}
    print(f"pyconv {pyconv.__version__} against OpenCV {run_facts['opencv']}, "
          f"workers={workers}, FFT backend {run_facts['fft_backend']}, "
          f"{run_facts['date'][:10]}, {run_facts['machine']}")
    print(format_rows(rows))
    print(legend(limits, workers))
    speedups, fresh = _scaling(table)
    print("\ntwo workers over one (direct method):")
    for name, speedup in speedups.items():
        print(f"  {name}: {speedup:.2f}x into one output, "
              f"{fresh[name]:.2f}x with a new output each call")
    if json_path:
        with open(json_path, "w") as file:
            json.dump({**run_facts, "limits": asdict(limits), "rows": [asdict(r) for r in rows],
                       "scaling": speedups, "scaling_fresh_output": fresh},
                      file, indent=2, default=float)
    return all(row.passed for row in rows)
