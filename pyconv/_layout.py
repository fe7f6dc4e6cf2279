"""How the direct method lays a problem out for its kernel.

Given a checked :class:`~pyconv._normalize.Problem` and the array the kernel
will write, :func:`lay_out` picks the *line axis* (the input's most
contiguous axis, walked innermost), permutes every per-axis quantity so that
it comes last (views only), groups the kernel's non-zero taps into *rows*,
and cuts each output line into *segments*. The result is a frozen
:class:`Layout` of contiguous arrays that ``_direct`` hands to the compiled
loop as raw pointers. Nothing here depends on the number of threads except
the scratch allocation, so the work -- and the result -- is the same for
any ``workers``.
"""

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np

from pyconv._boundary import Mode

# Outputs per work item along the line: an item's accumulator and the input
# it reads stay in L1/L2, and a long 1-D signal still splits across threads.
SEGMENT = 4096

# At most this many multiply-adds per work item (shorter segments for large
# kernels), so one item takes a millisecond or so: Ctrl-C is checked between
# chunks of items, threads stay balanced, and the rows an item gathers fit
# in a thread's cache.
ITEM_WORK = 1 << 20

# Multiply-adds between two checks for Ctrl-C (some tens of milliseconds).
CHUNK_WORK = 1 << 27

# Fewest outputs an edge piece of a chunk takes (a float32 vector): the
# window of the outputs next to an edge crosses it, so they are gathered;
# widened to this, they run in vector blocks and not output by output.
EDGE_PIECE = 8

# Bytes of a cache line (64 on the CPUs that matter; a multiple is harmless).
CACHE_LINE = 128

# Strips (see Strips): output lines per strip, and the most values of
# buffered lines a thread keeps for one strip (int16 sums: twice as many,
# the same bytes as float32). Enough for a 4096-long line of a 3x3 int16
# strip or a 2048-long one of a 15x15 float32 strip in one chunk: measured
# 8% faster than half as many, the other OpenCV-table cases unchanged.
SEPARABLE_GROUP = 32
FILTERED_LIMIT = 1 << 17

# Output lines at most this long read their input through gathered strips
# (when the kernel has rows to share lines between): with short lines, the
# edges -- gathered for every kernel row of every output line otherwise --
# cost as much as the interior. Measured on the development machine: see
# gathered_strip_choice.
SHORT_LINE = 1024

# Kernels of at most this many values have their analysis (rows of non-zero
# taps, separable factors) cached: one kernel applied to many arrays is the
# common case, and analysing it was most of a small call's fixed cost (about
# 60 of 180 us for a 16x16 image with a 3x3 kernel).
CACHED_KERNEL = 4096


@dataclass(frozen=True)
class Layout:
    """Everything the compiled loop reads, line axis last."""

    input: np.ndarray  # kernel-readable, transposed
    target: np.ndarray  # the array the kernel writes, transposed
    stride: np.ndarray  # intp, one per axis
    dilation: np.ndarray
    before: np.ndarray
    mode: np.ndarray  # intc
    span: int  # dilation * (taps - 1) along the line
    row_outer_taps: np.ndarray  # (rows, ndim - 1): the row's tap on each other axis
    row_n_taps: np.ndarray  # (rows,): its non-zero taps along the line
    row_offsets: np.ndarray  # (rows, max_taps): tap * dilation, left-packed
    row_weights: np.ndarray  # (rows, max_taps): their weights, working dtype
    skip_constant_rows: bool  # cval == 0 and every weight finite
    seg_start: np.ndarray  # (chunks,): each work item is one chunk of a line
    seg_len: np.ndarray
    interior: tuple  # outputs [low, high) on the line have their window inside
    in_place: bool  # the input's lines can be read where they are
    max_taps_on_line: int  # most taps one gathered line holds
    edge_piece: int  # fewest outputs an edge piece of a chunk takes
    output_is_accumulator: bool  # working dtype, unit stride along the line
    scale: float  # int16 work (see integer_kernel): output = scale * the integer sum
    n_items: int  # lines * segments
    chunk: int  # items between two checks for Ctrl-C
    buf_len: int  # values per gathered row
    acc: np.ndarray  # (threads, acc_len) scratch: an item's result before conversion
    row_bufs: np.ndarray  # (threads, rows * buf_len) scratch: gathered rows
    sources: np.ndarray  # (threads, taps) scratch: where each tap reads (pointers)
    steps: np.ndarray  # (threads, taps) scratch
    tap_weights: np.ndarray  # (threads, taps) scratch
    parts: np.ndarray  # (threads, 2 * taps) float64 scratch: complex weights' parts
    row_sources: np.ndarray  # (threads, rows or strip positions) intp scratch
    row_constant: np.ndarray  # (threads, same) uint8 scratch
    cval_cell: np.ndarray  # (1,): cval in the working dtype, read by rows of cval
    strips: "Strips | None"  # output lines in strips, or None (one line per item)


