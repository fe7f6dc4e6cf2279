"""The fixed cost of a call: pyconv against scipy.ndimage.correlate on
small arrays, and across sizes from 10 to 10^7 elements; correlate1d and the
filter family on small arrays (``FamilyFixedCost``, target <= 1.0).

Each ``track_`` figure is the median over rounds of pyconv's time over
scipy's, both called in turn in one process (lower is better; above 1.0 pyconv is slower). The
targets: <= 1.5 for 1-D 10 samples x 3 taps; <= 1.0 for 64x64 3x3, 16^3
3x3x3 and 200,000 float32 samples x 7 taps. ``python -m pyconv --small
--full`` prints the same cases, and the sweep size by size.
"""

import scipy.ndimage as ndi

import pyconv

from .common import array, kernel, median_ratio

# name: (shape, taps per axis, dtype)
CASES = {
    "1d-10-k3-float64": ((10,), 3, "float64"),
    "2d-64x64-3x3-float64": ((64, 64), 3, "float64"),
    "3d-16x16x16-3x3x3-float64": ((16, 16, 16), 3, "float64"),
    "2d-256x256-5x5-float64": ((256, 256), 5, "float64"),
    "1d-200k-k7-float32": ((200_000,), 7, "float32"),
}
# Most calls of each side, and seconds per measurement (both sides).
CALLS = 300
BUDGET = 1.0

# The sweep: total elements (a cube in 2-D and 3-D), kernels (name: (ndim,
# taps per axis)), and seconds per size.
SWEEP_SIZES = (10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)
SWEEP_KERNELS = {"1d-k3": (1, 3), "1d-k7": (1, 7), "2d-3x3": (2, 3), "3d-3x3x3": (3, 3)}
SWEEP_BUDGET = 0.3


def _ratio(x, w, workers, calls, budget):
    return median_ratio(lambda: pyconv.correlate(x, w, workers=workers),
                        lambda: ndi.correlate(x, w), calls, budget)


class FixedCost:
    """pyconv / scipy at the default workers and at workers=1."""

    params = [list(CASES)]
    param_names = ["case"]
    timeout = 60

    def setup(self, case):
        shape, taps, dtype = CASES[case]
        self.x = array(shape, dtype)
        self.w = kernel(taps, len(shape))

    def track_ratio(self, case):
        return _ratio(self.x, self.w, None, CALLS, BUDGET)

    track_ratio.unit = "ratio"

    def track_ratio_one_worker(self, case):
        return _ratio(self.x, self.w, 1, CALLS, BUDGET)

    track_ratio_one_worker.unit = "ratio"


# name: (function, shape, dtype, arguments after the input)
FAMILY_CASES = {
    "correlate1d-16-k3-float64": ("correlate1d", (16,), "float64", ([1.0, 2.0, 1.0],)),
    "uniform_filter1d-16-size5-float64": ("uniform_filter1d", (16,), "float64", (5,)),
    "laplace-16x16-float64": ("laplace", (16, 16), "float64", ()),
}


class FamilyFixedCost:
    """pyconv / scipy for correlate1d and the filter family on small arrays
    (the same function in both), at the default workers."""

    params = [list(FAMILY_CASES)]
    param_names = ["case"]
    timeout = 60

    def setup(self, case):
        name, shape, dtype, self.arguments = FAMILY_CASES[case]
        self.x = array(shape, dtype)
        self.ours, self.theirs = getattr(pyconv, name), getattr(ndi, name)

    def track_ratio(self, case):
        return median_ratio(lambda: self.ours(self.x, *self.arguments),
                            lambda: self.theirs(self.x, *self.arguments), CALLS, BUDGET)

    track_ratio.unit = "ratio"


class SizeSweep:
    """The largest pyconv / scipy ratio (default workers) over the sweep's
    sizes: above 1.0, pyconv is slower than scipy at some size."""

    params = [list(SWEEP_KERNELS), ["float32", "float64"]]
    param_names = ["kernel", "dtype"]
    timeout = 180

    def track_worst_ratio(self, kernel_name, dtype):
        ndim, taps = SWEEP_KERNELS[kernel_name]
        w = kernel(taps, ndim)
        worst = 0.0
        for size in SWEEP_SIZES:
            x = array((max(2, round(size ** (1 / ndim))),) * ndim, dtype)
            worst = max(worst, _ratio(x, w, None, CALLS, SWEEP_BUDGET))
        return worst

    track_worst_ratio.unit = "ratio"
