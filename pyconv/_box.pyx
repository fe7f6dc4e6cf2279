"""Box means along one axis, in time independent of the box's size.

``box_mean`` is the compiled loop behind ``uniform_filter1d``. Along the axis,
each output is a window sum over the input extended by the boundary rule
(``extend_index``), divided by the window's size. The sum runs: moving one
position adds the sample that enters the window and subtracts the one that
leaves, so each output costs one addition, one subtraction and one division
whatever the size.

Accuracy. The running sum is a double for both float dtypes, and it is
started again from scratch (a plain sum over the window) every `run`
positions, ``max(size, RESTART)``: its rounding error grows with the steps
since the last restart, not with the line's length, and the restarts cost
at most one addition per output. Restarts sit at fixed positions of the line,
so every segment between two of them is an independent piece of work, and
the result does not depend on the thread count (or on the order in which the
pieces run).

Speed. A running sum is a chain of dependent additions; both kernels keep
several chains in flight, and read the input in the order it lies in memory.

* The block kernel (``inner >= LINE_KERNEL_INNER``: the filtered axis is not
  the last): a unit advances a block of up to MAX_WIDTH consecutive inner
  elements together, one double accumulator each, a whole row slice per
  position; the update vectorises across the block when the inner stride is
  one element. Blocks are as wide as possible (long contiguous reads keep the
  hardware prefetcher going; narrow ones that jump a row per position do
  not), narrowed only to give each thread a few units.
* The line kernel (the filtered axis is the last, or nearly): a unit walks
  LINES lines (or segments of one long line) together in passes of CHUNK
  positions. Each pass writes each
  line's differences (entering minus leaving sample, a vectorised loop over
  contiguous reads) to a buffer, turns them into window sums with LINES
  interleaved chains, and divides them into the output.

Missing values. A NaN or infinite sample stays in a running sum after it
has left the window, so every unit reports whether its sums ended
non-finite; ``box_mean`` returns False when one did, and the caller then
computes that pass by another method (one whose NaN reaches only the
windows that hold it).

The boundary rule is applied only off the line's ends: the block kernel
evaluates it once per position (the block shares it), the line kernel
splits each pass into its edge parts and a direct interior. Lanes and lines
are independent, so how they are grouped into units (which may depend on the
thread count) never changes a result.
"""

import numpy as np

cimport numpy as cnp
from cython.parallel cimport prange

from pyconv._boundary cimport (
    CONSTANT, MIRROR, NEAREST, REFLECT, extend_index, positive_mod,
)

cnp.import_array()

cdef extern from "Python.h":
    const Py_ssize_t PY_SSIZE_T_MAX

# The loops take a null `real_t *kind` only to pick their specialisation.
ctypedef fused real_t:
    float
    double

cdef enum:
    # Accumulators in a block (a stack array of each work unit).
    MAX_WIDTH = 1024
    # The line kernel: lines advanced together, positions per pass.
    LINES = 4
    CHUNK = 256

# Positions between restarts, at least (the run is max(size, RESTART)). On
# 2e6 float64 samples 1e6 + U(0, 1), size 15, the largest relative error
# against exact window sums was 2.3e-15 at 256, 5.5e-15 at 2048, 1.3e-14 at
# 16384 and 3.9e-14 without restarts (scipy's running sum: 3.9e-14). What
# restarts really bound is a large sample's residue: one 1e12 among U(0, 1)
# samples leaves an error of 3.5e-6 in every later mean of the line without
# them, and none past the next restart with them. A restart costs `size`
# additions: RESTART well above common sizes keeps that a small fraction.
RESTART = 2048
# The line kernel runs when inner is below this (a block would be too narrow).
LINE_KERNEL_INNER = 8
# Blocks are narrowed, down to MIN_WIDTH lanes, until each thread has
# UNITS_PER_THREAD units (a busy core's share can go to the others).
MIN_WIDTH = 64
UNITS_PER_THREAD = 2


cdef struct Geometry:
    const char *src            # element [0, 0, 0] of the (outer, n, inner) input
    char *dst                  # element [0, 0, 0] of the (outer, m, inner) output
    Py_ssize_t n               # input length along the axis
    Py_ssize_t positions       # positions the running sum visits: (m - 1) * stride + 1
    Py_ssize_t src_step, dst_step    # byte strides along the axis
    Py_ssize_t src_outer, src_inner, dst_outer, dst_inner   # byte strides
    Py_ssize_t inner, lines                   # inner length; outer * inner lines
    Py_ssize_t segments, run                  # restarts every `run` positions
    bint by_line                              # which kernel: lines or blocks
    Py_ssize_t width, blocks                  # the block kernel's blocks
    Py_ssize_t size, before, stride
    int mode
    double cval


