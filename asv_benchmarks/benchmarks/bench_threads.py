"""workers scaling: 2 threads against 1, on a memory-bound and a
compute-bound case (the direct method), both timed in one process. (pyconv's
times at its default, all the threads OpenMP may use, are the other
suites'.)"""

import numpy as np

import pyconv

from .common import array, best_of, kernel

# name: (shape, taps per axis, dtype)
CASES = {
    "2d-2048-3x3-float64": ((2048, 2048), 3, "float64"),  # memory-bound; 32 MiB
    "3d-128-5x5x5-float64": ((128, 128, 128), 5, "float64"),  # compute-bound
}


def _data(case):
    shape, taps, dtype = CASES[case]
    return array(shape, dtype, seed=2), kernel(taps, len(shape))


class Scaling:
    """time(workers=1) / time(workers=2)."""

    params = [list(CASES)]
    param_names = ["case"]
    timeout = 120

    def setup(self, case):
        self.x, self.w = _data(case)

    def _speedup(self, out):
        one, two = (best_of(lambda n=n: pyconv.correlate(self.x, self.w, out, method="direct",
                                                         workers=n))
                    for n in (1, 2))
        return one / two

    def track_speedup_of_two_workers(self, case):
        """Each call allocating its output (as most callers do)."""
        return self._speedup(None)

    track_speedup_of_two_workers.unit = "x"

    def track_speedup_of_two_workers_into_output(self, case):
        """Into one output allocated beforehand: pyconv's work alone, without
        the kernel zeroing the new pages of a fresh output (every allocation
        of 32 MiB or more, under glibc)."""
        return self._speedup(np.empty_like(self.x))

    track_speedup_of_two_workers_into_output.unit = "x"
