"""pyconv on dask arrays: lazy, block by block, exact at the array's true edges.

Scheme
------
Arguments are checked by the same ``normalize`` as in memory, on a stand-in
that has the input's shape and dtype but no data, so nothing is computed and
nothing large is allocated before the graph exists. Each task runs the
in-memory path itself (``normalize``, then ``_plan.run``): the public
functions in ``_api`` hand dask arrays to this module and are never imported
by it.

Along every filtered axis, the positions the kernel reaches past each edge
are made lazily and concatenated around the array: the *extended* array.
They come through the boundary rule (``extend_indices``, the one the kernels
use) -- values from the far end for wrap, any distance past the edge,
kernels longer than the array -- or, in mode "constant", are cval. When a
constant halo is needed and the input's dtype is not the working one, the
input is cast to the working dtype chunk by chunk first, so cval is never
rounded to an integer dtype (the in-memory kernels convert the same way).

The output is cut into blocks that follow the input's chunks (shifted by half
the kernel's span and divided by the stride). Output block [j0, j1) on an
axis reads extended positions [j0 * stride, (j1 - 1) * stride + span] -- one
slice, so the stride's phase lines up across blocks by construction -- and
each block is one task that assembles that slice from its chunks and runs
pyconv on it with padding "valid". Tasks release the GIL inside pyconv and use
one OpenMP thread each unless ``workers`` says otherwise, so dask's workers
and pyconv's threads do not oversubscribe the cores.
"""

import sys

import numpy as np

from pyconv import _plan
from pyconv._boundary import Mode, extend_indices
from pyconv._normalize import check_nan_policy, normalize, stand_in


def is_dask_array(value):
    """True for a dask array (without importing dask when it is not in use)."""
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and isinstance(value, dask_array.Array)


