"""The OpenCV table of ``python -m pyconv --opencv``: pyconv (workers=2)
against OpenCV (2 threads, the matching border) or scipy where OpenCV has
no counterpart.

``track_ratio`` is pyconv's time over the anchor's, measured alternately in
one process (lower is better; the targets are in
docs/dev/performance_notes.rst). ``python -m pyconv --opencv`` prints the same table
with each time against this machine's floor; this suite keeps its own copy
of the cases (pyconv's public API only), so it runs on any commit.

Each case's data is made only in the process that times it, and pyconv's
result is checked against the anchor's (or the case's check) before
anything is timed. Needs opencv-python-headless (in the bench extra); asv
skips the suite without it.
"""

import numpy as np

import pyconv

from .common import array, fastest, kernel, opencv, ratio

SCALE = 1.0  # tests/test_asv_benchmarks.py shrinks the data

# cv2's border for each scipy mode.
BORDERS = {"reflect": "BORDER_REFLECT", "mirror": "BORDER_REFLECT_101",
           "nearest": "BORDER_REPLICATE", "constant": "BORDER_CONSTANT"}

NAMES = (
    "2-D 2048^2 float32, 3x3, reflect",
    "2-D 2048^2 float64, 7x7, reflect",
    "2-D 2048^2 float32, 15x15, reflect",
    "2-D 2048^2 float32, 15x15 Gaussian (2-D kernel)",
    "1-D 10^7 float64, 31 taps, reflect",
    "1-D 10^7 float64, 1025 taps, constant",
    "3-D 64x256x256 float32, 3x3x3, reflect",
    "3-D 128^3 float64, 5x5x5, nearest",
    "2-D 4096^2 float32, 3x3, stride 2, constant",
    "2-D 2048^2 float32, 3x3, dilation 2, constant",
    "2-D 1024^2 float64, 63x63, constant",
    "2-D 4096^2 uint8, 3x3 box, reflect",
)


def _n(value):
    return max(16, int(value * SCALE))


