"""The performance issue's table: pyconv (workers=2) against OpenCV (2 threads,
the matching border) or scipy where OpenCV has no counterpart. The cases,
their checks and anchors live in pyconv._vs_opencv (also behind
``python -m pyconv --opencv``); ``track_ratio`` is pyconv's time over the
anchor's, measured side by side in one process (lower is better; the issue's
targets are in docs/performance.rst)."""

import numpy as np

import pyconv
from pyconv._vs_opencv import NAMES

from .common import ratio

SCALE = 1.0  # tests/test_asv_benchmarks.py shrinks the data


def _table():
    try:
        from pyconv import _vs_opencv

        _vs_opencv.import_cv2()
    except ImportError:  # asv skips a benchmark whose setup raises this
        raise NotImplementedError("needs opencv-python-headless (pyconv[bench])") from None
    return _vs_opencv


class VsOpenCV:
    params = [list(NAMES)]
    param_names = ["case"]
    timeout = 300

    def setup(self, name):
        table = _table()
        cv2 = table.import_cv2()
        cv2.setNumThreads(2)
        by_name = {case.name: case for case in table.cases(SCALE)}
        self.case = by_name[name]
        self.anchor = table._anchor_function(self.case)
        # Checked equal before anything is timed.
        ours = self._pyconv()
        expected = (self.case.check or self.anchor)()
        error = np.max(np.abs(ours.astype(np.float64) - expected.astype(np.float64)))
        if not error <= table.tolerance(self.case, ours):
            raise ValueError(f"{name}: pyconv and the anchor differ by {error}")

    def _pyconv(self):
        return pyconv.correlate(self.case.x, self.case.w, workers=2, **self.case.kwargs)

    def time_pyconv(self, name):
        self._pyconv()

    def time_anchor(self, name):
        self.anchor()

    def track_ratio(self, name):
        return ratio(self._pyconv, self.anchor, runs=15)

    track_ratio.unit = "pyconv / anchor"

    def peakmem_pyconv(self, name):
        self._pyconv()
