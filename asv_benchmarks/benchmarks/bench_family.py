"""The filter family against its anchors: pyconv (workers=2) against OpenCV
(2 threads, the matching border) where OpenCV has the filter, scipy.ndimage
otherwise; the same cases as the family's rows of ``python -m pyconv --opencv``.

``track_ratio`` is pyconv's time over the anchor's, measured alternately in
one process (lower is better; targets in docs/dev/performance_notes.rst).
pyconv's result is checked against scipy.ndimage (computed in float64)
before anything is timed. Needs opencv-python-headless (the bench extra);
asv skips the suite without it, and on commits before the family existed.
"""

import numpy as np

import pyconv

from .common import array, opencv, ratio

SCALE = 1.0  # tests/test_asv_benchmarks.py shrinks the data

# name: (pyconv function, its second argument, input shape, dtype, keywords)
CASES = {
    "gaussian_filter 2048^2 float32, sigma 3": ("gaussian_filter", 3.0, (2048, 2048),
                                                np.float32, {}),
    "uniform_filter 2048^2 float32, size 15": ("uniform_filter", 15, (2048, 2048),
                                               np.float32, {}),
    "sobel 2048^2 float32, axis 0": ("sobel", 0, (2048, 2048), np.float32, {}),
    "gaussian_filter 128^3 float32, sigma 2": ("gaussian_filter", 2.0, (128, 128, 128),
                                               np.float32, {}),
    "gaussian_filter 2048^2 float64, sigma 8": ("gaussian_filter", 8.0, (2048, 2048),
                                                np.float64, {}),
}
PYRAMID = "2-D 2048^2 float32, 5x5 binomial, stride 2, mirror"  # a pyramid level
# In the order of the command's table.
NAMES = (*list(CASES)[:4], PYRAMID, list(CASES)[4])


def _shape(shape):
    return tuple(max(16, int(n * SCALE)) for n in shape)


def _anchor(function, argument, x):
    """OpenCV's counterpart of the call, or scipy.ndimage's."""
    cv2 = opencv()
    reflect = cv2.BORDER_REFLECT
    if x.ndim == 2 and x.dtype == np.float32:
        if function == "gaussian_filter":
            taps = 2 * int(4 * argument + 0.5) + 1
            return lambda: cv2.GaussianBlur(x, (taps, taps), argument, borderType=reflect)
        if function == "uniform_filter":
            return lambda: cv2.blur(x, (argument, argument), borderType=reflect)
        if function == "sobel":
            return lambda: cv2.Sobel(x, cv2.CV_32F, 0, 1, ksize=3, borderType=reflect)
    import scipy.ndimage as ndi

    return lambda: getattr(ndi, function)(x, argument)


class FamilyVsAnchor:
    params = [list(NAMES)]
    param_names = ["case"]
    timeout = 180

    def setup(self, name):
        if not hasattr(pyconv, "gaussian_filter"):
            raise NotImplementedError("this pyconv has no filter family")
        opencv().setNumThreads(2)
        if name == PYRAMID:
            x = array(_shape((2048, 2048)), np.float32)
            k = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16
            weights = np.outer(k, k)
            self.ours = lambda: pyconv.correlate(x, weights, mode="mirror", stride=2,  # noqa: E731
                                                 workers=2)
            self.anchor = lambda: opencv().pyrDown(x)  # noqa: E731
            expected = self.anchor()
        else:
            function, argument, shape, dtype, keywords = CASES[name]
            x = array(_shape(shape), dtype)
            call = getattr(pyconv, function)
            self.ours = lambda: call(x, argument, workers=2, **keywords)  # noqa: E731
            self.anchor = _anchor(function, argument, x)
            import scipy.ndimage as ndi

            expected = getattr(ndi, function)(x.astype(np.float64), argument, **keywords)
        ours = self.ours()
        error = float(np.max(np.abs(ours - expected)))
        if ours.shape != expected.shape or not error <= 1e-4 * max(1.0, np.abs(expected).max()):
            raise ValueError(f"{name}: pyconv differs from the reference by {error}")

    def track_ratio(self, name):
        return ratio(self.ours, self.anchor)

    track_ratio.unit = "pyconv / anchor"