cdef inline void _add_row(real_t *kind, double *acc, const char *row, double sign,
                          double offset, Py_ssize_t width, Py_ssize_t lane) noexcept nogil:
    """acc[b] += sign * row[b] + offset; sign is +-1, so the product is exact."""
    cdef Py_ssize_t b
    cdef const real_t *values = <const real_t *> row
    if lane == sizeof(real_t):
        for b in range(width):
            acc[b] += sign * values[b] + offset
    else:
        for b in range(width):
            acc[b] += sign * (<const real_t *> (row + b * lane))[0] + offset


cdef inline void _add_difference(real_t *kind, double *acc, const char *enter,
                                 const char *leave, Py_ssize_t width,
                                 Py_ssize_t lane) noexcept nogil:
    """acc[b] += enter[b] - leave[b]: samples of one magnitude subtract exactly,
    so a large common offset adds no rounding of its own."""
    cdef Py_ssize_t b
    cdef const real_t *e = <const real_t *> enter
    cdef const real_t *l = <const real_t *> leave
    if lane == sizeof(real_t):
        for b in range(width):
            acc[b] += <double> e[b] - <double> l[b]
    else:
        for b in range(width):
            acc[b] += (<double> (<const real_t *> (enter + b * lane))[0]
                       - <double> (<const real_t *> (leave + b * lane))[0])


cdef inline double _scale(real_t *kind, double size) noexcept nogil:
    """The factor that turns sums into means, or the divisor (see _mean)."""
    if real_t is float:
        return 1.0 / size
    else:
        return size


cdef inline real_t _mean(real_t *kind, double total, double scale) noexcept nogil:
    """total / size as real_t. float64: divided (correctly rounded). float32:
    times the double 1 / size, within a double's rounding of the quotient, so
    the float32 result is still the quotient rounded once to float32 except
    at a near tie; the division's cost (unvectorised on the baseline target)
    matters most for float32, whose loops otherwise run twice as wide."""
    if real_t is float:
        return <float> (total * scale)
    else:
        return total / scale


cdef inline void _store(real_t *kind, const double *acc, char *row, double scale,
                        Py_ssize_t width, Py_ssize_t lane) noexcept nogil:
    """row[b] = the mean of acc[b] (see _mean)."""
    cdef Py_ssize_t b
    cdef real_t *values = <real_t *> row
    if lane == sizeof(real_t):
        for b in range(width):
            values[b] = _mean(kind, acc[b], scale)
    else:
        for b in range(width):
            (<real_t *> (row + b * lane))[0] = _mean(kind, acc[b], scale)


cdef inline void _store_and_step(real_t *kind, double *acc, char *row, const char *enter,
                                 const char *leave, double scale,
                                 Py_ssize_t width) noexcept nogil:
    """_store, then _add_difference, in one pass (contiguous rows only)."""
    cdef Py_ssize_t b
    cdef real_t *y = <real_t *> row
    cdef const real_t *e = <const real_t *> enter
    cdef const real_t *l = <const real_t *> leave
    for b in range(width):
        y[b] = _mean(kind, acc[b], scale)
        acc[b] += <double> e[b] - <double> l[b]


cdef inline const char *_row(const Geometry *g, const char *src, Py_ssize_t pos) noexcept nogil:
    """The input row that position `pos` of the extended axis reads; NULL for cval."""
    cdef Py_ssize_t q = extend_index(pos, g.n, g.mode)
    if q < 0:
        return NULL
    return src + q * g.src_step


cdef void _restart(real_t *kind, const Geometry *g, double *acc, const char *src,
                   Py_ssize_t p, Py_ssize_t width) noexcept nogil:
    """acc = the window sum at position p, from scratch."""
    cdef Py_ssize_t b, t
    cdef const char *row
    for b in range(width):
        acc[b] = 0.0
    for t in range(g.size):
        row = _row(g, src, p - g.before + t)
        if row == NULL:
            for b in range(width):
                acc[b] += g.cval
        else:
            _add_row(kind, acc, row, 1.0, 0.0, width, g.src_inner)


