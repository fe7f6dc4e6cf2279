"""``python -m pyconv --nan``: missing data (``nan_policy="omit"``) and its anchors.

Three cases at workers=2, each pyconv with ``nan_policy="omit"`` on data
with 5 % NaN against an *anchor* on the same data: astropy's
``convolve(nan_treatment="interpolate")`` (skipped without astropy), and
pyconv's own plain call on the data with NaN set to 0 -- what omit costs
over ignoring the holes. Each case is checked first (omit against astropy,
or against the by-hand recipe: the plain filter of the data with NaN as 0
over the plain filter of the mask), then both sides are called in turn,
alternating which goes first. The ratio is the median over these rounds
of pyconv's time over the anchor's; the target is the one the project aims for.
"""

import json
from dataclasses import asdict, dataclass

import numpy as np

import pyconv
from pyconv.bench._display import progress as progress_bar
from pyconv.bench._display import seconds_text, text_table
from pyconv.bench._timing import machine_description, median_times

NAMES = (
    "9x9 Gaussian 1024^2 float64, constant NaN outside, vs astropy",
    "9x9 Gaussian 1024^2 float64, constant NaN outside, vs plain correlate",
    "gaussian_filter 2048^2 float32, sigma 3, vs plain gaussian_filter",
)
TARGETS = dict(zip(NAMES, (0.03, 1.6, 1.8), strict=True))
WORKERS = 2
MISSING_FRACTION = 0.05
SCALE = 1.0  # the tests shrink the data
CALLS, BUDGET = 15, 3.0  # calls of each side at most, seconds per case


@dataclass
class Row:
    name: str
    omit_seconds: float
    anchor_seconds: float
    ratio: float | None  # omit / anchor; None when skipped or the check failed
    target: float
    calls: int
    max_error: float
    passed: bool
    note: str = ""


def gappy(shape, dtype, seed=0):
    """Seeded normal data with MISSING_FRACTION of the values NaN."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    x[rng.random(shape) < MISSING_FRACTION] = np.nan
    return x


def gaussian_kernel(size, sigma):
    """A 2-D Gaussian of size x size taps that sums to 1 (symmetric)."""
    t = np.arange(size) - size // 2
    g = np.exp(-0.5 * (t / sigma) ** 2)
    return np.outer(g, g) / np.outer(g, g).sum()


def _side(n):
    return max(32, int(n * SCALE))


def case(name):
    """(omit, anchor, check) for one case of NAMES: zero-argument functions,
    `check` returning the largest difference from an independent result
    (relative to the result's scale) -- or None when the anchor is missing."""
    if name.startswith("9x9"):
        x = gappy((_side(1024),) * 2, np.float64)
        w = gaussian_kernel(9, 2.0)
        zeroed = np.where(np.isnan(x), 0.0, x)

        def omit():
            return pyconv.correlate(x, w, mode="constant", cval=np.nan, nan_policy="omit",
                                    workers=WORKERS)

        if name.endswith("astropy"):
            try:
                from astropy.convolution import convolve
            except ImportError:
                return None

            def anchor():
                return convolve(x, w, boundary="fill", fill_value=np.nan,
                                nan_treatment="interpolate", normalize_kernel=True)

            def reference():  # the kernel is symmetric: astropy's flip does nothing
                return anchor()
        else:
            def anchor():
                return pyconv.correlate(zeroed, w, mode="constant", workers=WORKERS)

            def reference():
                present = pyconv.correlate((~np.isnan(x)) * 1.0, w, mode="constant")
                with np.errstate(invalid="ignore"):
                    return anchor() / present
    else:
        x = gappy((_side(2048),) * 2, np.float32)

        def omit():
            return pyconv.gaussian_filter(x, 3.0, nan_policy="omit", workers=WORKERS)

        def anchor():
            return pyconv.gaussian_filter(x, 3.0, workers=WORKERS)

        def reference():
            wide = x.astype(np.float64)
            present = ~np.isnan(wide)
            return (pyconv.gaussian_filter(np.where(present, wide, 0.0), 3.0)
                    / pyconv.gaussian_filter(present * 1.0, 3.0))

    def check():
        ours, theirs = omit(), reference()
        if not np.array_equal(np.isnan(ours), np.isnan(theirs)):
            return float("inf")
        inside = ~np.isnan(theirs)
        return float(np.max(np.abs(ours[inside] - theirs[inside]), initial=0.0)
                     / max(1.0, float(np.max(np.abs(theirs[inside]), initial=0.0))))

    return omit, anchor, check


def measure(name):
    """A Row for one case: checked, then timed."""
    target = TARGETS[name]
    found = case(name)
    if found is None:
        return Row(name, float("nan"), float("nan"), None, target, 0, float("nan"), True,
                   "skipped: astropy is not installed")
    omit, anchor, check = found
    error = check()
    tolerance = 1e-4 if "float32" in name else 1e-10
    passed = error <= tolerance
    row = Row(name, float("nan"), float("nan"), None, target, 0, error, passed)
    if passed:
        timings = median_times([omit, anchor], BUDGET, CALLS)
        (row.omit_seconds, row.anchor_seconds), row.calls = timings.medians, timings.calls
        row.ratio = timings.ratio(0, 1)
    else:
        row.note = "check failed"
    return row


def format_table(rows):
    header = ["case", "omit", "anchor", "ratio", "target", "calls"]
    lines = [[row.name, seconds_text(row.omit_seconds), seconds_text(row.anchor_seconds),
              "-" if row.ratio is None else f"{row.ratio:.3f}", f"{row.target:g}",
              str(row.calls) + (f"  {row.note}" if row.note else "")] for row in rows]
    return text_table(header, lines)


def report(json_path=None, progress=False):
    """Print the table (and write it as JSON); True when every check passed."""
    named = [Row(name, float("nan"), float("nan"), None, TARGETS[name], 0, float("nan"), False)
             for name in NAMES]  # (the progress bar shows each item's name)
    rows = [measure(item.name) for item in progress_bar(named, progress, desc="nan_policy")]
    print(f"pyconv {pyconv.__version__}, nan_policy='omit' ({MISSING_FRACTION:.0%} NaN) "
          f"at workers={WORKERS} against its anchors, median ratio of up to {CALLS} "
          f"alternating calls; {machine_description()}")
    print(format_table(rows))
    print("ratio: pyconv's time over the anchor's (lower is better)")
    if json_path:
        with open(json_path, "w") as stream:
            json.dump({"machine": machine_description(), "workers": WORKERS,
                       "results": [asdict(row) for row in rows]}, stream, indent=2)
    return all(row.passed for row in rows)
