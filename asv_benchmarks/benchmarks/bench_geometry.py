"""Stride and dilation, against what scipy users do without them: the full
correlation then slicing, or a zero-filled kernel."""

import numpy as np
import scipy.ndimage as ndi

import pyconv

from .common import make_data, ratio


class Stride:
    params = ([1, 2, 3], [2, 4], ["float32", "float64"])
    param_names = ["ndim", "stride", "dtype"]

    def setup(self, ndim, stride, dtype):
        self.x, self.w = make_data(ndim, "large", "small", dtype)
        self.keep = (slice(None, None, stride),) * ndim

    def time_pyconv(self, ndim, stride, dtype):
        pyconv.correlate(self.x, self.w, stride=stride, mode="constant")

    def time_scipy_then_slice(self, ndim, stride, dtype):
        ndi.correlate(self.x, self.w, mode="constant")[self.keep]

    def peakmem_pyconv(self, ndim, stride, dtype):
        pyconv.correlate(self.x, self.w, stride=stride, mode="constant")

    def track_speedup_over_scipy(self, ndim, stride, dtype):
        return ratio(lambda: ndi.correlate(self.x, self.w, mode="constant")[self.keep],
                     lambda: pyconv.correlate(self.x, self.w, stride=stride, mode="constant"))

    track_speedup_over_scipy.unit = "x"


class Dilation:
    params = ([1, 2, 3], [2, 4], ["float32", "float64"])
    param_names = ["ndim", "dilation", "dtype"]

    def setup(self, ndim, dilation, dtype):
        self.x, self.w = make_data(ndim, "large", "small", dtype)
        self.zero_filled = np.zeros([dilation * (k - 1) + 1 for k in self.w.shape])
        self.zero_filled[(slice(None, None, dilation),) * ndim] = self.w

    def time_pyconv(self, ndim, dilation, dtype):
        pyconv.correlate(self.x, self.w, dilation=dilation, mode="constant")

    def time_pyconv_undilated(self, ndim, dilation, dtype):
        """The same taps undilated: dilation should cost nothing extra."""
        pyconv.correlate(self.x, self.w, mode="constant")

    def time_scipy_zero_filled(self, ndim, dilation, dtype):
        ndi.correlate(self.x, self.zero_filled, mode="constant")

    def peakmem_pyconv(self, ndim, dilation, dtype):
        pyconv.correlate(self.x, self.w, dilation=dilation, mode="constant")

    def track_speedup_over_scipy(self, ndim, dilation, dtype):
        return ratio(lambda: ndi.correlate(self.x, self.zero_filled, mode="constant"),
                     lambda: pyconv.correlate(self.x, self.w, dilation=dilation,
                                              mode="constant"))

    track_speedup_over_scipy.unit = "x"