@dataclass(frozen=True)
class Strips:
    """Output lines in strips along axis ndim - 2, reading buffered input lines.

    A work item is a strip of `group` output lines (times a chunk of the
    line). Every input line the strip reads -- for each combination of taps
    on the axes before ndim - 2, `positions` of them -- is buffered once,
    `line_len` values each, and all output lines of the strip read the
    buffer in place. `separable`: the buffer holds H, b along the line, and
    each output line sums a-weighted rows of H (w = outer(a, b)); otherwise
    it holds the input lines themselves, extended past the edges and in the
    working dtype, and each output line runs every kernel row over them.
    """

    separable: bool
    group: int  # output lines per strip, along axis ndim - 2
    other_taps: np.ndarray  # (n_other, ndim - 2) intp: taps on the axes before
    positions: int  # buffered lines per combination of other taps
    line_len: int  # values per buffered line
    buffer: np.ndarray  # (threads, n_other * positions * line_len) scratch
    needed: np.ndarray  # (threads, positions) uint8 scratch
    # separable only (else empty):
    outer_weights: np.ndarray  # (n_other, outer_taps): a
    line_offsets: np.ndarray  # (k,) intp: non-zero taps of b, times the dilation
    line_weights: np.ndarray  # (k,): b at those taps
    # gathered only (else empty): each kernel row's combination and tap on ndim - 2
    row_other: np.ndarray  # (rows,) intp
    row_strip_tap: np.ndarray  # (rows,) intp
    phase_read: np.ndarray  # (stride along the line,) uint8: some tap reads the phase


# 8-bit inputs whose kernel is a scale times small integers (box, binomial,
# Sobel, Laplacian...) sum exactly in int16 lanes: twice a float32 vector's
# width and no conversion between taps. The largest |sum| that allows.
INTEGER_SUM_LIMIT = np.iinfo(np.int16).max


def integer_kernel(x_dtype, out_dtype, weights, cval):
    """(K, s) with weights == s * K exactly, K small integers, for exact int16 sums; or None.

    For an 8-bit input written to an integer output of at most 16 bits
    (whose working precision is float32). `weights` are those float32
    weights; s is the smallest non-zero |weight|, and every weight must be
    exactly an integer multiple of it, with max |input or cval| * sum |K|
    within int16 -- so every partial sum is exact and the result,
    float32(sum) * s rounded once, is the correctly rounded float32 value of
    the correlation with these weights (the float32 loop rounds once per
    tap). An integral cval is required: rows of cval are summed too.
    """
    if (x_dtype.kind not in "iu" or x_dtype.itemsize != 1 or out_dtype.kind not in "iu"
            or out_dtype.itemsize > 2 or weights.dtype != np.float32 or weights.size == 0
            or not np.isfinite(weights).all() or not np.any(weights)):
        return None
    if complex(cval).imag != 0 or not float(complex(cval).real).is_integer():
        return None
    wide = weights.astype(np.float64)
    s = np.abs(wide[wide != 0]).min()
    K = np.rint(wide / s)
    largest = max(np.iinfo(x_dtype).max, -np.iinfo(x_dtype).min, abs(complex(cval).real))
    if (np.abs(K).sum() * largest > INTEGER_SUM_LIMIT or not np.array_equal(K * s, wide)
            or s * INTEGER_SUM_LIMIT >= 2**30):  # scaled sums convert to int32 exactly
        return None
    return K, float(s)


def reads_in_place(x, work, line):
    """Whether the kernels read the lines of `x` where they are.

    Only data of the working dtype in native byte order, aligned, with
    strides of whole elements and contiguous along the line axis `line`;
    anything else is converted as it is gathered.
    """
    return (x.dtype == work and x.flags.aligned
            and not any(stride % x.itemsize for stride in x.strides)
            and (x.shape[line] == 1 or x.strides[line] == x.itemsize))


