"""pyconv against scipy.ndimage.correlate: ndim x size x kernel x dtype x mode."""

import scipy.ndimage as ndi

import pyconv

from .common import make_data, ratio


class Correlate:
    params = ([1, 2, 3], ["small", "large"], ["small", "large"], ["float32", "float64"],
              ["reflect", "constant"])
    param_names = ["ndim", "size", "taps", "dtype", "mode"]
    timeout = 300

    def setup(self, ndim, size, taps, dtype, mode):
        self.x, self.w = make_data(ndim, size, taps, dtype)

    def time_pyconv(self, ndim, size, taps, dtype, mode):
        pyconv.correlate(self.x, self.w, mode=mode)

    def time_scipy(self, ndim, size, taps, dtype, mode):
        ndi.correlate(self.x, self.w, mode=mode)

    def peakmem_pyconv(self, ndim, size, taps, dtype, mode):
        pyconv.correlate(self.x, self.w, mode=mode)

    def peakmem_scipy(self, ndim, size, taps, dtype, mode):
        ndi.correlate(self.x, self.w, mode=mode)

    def track_speedup_over_scipy(self, ndim, size, taps, dtype, mode):
        return ratio(lambda: ndi.correlate(self.x, self.w, mode=mode),
                     lambda: pyconv.correlate(self.x, self.w, mode=mode))

    track_speedup_over_scipy.unit = "x"


class Correlate1dAlongAxes:
    """correlate1d along each axis of a 3-D array (contiguous and strided lines)."""

    params = ([0, 1, 2], ["float32", "float64"])
    param_names = ["axis", "dtype"]

    def setup(self, axis, dtype):
        self.x, _ = make_data(3, "small", "small", dtype)
        self.w = make_data(1, "small", "small", dtype)[1]

    def time_pyconv(self, axis, dtype):
        pyconv.correlate1d(self.x, self.w, axis=axis)

    def time_scipy(self, axis, dtype):
        ndi.correlate1d(self.x, self.w, axis=axis)

    def peakmem_pyconv(self, axis, dtype):
        pyconv.correlate1d(self.x, self.w, axis=axis)

    def track_speedup_over_scipy(self, axis, dtype):
        return ratio(lambda: ndi.correlate1d(self.x, self.w, axis=axis),
                     lambda: pyconv.correlate1d(self.x, self.w, axis=axis))

    track_speedup_over_scipy.unit = "x"
