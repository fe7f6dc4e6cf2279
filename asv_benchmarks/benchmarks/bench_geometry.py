"""Stride and dilation, against what scipy users do without them: the full
correlation then slicing, or a zero-filled kernel. Each ratio is timed in
one process; pyconv's own times for these shapes undilated and unstrided
are bench_filters.Correlate's."""

import numpy as np

import pyconv

from .common import array, kernel, peak_memory, ratio

# name: (shape, taps per axis, stride or dilation, dtype)
STRIDE_CASES = {
    "1d-1M-k7-s4-float64": ((1_000_000,), 7, 4, "float64"),
    "2d-1024-3x3-s2-float32": ((1024, 1024), 3, 2, "float32"),
    "3d-32x128x128-3x3x3-s2-float32": ((32, 128, 128), 3, 2, "float32"),
}
DILATION_CASES = {
    "1d-1M-k7-d4-float64": ((1_000_000,), 7, 4, "float64"),
    "2d-1024-3x3-d2-float32": ((1024, 1024), 3, 2, "float32"),
    "3d-32x128x128-3x3x3-d2-float64": ((32, 128, 128), 3, 2, "float64"),
}


def _correlate_scipy(x, w):
    import scipy.ndimage as ndi  # (here: the memory benchmarks' processes skip it)

    return ndi.correlate(x, w, mode="constant")


class Stride:
    params = [list(STRIDE_CASES)]
    param_names = ["case"]
    timeout = 120

    def setup(self, case):
        shape, taps, self.stride, dtype = STRIDE_CASES[case]
        self.x = array(shape, dtype)
        self.w = kernel(taps, len(shape))
        self.keep = (slice(None, None, self.stride),) * len(shape)

    def _pyconv(self):
        return pyconv.correlate(self.x, self.w, stride=self.stride, mode="constant")

    def track_peak_memory(self, case):
        """(input + peak) / (input + output), the output being the kept
        positions only: 1.0 is no scratch."""
        return peak_memory(self._pyconv, self.x.nbytes)

    track_peak_memory.unit = "x (input + output)"

    def track_speedup_over_scipy(self, case):
        """scipy's full correlation then slicing, over pyconv's strided one."""
        return ratio(lambda: _correlate_scipy(self.x, self.w)[self.keep], self._pyconv)

    track_speedup_over_scipy.unit = "x"


class Dilation:
    params = [list(DILATION_CASES)]
    param_names = ["case"]
    timeout = 120

    def setup(self, case):
        shape, taps, self.dilation, dtype = DILATION_CASES[case]
        self.x = array(shape, dtype)
        self.w = kernel(taps, len(shape))
        self.zero_filled = np.zeros([self.dilation * (k - 1) + 1 for k in self.w.shape])
        self.zero_filled[(slice(None, None, self.dilation),) * self.w.ndim] = self.w

    def _pyconv(self):
        return pyconv.correlate(self.x, self.w, dilation=self.dilation, mode="constant")

    def track_speedup_over_scipy(self, case):
        """scipy with the zero-filled kernel, over pyconv's dilated one."""
        return ratio(lambda: _correlate_scipy(self.x, self.zero_filled), self._pyconv)

    track_speedup_over_scipy.unit = "x"

    def track_cost_over_undilated(self, case):
        """The same taps dilated over undilated: dilation should cost (almost)
        nothing extra, so about 1."""
        return ratio(self._pyconv,
                     lambda: pyconv.correlate(self.x, self.w, mode="constant"))

    track_cost_over_undilated.unit = "ratio"
