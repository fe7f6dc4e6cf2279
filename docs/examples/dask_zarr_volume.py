"""
Filtering a volume larger than memory with dask
================================================

A 3-D volume is written to a chunked `zarr <https://zarr.dev>`_ store, then
filtered chunk by chunk on a ``dask.distributed`` cluster of worker
processes: pyconv builds a lazy dask array, and writing it to another zarr
store computes it one block at a time, so memory holds a few chunks, never
the volume.

What it writes, and where: three zarr stores, ``volume.zarr`` (the input),
``smoothed.zarr`` (the filtered volume, as large as the input) and
``half.zarr`` (half resolution, an eighth of it), in a temporary folder that
is deleted at the end (under the system's temporary directory, ``$TMPDIR``
or ``/tmp``), or in the folder given as ``--workdir``, which is kept. By
default the volume is 128 x 512 x 512 float32 (128 MiB), about 270 MiB
written in all; the script prints the amount and the folder before it
starts.

``FULL_SHAPE`` below is the size the example is meant for:
1024 x 2048 x 2048 float32, 16 GiB, more than the development machine's
memory, and about **34 GiB written** in all. Run it with ``--full`` only
where there is that much free disk space. The test suite runs this script
with a tiny shape. Run it yourself with ``python dask_zarr_volume.py`` (it
needs ``pip install "dask[array,distributed]" zarr``) and open the dashboard
link it prints to watch the tasks.

This file is shown, not run, when the documentation is built.
"""

# sphinx_gallery_thumbnail_path = "generated/dask_zarr_volume_thumb.png"

import argparse
import tempfile
from pathlib import Path

import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster

import pyconv

# The volume's shape by default: 128 MiB of float32; with the two results,
# about 270 MiB written.
SHAPE = (128, 512, 512)
# The full size (``--full``): 16 GiB of float32, about 34 GiB written.
FULL_SHAPE = (1024, 2048, 2048)


def written_bytes(shape):
    """Bytes the three stores hold (before compression): the volume, the
    smoothed volume and the half-resolution one."""
    half = [-(-n // 2) for n in shape]
    return 4 * (2 * int(np.prod(shape)) + int(np.prod(half)))


def main(shape, chunks, workdir):
    workdir = Path(workdir)
    print(f"writing about {written_bytes(shape) / 2**20:,.0f} MiB of zarr "
          f"stores to {workdir}")
    # 1. A synthetic volume, generated lazily and stored chunk by chunk.
    volume = da.random.default_rng(0).standard_normal(shape, chunks=chunks,
                                                      dtype=np.float32)
    volume.to_zarr(str(workdir / "volume.zarr"), overwrite=True)

    # 2. Worker processes, one thread each; each task runs pyconv on one
    #    OpenMP thread, so tasks and threads do not fight over the cores.
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster, \
            Client(cluster) as client:
        print("dashboard:", client.dashboard_link)

        stored = da.from_zarr(str(workdir / "volume.zarr"))
        # A 3-D smoothing kernel: a small Gaussian along every axis.
        taps = np.exp(-0.5 * np.linspace(-2, 2, 5) ** 2)
        kernel = np.einsum("i,j,k->ijk", taps, taps, taps)
        kernel /= kernel.sum()
        smoothed = pyconv.correlate(stored, kernel, mode="nearest")  # lazy
        # And a strided copy at half resolution, as a pyramid level would be.
        half = pyconv.correlate(stored, kernel, mode="nearest", stride=2)

        # 3. Writing computes block by block, on the workers.
        da.to_zarr(smoothed, str(workdir / "smoothed.zarr"), overwrite=True)
        da.to_zarr(half, str(workdir / "half.zarr"), overwrite=True)

    # 4. Check one corner against the in-memory call on the same data.
    corner = tuple(slice(0, min(n, 24)) for n in shape)
    near = np.asarray(da.from_zarr(str(workdir / "volume.zarr"))[corner])
    expected = pyconv.correlate(near, kernel, mode="nearest")[
        tuple(slice(0, max(1, n - 4)) for n in near.shape)]
    result = np.asarray(da.from_zarr(str(workdir / "smoothed.zarr"))[
        tuple(slice(0, max(1, n - 4)) for n in near.shape)])
    error = float(np.max(np.abs(result - expected)))
    print(f"smoothed {smoothed.shape}, half {half.shape}; max error in a corner {error:.1e}")
    return error


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=SHAPE,
                        help="the volume's shape (default: %(default)s)")
    parser.add_argument("--full", action="store_true",
                        help=f"the full size, {FULL_SHAPE}: about 34 GiB written")
    parser.add_argument("--chunks", type=int, default=128)
    parser.add_argument("--workdir", default=None,
                        help="where the zarr stores go, kept afterwards (default: a "
                             "temporary folder, deleted at the end)")
    args = parser.parse_args()
    shape = FULL_SHAPE if args.full else tuple(args.shape)
    if args.workdir:
        main(shape, args.chunks, args.workdir)
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(shape, args.chunks, folder)