cdef inline void _advance(real_t *kind, const Geometry *g, double *acc, const char *src,
                          Py_ssize_t p, Py_ssize_t width) noexcept nogil:
    """acc: the window sum at position p -> at p + 1."""
    cdef Py_ssize_t leaving = p - g.before
    cdef Py_ssize_t entering = leaving + g.size
    cdef const char *enter
    cdef const char *leave
    if leaving >= 0 and entering < g.n:  # the interior: no boundary rule
        _add_difference(kind, acc, src + entering * g.src_step,
                        src + leaving * g.src_step, width, g.src_inner)
        return
    enter = _row(g, src, entering)
    leave = _row(g, src, leaving)
    if enter != NULL and leave != NULL:
        _add_difference(kind, acc, enter, leave, width, g.src_inner)
    elif enter != NULL:
        _add_row(kind, acc, enter, 1.0, -g.cval, width, g.src_inner)
    elif leave != NULL:
        _add_row(kind, acc, leave, -1.0, g.cval, width, g.src_inner)
    # (cval enters and cval leaves: the sum does not change)


cdef inline Py_ssize_t _non_finite(const double *acc, Py_ssize_t width) noexcept nogil:
    """How many of the sums are NaN or infinite (x - x is 0 for the others)."""
    cdef Py_ssize_t b, count = 0
    for b in range(width):
        if not (acc[b] - acc[b] == 0.0):
            count += 1
    return count


cdef Py_ssize_t _block_unit(real_t *kind, const Geometry *g, Py_ssize_t unit) noexcept nogil:
    """One work unit: a block of lines over one segment of positions.
    Returns how many of its sums ended non-finite."""
    cdef double acc[MAX_WIDTH]
    cdef Py_ssize_t block = unit % g.blocks
    cdef Py_ssize_t rest = unit // g.blocks
    cdef Py_ssize_t segment = rest % g.segments
    cdef Py_ssize_t group = rest // g.segments
    cdef Py_ssize_t first = block * g.width
    cdef Py_ssize_t width = min(g.width, g.inner - first)
    cdef const char *src = g.src + group * g.src_outer + first * g.src_inner
    cdef char *dst = g.dst + group * g.dst_outer + first * g.dst_inner
    cdef Py_ssize_t start = segment * g.run
    cdef Py_ssize_t stop = min(start + g.run, g.positions)
    # The first output at or after `start`, and the position it is taken at.
    cdef Py_ssize_t j = (start + g.stride - 1) // g.stride
    cdef Py_ssize_t next_store = j * g.stride
    cdef double scale = _scale(kind, <double> g.size)
    cdef Py_ssize_t p
    cdef bint fuse = g.src_inner == sizeof(real_t) and g.dst_inner == sizeof(real_t)
    _restart(kind, g, acc, src, start, width)
    for p in range(start, stop):
        if (fuse and p == next_store and p + 1 < stop and p >= g.before
                and p - g.before + g.size < g.n):
            _store_and_step(kind, acc, dst + j * g.dst_step,
                            src + (p - g.before + g.size) * g.src_step,
                            src + (p - g.before) * g.src_step, scale, width)
            j += 1
            next_store += g.stride
            continue
        if p == next_store:
            _store(kind, acc, dst + j * g.dst_step, scale, width, g.dst_inner)
            j += 1
            next_store += g.stride
        if p + 1 < stop:
            _advance(kind, g, acc, src, p, width)
    return _non_finite(acc, width)


# --------------------------------------------------------------------------
# The line kernel: the filtered axis is (nearly) the last one
# --------------------------------------------------------------------------

cdef inline double _at(real_t *kind, const Geometry *g, const char *line,
                       Py_ssize_t q) noexcept nogil:
    return (<const real_t *> (line + q * g.src_step))[0]


