"""The direct method's decisions, made once per call.

:func:`plan` turns a checked :class:`~pyconv._normalize.Problem` into a
frozen :class:`DirectPlan`: which axis the loops walk innermost (the *line
axis*: the input's most contiguous one, permuted last), the kernel's
non-zero taps grouped into *rows*, how the output is cut into work items
(one output line at a time, or strips of lines that share buffered input
lines), how many threads run them, and how much scratch each thread needs.
The plan holds no memory of the size of the data: ``_direct`` turns it into
the compiled loop's C struct (the same field names) and allocates the
scratch; the cost model in ``_plan`` reads the same plan. The cut into
items never depends on the thread count, so results are bitwise the same
for any ``workers``.
"""

import functools
import math
import threading
from dataclasses import dataclass

import numpy as np

from pyconv._boundary import Mode

# Outputs per work item along the line: an item's accumulator and the input
# it reads stay in L1/L2, and a long 1-D signal still splits across threads.
SEGMENT = 4096

# At most this many multiply-adds per work item (shorter segments for large
# kernels): threads stay balanced and the rows an item gathers fit in cache.
ITEM_WORK = 1 << 20

# Multiply-adds between two checks for Ctrl-C (some tens of milliseconds).
CHUNK_WORK = 1 << 27

# Multiply-adds a thread must have before a call uses it: below this a
# parallel region costs more than it saves (waking the team), and on a busy
# machine waiting for a descheduled thread costs far more.
THREAD_WORK = 1 << 18

# Fewest outputs an edge piece of a chunk takes (a float32 vector): the
# window of the outputs next to an edge crosses it, so they are gathered;
# widened to this, they run in vector blocks and not output by output.
EDGE_PIECE = 8
# Output lines of at most this many bytes (of the working dtype) are
# gathered whole, one piece instead of three: on short lines the pieces'
# fixed cost outweighs the copy.
GATHERED_LINE_BYTES = 2048

# Bytes of a cache line (64 on the CPUs that matter; a multiple is harmless):
# no two threads' scratch shares one.
CACHE_LINE = 128

# Strips: output lines per strip, and the most values of buffered lines a
# thread keeps for one strip (int16 sums: twice as many, the same bytes).
SEPARABLE_GROUP = 32
# nan_policy="omit": the line pass forms two sums at about twice the cost of
# one, so more output lines share each buffered line -- when the kernel
# reaches across at least half a group of lines (a shorter reach gains less
# than the halved chunks along the line cost: 9x9 measured faster at 32,
# 25x25 at 64).
OMIT_SEPARABLE_GROUP = 64
FILTERED_LIMIT = 1 << 17

# Output lines at most this long read their input through gathered strips
# (see gathered_strip_choice).
SHORT_LINE = 1024

# Kernels of at most this many values have their analysis cached: one kernel
# applied to many arrays is the common case.
CACHED_KERNEL = 4096

# Column strips: output lines per strip, and how many of them the kernel
# sums at once (_blocks.h's PYCONV_COLUMN_LINES).
COLUMN_GROUP = 32
COLUMN_LINES = 4

