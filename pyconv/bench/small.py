"""``python -m pyconv --small``: the fixed cost of a call. pyconv (at its
default workers and at workers=1) against scipy.ndimage on small arrays --
correlate, correlate1d and the filter family -- median of many calls; with
``--full``, a sweep of sizes from 10 to 10^7 elements (correlate) that names
the sizes at which pyconv is slower than scipy.

Every case is checked against scipy before it is timed. Ratios are pyconv's
time over scipy's: lower is better, above 1.0 pyconv is slower.
"""

from dataclasses import dataclass

import numpy as np
import scipy.ndimage as ndi

import pyconv
from pyconv.bench._display import progress, seconds_text, text_table
from pyconv.bench._timing import median_times, three_timings
from pyconv.bench.scipy_table import tolerance

# At most this many calls of each side per case, within BUDGET seconds per
# case (all sides together; at least MIN_CALLS calls each).
CALLS = {"quick": 20, "default": 300, "full": 300}
BUDGET = {"quick": 0.02, "default": 1.0, "full": 1.0}
MIN_CALLS = {"quick": 2, "default": 5, "full": 5}
# The size sweep: total elements, kernels (label: (ndim, taps per axis)),
# dtypes, and the seconds per point.
SWEEP_SIZES = (10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)
SWEEP_KERNELS = {"1-D, 3 taps": (1, 3), "1-D, 7 taps": (1, 7), "2-D, 3x3": (2, 3),
                 "3-D, 3x3x3": (3, 3)}
SWEEP_DTYPES = ("float32", "float64")
SWEEP_BUDGET = {"quick": 0.01, "default": 0.3, "full": 0.3}


@dataclass
class Case:
    name: str
    shape: tuple
    dtype: str
    taps: int  # per axis
    target: float | None  # the ratio pyconv / scipy aimed for
    size: int = 0  # the sweep's nominal elements (0: the shape's)
    # Another function than correlate (with `taps` random weights per axis):
    # its name in both libraries, and its arguments after the input.
    function: str = ""
    arguments: tuple = ()


@dataclass
class Row:
    name: str  # the case, or the sweep's kernel and dtype
    size: int  # elements asked for (the sweep's nominal size)
    shape: tuple
    dtype: str
    taps: int
    default_seconds: float  # pyconv at the run's workers (median)
    one_worker_seconds: float  # pyconv at workers=1
    scipy_seconds: float
    default_ratio: float | None  # pyconv / scipy; None when the check failed
    one_worker_ratio: float | None
    calls: int  # timed calls of each side
    target: float | None
    max_error: float
    passed: bool


def cases():
    """The fixed-cost cases."""
    return [
        Case("1-D 10 float64, 3 taps", (10,), "float64", 3, 1.5),
        Case("2-D 64x64 float64, 3x3", (64, 64), "float64", 3, 1.0),
        Case("3-D 16^3 float64, 3x3x3", (16, 16, 16), "float64", 3, 1.0),
        Case("2-D 256x256 float64, 5x5", (256, 256), "float64", 5, None),
        Case("1-D 200,000 float32, 7 taps", (200_000,), "float32", 7, 1.0),
        Case("1-D 16 float64, correlate1d 3 taps", (16,), "float64", 3, 1.0,
             function="correlate1d", arguments=([1.0, 2.0, 1.0],)),
        Case("1-D 16 float64, uniform_filter1d 5", (16,), "float64", 5, 1.0,
             function="uniform_filter1d", arguments=(5,)),
        Case("2-D 16x16 float64, laplace", (16, 16), "float64", 3, 1.0, function="laplace"),
    ]


def run_table(workers, size, rng, show=False):
    """A Row for each fixed-cost case at size 'quick', 'default' or 'full'."""
    timing = (BUDGET[size], CALLS[size], MIN_CALLS[size])
    return [measure(case, workers, timing, rng)
            for case in progress(cases(), show, desc="fixed cost")]


def run_sweep(workers, size, rng, show=False):
    """A Row for each point of the size sweep."""
    timing = (SWEEP_BUDGET[size], CALLS[size], MIN_CALLS[size])
    return [measure(case, workers, timing, rng)
            for case in progress(sweep_cases(), show, desc="size sweep")]


