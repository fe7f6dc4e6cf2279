"""The FFT method: overlap-save in tiles, on scipy.fft.

Scheme
------
Along each filtered axis the output is cut into *tiles* of ``useful``
outputs; a tile reads ``transform`` input positions starting at
``tile * useful * stride - before`` (its window plus the kernel's halo).
Those positions go through the boundary rule (``extend_indices``, the one
the direct kernel inlines), so every mode is exact at any distance past the
edge and only the halo the kernel needs is ever extended.

For a transform length N >= positions read, the circular correlation of a
tile with the (dilated, reversed) kernel equals the linear one at the points
we keep, ``span + j * stride`` (overlap-save): no tile needs its neighbours.
Tiles are gathered a *box* at a time -- a group of tiles (and of batch
indices) bounded in size, so memory stays bounded however long the input --
and transformed together: real data with ``rfftn``/``irfftn``, complex with
``fftn``/``ifftn``, float32 kept in single precision by scipy.fft, ``workers``
passed on. The inverse runs axis by axis and keeps only the strided, valid
points after each axis, so later axes transform less.

A single tile per axis when the whole axis fits one transform cheaply; the
tile length otherwise minimises N log N per useful output.
"""

from dataclasses import dataclass

import numpy as np
import scipy.fft as sfft

from pyconv._boundary import extend_indices

# Elements gathered per box. Measured on the development machine (1-D, 10**7
# samples, 1025 taps, 2 workers): 2**20 is as fast as 2**21 or 2**22 and
# faster than 2**19; the peak scratch is about 3 arrays of a box (see
# _plan.fft_memory), 24 MiB in float64.
BOX_ELEMENTS = 1 << 20


@dataclass(frozen=True)
class FftAxis:
    """How one filtered axis is cut into tiles."""

    axis: int  # input axis
    length: int  # n
    span: int  # dilation * (taps - 1)
    stride: int
    before: int
    mode: int
    out_len: int
    transform: int  # N: positions per tile (the transform length)
    useful: int  # outputs per tile
    tiles: int


@dataclass(frozen=True)
class FftPlan:
    axes: tuple  # FftAxis per filtered axis, in input-axis order
    real: bool  # rfftn/irfftn (real data and weights)
    box: tuple  # units per box along each input axis (batch: indices, filtered: tiles)
    box_elements: int  # elements gathered per (full) box
    work_elements: int  # sum over boxes of elements * log2(transform size)


def _fast_length(n, real):
    return sfft.next_fast_len(int(n), real=real)