def integer_factors(K, a, b):
    """Integer (a, b) with outer(a, b) == K exactly, from real factors; or None."""
    m = np.abs(b[b != 0]).min()
    a, b = np.rint(a * m), np.rint(b / m)
    if not np.array_equal(np.outer(a, b), K.reshape(a.size, b.size)):
        return None
    return a, b


def separable_factors(weights):
    """(a, b) with weights == outer(a, b) over (kernel rows, line taps), or None.

    A pivot factorisation: b is the row of the largest weight, and a its
    column divided by that weight (|a| <= 1). The pass along the line then
    sums exactly that row's terms of the unfactored sum, so no intermediate
    grows past them (a b scaled up would overflow on data near the dtype's
    limit whose result is finite). Accepted only when it keeps every zero
    weight exactly zero (so zero taps are still skipped and NaN stays local)
    and the residual is at most one unit of the working precision of
    sum |w|: the result then stays within rounding of the full kernel's.
    """
    matrix = weights.reshape(-1, weights.shape[-1])
    if min(matrix.shape) < 2 or not np.isfinite(matrix).all():
        return None
    wide = matrix.astype(np.complex128 if matrix.dtype.kind == "c" else np.float64)
    row, column = np.unravel_index(np.argmax(np.abs(wide)), wide.shape)
    if wide[row, column] == 0:
        return None
    a = wide[:, column] / wide[row, column]
    b = wide[row, :]
    product = np.outer(a, b)
    if not np.array_equal(wide == 0, product == 0):
        return None
    if np.abs(wide - product).sum() > np.finfo(matrix.dtype).eps * np.abs(wide).sum():
        return None
    return a.astype(matrix.dtype), b.astype(matrix.dtype)


def strip_choice(weights, factors, target_shape, stride, dilation, in_place):
    """The separable strip plan for a kernel (line axis last), or None.

    Returns (a, b, group, positions, n_other, outer_taps, cost) when the
    strips cost less per output than the plain loop: `cost` is the
    multiply-adds per output (b along the line for each input line a strip
    reads, then a across them); the plain loop does one per non-zero tap. A
    converted input (read through a gather) gains more: every line is then
    converted once instead of once per kernel row. `factors`: the
    kernel's separable_factors.
    """
    if weights.ndim < 2 or factors is None:
        return None
    a, b = factors
    outer_taps = weights.shape[-2]
    n_other = a.size // outer_taps
    # The choice depends on the kernel alone (a full strip, stride 1), never on
    # the output's shape or stride: a strided result stays bitwise a slice of
    # the dense one, and a block of a larger array sums as the whole does.
    nominal_lines = SEPARABLE_GROUP + (outer_taps - 1) * dilation[-2]
    cost = (np.count_nonzero(b) * n_other * nominal_lines / SEPARABLE_GROUP
            + np.count_nonzero(a))
    plain = np.count_nonzero(weights)
    if cost >= (1.0 if not in_place else 0.8) * plain:
        return None
    group = min(SEPARABLE_GROUP, target_shape[-2])
    positions = (group - 1) * stride[-2] + (outer_taps - 1) * dilation[-2] + 1
    return a, b, group, positions, n_other, outer_taps, float(cost)