# How work items are made (the C enum of the same name).
LINES, SEPARABLE_STRIPS, GATHERED_STRIPS, COLUMN_STRIPS = 0, 1, 2, 3


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (see _plan)
class DirectPlan:
    """Every decision of the direct method for one problem; axes in loop order.

    The fields after ``order`` and ``work_dtype`` are those of the compiled
    loop's ``Plan`` struct, under the same names (per-axis arrays have the
    line axis last).
    """

    order: tuple  # the problem's axes in loop order: the line axis last
    work_dtype: np.dtype  # what the sums run in (int16: exact sums, see integer_kernel)
    writes_output: bool  # the kernel writes the output (else a native temporary)
    cval: object  # in the working dtype
    ndim: int
    output_is_accumulator: bool  # working dtype, unit stride along the line (omit: the
    # ratio is written there directly, the sums go to scratch)
    scale: float  # int16 sums: output = scale * the integer sum
    stride: np.ndarray  # intp, per axis
    dilation: np.ndarray
    before: np.ndarray
    mode: np.ndarray  # intc
    span: int  # dilation * (taps - 1) along the line
    # Kernel rows: a fixed tap on every axis but the line's.
    n_rows: int
    max_taps: int
    row_outer_taps: np.ndarray  # (n_rows, ndim - 1): the row's tap on each other axis
    row_n_taps: np.ndarray  # (n_rows,): its non-zero taps along the line
    row_offsets: np.ndarray  # (n_rows, max_taps): tap * dilation, left-packed
    row_weights: np.ndarray  # (n_rows, max_taps): their weights, working dtype
    skip_constant_rows: bool  # cval == 0 and every weight finite
    # Chunks of an output line (a work item covers one chunk).
    n_segments: int
    seg_bounds: np.ndarray  # (n_segments, 4): start, [low, high) read in place, end
    max_taps_on_line: int  # most taps one gathered line holds
    buf_len: int  # values per gathered row
    # Strips of output lines along axis ndim - 2 (LINES: none).
    strips: int
    strip_group: int  # output lines per strip
    strip_n_other: int  # combinations of taps on the axes before ndim - 2
    strip_other_taps: np.ndarray  # (n_other, ndim - 2)
    strip_positions: int  # buffered lines per combination
    strip_phase_read: np.ndarray  # gathered: per phase along the line, some tap reads it
    sep_outer_taps: int  # separable, w = outer(a, b): taps of a on axis ndim - 2
    sep_outer_weights: np.ndarray  # a: (n_other, outer taps)
    sep_line_taps: int  # non-zero taps of b
    sep_line_offsets: np.ndarray  # their tap * dilation along the line
    sep_line_weights: np.ndarray  # b at those taps
    sep_columns: bool  # a across the lines as column strips do (separable_columns)
    sep_split: bool  # omit: b's two sums as plain sums over split values (split_present)
    row_other: np.ndarray  # gathered: each row's combination of other taps
    row_strip_tap: np.ndarray  # ... and its tap on axis ndim - 2
    # Column sums (column strips, and separable strips with sep_columns): for
    # each position u from a group's first line on (up to (COLUMN_LINES - 1)
    # * stride + column_reach), which of the group's lines read it (bit r:
    # line r) and with what weight (u, r).
    column_reach: int  # dilation * (taps - 1) on axis ndim - 2
    column_masks: np.ndarray  # uint8
    column_weights: np.ndarray  # (positions, COLUMN_LINES), working dtype
    n_items: int
    chunk: int  # items between two checks for Ctrl-C
    # nan_policy="omit": each sum is formed twice in one pass, of w*x and of
    # w over the present (non-NaN) taps, and the item stores their ratio
    # times `weights_sum`; separable strips keep both of b's sums per line.
    omit: bool
    weights_sum: np.ndarray  # (1,), working dtype: the sum of every weight
    # For the binding and the cost model.
    n_threads: int
    scratch: "Scratch"
    # For the cost model.
    work_per_output: float  # multiply-adds per output
    row_visits: int  # kernel rows (or strip lines) set up, over all items


@dataclass(frozen=True)
class Scratch:
    """One thread's scratch: byte offsets of its regions within a row of `row_bytes`.

    Every region starts on a cache line, and each thread's row ends with a
    spare one, so no two threads ever write the same cache line.
    """

    line: int  # bytes of a cache line: rows and regions start on one
    row_bytes: int
    acc: int  # the item's result before conversion (working dtype)
    row_bufs: int  # gathered rows
    sources: int  # where each tap reads (pointers)
    steps: int  # each tap's step (intp)
    weights: int  # each tap's weight
    parts: int  # complex weights' real and imaginary parts (float64)
    row_sources: int  # each row's (or strip position's) input line (intp)
    row_constant: int  # ... lies past a constant edge (uint8)
    lines: int  # strips: buffered lines (omit, separable: twice, the sums of w)
    needed: int  # strips: which positions a strip reads (uint8)
    den: int  # omit: the item's sums of present weights (working dtype)
    present: int  # omit, separable strips: a line's values (NaN as 0), then 1 or 0 each