def _tile_length(span, stride, out_len, real):
    """(transform, useful) for one axis: least N log N per useful output."""
    needed = (out_len - 1) * stride + span + 1
    whole = _fast_length(needed, real)
    best = (whole * np.log2(max(whole, 2)) / out_len, whole, out_len)
    multiple = 2
    while True:
        transform = _fast_length(multiple * (span + 1) + stride, real)
        if transform >= whole:
            break
        useful = (transform - span - 1) // stride + 1
        tiles = -(-out_len // useful)
        cost = tiles * transform * np.log2(transform) / out_len
        if cost < best[0]:
            best = (cost, transform, useful)
        multiple *= 2 if multiple < 8 else 1.5
    return best[1], best[2]


def plan(problem):
    """The tiling of `problem` (a checked Problem with at least one filtered axis)."""
    x = problem.input
    weights = problem.weights
    real = problem.work_dtype.kind != "c"
    axes = []
    for a in range(x.ndim):
        taps = weights.shape[a]
        span = problem.dilation[a] * (taps - 1)
        if span == 0 and problem.before[a] == problem.after[a] == 0 and problem.stride[a] == 1:
            continue  # a batch axis (or a 1-tap one, the same thing): rides along
        out_len = problem.output.shape[a]
        transform, useful = _tile_length(span, problem.stride[a], out_len, real)
        axes.append(FftAxis(a, x.shape[a], span, problem.stride[a], problem.before[a],
                            problem.mode[a], out_len, transform, useful,
                            -(-out_len // useful)))
    by_axis = {fa.axis: fa for fa in axes}

    # Box: C-order blocking of the units (batch indices, tiles), so that a
    # gathered box holds at most BOX_ELEMENTS (or one unit, if that is more).
    unit_size = [by_axis[a].transform if a in by_axis else 1 for a in range(x.ndim)]
    unit_count = [by_axis[a].tiles if a in by_axis else x.shape[a] for a in range(x.ndim)]
    box = [1] * x.ndim
    inner = 1
    for a in reversed(range(x.ndim)):
        box[a] = min(unit_count[a], max(1, BOX_ELEMENTS // (inner * unit_size[a])))
        inner *= box[a] * unit_size[a]
        if box[a] < unit_count[a]:
            break  # earlier axes: one unit per box
    box_elements = int(np.prod([b * u for b, u in zip(box, unit_size, strict=True)],
                               dtype=np.int64))
    n_boxes = int(np.prod([-(-c // b) for c, b in zip(unit_count, box, strict=True)],
                          dtype=np.int64))
    transform_size = int(np.prod([fa.transform for fa in axes], dtype=np.int64))
    work = n_boxes * box_elements * max(1.0, np.log2(max(transform_size, 2)))
    return FftPlan(tuple(axes), real, tuple(box), box_elements, int(work))


def _kernel_spectrum(problem, fft_plan, layout_ndim, n_positions, transforms, real, workers):
    """The dilated, reversed kernel, zero-padded to the tile grid, transformed."""
    weights = problem.weights
    grid = [1] * layout_ndim
    index = [0] * layout_ndim
    for fa in fft_plan.axes:
        grid[n_positions[fa.axis]] = fa.transform
        taps = weights.shape[fa.axis]
        # Reversed and dilated: tap t lands at span - t * dilation.
        index[n_positions[fa.axis]] = fa.span - np.arange(taps) * problem.dilation[fa.axis]
    padded = np.zeros(grid, dtype=problem.work_dtype)
    shape = [1] * layout_ndim
    for fa in fft_plan.axes:
        shape[n_positions[fa.axis]] = weights.shape[fa.axis]
    values = weights.reshape(shape)
    mesh = np.ix_(*[np.atleast_1d(i) for i in index])
    padded[mesh] = values
    if real:
        return sfft.rfftn(padded, axes=transforms, workers=workers)
    return sfft.fftn(padded, axes=transforms, workers=workers)


def _gather(x, problem, fft_plan, box_start, box_stop):
    """The tiles of one box, in the working dtype, each filtered axis split (tiles, N)."""
    by_axis = {fa.axis: fa for fa in fft_plan.axes}
    region = [slice(box_start[a], box_stop[a]) for a in range(x.ndim)]
    takes = {}
    for fa in fft_plan.axes:
        tiles = np.arange(box_start[fa.axis], box_stop[fa.axis])
        index = extend_indices(
            (tiles[:, None] * (fa.useful * fa.stride) - fa.before
             + np.arange(fa.transform)[None, :]).ravel(), fa.length, fa.mode)
        outside = np.flatnonzero(index < 0)
        index[outside] = index.max()  # any position inside; cval is written below
        # Read only the part of the axis this box touches (in place: on a 1-D
        # axis these arrays are as long as the box).
        low = int(index.min())
        region[fa.axis] = slice(low, int(index.max()) + 1)
        index -= low
        takes[fa.axis] = (index, outside)
    block = x[tuple(region)]
    for axis, (index, _) in takes.items():
        block = np.take(block, index, axis=axis)
    block = block.astype(problem.work_dtype, copy=False)
    for axis, (_, outside) in takes.items():
        if outside.size:  # mode 'constant' past an edge, whatever the other axes say
            where = [slice(None)] * x.ndim
            where[axis] = outside
            block[tuple(where)] = problem.cval
    shape = []
    for a in range(x.ndim):
        if a in by_axis:
            shape += [box_stop[a] - box_start[a], by_axis[a].transform]
        else:
            shape.append(block.shape[a])
    return block.reshape(shape)


def _store(values, out):
    """Write working-precision `values` into `out` with the SPEC's conversion.

    The same rule as the direct kernel's store: integers are rounded half to
    even, NaN becomes 0, and values past the type's range saturate.
    """
    if out.dtype.kind in "iu":
        info = np.iinfo(out.dtype)
        rounded = np.rint(values)
        rounded[np.isnan(rounded)] = 0
        high = rounded >= float(info.max)
        low = float(info.min)
        # float(max) may round up (2**63, 2**64): clip just below it, then fix.
        top = float(info.max) if float(info.max) <= info.max else np.nextafter(
            float(info.max), 0.0)
        np.clip(rounded, low, top, out=rounded)
        converted = rounded.astype(out.dtype)
        converted[high] = info.max
        out[...] = converted
    else:
        out[...] = values


def correlate(problem, fft_plan=None):
    """Fill ``problem.output`` by the FFT method and return it."""
    output = problem.output
    if output.size == 0:
        return output
    fft_plan = fft_plan or plan(problem)
    x = problem.input
    target = output
    if np.may_share_memory(output, x):
        target = np.empty_like(output)
    real = fft_plan.real
    workers = problem.n_workers
    by_axis = {fa.axis: fa for fa in fft_plan.axes}

    # Where each input axis lands in a gathered box (filtered axes are split).
    tile_positions, n_positions, position = {}, {}, 0
    for a in range(x.ndim):
        if a in by_axis:
            tile_positions[a], n_positions[a] = position, position + 1
            position += 2
        else:
            position += 1
    layout_ndim = position
    transforms = [n_positions[fa.axis] for fa in fft_plan.axes]
    spectrum = _kernel_spectrum(problem, fft_plan, layout_ndim, n_positions, transforms,
                                real, workers)

    unit_count = [by_axis[a].tiles if a in by_axis else x.shape[a] for a in range(x.ndim)]
    starts = [range(0, unit_count[a], fft_plan.box[a]) for a in range(x.ndim)]
    for box_start in np.ndindex(*[len(s) for s in starts]):
        start = [starts[a][i] for a, i in enumerate(box_start)]
        stop = [min(start[a] + fft_plan.box[a], unit_count[a]) for a in range(x.ndim)]
        tiles = _gather(x, problem, fft_plan, start, stop)
        if real:
            values = sfft.rfftn(tiles, axes=transforms, workers=workers, overwrite_x=True)
        else:
            values = sfft.fftn(tiles, axes=transforms, workers=workers, overwrite_x=True)
        del tiles
        values *= spectrum
        # Inverse axis by axis, keeping only the strided valid points each time.
        for i, fa in enumerate(fft_plan.axes):
            axis = n_positions[fa.axis]
            last = i == len(fft_plan.axes) - 1
            if last and real:
                values = sfft.irfft(values, n=fa.transform, axis=axis, workers=workers,
                                    overwrite_x=True)
            else:
                values = sfft.ifft(values, axis=axis, workers=workers, overwrite_x=True)
            keep = [slice(None)] * layout_ndim
            keep[axis] = slice(fa.span, fa.span + (fa.useful - 1) * fa.stride + 1, fa.stride)
            values = values[tuple(keep)]
        # Merge (tiles, useful) back into one axis, crop the last tile's excess.
        merged, region = [], []
        for a in range(x.ndim):
            if a in by_axis:
                fa = by_axis[a]
                merged.append((stop[a] - start[a]) * fa.useful)
                first = start[a] * fa.useful
                last = min(stop[a] * fa.useful, fa.out_len)
                region.append(slice(first, last))
            else:
                merged.append(stop[a] - start[a])
                region.append(slice(start[a], stop[a]))
        values = values.reshape(merged)
        crop = tuple(slice(0, r.stop - r.start) for r in region)
        _store(values[crop], target[tuple(region)])
    if target is not output:
        output[...] = target
    return output

