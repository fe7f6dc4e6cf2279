"""pyconv on dask arrays against dask's own way with scipy: map_overlap of
scipy.ndimage.correlate over the chunks, each with a halo of half the
kernel, and scipy's boundary mode at the array's edges (what
dask_image.ndfilters.correlate does). Same data, same chunks, same
scheduler and worker count (the threaded scheduler, 2 workers).

Needs dask (its array module; ``pip install "dask[array]"``); asv skips the
suite without it.
"""

import numpy as np

import pyconv

from .common import array, kernel, peak_memory, ratio

# name: (shape, chunks, taps per axis, dtype, mode)
CASES = {
    "2d-2048-chunks512-5x5-float32-reflect": ((2048, 2048), (512, 512), 5, "float32",
                                              "reflect"),
    "3d-128-chunks64-3x3x3-float32-constant": ((128, 128, 128), (64, 64, 64), 3, "float32",
                                               "constant"),
}


def _dask_array():
    try:
        import dask.array as da
    except ImportError:  # asv skips a benchmark whose setup raises this
        raise NotImplementedError("needs dask[array]") from None
    return da


def map_overlap_correlate(x, w, mode):
    """scipy.ndimage.correlate over the chunks of the dask array `x` (odd
    taps): each chunk with a halo from its neighbours, scipy's mode at the
    array's edges (wrap: dask's periodic halo there too)."""
    import scipy.ndimage as ndi  # (here: the memory benchmark's processes skip it)

    return x.map_overlap(ndi.correlate, depth=tuple(k // 2 for k in w.shape),
                         boundary="periodic" if mode == "wrap" else "none", dtype=x.dtype,
                         meta=np.empty((0,) * x.ndim, x.dtype), weights=w, mode=mode)


class DaskCorrelate:
    params = [list(CASES)]
    param_names = ["case"]
    timeout = 120

    def setup(self, case):
        da = _dask_array()
        shape, chunks, taps, dtype, self.mode = CASES[case]
        self.data = array(shape, dtype)
        self.x = da.from_array(self.data, chunks=chunks)
        self.w = kernel(taps, len(shape))

    @staticmethod
    def _compute(result):
        return result.sum().compute(scheduler="threads", num_workers=2)

    def _pyconv(self):
        return self._compute(pyconv.correlate(self.x, self.w, mode=self.mode))

    def _map_overlap(self):
        return self._compute(map_overlap_correlate(self.x, self.w, self.mode))

    def track_peak_memory(self, case):
        """(input + peak) / input while the sum of pyconv's result is
        computed: the chunks and halos in flight."""
        return peak_memory(self._pyconv, self.data.nbytes)

    track_peak_memory.unit = "x input"

    def track_speedup_over_map_overlap(self, case):
        """map_overlap with scipy's time over pyconv's, in one process."""
        return ratio(self._map_overlap, self._pyconv)

    track_speedup_over_map_overlap.unit = "x"