def measure(case, workers, timing, rng):
    """Check pyconv against scipy on the case, then time pyconv at
    `workers`, pyconv at workers=1 and scipy, in turn: a Row. `timing` is
    (budget in seconds, most calls, fewest calls)."""
    x = rng.standard_normal(case.shape).astype(case.dtype)
    if case.function:
        function = getattr(pyconv, case.function)
        anchor = getattr(ndi, case.function)
        w = np.ones((case.taps,) * len(case.shape))  # (the tolerance's scale)
        ours, theirs = function(x, *case.arguments, workers=workers), anchor(x, *case.arguments)
    else:
        w = rng.standard_normal((case.taps,) * len(case.shape))
        ours, theirs = pyconv.correlate(x, w, workers=workers), ndi.correlate(x, w)
    error = float(np.max(np.abs(ours.astype(np.float64) - theirs)))
    passed = ours.shape == theirs.shape and error <= tolerance(x, w, case.dtype)
    row = Row(case.name, case.size or x.size, case.shape, case.dtype, case.taps,
              float("nan"), float("nan"), float("nan"), None, None, 0, case.target, error,
              passed)
    if passed:
        if case.function:
            timings = median_times([lambda: function(x, *case.arguments, workers=workers),
                                    lambda: function(x, *case.arguments, workers=1),
                                    lambda: anchor(x, *case.arguments)], *timing)
        else:
            timings = three_timings(x, w, workers, timing)
        row.default_seconds, row.one_worker_seconds, row.scipy_seconds = timings.medians
        row.calls = timings.calls
        row.default_ratio = timings.ratio(0, 2)
        row.one_worker_ratio = timings.ratio(1, 2)
    return row


def sweep_cases():
    """The sweep's points as Cases, each of about `size` elements (a cube
    in 2-D and 3-D), in the order kernel, dtype, size."""
    points = []
    for label, (ndim, taps) in SWEEP_KERNELS.items():
        for dtype in SWEEP_DTYPES:
            for size in SWEEP_SIZES:
                side = max(2, round(size ** (1 / ndim)))
                points.append(Case(f"{label}, {dtype}", (side,) * ndim, dtype, taps, 1.0,
                                   size))
    return points


def _met(row):
    """Whether both ratios meet the row's target, and if not which misses."""
    if row.target is None:
        return "-"
    missed = [label for label, ratio in (("default", row.default_ratio),
                                         ("workers=1", row.one_worker_ratio))
              if ratio > row.target]
    return "yes" if not missed else "no" if len(missed) == 2 else f"no ({missed[0]})"


def format_table(rows):
    """The fixed-cost rows as a text table."""
    header = ("case", "default", "workers=1", "scipy", "default/scipy", "1/scipy", "target",
              "met", "calls")
    lines = []
    for r in rows:
        target = "-" if r.target is None else f"<= {r.target:.1f}x"
        if not r.passed:
            lines.append((r.name, "-", "-", "-", "FAILED", f"error {r.max_error:.1e}",
                          target, "-", "0"))
            continue
        lines.append((r.name, seconds_text(r.default_seconds),
                      seconds_text(r.one_worker_seconds), seconds_text(r.scipy_seconds),
                      f"{r.default_ratio:.2f}x", f"{r.one_worker_ratio:.2f}x", target,
                      _met(r), str(r.calls)))
    return text_table(header, lines)


def _size_label(size):
    if size < 1000:
        return str(size)
    mantissa, exponent = f"{size:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def format_sweep(rows):
    """The sweep as two grids of ratios (kernel and dtype against size), at
    the run's workers and at workers=1, each followed by the sizes at which
    pyconv is slower than scipy."""
    names = list(dict.fromkeys(r.name for r in rows))
    sizes = list(dict.fromkeys(r.size for r in rows))
    cell = {(r.name, r.size): r for r in rows}
    out = []
    for label, field in (("default", "default_ratio"),
                         ("workers=1", "one_worker_ratio")):
        grid, slower = [], []
        for name in names:
            ratios = [getattr(cell[name, size], field) for size in sizes]
            grid.append((name, *("FAILED" if r is None else f"{r:.2f}x" for r in ratios)))
            over = [_size_label(s) for s, r in zip(sizes, ratios, strict=True)
                    if r is not None and r > 1.0]
            if over:
                slower.append(f"  {name}: {', '.join(over)}")
        out += [f"pyconv / scipy, {label}, by elements:",
                text_table(("kernel, dtype", *map(_size_label, sizes)), grid),
                f"slower than scipy ({label}) at:" + ("" if slower else " no size"),
                *slower, ""]
    return "\n".join(out).rstrip()