def gathered_strip_choice(weights_shape, n_rows, max_taps, target_shape, stride, dilation,
                          in_place):
    """(group, positions, n_other) to read a kernel's input through gathered strips, or None.

    Worth it when the kernel has rows to share lines between and either
    there is a stride along the line (its lines are gathered as phases, and
    every tap then reads consecutive values instead of shuffling every
    other one out of two loads), or output lines share input lines (at
    least twice as many taps along ndim - 2 as the stride there) and the
    input is gathered anyway (a converted dtype or strided lines: each line
    is then gathered once, not once per kernel row) or the output lines are
    short (at most SHORT_LINE): there the edges, gathered per kernel row
    and output line otherwise, cost as much as the interior. Not when a
    buffered line's range would be longer than one run per tap (large
    stride or dilation along the line). The sums, and so the results, are
    bitwise the same either way. Measured (2 workers, strips over per
    line): 128**3 float64 with 5**3 taps 0.6; 8192x256 float32 with 3x3
    0.65; 1024**2 float32 with 5x5 0.89; 2048**2 with 3x3 or 15x15 float32
    1.0, 7x7 float64 1.09; 4096**2 float32 3x3 with stride 2 0.87 as
    phases (1.39 before phases, when the taps still read every other value).
    """
    if len(weights_shape) < 2 or n_rows < 2:
        return None
    if stride[-1] == 1 and (weights_shape[-2] < 2 * stride[-2]
                            or in_place and target_shape[-1] > SHORT_LINE):
        return None
    count = max(1, min(target_shape[-1], SEGMENT))
    span = dilation[-1] * (weights_shape[-1] - 1)
    if (count - 1) * stride[-1] + span + 1 > max_taps * count:
        return None
    group = max(1, min(SEPARABLE_GROUP, target_shape[-2]))
    positions = (group - 1) * stride[-2] + (weights_shape[-2] - 1) * dilation[-2] + 1
    return group, positions, math.prod(weights_shape[:-2])


def direct_work(problem):
    """(outputs, multiply-adds per output, kernel rows per work item) of the direct method.

    The same choices lay_out makes (line axis, separable strips), without
    allocating anything: for the cost model in _plan.
    """
    x = problem.input
    weights = problem.weights
    outputs = problem.output.size
    if x.ndim == 0:
        return outputs, float(np.count_nonzero(weights)), 1.0
    line = line_axis(x)
    order = [a for a in range(x.ndim) if a != line] + [line]
    weights = weights.transpose(order)
    out_shape = [problem.output.shape[a] for a in order]
    stride = [problem.stride[a] for a in order]
    dilation = [problem.dilation[a] for a in order]
    in_place = reads_in_place(x, problem.work_dtype, line)
    analysis = analyse_kernel(weights)
    strip = strip_choice(weights, analysis.factors, out_shape, stride, dilation, in_place)
    if strip is not None:
        return outputs, strip[-1], strip[4] * strip[3] / strip[2]
    per_output = float(analysis.n_taps.sum())
    n_rows = analysis.n_taps.size
    gathered = gathered_strip_choice(weights.shape, n_rows, analysis.columns.shape[1],
                                     out_shape, stride, dilation, in_place)
    if gathered is not None:  # lines gathered per output line
        group, positions, n_other = gathered
        return outputs, per_output, n_other * positions / group
    return outputs, per_output, float(n_rows)


def intp_array(values):
    return np.ascontiguousarray(values, dtype=np.intp)


def line_axis(array):
    """The input's most contiguous axis of length > 1.

    A unit-stride axis first (it can be read in place), then the smallest
    non-zero stride (a broadcast axis reads one value over and over); ties
    go to the later axis, so C order gives the last one. The choice looks at
    the input only, so stride and padding cannot change the order in which
    an output is summed: a strided result is bitwise a slice of the dense one.
    """
    candidates = [a for a in range(array.ndim) if array.shape[a] > 1] or list(range(array.ndim))
    itemsize = array.dtype.itemsize

    def rank(a):
        step = abs(array.strides[a])
        return (step != itemsize, step == 0, step, -a)

    return min(candidates, key=rank)


def kernel_rows(weights):
    """Group the non-zero taps by kernel row (a fixed tap on every axis but the last).

    Returns (outer_taps, n_taps, columns, row_weights) for the rows that
    have a non-zero tap: the row's tap index on each other axis, how many
    non-zero taps it has along the line, their tap indices along the line
    and their weights, left-packed into ``max_taps`` columns.
    """
    taps_on_line = weights.shape[-1]
    flat = weights.reshape(-1, taps_on_line)
    nonzero = flat != 0
    kept = np.flatnonzero(nonzero.any(axis=1))
    nonzero = nonzero[kept]
    n_taps = nonzero.sum(axis=1)
    max_taps = max(1, int(n_taps.max(initial=0)))
    if weights.ndim > 1:
        outer_taps = np.stack(np.unravel_index(kept, weights.shape[:-1]), axis=-1)
    else:
        outer_taps = np.zeros((kept.size, 0), dtype=np.intp)
    row, column = np.nonzero(nonzero)
    slot = (np.cumsum(nonzero, axis=1) - 1)[row, column]
    columns = np.zeros((kept.size, max_taps), dtype=np.intp)
    row_weights = np.zeros((kept.size, max_taps), dtype=weights.dtype)
    columns[row, slot] = column
    row_weights[row, slot] = flat[kept][row, column]
    return intp_array(outer_taps), intp_array(n_taps), columns, row_weights


