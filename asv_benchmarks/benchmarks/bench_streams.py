"""Streams: data pushed in chunks through ``pyconv.correlate_stream``,
against the whole-array call on the same data and, in 1-D, against
``scipy.signal.lfilter(b, 1, chunk, zi=...)`` over the same chunks.

Each ``track_`` figure is the stream's time (every push and the finish)
over the anchor's, both timed in turn in one process at workers=2 (lower
is better). Targets: <= 1.25 of the whole call and <= 0.1 of lfilter for
10^7 float64 samples, 31 taps, chunks of 4096; <= 1.3 of the whole call
for 64 frames of 480x640 float32 pushed one at a time through a 5x5x5
kernel. ``python -m pyconv --streams`` prints the same cases.
"""

import numpy as np
from scipy.signal import lfilter

import pyconv

from .common import array, ratio

# name: (data shape, samples per push along axis 0, kernel shape, dtype)
CASES = {
    "1d-1e7-k31-chunks-4096-float64": ((10_000_000,), 4096, (31,), "float64"),
    "video-64x480x640-5x5x5-frames-float32": ((64, 480, 640), 1, (5, 5, 5), "float32"),
}
LFILTER_CASES = {name: case for name, case in CASES.items() if len(case[0]) == 1}
WORKERS = 2


def _data(case):
    shape, chunk, taps, dtype = case
    if not hasattr(pyconv, "correlate_stream"):
        raise NotImplementedError("this pyconv has no streams")
    w = np.random.default_rng(1).standard_normal(taps).astype(dtype)
    return array(shape, dtype), w, chunk


def _stream(x, w, chunk):
    stream = pyconv.correlate_stream(w, axis=0, workers=WORKERS)
    for start in range(0, x.shape[0], chunk):
        stream.push(x[start:start + chunk])
    stream.finish()


def _lfilter(x, w, chunk):
    state = np.zeros(w.size - 1)
    for start in range(0, x.size, chunk):
        _, state = lfilter(w[::-1], 1.0, x[start:start + chunk], zi=state)


class StreamVsWholeCall:
    params = [list(CASES)]
    param_names = ["case"]
    timeout = 180

    def setup(self, case):
        self.x, self.w, self.chunk = _data(CASES[case])

    def track_ratio(self, case):
        return ratio(lambda: _stream(self.x, self.w, self.chunk),
                     lambda: pyconv.correlate(self.x, self.w, workers=WORKERS))

    track_ratio.unit = "ratio"


class StreamVsLfilter:
    params = [list(LFILTER_CASES)]
    param_names = ["case"]
    timeout = 180

    def setup(self, case):
        self.x, self.w, self.chunk = _data(LFILTER_CASES[case])

    def track_ratio(self, case):
        return ratio(lambda: _stream(self.x, self.w, self.chunk),
                     lambda: _lfilter(self.x, self.w, self.chunk))

    track_ratio.unit = "ratio"
