"""Direct vs FFT vs auto across the crossover, and scipy (ndimage, and
scipy.signal's FFT convolutions) on the same data.

The grid is the one tools/calibrate_plan.py fits the cost model on (1-D,
2-D, 3-D; float32 and float64; kernels on both sides of the crossover).
``track_auto_over_best`` is the acceptance figure: auto's time over the
faster method's, in one process (1.0 is perfect; the target is <= 1.25 at
90% of the points and <= 2 at all).
"""

import numpy as np
import scipy.ndimage as ndi
import scipy.signal

import pyconv

from .common import best_of, ratio

# (shape, taps per axis): sizes and kernels spanning the crossover.
GRID = {
    "1d-200k-k16": ((200_000,), 16),
    "1d-200k-k128": ((200_000,), 128),
    "1d-200k-k512": ((200_000,), 512),
    "1d-2M-k64": ((2_000_000,), 64),
    "1d-2M-k512": ((2_000_000,), 512),
    "2d-512-k5": ((512, 512), 5),
    "2d-512-k11": ((512, 512), 11),
    "2d-512-k21": ((512, 512), 21),
    "2d-1024-k9": ((1024, 1024), 9),
    "2d-1024-k31": ((1024, 1024), 31),
    "3d-64-k5": ((64, 64, 64), 5),
    "3d-64-k9": ((64, 64, 64), 9),
    "3d-128-k5": ((128, 128, 128), 5),
}


def _data(point, dtype):
    shape, taps = GRID[point]
    rng = np.random.default_rng(1)
    return (rng.standard_normal(shape).astype(dtype),
            rng.standard_normal((taps,) * len(shape)))


class Crossover:
    params = (list(GRID), ["float32", "float64"], ["direct", "fft", "auto"])
    param_names = ["point", "dtype", "method"]
    timeout = 300

    def setup(self, point, dtype, method):
        self.x, self.w = _data(point, dtype)

    def time_correlate(self, point, dtype, method):
        pyconv.correlate(self.x, self.w, method=method, mode="constant")

    def peakmem_correlate(self, point, dtype, method):
        pyconv.correlate(self.x, self.w, method=method, mode="constant")


class AutoChoice:
    params = (list(GRID), ["float32", "float64"])
    param_names = ["point", "dtype"]
    timeout = 300

    def setup(self, point, dtype):
        self.x, self.w = _data(point, dtype)

    def _time(self, method):
        return best_of(lambda: pyconv.correlate(self.x, self.w, method=method,
                                                mode="constant"))

    def track_auto_over_best(self, point, dtype):
        times = {m: self._time(m) for m in ("direct", "fft", "auto")}
        return times["auto"] / min(times["direct"], times["fft"])

    track_auto_over_best.unit = "ratio"

    def track_fft_chosen(self, point, dtype):
        return float(pyconv.choose_method(self.x, self.w, mode="constant") == "fft")

    track_fft_chosen.unit = "bool"


class Scipy:
    """scipy on the same data: scipy.ndimage.correlate, and scipy.signal's
    oaconvolve / fftconvolve (the same 'same' output, kernel reversed)."""

    params = (list(GRID), ["float64"], ["ndimage", "oaconvolve", "fftconvolve"])
    param_names = ["point", "dtype", "function"]
    timeout = 600

    def setup(self, point, dtype, function):
        self.x, self.w = _data(point, dtype)
        if function == "ndimage":
            self.scipy = lambda: ndi.correlate(self.x, self.w, mode="constant")
        else:
            flipped = self.w[(slice(None, None, -1),) * self.w.ndim]
            convolve = getattr(scipy.signal, function)
            self.scipy = lambda: convolve(self.x, flipped, mode="same")

    def time_scipy(self, point, dtype, function):
        self.scipy()

    def peakmem_scipy(self, point, dtype, function):
        self.scipy()

    def track_speedup_of_auto(self, point, dtype, function):
        return ratio(self.scipy, lambda: pyconv.correlate(self.x, self.w, mode="constant"))

    track_speedup_of_auto.unit = "x"