def scratch_layout(sizes):
    """The :class:`Scratch` for regions of `sizes` (name -> (count, dtype)), in order."""
    offsets = {}
    end = 0
    for name, (count, dtype) in sizes.items():
        offsets[name] = end
        end += -(-max(1, int(count)) * np.dtype(dtype).itemsize // CACHE_LINE) * CACHE_LINE
    return Scratch(line=CACHE_LINE, row_bytes=end + CACHE_LINE, **offsets)


def plan(problem):
    """The :class:`DirectPlan` for a checked problem with a non-empty output.

    Plans are cached (up to CACHED_PLANS, for kernels of at most
    CACHED_KERNEL values) under everything they depend on: a loop over
    frames or patches of one shape plans once.
    """
    from pyconv._kernels import direct

    writes_output = kernel_can_write(problem.output, problem.input, direct.TYPE_CODES)
    if problem.weights.size > CACHED_KERNEL:
        return _plan(problem, writes_output)
    x, output, weights = problem.input, problem.output, problem.weights
    key = (x.shape, x.strides, x.dtype.str, x.flags.aligned, output.shape, output.strides,
           output.dtype.str, writes_output, weights.shape, weights.dtype.str,
           weights.tobytes(), problem.stride, problem.dilation, problem.before, problem.mode,
           complex(problem.cval), problem.work_dtype.str, problem.n_workers, problem.omit)
    found = _PLANS.get(key)
    if found is None:
        found = _plan(problem, writes_output)
        remember(_PLANS, _PLANS_LOCK, key, found, CACHED_PLANS)
    return found


def remember(cache, lock, key, value, limit):
    """cache[key] = value in a dict of recent entries (insertion order: the
    first is the oldest), evicting the oldest past `limit`. Under `lock`:
    another thread's eviction would break this one's."""
    with lock:
        cache[key] = value
        while len(cache) > limit:
            del cache[next(iter(cache))]


# Recent plans (a dict keeps insertion order: the first is the oldest),
# added and evicted one thread at a time.
_PLANS = {}
_PLANS_LOCK = threading.Lock()
CACHED_PLANS = 64


def _plan(problem, writes_output):
    column = column_axis(problem)
    x, weights, geometry, target_dtype, target_strides = _oriented(problem, writes_output,
                                                                   column)
    order, stride, dilation, before, mode, out_shape = geometry
    work, scale, omit = problem.work_dtype, 1.0, problem.omit
    integer = None if omit else integer_kernel(x.dtype, target_dtype, weights, problem.cval)
    if integer is not None:
        (weights, scale), work = integer, np.dtype(np.int16)
    cval = work.type(complex(problem.cval).real if integer is not None else problem.cval)
    analysis = analyse_kernel(weights)
    in_place = reads_in_place(x, work, x.ndim - 1)
    if column is not None:
        strips = _column_strips(weights.shape[-2], out_shape, stride, dilation)
    else:
        strips = _strips(weights, analysis, integer is not None, out_shape, stride, dilation,
                         in_place, omit)
    cut = _cut(x.shape[-1], weights.shape[-1], analysis, strips, out_shape, stride, dilation,
               before[-1], in_place, work, problem.n_workers, omit)
    output_is_accumulator = (target_dtype == work and scale == 1
                             and (out_shape[-1] == 1 or target_strides[-1] == work.itemsize))
    total_taps = max(1, int(analysis.n_taps.sum()))
    return DirectPlan(
        order=order,
        work_dtype=work, writes_output=writes_output, cval=cval, ndim=x.ndim,
        output_is_accumulator=output_is_accumulator, scale=scale,
        stride=stride, dilation=dilation, before=before, mode=mode,
        span=int(dilation[-1]) * (weights.shape[-1] - 1),
        n_rows=analysis.n_taps.size, max_taps=analysis.columns.shape[1],
        row_outer_taps=analysis.outer_taps, row_n_taps=analysis.n_taps,
        row_offsets=analysis.columns * dilation[-1],
        row_weights=analysis.row_weights.astype(work),
        skip_constant_rows=_skips_constant_rows(cval, weights, omit),
        **_strip_fields(strips, analysis, weights.shape, work, dilation, stride),
        **cut,
        omit=omit,
        weights_sum=np.array([weights.astype(_wide(work)).sum()], dtype=work),
        scratch=_scratch(cut, strips, analysis, stride[-1], dilation[-1] * (weights.shape[-1] - 1),
                         work, output_is_accumulator, omit),
        work_per_output=(strips.cost if strips is not None and strips.separable
                         else float(total_taps)),
    )


def _skips_constant_rows(cval, weights, omit):
    """Whether rows past a constant edge add nothing: cval 0 times finite
    weights, or (omit) a NaN cval, which is missing."""
    if omit:
        return bool(np.isnan(cval))
    return bool(cval == 0) and bool(np.isfinite(weights).all())


def _wide(work):
    return np.complex128 if work.kind == "c" else np.float64


def geometry_order(x):
    """The input's axes in loop order: every other axis, then the line axis."""
    line = line_axis(x)
    return tuple(a for a in range(x.ndim) if a != line) + (line,)


def kernel_can_write(output, x, dtypes):
    """Whether the kernel may write `output` directly (else a temporary, then a copy).

    `dtypes`: the dtypes the kernels can store.
    """
    return (output.dtype in dtypes and output.dtype.isnative and output.flags.aligned
            and not any(s % output.dtype.itemsize or (s == 0 and n > 1)
                        for s, n in zip(output.strides, output.shape, strict=True))
            and not np.may_share_memory(output, x))


def _oriented(problem, writes_output, column=None):
    """The input, weights and per-axis geometry in loop order (line axis last;
    the `column` axis, if any, just before it).

    Returns (x, weights, (order, stride, dilation, before, mode, out_shape),
    target dtype, target strides in bytes).
    """
    x, weights, output = problem.input, problem.weights, problem.output
    stride, dilation, before, mode = (problem.stride, problem.dilation, problem.before,
                                      problem.mode)
    target_dtype = output.dtype if writes_output else output.dtype.newbyteorder("=")
    strides = output.strides if writes_output else _c_strides(output.shape, target_dtype)
    out_shape = output.shape
    if x.ndim == 0:  # one value: a 1-tap correlation on a length-1 axis
        x, weights, out_shape, strides = x.reshape(1), weights.reshape(1), (1,), (0,)
        stride, dilation, before, mode = (1,), (1,), (0,), (int(Mode.CONSTANT),)
    order = geometry_order(x)
    if column is not None:
        order = tuple(a for a in order[:-1] if a != column) + (column, order[-1])
    geometry = (order, intp_array([stride[a] for a in order]),
                intp_array([dilation[a] for a in order]), intp_array([before[a] for a in order]),
                np.ascontiguousarray([mode[a] for a in order], dtype=np.intc),
                tuple(out_shape[a] for a in order))
    return (x.transpose(order), weights.transpose(order), geometry, target_dtype,
            tuple(strides[a] for a in order))


def _c_strides(shape, dtype):
    strides, step = [], dtype.itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= max(1, n)
    return tuple(reversed(strides))


@dataclass(frozen=True)
class _StripChoice:
    """How output lines go in strips (see the module note of ``_direct``)."""

    separable: bool
    group: int
    positions: int
    n_other: int
    a: "np.ndarray | None" = None  # separable: w = outer(a, b)
    b: "np.ndarray | None" = None
    cost: float = 0.0  # separable: multiply-adds per output
    column: bool = False  # column strips (see column_axis)


def column_axis(problem):
    """The axis whose output lines go in column strips, or None.

    For a kernel one tap wide along the line axis whose taps all lie on one
    other axis (a 1-D pass along any axis but the line's: the filter
    family's passes across lines, ``correlate1d`` along axis 0): each input
    line is then loaded once for COLUMN_LINES output lines instead of once
    per kernel row. Only where the lines are read in place as float32 or
    float64, with no stride or padding along the line and without omit.
    That axis goes just before the line axis; a kernel with a single wide
    axis sums its rows in the same order either way, so the results are
    bitwise those of the line loop.
    """
    x, weights, work = problem.input, problem.weights, problem.work_dtype
    if problem.omit or x.ndim < 2 or work not in (np.float32, np.float64):
        return None
    line = line_axis(x)
    if not (reads_in_place(x, work, line) and weights.shape[line] == 1
            and problem.stride[line] == 1 and problem.before[line] == 0
            and problem.output.shape[line] == x.shape[line]):
        return None
    wide = [a for a in range(x.ndim) if weights.shape[a] > 1]
    if len(wide) != 1 or np.count_nonzero(weights) < 2:
        return None
    return wide[0]


def _column_strips(taps, out_shape, stride, dilation):
    group = max(1, min(COLUMN_GROUP, out_shape[-2]))
    positions = (group - 1) * stride[-2] + (taps - 1) * dilation[-2] + 1
    return _StripChoice(False, group, positions, 1, column=True)


def _strips(weights, analysis, integer, out_shape, stride, dilation, in_place, omit=False):
    """The :class:`_StripChoice` for this kernel, or None (one output line per item).

    A separable kernel goes in strips when that costs less per output (b
    along the line once per input line read, then a across the lines);
    other kernels may read their input through gathered strips.
    """
    reach = (weights.shape[-2] - 1) * dilation[-2] if weights.ndim > 1 else 0
    group = OMIT_SEPARABLE_GROUP if omit and 2 * reach >= SEPARABLE_GROUP else SEPARABLE_GROUP
    strip = strip_choice(weights, analysis.factors, out_shape, stride, dilation, in_place,
                         group)
    if strip is not None and integer:
        factors = integer_factors(weights, *strip[:2])
        strip = None if factors is None else factors + strip[2:]
    if strip is not None:
        a, b, group, positions, n_other, _, cost = strip
        return _StripChoice(True, group, positions, n_other, a, b, cost)
    gathered = gathered_strip_choice(weights.shape, analysis.n_taps.size,
                                     analysis.columns.shape[1], out_shape, stride, dilation,
                                     in_place)
    if gathered is not None:
        return _StripChoice(False, *gathered)
    return None


def _cut(n, taps, analysis, strips, out_shape, stride, dilation, before, in_place, work,
         n_workers, omit=False):
    """Segments of an output line, work items, threads and Ctrl-C chunks (a dict of fields)."""
    total_taps = max(1, int(analysis.n_taps.sum()))
    max_taps = analysis.columns.shape[1]
    span = int(dilation[-1]) * (taps - 1)
    filtered_limit = FILTERED_LIMIT * (2 if work == np.int16 else 1)
    segment = max(16, min(SEGMENT, ITEM_WORK // total_taps))
    chunk_taps = max_taps
    chunk_in_place = in_place and out_shape[-1] * np.dtype(work).itemsize > GATHERED_LINE_BYTES
    if strips is not None and strips.column:
        chunk_in_place = True  # (the plan reads every line in place)
    elif strips is not None:
        longest = filtered_limit // (strips.n_other * strips.positions)
        if strips.separable:
            if omit:  # two sums per buffered line, in the same bytes
                longest //= 2
            segment = max(16, min(segment, longest))
            chunk_taps = np.count_nonzero(strips.b)
        else:  # values per buffered line, in phases
            segment = max(16, min(segment, longest // int(stride[-1]) - span // int(stride[-1])))
            chunk_in_place = False
    bounds, buf_len = line_chunks(n, taps, stride[-1], dilation[-1], before, out_shape[-1],
                                  chunk_taps, chunk_in_place, segment)
    n_segments = bounds.shape[0]
    longest_chunk = int((bounds[:, 3] - bounds[:, 0]).max())
    if strips is None:
        n_items = n_segments * math.prod(out_shape[:-1])
        work_per_item = total_taps * longest_chunk
        rows_per_item = analysis.n_taps.size
    else:
        n_items = n_segments * math.prod(out_shape[:-2]) * -(-out_shape[-2] // strips.group)
        work_per_item = strips.group * longest_chunk * (
            max(1, int(strips.cost)) if strips.separable else total_taps)
        rows_per_item = strips.n_other * strips.positions / strips.group
        buf_len = buf_len if strips.separable else 1  # the strip's buffer replaces the rows'
    n_threads = _threads(n_workers, n_items, n_items * work_per_item)
    chunk = max(n_threads, CHUNK_WORK // max(1, work_per_item) // n_threads * n_threads)
    outputs = math.prod(out_shape)
    line_len = max(1, out_shape[-1])
    edge_pieces = 2 if span > 0 else 0  # a kernel one tap wide along the line has none
    items = outputs // line_len * (-(-line_len // SEGMENT) + edge_pieces)
    return dict(n_segments=n_segments, seg_bounds=bounds,
                max_taps_on_line=int(chunk_taps), buf_len=int(buf_len), n_items=int(n_items),
                chunk=int(chunk), n_threads=n_threads, row_visits=int(items * rows_per_item))


def _threads(n_workers, n_items, work):
    """Threads for `work` multiply-adds in `n_items` items: each needs THREAD_WORK."""
    return max(1, min(n_workers, n_items, work // THREAD_WORK))


def separable_columns(strips, work):
    """Whether separable strips sum a across their buffered lines as column
    strips do (several output lines at once; with omit, the lines of both
    sums): a on axis ndim - 2 alone, float32 or float64. Bitwise the same
    as a line at a time."""
    return strips.n_other == 1 and work in (np.float32, np.float64)


def split_present(work):
    """Whether separable strips with omit form b's two sums along the line
    as plain sums (the fast blocked loops) over the values with NaN as 0
    and over 1 or 0 for present or not, split once per line: float32 or
    float64. Bitwise the same as summing with a mask per tap."""
    return work in (np.float32, np.float64)


def _strip_fields(strips, analysis, kernel_shape, work, dilation, stride):
    """The strip fields of the plan (empty tables for LINES)."""
    none = np.zeros(0, dtype=np.intp)
    fields = dict(strips=LINES, strip_group=0, strip_n_other=0,
                  strip_other_taps=np.zeros((0, 0), dtype=np.intp), strip_positions=0,
                  strip_phase_read=np.zeros(0, dtype=np.uint8), sep_outer_taps=0,
                  sep_outer_weights=np.zeros((0, 0), dtype=work), sep_line_taps=0,
                  sep_line_offsets=none, sep_line_weights=np.zeros(0, dtype=work),
                  row_other=none, row_strip_tap=none, sep_columns=False,
                  sep_split=False, column_reach=0,
                  column_masks=np.zeros(0, dtype=np.uint8),
                  column_weights=np.zeros((0, COLUMN_LINES), dtype=work))
    if strips is None:
        return fields
    other_shape = tuple(kernel_shape[:-2])
    fields.update(strip_group=strips.group, strip_n_other=strips.n_other,
                  strip_positions=strips.positions,
                  strip_other_taps=intp_array(
                      np.stack(np.unravel_index(np.arange(strips.n_other), other_shape), axis=-1)
                      if other_shape else np.zeros((1, 0), dtype=np.intp)))
    if strips.column:
        fields.update(strips=COLUMN_STRIPS, **_column_tables(
            analysis.outer_taps[:, -1] * dilation[-2], analysis.row_weights[:, 0],
            (kernel_shape[-2] - 1) * dilation[-2], int(stride[-2]), work))
        return fields
    if strips.separable:
        taps_b = np.flatnonzero(strips.b != 0)
        outer_taps = kernel_shape[-2]
        if separable_columns(strips, work):
            taps_a = np.flatnonzero(strips.a != 0)
            fields.update(sep_columns=True, **_column_tables(
                taps_a * dilation[-2], strips.a[taps_a], (outer_taps - 1) * dilation[-2],
                int(stride[-2]), work))
        fields.update(strips=SEPARABLE_STRIPS, sep_outer_taps=outer_taps,
                      sep_split=split_present(work),
                      sep_outer_weights=np.ascontiguousarray(
                          strips.a.reshape(strips.n_other, outer_taps), dtype=work),
                      sep_line_taps=taps_b.size, sep_line_offsets=intp_array(taps_b * dilation[-1]),
                      sep_line_weights=np.ascontiguousarray(strips.b[taps_b], dtype=work))
        return fields
    outer = analysis.outer_taps
    other_of_row = (np.ravel_multi_index(tuple(outer[:, :-1].T), other_shape) if other_shape
                    else np.zeros(analysis.n_taps.size, dtype=np.intp))
    # A line is gathered as stride phases (see process_gathered_strip); only
    # the phases some tap reads.
    phase_read = np.zeros(int(stride[-1]), dtype=np.uint8)
    used = np.arange(analysis.columns.shape[1]) < analysis.n_taps[:, None]
    phase_read[(analysis.columns * dilation[-1])[used] % int(stride[-1])] = 1
    fields.update(strips=GATHERED_STRIPS, row_other=intp_array(other_of_row),
                  row_strip_tap=intp_array(outer[:, -1]), strip_phase_read=phase_read)
    return fields


def _column_tables(positions, tap_weights, reach, stride, work):
    """Column strips' masks and weights (see DirectPlan): line r of a group
    reads position r * stride + p with weight w, for each tap's position p
    (tap * dilation, at most `reach`) and weight w."""
    masks = np.zeros((COLUMN_LINES - 1) * stride + int(reach) + 1, dtype=np.uint8)
    weights = np.zeros((masks.size, COLUMN_LINES), dtype=work)
    for line in range(COLUMN_LINES):
        masks[positions + line * stride] |= 1 << line
        weights[positions + line * stride, line] = tap_weights
    return dict(column_reach=int(reach), column_masks=masks, column_weights=weights)


def _scratch(cut, strips, analysis, stride, span, work, output_is_accumulator, omit):
    """The :class:`Scratch` one thread needs."""
    total_taps = max(1, int(analysis.n_taps.sum()))
    bounds = cut["seg_bounds"]
    longest_chunk = int((bounds[:, 3] - bounds[:, 0]).max())
    n_rows = max(1, analysis.n_taps.size)
    row_slots = n_rows
    lines = needed = present = 0
    acc = 1 if output_is_accumulator and not omit else longest_chunk
    den = longest_chunk if omit else 0
    if strips is not None and strips.column:
        # A line of cval; each position's mask; a group's sums before they
        # are converted.
        row_slots, lines, needed = strips.positions, longest_chunk, strips.positions
        acc = 1 if output_is_accumulator else COLUMN_LINES * longest_chunk
    elif strips is not None:
        if strips.separable and separable_columns(strips, work):
            # A group's sums before they are converted (omit: the sums of w*x,
            # divided by those of w as these are summed, in registers).
            if omit or not output_is_accumulator:
                acc = COLUMN_LINES * longest_chunk
            den = 0
            row_slots = 2 * strips.positions  # (pointers to the lines of both sums)
        row_slots = max(row_slots, strips.n_other * strips.positions)
        longest = longest_chunk
        # Separable: b's result per buffered line; gathered: the lines, in phases.
        line_len = (longest if strips.separable
                    else int(stride) * (longest + int(span) // int(stride)))
        lines, needed = strips.n_other * strips.positions * line_len, strips.positions
        if omit and strips.separable:
            lines *= 2
        if omit and strips.separable and split_present(work):
            # The range b's taps read, as values and as presence; pointers to both.
            present = 2 * (longest + int(span))
            row_slots = max(row_slots, 2 * np.count_nonzero(strips.b))
    return scratch_layout(dict(
        acc=(acc, work),
        row_bufs=(n_rows * cut["buf_len"], work),
        sources=(max(total_taps, row_slots), np.uintp), steps=(total_taps, np.intp),
        weights=(total_taps, work), parts=(2 * total_taps, np.float64),
        row_sources=(row_slots, np.intp), row_constant=(row_slots, np.uint8),
        lines=(lines, work), needed=(needed, np.uint8),
        den=(den, work), present=(present, work)))


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


def strip_choice(weights, factors, target_shape, stride, dilation, in_place,
                 group=SEPARABLE_GROUP):
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
    nominal_lines = group + (outer_taps - 1) * dilation[-2]
    cost = (np.count_nonzero(b) * n_other * nominal_lines / group
            + np.count_nonzero(a))
    plain = np.count_nonzero(weights)
    if cost >= (1.0 if not in_place else 0.8) * plain:
        return None
    group = min(group, target_shape[-2])
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
    bitwise the same either way (measurements: docs/dev/performance_notes.rst).
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

    Returns (bounds, buffer_len). Row c of `bounds` (intp, one row per
    chunk) is (start, low, high, end): the chunk is outputs [start, end),
    and the kernel reads outputs [low, high) in place -- those whose whole
    window lies inside the input, when `in_place` -- and gathers the two
    edge pieces around them (past the line's ends) into a per-row buffer.
    An edge piece takes at least EDGE_PIECE outputs (so it runs in vector
    blocks, not output by output), or the whole chunk. A gather reads one
    run per tap when that is shorter than the range of positions, so it
    never costs more than the taps read; `buffer_len` is the largest buffer
    an edge piece needs.
    """
    n, taps, stride, dilation, before = int(n), int(taps), int(stride), int(dilation), int(before)
    span = dilation * (taps - 1)
    starts = np.arange(0, out_len, segment, dtype=np.intp)
    ends = np.minimum(starts + segment, out_len)
    if in_place:
        inside_low = min(-(-before // stride), out_len)
        last_start = n - 1 + before - span
        inside_high = max(inside_low,
                          min(last_start // stride + 1, out_len) if last_start >= 0 else 0)
        low = np.clip(inside_low, starts, ends)
        low = np.where(low > starts, np.minimum(ends, np.maximum(low, starts + EDGE_PIECE)), low)
        high = np.maximum(low, np.minimum(ends, inside_high))
        high = np.where(high < ends, np.maximum(low, np.minimum(high, ends - EDGE_PIECE)), high)
    else:
        low = high = starts
    gathered = np.concatenate([low - starts, ends - high])
    gathered = gathered[gathered > 0]
    buffer_len = int(np.minimum((gathered - 1) * stride + span + 1, max_taps * gathered).max(
        initial=1))
    return np.ascontiguousarray(np.stack([starts, low, high, ends], axis=1)), buffer_len
