"""``python -m pyconv --sweep``: the direct method, the FFT method and
scipy.ndimage across kernel sizes (1-D and 2-D, float64, mode='constant'),
where pyconv's choice between its two methods can be seen."""

from dataclasses import dataclass

import numpy as np
import scipy.ndimage as ndi

import pyconv
from pyconv.bench._timing import best_times
from pyconv.bench.scipy_table import tolerance


@dataclass
class SweepPoint:
    signal: str  # "1-D" or "2-D"
    taps: int  # per axis
    direct_seconds: float
    fft_seconds: float
    scipy_seconds: float
    auto_method: str
    max_error: float  # direct against fft against scipy.ndimage, worst pair
    passed: bool


def sweep(workers, budget, rng, quick=False):
    """A SweepPoint for each signal and kernel size."""
    signals = {
        "1-D": ((50_000 if quick else 200_000,), [3, 7, 15, 31, 63, 127, 255, 511, 1023]),
        "2-D": ((128, 128) if quick else (256, 256), [3, 5, 9, 15, 25, 41, 63]),
    }
    points = []
    for signal, (shape, taps_list) in signals.items():
        x = rng.standard_normal(shape)
        for taps in taps_list:
            w = rng.standard_normal((taps,) * len(shape))
            points.append(_point(signal, x, w, workers, budget))
    return points


def _point(signal, x, w, workers, budget):
    def run(method):
        return pyconv.correlate(x, w, method=method, workers=workers, mode="constant")

    def reference():
        return ndi.correlate(x, w, mode="constant")

    results = [run("direct"), run("fft"), reference()]
    error = max(float(np.max(np.abs(a - b))) for a in results for b in results)
    passed = error <= tolerance(x, w, x.dtype)
    direct, fft = best_times(lambda: run("direct"), lambda: run("fft"), budget)
    # scipy.ndimage is slow at large kernels: a few calls are enough.
    _, scipy_time = best_times(lambda: run("auto"), reference, budget, min_runs=2, max_runs=3)
    auto = pyconv.choose_method(x, w, workers=workers, mode="constant")
    return SweepPoint(signal, w.shape[0], direct, fft, scipy_time, auto, error, passed)


def format_sweep(points):
    """The sweep as a text table; the speed-up is scipy's time over pyconv's
    with the method it chooses itself."""
    lines = ["signal  taps   direct      fft    scipy  auto    direct/fft  speed-up (auto)"]
    for p in points:
        if not p.passed:
            lines.append(f"{p.signal:6s} {p.taps:5d}  FAILED (max error {p.max_error:.1e})")
            continue
        auto = p.direct_seconds if p.auto_method == "direct" else p.fft_seconds
        lines.append(f"{p.signal:6s} {p.taps:5d} {p.direct_seconds * 1e3:7.2f}ms "
                     f"{p.fft_seconds * 1e3:7.2f}ms {p.scipy_seconds * 1e3:7.1f}ms  "
                     f"{p.auto_method:6s} {p.direct_seconds / p.fft_seconds:9.2f}  "
                     f"{p.scipy_seconds / auto:10.1f}x")
    return "\n".join(lines)
