"""workers scaling: 1 and 2 threads, on compute-bound and memory-bound cases."""

import numpy as np
import scipy.ndimage as ndi

import pyconv

from .common import best_of

CASES = {
    "2d-2048-3x3-float32": ((2048, 2048), (3, 3), "float32"),
    "2d-2048-7x7-float64": ((2048, 2048), (7, 7), "float64"),
    "3d-128-5x5x5-float64": ((128, 128, 128), (5, 5, 5), "float64"),
    "1d-10M-31-float64": ((10_000_000,), (31,), "float64"),
}


class Workers:
    params = (list(CASES), [1, 2])
    param_names = ["case", "workers"]
    timeout = 300

    def setup(self, case, workers):
        shape, taps, dtype = CASES[case]
        rng = np.random.default_rng(2)
        self.x = rng.standard_normal(shape).astype(dtype)
        self.w = rng.standard_normal(taps)

    def time_direct(self, case, workers):
        pyconv.correlate(self.x, self.w, method="direct", workers=workers)

    def peakmem_direct(self, case, workers):
        pyconv.correlate(self.x, self.w, method="direct", workers=workers)

    def time_scipy(self, case, workers):
        """scipy.ndimage on the same data (single-threaded whatever `workers`)."""
        ndi.correlate(self.x, self.w)

    def track_speedup_over_scipy(self, case, workers):
        return (best_of(lambda: ndi.correlate(self.x, self.w))
                / best_of(lambda: pyconv.correlate(self.x, self.w, method="direct",
                                                   workers=workers)))

    track_speedup_over_scipy.unit = "x"

    def track_speedup_over_one_worker(self, case, workers):
        one = best_of(lambda: pyconv.correlate(self.x, self.w, method="direct", workers=1))
        many = best_of(lambda: pyconv.correlate(self.x, self.w, method="direct",
                                                workers=workers))
        return one / many

    track_speedup_over_one_worker.unit = "x"

    def track_speedup_over_one_worker_into_output(self, case, workers):
        """The same into one output allocated beforehand: pyconv's work alone,
        without the kernel zeroing the new pages of a fresh output (every
        allocation of 32 MiB or more, under glibc)."""
        out = np.empty_like(self.x)
        one = best_of(lambda: pyconv.correlate(self.x, self.w, out, method="direct",
                                               workers=1))
        many = best_of(lambda: pyconv.correlate(self.x, self.w, out, method="direct",
                                                workers=workers))
        return one / many

    track_speedup_over_one_worker_into_output.unit = "x"