@dataclass(frozen=True)
class KernelAnalysis:
    """What the direct method needs to know of a kernel (line axis last); read-only."""

    outer_taps: np.ndarray  # kernel_rows
    n_taps: np.ndarray
    columns: np.ndarray
    row_weights: np.ndarray
    factors: "tuple | None"  # separable_factors


def analyse_kernel(weights):
    """The :class:`KernelAnalysis` of `weights` (cached up to CACHED_KERNEL values)."""
    if weights.size > CACHED_KERNEL:
        return _analyse(weights)
    return _analyse_bytes(weights.dtype.str, weights.shape, weights.tobytes())


@functools.lru_cache(maxsize=64)
def _analyse_bytes(dtype, shape, data):
    return _analyse(np.frombuffer(data, dtype=dtype).reshape(shape))


def _analyse(weights):
    arrays = kernel_rows(weights)
    factors = separable_factors(weights)
    for array in arrays + (factors or ()):
        array.flags.writeable = False  # shared between calls through the cache
    return KernelAnalysis(*arrays, factors)


def line_chunks(n, taps, stride, dilation, before, out_len, max_taps, in_place, segment):
    """Cut an output line of `out_len` into chunks of at most `segment` outputs.

    Returns (starts, lengths, (low, high), buffer_len). Outputs [low, high)
    have their whole window inside the input; within a chunk, the kernel
    reads those in place when `in_place`, and gathers the rest (the edges,
    each widened to EDGE_PIECE outputs so that it runs in vector blocks, or
    everything) into a per-row buffer: one run per tap when that is shorter
    than the range of positions, so a gather never costs more than the taps
    read. `buffer_len` is the largest such buffer. The pieces are those of
    ``pieces`` in _direct.pyx.
    """
    n, taps, stride, dilation, before = int(n), int(taps), int(stride), int(dilation), int(before)
    span = dilation * (taps - 1)
    low = min(-(-before // stride), out_len)
    last_start = n - 1 + before - span
    high = max(low, min(last_start // stride + 1, out_len) if last_start >= 0 else 0)
    starts = np.arange(0, out_len, segment, dtype=np.intp)
    lengths = np.minimum(segment, out_len - starts).astype(np.intp)
    if in_place:
        # Only chunks that cross [low, high)'s ends gather, only the pieces
        # outside it (a few chunks: a plain loop beats array arithmetic).
        first_inside = -(-low // segment)
        edge_chunks = itertools.chain(range(min(first_inside, starts.size)),
                                      range(max(first_inside, high // segment), starts.size))
        gathered = []
        for chunk in edge_chunks:
            start = chunk * segment
            end = min(start + segment, out_len)
            lo = min(max(low, start), end)
            if lo > start:
                lo = min(end, max(lo, start + EDGE_PIECE))
            hi = max(lo, min(end, high))
            if hi < end:
                hi = max(lo, min(hi, end - EDGE_PIECE))
            gathered += [lo - start, end - hi]
    else:
        gathered = [min(segment, out_len)]
    # The longest chunk needs the most: one bound for all.
    buffer_len = max((min((g - 1) * stride + span + 1, max_taps * g)
                      for g in gathered if g > 0), default=1)
    return starts, lengths, (int(low), int(high)), buffer_len


def thread_scratch(n_threads, length, dtype):
    """Uninitialised scratch, a row of `length` values for each of `n_threads` threads.

    No cache line holds values of two rows, nor a row and anything else:
    each row starts on a line and ends with a spare one, and the rows are
    cut out of a larger block so that the line before them is spare too.
    malloc puts the small arrays of one call side by side, so without it
    the first thread's row could share a line with the end of an array
    that the other threads read all the time (weights, offsets). Each
    thread's writes would then evict the line from the others' caches.
    That costs little while the two virtual CPUs of the development machine
    share a cache; in the spells when they do not (a cache line takes 350
    ns there and back, not 75), 128**3 float64 with 5x5x5 on two threads
    measured 13.8-14.4 ms before, 12.6-13.3 after (alternating in one
    process). Only part of that spell's slowdown: see the developer notes on
    performance (docs/dev/performance_notes.rst).
    """
    itemsize = np.dtype(dtype).itemsize
    line = CACHE_LINE // itemsize
    row = -(-length // line) * line + line
    block = np.empty(n_threads * row + 2 * line, dtype=dtype)
    lead = (-block.ctypes.data % CACHE_LINE) // itemsize + line
    return block[lead:lead + n_threads * row].reshape(n_threads, row)


def lay_out(problem, x, target):
    """The :class:`Layout` for reading `x` and writing `target` (same axes as the problem).

    `x` is the problem's input as the kernel can read it and `target` the
    array it writes: both native, aligned, of kernel dtypes.
    """
    work = problem.work_dtype
    weights = problem.weights
    scale = 1.0
    integer = integer_kernel(x.dtype, target.dtype, weights, problem.cval)
    if integer is not None:
        weights, scale = integer
        work = np.dtype(np.int16)
    stride, dilation, before, mode = (problem.stride, problem.dilation,
                                      problem.before, problem.mode)
    if x.ndim == 0:  # one value: a 1-tap correlation on a length-1 axis
        x, target, weights = x.reshape(1), target.reshape(1), weights.reshape(1)
        stride, dilation, before, mode = (1,), (1,), (0,), (int(Mode.CONSTANT),)

    line = line_axis(x)
    order = [a for a in range(x.ndim) if a != line] + [line]
    x = x.transpose(order)
    target = target.transpose(order)
    weights = weights.transpose(order)
    stride = intp_array([stride[a] for a in order])
    dilation = intp_array([dilation[a] for a in order])

    analysis = analyse_kernel(weights)
    outer_taps, n_taps, row_weights = analysis.outer_taps, analysis.n_taps, analysis.row_weights
    offsets = analysis.columns * dilation[-1]
    max_taps = offsets.shape[1]
    total_taps = max(1, int(n_taps.sum()))
    cval = work.type(complex(problem.cval).real if integer is not None else problem.cval)
    in_place = reads_in_place(x, work, x.ndim - 1)
    # (An int16 output of an int16 sum with scale 1 is the sum itself.)
    output_is_accumulator = target.dtype == work and scale == 1 and (
        target.shape[-1] == 1 or target.strides[-1] == target.itemsize)

    # A separable kernel is done in strips when that costs less per output:
    # b along the line once per input line read, then a across the lines.
    # Other kernels may read their input through gathered strips.
    strip = strip_choice(weights, analysis.factors, target.shape, stride, dilation, in_place)
    if strip is not None and integer is not None:
        factors = integer_factors(weights, *strip[:2])
        strip = None if factors is None else factors + strip[2:]
    gathered = None if strip is not None else gathered_strip_choice(
        weights.shape, n_taps.size, max_taps, target.shape, stride, dilation, in_place)
    span = int(dilation[-1]) * (weights.shape[-1] - 1)
    filtered_limit = FILTERED_LIMIT * (2 if work == np.int16 else 1)
    segment = max(16, min(SEGMENT, ITEM_WORK // total_taps))
    chunk_taps, chunk_in_place = max_taps, in_place
    if strip is not None:
        a, b, group, positions, n_other, outer_taps_y, strip_cost = strip
        segment = max(16, min(segment, filtered_limit // (n_other * positions)))
        chunk_taps = np.count_nonzero(b)
    elif gathered is not None:
        group, positions, n_other = gathered
        longest = filtered_limit // (n_other * positions)  # values per buffered line
        segment = max(16, min(segment, longest // int(stride[-1]) - span // int(stride[-1])))
        chunk_in_place = False
    seg_start, seg_len, interior, buf_len = line_chunks(
        x.shape[-1], weights.shape[-1], stride[-1], dilation[-1], before[line],
        target.shape[-1], chunk_taps, chunk_in_place, segment)
    if strip is not None:
        line_len = int(seg_len.max())
        work_per_item = group * line_len * max(1, int(strip_cost))
    elif gathered is not None:
        buf_len = 1  # the strip's buffer replaces the per-row ones
        line_len = int(stride[-1]) * (int(seg_len.max()) + span // int(stride[-1]))  # phases
        work_per_item = group * int(seg_len.max()) * total_taps
    else:
        n_items = seg_start.size * math.prod(target.shape[:-1])
        work_per_item = total_taps * int(seg_len.max())
    if strip is not None or gathered is not None:
        runs = math.prod(target.shape[:-2])
        n_items = seg_start.size * runs * -(-target.shape[-2] // group)
    n_threads = max(1, min(problem.n_workers, n_items))
    chunk = max(n_threads, CHUNK_WORK // max(1, work_per_item) // n_threads * n_threads)
    acc_len = 1 if output_is_accumulator else int(seg_len.max())
    row_slots = max(1, n_taps.size)
    if strip is not None or gathered is not None:
        row_slots = max(row_slots, n_other * positions)

    strips = None
    if strip is not None or gathered is not None:
        other_shape = weights.shape[:-2]
        other_taps = (np.stack(np.unravel_index(np.arange(n_other), other_shape), axis=-1)
                      if other_shape else np.zeros((1, 0), dtype=np.intp))
        none = np.zeros(0, dtype=np.intp)
        if strip is not None:
            taps_b = np.flatnonzero(b != 0)
            parts = dict(outer_weights=np.ascontiguousarray(a.reshape(n_other, outer_taps_y),
                                                            dtype=work),
                         line_offsets=intp_array(taps_b * dilation[-1]),
                         line_weights=np.ascontiguousarray(b[taps_b], dtype=work),
                         row_other=none, row_strip_tap=none,
                         phase_read=np.zeros(0, dtype=np.uint8))
        else:
            other_of_row = (np.ravel_multi_index(tuple(outer_taps[:, :-1].T), other_shape)
                            if other_shape else np.zeros(n_taps.size, dtype=np.intp))
            parts = dict(outer_weights=np.zeros((n_other, 0), dtype=work), line_offsets=none,
                         line_weights=np.zeros(0, dtype=work),
                         row_other=intp_array(other_of_row),
                         row_strip_tap=intp_array(outer_taps[:, -1]),
                         phase_read=np.zeros(int(stride[-1]), dtype=np.uint8))
            # A line is gathered as stride phases (see process_gathered_strip);
            # only the phases some tap reads.
            used = np.arange(max_taps) < n_taps[:, None]
            parts["phase_read"][offsets[used] % int(stride[-1])] = 1
        strips = Strips(
            separable=strip is not None,
            group=group,
            other_taps=intp_array(other_taps),
            positions=positions,
            line_len=line_len,
            buffer=thread_scratch(n_threads, n_other * positions * line_len, work),
            needed=thread_scratch(n_threads, positions, np.uint8),
            **parts,
        )

    return Layout(
        input=x,
        target=target,
        stride=stride,
        dilation=dilation,
        before=intp_array([before[a] for a in order]),
        mode=np.ascontiguousarray([mode[a] for a in order], dtype=np.intc),
        span=span,
        row_outer_taps=outer_taps,
        row_n_taps=n_taps,
        row_offsets=offsets,
        row_weights=row_weights.astype(work),
        skip_constant_rows=bool(cval == 0) and bool(np.isfinite(weights).all()),
        seg_start=seg_start,
        seg_len=seg_len,
        interior=interior,
        in_place=bool(in_place),
        max_taps_on_line=(int(np.count_nonzero(strip[1])) if strip is not None else max_taps),
        edge_piece=EDGE_PIECE,
        output_is_accumulator=output_is_accumulator,
        scale=scale,
        n_items=n_items,
        chunk=chunk,
        buf_len=buf_len,
        acc=thread_scratch(n_threads, acc_len, work),
        row_bufs=thread_scratch(n_threads, max(1, n_taps.size) * buf_len, work),
        sources=thread_scratch(n_threads, total_taps, np.uintp),
        steps=thread_scratch(n_threads, total_taps, np.intp),
        tap_weights=thread_scratch(n_threads, total_taps, work),
        parts=thread_scratch(n_threads, 2 * total_taps, np.float64),
        row_sources=thread_scratch(n_threads, row_slots, np.intp),
        row_constant=thread_scratch(n_threads, row_slots, np.uint8),
        cval_cell=np.full(1, cval, dtype=work),
        strips=strips,
    )