def _block_edges(chunks, before, span, stride, out_len):
    """Output block boundaries that follow the input chunks along one axis."""
    edges = np.cumsum((0,) + tuple(chunks))[1:-1]
    # Output j is centred on input position j * stride - before + span // 2.
    inner = -(-(edges + before - span // 2) // stride)
    inner = inner[(inner > 0) & (inner < out_len)]
    return np.unique(np.concatenate([[0], inner, [out_len]])).astype(int)


def _extend(x, axis, n, before, after, mode, cval):
    """x with the positions [-before, 0) and [n, n + after) of `axis` added, lazily."""
    import dask.array as da

    def halo(start, stop):
        if mode == Mode.CONSTANT:
            shape = list(x.shape)
            shape[axis] = stop - start
            chunks = list(x.chunks)
            chunks[axis] = (stop - start,)
            return da.full(shape, cval, dtype=x.dtype, chunks=tuple(chunks))
        return da.take(x, extend_indices(np.arange(start, stop), n, mode), axis=axis)

    pieces = ([halo(-before, 0)] if before else []) + [x] + \
        ([halo(n, n + after)] if after else [])
    return da.concatenate(pieces, axis=axis) if len(pieces) > 1 else x


def _runs(block, whole, n, stride, dilation, taps):
    """The extended positions a block of outputs reads along one axis, as runs.

    Returns ([(first, last), ...], the dilation its task filters them with).
    Output block [j0, j1) reads, for tap t, the positions j * stride +
    t * dilation. One run covers them all, unless the taps lie further apart
    than one tap's run is long: then one run per tap, which the task reads
    end to end, each run's length apart (so its cost does not grow with the
    dilation). A whole axis is the input's [0, n) with its own padding.
    """
    if whole:
        return [(0, n - 1)], dilation
    j0, j1 = block
    first, length = j0 * stride, (j1 - 1 - j0) * stride + 1
    if taps > 1 and dilation > length:
        return [(first + t * dilation, first + t * dilation + length - 1)
                for t in range(taps)], length
    return [(first, first + length - 1 + dilation * (taps - 1))], dilation


def _assemble(pieces, slices):
    """One array from nested `pieces` (chunks), each cut by `slices[axis][i]`."""
    def walk(node, axis, cut):
        if axis == len(slices):
            return node[tuple(cut)]
        return [walk(child, axis + 1, cut + [slices[axis][i]]) for i, child in enumerate(node)]

    return np.block(walk(pieces, 0, []))


def _filter_array(x, weights, convolution, output=None, mode="reflect", cval=0.0,
                  origin=0, *, axes=None, stride=1, dilation=1, padding="same",
                  nan_policy="propagate", method="auto", workers=None):
    """correlate (or convolve) on an in-memory array, as the public functions run it."""
    with np.errstate(over="ignore"):  # past a float type's range: +-inf, as in memory
        problem = normalize(x, weights, output, mode, cval, origin, axes=axes, stride=stride,
                            dilation=dilation, padding=padding, nan_policy=nan_policy,
                            method=method, workers=workers, convolution=convolution)
        result = _plan.run(problem)
    return problem.finish(result)


def _filter_whole(block, convolution, weights, kwargs):
    """A task: filter one whole chunk."""
    return _filter_array(block, weights, convolution, **kwargs)


def _filter_block(pieces, slices, convolution, weights, kwargs):
    """A task: assemble the block's input from its chunks, then filter it."""
    return _filter_array(_assemble(pieces, slices), weights, convolution, **kwargs)


def _checked_weights(input, weights, output):
    """The weights in memory, after the checks only a dask input needs."""
    import dask.array as da

    if isinstance(output, np.ndarray):
        raise TypeError("output must be a dtype (or None) for a dask array input; "
                        "store the lazy result with dask (da.store, to_zarr) instead")
    if isinstance(weights, da.Array):
        weights = weights.compute()
    if any(np.isnan(size) for sizes in input.chunks for size in sizes):
        raise ValueError("the dask array's chunk sizes are unknown (after boolean indexing, "
                         "for example): call its compute_chunk_sizes() method first")
    return weights


def _whole_axes(input, problem):
    """(input, axes filtered whole): the axes whose halo is longer than the axis itself.

    Such an axis (a kernel dilated or padded past the whole array) is
    rechunked into one chunk, and each task filters it whole: the kernels
    reach any distance past an edge without storing it, where a halo would
    materialise it.
    """
    whole = [a for a in problem.axes
             if max(problem.before[a], problem.after[a]) > input.shape[a]]
    if whole:
        input = input.rechunk({a: -1 for a in whole})
    return input, whole


def _extended(input, problem, whole):
    """`input` with exactly the halo the kernel reaches on every other filtered axis."""
    halo_axes = [a for a in problem.axes if a not in whole]
    extended = input
    if input.dtype != problem.work_dtype and any(
            problem.mode[a] == Mode.CONSTANT and (problem.before[a] or problem.after[a])
            for a in halo_axes):
        extended = input.astype(problem.work_dtype)  # cval in the working precision
    for a in halo_axes:
        extended = _extend(extended, a, input.shape[a], problem.before[a], problem.after[a],
                           problem.mode[a], problem.cval)
    return extended


def _output_ranges(input, problem, whole):
    """Per axis, the output blocks [(j0, j1), ...]: one on a whole axis, else `_block_edges`."""
    out_shape = problem.output.shape
    ranges = []
    for a in range(input.ndim):
        if a in whole:
            ranges.append([(0, out_shape[a])])
            continue
        span = problem.dilation[a] * (problem.weights.shape[a] - 1)
        edges = _block_edges(input.chunks[a], problem.before[a], span, problem.stride[a],
                             out_shape[a])
        ranges.append(list(zip(edges[:-1], edges[1:], strict=True)))
    return ranges


def _block_keywords(problem, whole, task_workers):
    """What every task passes to pyconv: the same weights and geometry, on an
    already extended slice (its own padding only on whole axes)."""
    return dict(axes=problem.axes, output=problem.output.dtype, method=problem.method,
                nan_policy="omit" if problem.omit else "propagate",
                workers=task_workers, cval=problem.cval,
                mode=[Mode(problem.mode[a]).name.lower() for a in problem.axes],
                padding=[(problem.before[a], problem.after[a]) if a in whole else "valid"
                         for a in problem.axes],
                stride=[problem.stride[a] for a in problem.axes],
                dilation=[problem.dilation[a] for a in problem.axes])


def _axis_reads(ranges, whole, n, stride, dilation, taps, edges):
    """What each output block along one axis reads of the extended array.

    `edges`: the extended array's chunk boundaries on that axis. Returns,
    per output block: (the chunks it reads, a slice of each, the dilation
    its task filters with).
    """
    reads = []
    for block in ranges:
        runs, block_dilation = _runs(block, whole, n, stride, dilation, taps)
        chunks, slices = [], []
        for first, last in runs:
            c0 = int(np.searchsorted(edges, first, side="right")) - 1
            c1 = int(np.searchsorted(edges, last, side="right")) - 1
            chunks.extend(range(c0, c1 + 1))
            slices.extend(slice(max(first, edges[c]) - edges[c],
                                min(last + 1, edges[c + 1]) - edges[c])
                          for c in range(c0, c1 + 1))
        reads.append((chunks, slices, block_dilation))
    return reads


def _tasks(name, extended, shape, problem, whole, ranges, convolution, weights, kwargs):
    """The graph layer: one task per output block, on its slices of `extended`'s chunks."""
    reads = [_axis_reads(ranges[a], a in whole, shape[a], problem.stride[a],
                         problem.dilation[a], problem.weights.shape[a],
                         np.cumsum((0,) + extended.chunks[a]))
             for a in range(len(shape))]
    chunk_keys = np.empty(extended.numblocks, dtype=object)
    for index in np.ndindex(*extended.numblocks):
        chunk_keys[index] = (extended.name,) + index
    layer = {}
    for block_index in np.ndindex(*[len(r) for r in ranges]):
        picked = [reads[a][i] for a, i in enumerate(block_index)]
        pieces = chunk_keys[np.ix_(*[chunks for chunks, _, _ in picked])].tolist()
        slices = [axis_slices for _, axis_slices, _ in picked]
        block_kwargs = dict(kwargs, dilation=[picked[a][2] for a in problem.axes])
        layer[(name,) + block_index] = (_filter_block, pieces, slices, convolution,
                                        weights, block_kwargs)
    return layer


def _no_nan(block):
    """A task of nan_policy="raise": the chunk itself, or ValueError if it holds NaN."""
    check_nan_policy("raise", block, block.dtype, None)
    return block


def checked_for_nan(input):
    """nan_policy="raise" on a dask array: each chunk is scanned as it is computed."""
    return input.map_blocks(_no_nan, dtype=input.dtype)


def filter_dask(input, weights, output, mode, cval, origin, *, axes, stride, dilation,
                padding, method, workers, convolution, one_axis=False,
                nan_policy="propagate"):
    """pyconv.correlate (or convolve) over a dask array, as a lazy dask array."""
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    weights = _checked_weights(input, weights, output)
    task_workers = 1 if workers is None else workers
    problem = normalize(stand_in(input.shape, input.dtype), weights, output, mode, cval,
                        origin, axes=axes, stride=stride, dilation=dilation, padding=padding,
                        method=method, workers=task_workers, convolution=convolution,
                        one_axis=one_axis, allocate=False, nan_policy=nan_policy)
    if nan_policy == "raise":  # (the chunks, not a halo of cval)
        input = checked_for_nan(input)
    out_shape, out_dtype = problem.output.shape, problem.output.dtype
    weights = np.asarray(weights)
    if 0 in out_shape:
        return da.zeros(out_shape, dtype=out_dtype)
    if input.ndim == 0:  # one value, one chunk
        return input.map_blocks(_filter_whole, convolution, weights,
                                dict(output=out_dtype, method=problem.method,
                                     nan_policy="omit" if problem.omit else "propagate"),
                                dtype=out_dtype)

    input, whole = _whole_axes(input, problem)
    extended = _extended(input, problem, whole)
    ranges = _output_ranges(input, problem, whole)
    # (Not the Problem itself: its stand-ins would be hashed at full size.)
    name = "pyconv-" + tokenize(extended, weights, convolution, problem.axes, problem.stride,
                                problem.dilation, problem.before, problem.after,
                                problem.mode, problem.cval, problem.method, out_dtype,
                                problem.omit)
    layer = _tasks(name, extended, input.shape, problem, whole, ranges, convolution, weights,
                   _block_keywords(problem, whole, task_workers))
    graph = HighLevelGraph.from_collections(name, layer, dependencies=[extended])
    chunks = tuple(tuple(j1 - j0 for j0, j1 in axis_ranges) for axis_ranges in ranges)
    return da.Array(graph, name, chunks=chunks, dtype=out_dtype,
                    meta=np.empty((0,) * input.ndim, dtype=out_dtype))
