"""Across the direct/FFT crossover: how well ``method="auto"`` chooses, the
FFT's memory, and pyconv against the fastest of scipy's ways on the same
data.

``track_auto_over_best`` is the acceptance figure: auto's time over the
faster method's, in one process (1.0 is perfect; the target is <= 1.25 at
90% of tools/calibrate_plan.py's grid and <= 2 at all its points). The
points here sit on both sides of the crossover, a few of that grid's.
"""

import pyconv

from .common import array, best_of, fastest, kernel, peak_memory, ratio

# name: (shape, taps per axis, dtype)
POINTS = {
    "1d-200k-k128-float64": ((200_000,), 128, "float64"),
    "1d-200k-k512-float32": ((200_000,), 512, "float32"),
    "2d-512-k21-float64": ((512, 512), 21, "float64"),
    "3d-64-k9-float32": ((64, 64, 64), 9, "float32"),
}


def _data(point):
    shape, taps, dtype = POINTS[point]
    return array(shape, dtype), kernel(taps, len(shape))


class Crossover:
    """How well auto chooses at each point (it, direct and FFT timed in one
    process), and the FFT's peak memory (its tiles' scratch; the direct
    method's is bench_filters.Correlate's)."""

    params = [list(POINTS)]
    param_names = ["point"]
    timeout = 120

    def setup(self, point):
        self.x, self.w = _data(point)

    def _correlate(self, method):
        return pyconv.correlate(self.x, self.w, method=method, mode="constant")

    def track_auto_over_best(self, point):
        """auto's time over the faster method's (1.0: auto chose the faster;
        which it chose: ``pyconv.choose_method``, or ``python -m pyconv
        --sweep``)."""
        times = {m: best_of(lambda m=m: self._correlate(m)) for m in ("direct", "fft", "auto")}
        return times["auto"] / min(times["direct"], times["fft"])

    track_auto_over_best.unit = "ratio"

    def track_peak_memory_fft(self, point):
        """(input + peak) / (input + output) of the FFT: its tiles' scratch."""
        return peak_memory(lambda: self._correlate("fft"), self.x.nbytes)

    track_peak_memory_fft.unit = "x (input + output)"


class Scipy:
    """pyconv (``method="auto"``) against the fastest of scipy's ways to the
    same result: scipy.ndimage.correlate, and scipy.signal's oaconvolve and
    fftconvolve ('same' output, kernel reversed)."""

    params = [list(POINTS)]
    param_names = ["point"]
    timeout = 180

    def setup(self, point):
        import scipy.ndimage as ndi
        import scipy.signal  # (only here: the slowest of scipy's imports)

        self.x, self.w = _data(point)
        flipped = self.w[(slice(None, None, -1),) * self.w.ndim]
        self.scipy = (
            lambda: ndi.correlate(self.x, self.w, mode="constant"),
            lambda: scipy.signal.oaconvolve(self.x, flipped, mode="same"),
            lambda: scipy.signal.fftconvolve(self.x, flipped, mode="same"),
        )

    def track_speedup_over_fastest_scipy(self, point):
        """scipy's fastest time over pyconv's: one timed call of each of
        scipy's ways picks the fastest, then it and pyconv are timed
        alternately."""
        return ratio(fastest(self.scipy),
                     lambda: pyconv.correlate(self.x, self.w, mode="constant"))

    track_speedup_over_fastest_scipy.unit = "x"