cdef void _outside(real_t *kind, const Geometry *g, const char *line, Py_ssize_t pos,
                   Py_ssize_t count, double *out) noexcept nogil:
    """out[k] = x_ext[pos + k], k < count, for one line: what extend_index
    reads, with a single division (the periodic modes reduce `pos` modulo
    their period once, then fold each step) instead of one per sample."""
    cdef Py_ssize_t k, q, r, period
    if g.mode == CONSTANT or g.mode == NEAREST:
        for k in range(count):
            q = pos + k
            if 0 <= q < g.n:
                out[k] = _at(kind, g, line, q)
            elif g.mode == CONSTANT:
                out[k] = g.cval
            else:
                out[k] = _at(kind, g, line, 0 if q < 0 else g.n - 1)
        return
    # REFLECT: period 2n, folding r >= n onto 2n - 1 - r; MIRROR: 2n - 2
    # (1 when n == 1: every position reads the one sample), onto 2n - 2 - r;
    # WRAP: period n, no fold.
    period = 2 * g.n if g.mode == REFLECT else (
        max(2 * g.n - 2, 1) if g.mode == MIRROR else g.n)
    r = positive_mod(pos, period)
    for k in range(count):
        q = r
        if q >= g.n:
            q = period - q - (1 if g.mode == REFLECT else 0)
        out[k] = _at(kind, g, line, q)
        r += 1
        if r == period:
            r = 0


cdef void _extended(real_t *kind, const Geometry *g, const char *line, Py_ssize_t pos,
                    Py_ssize_t count, double *out) noexcept nogil:
    """out[k] = x_ext[pos + k], k < count: direct reads inside the line,
    _outside past its ends."""
    cdef Py_ssize_t k
    cdef Py_ssize_t a = min(max(-pos, 0), count)          # first k inside
    cdef Py_ssize_t b = min(max(g.n - pos, a), count)     # first k past the end
    cdef const real_t *x = <const real_t *> line
    if g.src_step == sizeof(real_t):
        for k in range(a, b):
            out[k] = x[pos + k]
    else:
        for k in range(a, b):
            out[k] = _at(kind, g, line, pos + k)
    _outside(kind, g, line, pos, a, out)
    _outside(kind, g, line, pos + b, count - b, out + b)


cdef void _differences(real_t *kind, const Geometry *g, const char *line, double *d,
                       Py_ssize_t p0, Py_ssize_t count) noexcept nogil:
    """d[k] = x_ext[p + size - before] - x_ext[p - before], p = p0 + k, k < count:
    direct (vectorised) reads inside the line, _extended at its ends."""
    cdef double leave[CHUNK]
    cdef Py_ssize_t k, low = p0 - g.before
    cdef Py_ssize_t a = min(max(-low, 0), count)          # first k reading inside
    cdef Py_ssize_t b = min(max(g.n - g.size - low, a), count)  # and past the last
    cdef const real_t *x = <const real_t *> line
    if g.src_step == sizeof(real_t):
        for k in range(a, b):
            d[k] = <double> x[low + k + g.size] - <double> x[low + k]
    else:
        for k in range(a, b):
            d[k] = (<double> (<const real_t *> (line + (low + k + g.size) * g.src_step))[0]
                    - <double> (<const real_t *> (line + (low + k) * g.src_step))[0])
    if a > 0:
        _extended(kind, g, line, low + g.size, a, d)
        _extended(kind, g, line, low, a, leave)
        for k in range(a):
            d[k] -= leave[k]
    if b < count:
        _extended(kind, g, line, low + b + g.size, count - b, d + b)
        _extended(kind, g, line, low + b, count - b, leave)
        for k in range(b, count):
            d[k] -= leave[k - b]


cdef double _window_sum(real_t *kind, const Geometry *g, const char *line,
                        Py_ssize_t pos) noexcept nogil:
    """The sum of x_ext[pos .. pos + size) from scratch (a restart)."""
    cdef double values[CHUNK]
    cdef double total = 0.0
    cdef Py_ssize_t k, t = 0, count
    while t < g.size:
        count = min(<Py_ssize_t> CHUNK, g.size - t)
        _extended(kind, g, line, pos + t, count, values)
        for k in range(count):
            total += values[k]
        t += count
    return total


cdef inline void _prefix(double *d, double *acc, Py_ssize_t count) noexcept nogil:
    """d[l][k] = the window sum at the k-th position; acc: the sum after the last.
    LINES independent chains of additions, so their latencies overlap."""
    cdef Py_ssize_t k, l
    cdef double t
    for k in range(count):
        for l in range(LINES):
            t = d[l * CHUNK + k]
            d[l * CHUNK + k] = acc[l]
            acc[l] += t


