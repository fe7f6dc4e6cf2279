"""Shared data, sizes and timing for the pyconv asv suites.

Sizes are symbolic ("small", "large") and looked up in SIZES / TAPS, so the
test suite can shrink them (tests/test_asv_benchmarks.py) and run every
benchmark once on tiny data.
"""

import numpy as np

from pyconv._bench import best_time, best_times

# Input shapes per number of dimensions.
SIZES = {
    1: {"small": (200_000,), "large": (4_000_000,)},
    2: {"small": (512, 512), "large": (2048, 2048)},
    3: {"small": (32, 128, 128), "large": (64, 256, 256)},
}
# Taps per filtered axis.
TAPS = {
    1: {"small": 7, "large": 63},
    2: {"small": 3, "large": 7},
    3: {"small": 3, "large": 5},
}


def make_data(ndim, size, taps, dtype, seed=0):
    """Seeded input and kernel."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(SIZES[ndim][size]).astype(dtype)
    w = rng.standard_normal((TAPS[ndim][taps],) * ndim)
    return x, w


def best_of(function, runs=5):
    """Best of `runs` calls after one warm-up call."""
    function()
    return best_time(function, runs)


def ratio(numerator, denominator, runs=5):
    """time(numerator) / time(denominator), measured alternately in one process."""
    top, bottom = best_times(numerator, denominator, budget=0.0, min_runs=runs, max_runs=runs)
    return top / bottom
