"""pyconv on dask arrays against dask_image.ndfilters.correlate: same data,
same chunks, same scheduler and worker count (the threaded scheduler, 2)."""

import numpy as np

import pyconv

from .common import ratio

# (shape, chunks, taps per axis, dtype)
CASES = {
    "2d-8192-chunks2048-5x5-float32": ((8192, 8192), (2048, 2048), 5, "float32"),
    "3d-256-chunks64-3x3x3-float32": ((256, 256, 256), (64, 64, 64), 3, "float32"),
}


def _modules():
    try:
        import dask.array as da
        from dask_image.ndfilters import correlate as dask_image_correlate
    except ImportError:  # asv skips a benchmark whose setup raises this
        raise NotImplementedError("needs dask[array] and dask-image") from None
    return da, dask_image_correlate


class DaskCorrelate:
    params = (list(CASES), ["reflect", "constant"])
    param_names = ["case", "mode"]
    timeout = 600

    def setup(self, case, mode):
        da, self.dask_image_correlate = _modules()
        shape, chunks, taps, dtype = CASES[case]
        rng = np.random.default_rng(0)
        self.x = da.from_array(rng.standard_normal(shape).astype(dtype), chunks=chunks)
        self.w = rng.standard_normal((taps,) * len(shape))

    def _pyconv(self, mode):
        return pyconv.correlate(self.x, self.w, mode=mode).sum().compute(
            scheduler="threads", num_workers=2)

    def _dask_image(self, mode):
        return self.dask_image_correlate(self.x, self.w, mode=mode).sum().compute(
            scheduler="threads", num_workers=2)

    def time_pyconv(self, case, mode):
        self._pyconv(mode)

    def time_dask_image(self, case, mode):
        self._dask_image(mode)

    def peakmem_pyconv(self, case, mode):
        self._pyconv(mode)

    def peakmem_dask_image(self, case, mode):
        self._dask_image(mode)

    def track_speedup_over_dask_image(self, case, mode):
        return ratio(lambda: self._dask_image(mode), lambda: self._pyconv(mode), runs=3)

    track_speedup_over_dask_image.unit = "x"
