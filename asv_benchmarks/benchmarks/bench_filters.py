"""pyconv against scipy.ndimage.correlate and correlate1d.

The cases span 1-D, 2-D and 3-D, small and large data and kernels, float32,
float64 and uint8, and every boundary mode, without taking the full product
(each benchmark and parameter combination is a process of its own in asv).
"""

import pyconv

from .common import array, kernel, peak_memory, ratio

# name: (shape, taps per axis, dtype, mode)
CASES = {
    "1d-1M-k63-float32-wrap": ((1_000_000,), 63, "float32", "wrap"),
    "2d-1024-3x3-float32-reflect": ((1024, 1024), 3, "float32", "reflect"),
    "2d-1024-7x7-float64-nearest": ((1024, 1024), 7, "float64", "nearest"),
    "2d-1024-3x3-uint8-reflect": ((1024, 1024), 3, "uint8", "reflect"),
    "3d-32x128x128-3x3x3-float32-mirror": ((32, 128, 128), 3, "float32", "mirror"),
    "3d-32x128x128-5x5x5-float64-constant": ((32, 128, 128), 5, "float64", "constant"),
}

# correlate1d along each axis of one 3-D array: (shape, taps, dtype)
ALONG_AXES = ((32, 128, 128), 7, "float32")


class Correlate:
    params = [list(CASES)]
    param_names = ["case"]
    timeout = 120

    def setup(self, case):
        shape, taps, dtype, self.mode = CASES[case]
        self.x = array(shape, dtype)
        self.w = kernel(taps, len(shape))

    def _pyconv(self):
        return pyconv.correlate(self.x, self.w, mode=self.mode)

    def _scipy(self):
        import scipy.ndimage as ndi  # (here: the time_ and memory processes skip it)

        return ndi.correlate(self.x, self.w, mode=self.mode)

    def time_pyconv(self, case):
        self._pyconv()

    def track_peak_memory(self, case):
        """(input + peak) / (input + output): 1.0 is no scratch."""
        return peak_memory(self._pyconv, self.x.nbytes)

    track_peak_memory.unit = "x (input + output)"

    def track_speedup_over_scipy(self, case):
        """scipy's time over pyconv's, in one process (higher is better)."""
        return ratio(self._scipy, self._pyconv)

    track_speedup_over_scipy.unit = "x"


class Correlate1dAlongAxes:
    """correlate1d along each axis of a 3-D array (contiguous and strided
    lines): scipy's time over pyconv's, in one process."""

    params = [[0, 1, 2]]
    param_names = ["axis"]
    timeout = 120

    def setup(self, axis):
        shape, taps, dtype = ALONG_AXES
        self.x = array(shape, dtype)
        self.w = kernel(taps, 1)

    def track_speedup_over_scipy(self, axis):
        import scipy.ndimage as ndi

        return ratio(lambda: ndi.correlate1d(self.x, self.w, axis=axis),
                     lambda: pyconv.correlate1d(self.x, self.w, axis=axis))

    track_speedup_over_scipy.unit = "x"