def case(name):
    """(x, w, kwargs for pyconv.correlate, anchor, check) for one case of
    NAMES; anchor and check are zero-argument functions (check None: the
    anchor's result is what pyconv's must equal)."""
    cv2 = opencv()

    def filter2d(x, w, mode):
        border = getattr(cv2, BORDERS[mode])
        w = np.asarray(w, dtype=x.dtype)
        if x.ndim == 1:  # a 1xN image; its result viewed as the signal again
            return lambda: cv2.filter2D(x[None], -1, w[None], borderType=border)[0]
        return lambda: cv2.filter2D(x, -1, w, borderType=border)

    def fftconvolve(x, w):
        import scipy.signal  # (only here: the slowest of scipy's imports)

        return lambda: scipy.signal.fftconvolve(x, w[(slice(None, None, -1),) * w.ndim],
                                                mode="same")

    def ndimage(x, w, mode):
        import scipy.ndimage as ndi

        return lambda: ndi.correlate(x, w, mode=mode)

    def image(dtype, side=2048):
        return array((_n(side), _n(side)), dtype)

    if name == "2-D 2048^2 float32, 3x3, reflect":
        x, w = image(np.float32), kernel(3, 2)
        return x, w, {"mode": "reflect"}, filter2d(x, w, "reflect"), None
    if name == "2-D 2048^2 float64, 7x7, reflect":
        x, w = image(np.float64), kernel(7, 2)
        return x, w, {"mode": "reflect"}, filter2d(x, w, "reflect"), None
    if name == "2-D 2048^2 float32, 15x15, reflect":
        x, w = image(np.float32), kernel(15, 2)
        return x, w, {"mode": "reflect"}, filter2d(x, w, "reflect"), None
    if name == "2-D 2048^2 float32, 15x15 Gaussian (2-D kernel)":
        x = image(np.float32)
        g = np.exp(-0.5 * ((np.arange(15) - 7) / 2.5) ** 2)
        g /= g.sum()
        g32 = g.astype(np.float32)
        return (x, np.outer(g, g), {"mode": "reflect"},
                lambda: cv2.sepFilter2D(x, -1, g32, g32, borderType=cv2.BORDER_REFLECT), None)
    if name == "1-D 10^7 float64, 31 taps, reflect":
        x, w = array(_n(10_000_000), np.float64), kernel(31, 1)
        return x, w, {"mode": "reflect"}, filter2d(x, w, "reflect"), None
    if name == "1-D 10^7 float64, 1025 taps, constant":
        x, w = array(_n(10_000_000), np.float64), kernel(1025 if SCALE >= 1 else 65, 1)
        return x, w, {"mode": "constant"}, filter2d(x, w, "constant"), None
    if name == "3-D 64x256x256 float32, 3x3x3, reflect":
        x, w = array((_n(64), _n(256), _n(256)), np.float32), kernel(3, 3)
        check = ndimage(x, w, "reflect")
        # The anchor: the faster of scipy's two ways here.
        anchor = fastest((check, fftconvolve(x, w)))
        return x, w, {"mode": "reflect"}, anchor, check
    if name == "3-D 128^3 float64, 5x5x5, nearest":
        x, w = array((_n(128),) * 3, np.float64), kernel(5, 3)
        return x, w, {"mode": "nearest"}, fftconvolve(x, w), ndimage(x, w, "nearest")
    if name == "2-D 4096^2 float32, 3x3, stride 2, constant":
        x, w = image(np.float32, 4096), kernel(3, 2)
        full = filter2d(x, w, "constant")
        return x, w, {"mode": "constant", "stride": 2}, lambda: full()[::2, ::2], None
    if name == "2-D 2048^2 float32, 3x3, dilation 2, constant":
        x, w = image(np.float32), kernel(3, 2)
        zero_filled = np.zeros((5, 5))
        zero_filled[::2, ::2] = w
        return (x, w, {"mode": "constant", "dilation": 2},
                filter2d(x, zero_filled, "constant"), None)
    if name == "2-D 1024^2 float64, 63x63, constant":
        x, w = image(np.float64, 1024), kernel(63 if SCALE >= 1 else 15, 2)
        return x, w, {"mode": "constant"}, filter2d(x, w, "constant"), None
    if name == "2-D 4096^2 uint8, 3x3 box, reflect":
        x = image(np.uint8, 4096)
        return (x, np.full((3, 3), 1 / 9), {"mode": "reflect"},
                lambda: cv2.blur(x, (3, 3), borderType=cv2.BORDER_REFLECT), None)
    raise KeyError(name)


def max_difference(a, b):
    """max |a - b|, without a float64 copy of large float32 or integer arrays."""
    if a.dtype.kind in "iu":
        a = a.astype(np.int16)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def tolerance(x, w, out):
    """Rounding of a sum in the working precision (integers: one unit)."""
    if out.dtype.kind in "iu":
        return 1.0
    eps = np.finfo(out.dtype).eps
    return float((w.size + 2) * eps * np.abs(w).sum() * np.abs(x).max())


class VsOpenCV:
    params = [list(NAMES)]
    param_names = ["case"]
    timeout = 180

    def setup(self, name):
        opencv().setNumThreads(2)
        self.x, self.w, self.kwargs, self.anchor, check = case(name)
        # Checked equal before anything is timed.
        ours = self._pyconv()
        expected = self.anchor()
        if check is not None:
            expected = check()
        if ours.shape != expected.shape:
            raise ValueError(f"{name}: pyconv's shape {ours.shape}, the anchor's "
                             f"{expected.shape}")
        error = max_difference(ours, expected)
        if not error <= tolerance(self.x, self.w, ours):
            raise ValueError(f"{name}: pyconv and the anchor differ by {error}")

    def _pyconv(self):
        return pyconv.correlate(self.x, self.w, workers=2, **self.kwargs)

    def track_ratio(self, name):
        return ratio(self._pyconv, self.anchor)

    track_ratio.unit = "pyconv / anchor"
