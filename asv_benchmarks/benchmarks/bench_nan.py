"""Missing data: ``nan_policy="omit"`` at workers=2 against its anchors, as
``python -m pyconv --nan`` times it (this suite keeps its own copy of the
cases, pyconv's public API only, so it runs on any commit that has
nan_policy).

``track_ratio`` is omit's median time over the anchor's, the two called in
turn in one process: astropy's ``convolve(nan_treatment="interpolate")``
(asv skips that case without astropy), pyconv's plain call on the same data
with NaN set to 0. Each case is checked before it is timed.
``track_peak_memory`` is the filter case's peak memory over input + output
(no mask array, no full-size temporary: about 1).
"""

import numpy as np

import pyconv

from .common import median_ratio, peak_memory

SCALE = 1.0  # tests/test_asv_benchmarks.py shrinks the data
MISSING_FRACTION = 0.05
CALLS, BUDGET = 15, 3.0

NAMES = (
    "9x9 Gaussian 1024^2 float64, constant NaN outside, vs astropy",
    "9x9 Gaussian 1024^2 float64, constant NaN outside, vs plain correlate",
    "gaussian_filter 2048^2 float32, sigma 3, vs plain gaussian_filter",
)


def _gappy(side, dtype):
    rng = np.random.default_rng(0)
    side = max(32, int(side * SCALE))
    x = rng.standard_normal((side, side)).astype(dtype)
    x[rng.random(x.shape) < MISSING_FRACTION] = np.nan
    return x


def _gaussian_9x9():
    t = np.arange(9) - 4
    g = np.exp(-0.5 * (t / 2.0) ** 2)
    return np.outer(g, g) / np.outer(g, g).sum()


def case(name):
    """(omit, anchor, reference): zero-argument functions; `reference` gives
    what omit must equal (to rounding)."""
    if name.startswith("9x9"):
        x, w = _gappy(1024, np.float64), _gaussian_9x9()

        def omit():
            return pyconv.correlate(x, w, mode="constant", cval=np.nan, nan_policy="omit",
                                    workers=2)

        if name.endswith("astropy"):
            try:
                from astropy.convolution import convolve
            except ImportError:
                raise NotImplementedError("needs astropy") from None

            def anchor():  # (a symmetric kernel: astropy's flip does nothing)
                return convolve(x, w, boundary="fill", fill_value=np.nan,
                                nan_treatment="interpolate", normalize_kernel=True)

            return omit, anchor, anchor
        zeroed = np.where(np.isnan(x), 0.0, x)

        def plain():
            return pyconv.correlate(zeroed, w, mode="constant", workers=2)

        def by_hand():
            with np.errstate(invalid="ignore"):
                return plain() / pyconv.correlate(1.0 * ~np.isnan(x), w, mode="constant")

        return omit, plain, by_hand
    x = _gappy(2048, np.float32)

    def omit():
        return pyconv.gaussian_filter(x, 3.0, nan_policy="omit", workers=2)

    def plain():
        return pyconv.gaussian_filter(x, 3.0, workers=2)

    def by_hand():
        present = ~np.isnan(x)
        return (pyconv.gaussian_filter(np.where(present, x, 0).astype(np.float64), 3.0)
                / pyconv.gaussian_filter(1.0 * present, 3.0))

    return omit, plain, by_hand


class NanPolicyOmit:
    params = [list(NAMES)]
    param_names = ["case"]
    timeout = 180

    def setup(self, name):
        self.omit, self.anchor, reference = case(name)
        ours, expected = self.omit(), reference()
        if not np.array_equal(np.isnan(ours), np.isnan(expected)):
            raise ValueError(f"{name}: omit's missing outputs differ from the reference's")
        inside = ~np.isnan(expected)
        tolerance = 1e-4 if ours.dtype == np.float32 else 1e-10
        if not np.allclose(ours[inside], expected[inside], rtol=tolerance, atol=tolerance):
            raise ValueError(f"{name}: omit differs from the reference")

    def track_ratio(self, name):
        return median_ratio(self.omit, self.anchor, CALLS, BUDGET)

    track_ratio.unit = "omit / anchor"


class NanPolicyOmitMemory:
    """The peak memory of the filter case's omit (one case: the quick pass
    starts a process per case and benchmark)."""

    timeout = 120

    def setup(self):
        self.omit = case(NAMES[2])[0]

    def track_peak_memory(self):
        result = self.omit()
        return peak_memory(self.omit, result.nbytes)

    track_peak_memory.unit = "(input + peak) / (input + output)"