cdef void _line_store(real_t *kind, const Geometry *g, char *out, const double *sums,
                      Py_ssize_t p0, Py_ssize_t count) noexcept nogil:
    """out[j] = the mean of sums[j * stride - p0], for the outputs taken in
    the pass (see _mean)."""
    cdef Py_ssize_t j = (p0 + g.stride - 1) // g.stride
    cdef Py_ssize_t k = j * g.stride - p0
    cdef double scale = _scale(kind, <double> g.size)
    cdef real_t *y = <real_t *> out
    if g.stride == 1 and g.dst_step == sizeof(real_t):
        for k in range(count):
            y[p0 + k] = _mean(kind, sums[k], scale)
        return
    while k < count:
        (<real_t *> (out + j * g.dst_step))[0] = _mean(kind, sums[k], scale)
        j += 1
        k += g.stride


cdef Py_ssize_t _line_unit(real_t *kind, const Geometry *g, Py_ssize_t unit) noexcept nogil:
    """LINES (line, segment) pairs, consecutive in line-major order: lines, or
    the segments of a long line, advance together. A lane past the last pair,
    or past its own segment's end, computes without storing. Returns how
    many of its sums ended non-finite."""
    cdef double d[LINES * CHUNK]
    cdef double acc[LINES]
    cdef const char *x[LINES]
    cdef char *y[LINES]
    cdef Py_ssize_t start[LINES]
    cdef Py_ssize_t stop[LINES]
    cdef Py_ssize_t l, pair, line, offset = 0, length = 0, count
    for l in range(LINES):
        pair = min(unit * LINES + l, g.lines * g.segments - 1)
        line = pair // g.segments
        x[l] = g.src + (line // g.inner) * g.src_outer + (line % g.inner) * g.src_inner
        y[l] = g.dst + (line // g.inner) * g.dst_outer + (line % g.inner) * g.dst_inner
        start[l] = (pair % g.segments) * g.run
        stop[l] = min(start[l] + g.run, g.positions)
        if unit * LINES + l != pair:
            stop[l] = start[l]  # padding: nothing to store
        length = max(length, stop[l] - start[l])
        acc[l] = _window_sum(kind, g, x[l], start[l] - g.before)
    while offset < length:
        count = min(<Py_ssize_t> CHUNK, length - offset)
        for l in range(LINES):
            _differences(kind, g, x[l], d + l * CHUNK, start[l] + offset, count)
        _prefix(d, acc, count)
        for l in range(LINES):
            _line_store(kind, g, y[l], d + l * CHUNK, start[l] + offset,
                        min(count, max(stop[l] - start[l] - offset, 0)))
        offset += count
    return _non_finite(acc, LINES)


cdef Py_ssize_t _run(real_t *kind, const Geometry *g, Py_ssize_t units,
                     int n_threads) noexcept nogil:
    """Every unit; returns how many sums ended non-finite."""
    cdef Py_ssize_t u, non_finite = 0
    if n_threads == 1:  # no parallel region to open and close
        for u in range(units):
            if g.by_line:
                non_finite += _line_unit(kind, g, u)
            else:
                non_finite += _block_unit(kind, g, u)
    else:
        for u in prange(units, num_threads=n_threads, schedule="dynamic"):
            if g.by_line:
                non_finite += _line_unit(kind, g, u)
            else:
                non_finite += _block_unit(kind, g, u)
    return non_finite


def _check(cnp.ndarray src, cnp.ndarray dst, Py_ssize_t size, Py_ssize_t before,
           int mode, Py_ssize_t stride, int n_threads):
    """The checks that keep every read and write inside the two arrays."""
    if src.ndim != 3 or dst.ndim != 3:
        raise ValueError("box_mean: src and dst must be 3-D (outer, n, inner)")
    if src.dtype not in (np.float32, np.float64) or dst.dtype != src.dtype:
        raise TypeError("box_mean: src and dst must both be float32 or both float64 "
                        f"(native byte order), got {src.dtype} and {dst.dtype}")
    if not (src.flags.aligned and dst.flags.aligned and dst.flags.writeable):
        raise ValueError("box_mean: src and dst must be aligned, dst writeable")
    outer, n, inner = src.shape[0], src.shape[1], src.shape[2]
    if n < 1:
        raise ValueError("box_mean: the filtered axis must not be empty")
    if size < 1 or stride < 1 or n_threads < 1:
        raise ValueError(f"box_mean: size ({size}), stride ({stride}) and n_threads "
                         f"({n_threads}) must be >= 1")
    if not 0 <= before < size or size > (PY_SSIZE_T_MAX - n) // 2:
        raise ValueError(f"box_mean: before ({before}) must be in [0, size) and size "
                         f"({size}) not near the index range's end")
    if not 0 <= mode <= 4:
        raise ValueError(f"box_mean: unknown mode code {mode}")
    expected = (outer, (n - 1) // stride + 1, inner)
    actual = (dst.shape[0], dst.shape[1], dst.shape[2])
    if actual != expected:
        raise ValueError(f"box_mean: dst must have shape {expected}, got {actual}")
    if outer * inner > 0 and any(dst.strides[a] == 0 and dst.shape[a] > 1 for a in range(3)):
        # (threads would write one element at the same time)
        raise ValueError("box_mean: dst must not have zero strides (a broadcast view)")


cdef Geometry _geometry(cnp.ndarray src, cnp.ndarray dst, Py_ssize_t size,
                        Py_ssize_t before, int mode, double cval, Py_ssize_t stride,
                        int n_threads):
    """Where every unit of work reads and writes."""
    cdef Geometry g
    cdef Py_ssize_t outer = src.shape[0], inner = src.shape[2]
    g.src, g.dst = <const char *> cnp.PyArray_DATA(src), <char *> cnp.PyArray_DATA(dst)
    g.n, g.src_step, g.dst_step = src.shape[1], src.strides[1], dst.strides[1]
    g.positions = (dst.shape[1] - 1) * stride + 1
    g.size, g.before, g.stride, g.mode, g.cval = size, before, stride, mode, cval
    g.run = max(size, RESTART)
    g.segments = (g.positions + g.run - 1) // g.run
    g.src_outer, g.src_inner = src.strides[0], src.strides[2]
    g.dst_outer, g.dst_inner = dst.strides[0], dst.strides[2]
    g.inner, g.lines = inner, outer * inner
    g.by_line = inner < LINE_KERNEL_INNER
    # The block kernel: blocks of equal width along inner, at most MAX_WIDTH,
    # more (down to MIN_WIDTH) while there are fewer units than a few per
    # thread. The width only groups independent lanes: results stay the same.
    g.blocks = (inner + MAX_WIDTH - 1) // MAX_WIDTH
    while (n_threads > 1 and outer * g.segments * g.blocks < UNITS_PER_THREAD * n_threads
           and inner // (2 * g.blocks) >= MIN_WIDTH):
        g.blocks *= 2
    g.width = (inner + g.blocks - 1) // g.blocks if inner > 0 else 0
    return g


def box_mean(cnp.ndarray src, cnp.ndarray dst, Py_ssize_t size, Py_ssize_t before,
             int mode, double cval, Py_ssize_t stride, int n_threads):
    """dst[o, j, i] = mean of x_ext[o, j*stride - before + t, i], t in [0, size).

    `src`: (outer, n, inner), float32 or float64, n >= 1; `dst`: (outer, m,
    inner) of the same dtype with ``m = (n - 1) // stride + 1``, writeable,
    overlapping neither `src` nor itself. Both aligned, with any strides:
    negative ones, and zero ones in `src` (a broadcast view) included.
    ``x_ext`` is `src` extended along axis 1 by ``extend_index`` with `mode`
    (a ``Mode`` code) and `cval`; ``0 <= before < size`` (scipy's origin o is
    ``before = size // 2 + o``). Sums run in double; runs on `n_threads`
    OpenMP threads (1: no parallel region) without the GIL. Time per line
    is O(n + size): a window longer than the line is summed once per line.

    Returns True when every running sum stayed finite. False: a NaN or
    infinite sample (or cval) was read, and it poisoned its running sum
    past its window, up to the next restart (scipy's: to the line's end);
    the caller recomputes.
    """
    _check(src, dst, size, before, mode, stride, n_threads)
    cdef Geometry g = _geometry(src, dst, size, before, mode, cval, stride, n_threads)
    cdef Py_ssize_t units
    if g.by_line:
        units = (g.lines * g.segments + LINES - 1) // LINES
    else:
        units = src.shape[0] * g.segments * g.blocks
    cdef Py_ssize_t non_finite = 0
    if units == 0:
        return True
    n_threads = min(n_threads, units)  # (one unit: no parallel region)
    if src.dtype == np.float64:
        with nogil:
            non_finite = _run(<double *> NULL, &g, units, n_threads)
    else:
        with nogil:
            non_finite = _run(<float *> NULL, &g, units, n_threads)
    return non_finite == 0
