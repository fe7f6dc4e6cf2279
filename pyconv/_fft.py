"""The FFT method: overlap-save in tiles, on scipy.fft or ducc0.fft.

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
and transformed together through the backend's `Transforms` (scipy.fft or
ducc0.fft, `_fft_backends`), float32 kept in single precision, ``workers``
passed on: complex data with complex transforms, real data with real ones.
On scipy.fft, real data on one filtered axis go two units (tiles or batch
indices) to a complex transform, one as its real part and its neighbour as
its imaginary part: the kernel is real, so the two results come back apart
in the real and imaginary parts of the inverse. On pocketfft one complex
transform costs less than two real ones; on ducc0 two real ones cost less
(docs/dev/performance_notes.rst has the figures).
The copies into and out of the pairs are `_pairs`' loops, which read and
write each value once without the GIL. The inverse runs axis by axis and keeps only
the strided, valid points after each axis, so later axes transform less.

A single tile per axis when the whole axis fits one transform cheaply; the
tile length otherwise minimises the transforms' time per useful output
(`_transform_work`).

The kernel's own transform on the tile grid (its *spectrum*) depends only on
the weights and the plan: a `SpectrumSlot` keeps it from one call to the
next where the weights and plan stay (a repeated call, a stream's pushes)
and between the two sums of nan_policy="omit".
"""

import collections
import functools
import itertools
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.fft as sfft

from pyconv import _fft_backends
from pyconv._boundary import extend_indices
from pyconv._pairs import pack_pairs, unpack_pairs

# Elements gathered per box: few enough that a box's arrays stay in a
# core's cache (larger boxes measured slower in 1-D and no faster in 2-D
# and 3-D; docs/dev/performance_notes.rst). The peak scratch is about 3
# arrays of a box per thread (see _plan.fft_memory), 6 MiB in float64.
BOX_ELEMENTS = 1 << 18

# Per-transform overhead of scipy.fft, counted as the work of a transform of
# this length: it makes short tiles (and their copied overlap) unattractive.
MIN_TILE = 128

# Largest tile (product over the filtered axes): bounds the memory of one box
# and the time of one transform, which Ctrl-C cannot interrupt. Smaller
# tiles also stay in cache and give several boxes to run on threads,
# gathers and stores included: 2**20 measured faster than 2**22 wherever
# they differ (docs/dev/performance_notes.rst).
MAX_TILE_ELEMENTS = 1 << 20

# Spectra kept by the slots of repeated calls: the most recent KEPT_SPECTRA
# (older slots are emptied), each of at most KEPT_SPECTRUM_BYTES. A 63x63
# kernel's spectrum on 576^2 tiles (2.7 MB) took 0.9 of a 1024^2 call's
# 9.5 ms.
KEPT_SPECTRA = 4
KEPT_SPECTRUM_BYTES = 1 << 24
_kept_slots = collections.deque()
_kept_lock = threading.Lock()


class SpectrumSlot:
    """Where calls with the same weights and plan keep the kernel's spectrum.

    `bounded`: the slot counts against KEPT_SPECTRA (a repeated call's,
    which lives on in a cache); an unbounded one lives for one call.
    """

    __slots__ = ("spectrum", "bounded")

    def __init__(self, bounded=True):
        self.spectrum, self.bounded = None, bounded

    def keep(self, spectrum):
        if not self.bounded:
            self.spectrum = spectrum
        elif spectrum.nbytes <= KEPT_SPECTRUM_BYTES:
            with _kept_lock:
                self.spectrum = spectrum
                _kept_slots.append(self)
                while len(_kept_slots) > KEPT_SPECTRA:
                    _kept_slots.popleft().spectrum = None


class NotFinite(Exception):
    """A box's result holds a NaN or an infinity (raised only when asked to check)."""


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
    transforms: _fft_backends.Transforms  # the backend planned for, and run with
    real: bool  # real transforms: real data and weights, one unit per transform
    paired: bool  # real data, units packed in pairs into complex transforms
    box: tuple  # units per box along each input axis (batch: indices, filtered: tiles)
    box_elements: int  # elements gathered per (full) box
    n_boxes: int
    log2_transform: float  # log2 of the product of transform lengths


def _smooth_lengths(limit):
    """The transform lengths 2**a 3**b 5**c up to `limit`, ascending."""
    lengths = []
    five = 1
    while five <= limit:
        three = five
        while three <= limit:
            n = three
            while n <= limit:
                lengths.append(n)
                n *= 2
            three *= 3
        five *= 5
    return sorted(lengths)


SMOOTH_LENGTHS = np.array(_smooth_lengths(MAX_TILE_ELEMENTS), dtype=np.int64)


def _transform_work(n):
    """A length-n transform's time, in units of one point's log2 step.

    Per point: ``log2 n - 2.56``, plus ``0.42`` per factor of 3 and ``0.65``
    per factor of 5 in n, a fit to pocketfft's complex transforms along the
    contiguous axis (docs/dev/performance_notes.rst). Factors of 3 and 5
    cost more than their log2 there, so 8192 beats 10800 with 1025 taps.
    Shorter transforms (the axes of 2-D and 3-D tiles) showed no such
    penalty, so it applies from 1,024 on; the floor keeps tiny lengths
    positive.
    """
    threes = fives = 0
    m = n
    while m % 3 == 0:
        m, threes = m // 3, threes + 1
    while m % 5 == 0:
        m, fives = m // 5, fives + 1
    per_point = math.log2(n) - 2.56
    if n >= 1024:
        per_point += 0.42 * threes + 0.65 * fives
    return n * max(1.0, per_point)


@functools.lru_cache(maxsize=1024)  # a pure function of integers, and it tries every length
def _tile_length(span, stride, out_len, cap):
    """(transform, useful) for one axis: the least work per output with N <= cap.

    Candidates: every length 2**a 3**b 5**c from the shortest useful tile
    up to the cap (or the whole axis in one tile); the work of a tile is
    `_transform_work` plus a fixed per-transform overhead.
    """
    overhead = _transform_work(MIN_TILE)
    whole_axis = sfft.next_fast_len((out_len - 1) * stride + span + 1, real=True)
    # Admitted however long: the shortest tile with two outputs (or the whole axis).
    shortest = min(sfft.next_fast_len(span + 1 + stride, real=True), whole_axis)
    limit = min(max(cap, shortest), whole_axis)
    candidates = SMOOTH_LENGTHS[(SMOOTH_LENGTHS > span) & (SMOOTH_LENGTHS <= limit)]
    best = None
    for transform in [int(n) for n in candidates] or [shortest]:
        useful = min((transform - span - 1) // stride + 1, out_len)
        work = -(-out_len // useful) * (_transform_work(transform) + overhead)
        if best is None or work < best[0]:
            best = (work, transform, useful)
    return best[1], best[2]


def plan(problem, transforms=None):
    """The tiling of `problem` (a checked Problem with at least one filtered axis)
    for the backend `transforms` (by default, the one in use)."""
    transforms = transforms or _fft_backends.current()
    x = problem.input
    weights = problem.weights
    real = problem.work_dtype.kind != "c"

    def filtered(a):  # a batch axis (or a 1-tap unpadded one, the same thing) rides along
        span = problem.dilation[a] * (weights.shape[a] - 1)
        return span or problem.before[a] or problem.after[a] or problem.stride[a] != 1

    filtered_axes = [a for a in range(x.ndim) if filtered(a)]
    cap = int(MAX_TILE_ELEMENTS ** (1.0 / max(1, len(filtered_axes))))
    axes = []
    for a in filtered_axes:
        span = problem.dilation[a] * (weights.shape[a] - 1)
        out_len = problem.output.shape[a]
        transform, useful = _tile_length(span, problem.stride[a], out_len, cap)
        axes.append(FftAxis(a, x.shape[a], span, problem.stride[a], problem.before[a],
                            problem.mode[a], out_len, transform, useful,
                            -(-out_len // useful)))
    by_axis = {fa.axis: fa for fa in axes}

    # Box: C-order blocking of the units (batch indices, tiles). Start from one
    # unit on every axis and grow the innermost axes first while the gathered
    # box holds at most BOX_ELEMENTS (a single tile may hold more).
    unit_size = [by_axis[a].transform if a in by_axis else 1 for a in range(x.ndim)]
    unit_count = [by_axis[a].tiles if a in by_axis else x.shape[a] for a in range(x.ndim)]
    box = [1] * x.ndim
    for a in reversed(range(x.ndim)):
        others = int(np.prod([box[b] * unit_size[b] for b in range(x.ndim) if b != a],
                             dtype=np.int64))
        box[a] = min(unit_count[a], max(1, BOX_ELEMENTS // (others * unit_size[a])))
        if box[a] < unit_count[a]:
            break  # earlier axes: one unit per box
    box_elements = int(np.prod([b * u for b, u in zip(box, unit_size, strict=True)],
                               dtype=np.int64))
    n_boxes = int(np.prod([-(-c // b) for c, b in zip(unit_count, box, strict=True)],
                          dtype=np.int64))
    log2_transform = float(sum(np.log2(fa.transform) for fa in axes))
    # Pairs only where the backend's complex transforms are the cheaper, and
    # for one filtered axis: on 2-D and 3-D tiles (whose other axes are
    # complex transforms either way) they measured no faster, and an odd box
    # of 3 wastes a third.
    paired = transforms.pairs and real and len(axes) == 1 and math.prod(box) > 1
    return FftPlan(tuple(axes), transforms, real and not paired, paired, tuple(box),
                   box_elements, n_boxes, log2_transform)


def _kernel_spectrum(problem, fft_plan, positions, workers):
    """The dilated, reversed kernel, zero-padded to the tile grid, transformed.

    The reversed kernel starts at index 0 of each axis, so padding with zeros
    at the end of each axis places it; transforming axis by axis (the real
    one first) only ever touches the rows the padding has reached.
    """
    weights = problem.weights
    shape = [1] * positions.ndim
    for fa in fft_plan.axes:
        shape[positions.n[fa.axis]] = fa.span + 1
    kernel = np.zeros(shape, dtype=problem.work_dtype)
    place = [0] * positions.ndim
    values_shape = [1] * positions.ndim
    for fa in fft_plan.axes:
        taps = weights.shape[fa.axis]
        # Reversed and dilated: tap t lands at span - t * dilation.
        place[positions.n[fa.axis]] = fa.span - np.arange(taps) * problem.dilation[fa.axis]
        values_shape[positions.n[fa.axis]] = taps
    kernel[np.ix_(*[np.atleast_1d(p) for p in place])] = weights.reshape(values_shape)
    axes = [(positions.n[fa.axis], fa.transform) for fa in fft_plan.axes]
    last_axis, last_n = axes[-1]
    transforms = fft_plan.transforms
    spectrum = transforms.forward_padded(kernel, last_axis, last_n, fft_plan.real, workers)
    for axis, n in axes[:-1]:
        spectrum = transforms.forward_padded(spectrum, axis, n, False, workers)
    return spectrum


class _Positions:
    """Where each input axis lands in a box of tiles (filtered axes split in two).

    ``unit[a]``: the position counting axis a's units (its tiles, or its
    indices for a batch axis); ``n[a]``: a filtered axis' transform.
    """

    def __init__(self, ndim, filtered):
        self.unit, self.tile, self.n, position = {}, {}, {}, 0
        for a in range(ndim):
            self.unit[a] = position
            if a in filtered:
                self.tile[a], self.n[a] = position, position + 1
                position += 2
            else:
                position += 1
        self.ndim = position


def _extend(x, first, stop, fft_plan, work, cval):
    """Input positions [first[a], stop[a]) on every axis, as one new `work` array.

    Batch axes only ever ask for positions inside the input. The part inside
    is one copy; each filtered axis' halo (past an edge) is one fancy-indexed
    slab of the input through that axis' boundary rule, spanning the axes
    before it in full and those after it inside only, so the slabs cover
    every corner once; the halos of `constant` axes are cval at the end.
    """
    block = np.empty([b - a for a, b in zip(first, stop, strict=True)], dtype=work)
    # [low, high): the part inside the input, empty (low = high) for a block
    # wholly before its start or past its end.
    low = [min(max(a, 0), b) for a, b in zip(first, stop, strict=True)]
    high = [max(min(b, n), lo) for b, n, lo in zip(stop, x.shape, low, strict=True)]
    np.copyto(block[tuple(slice(lo - a, hi - a) for a, lo, hi in zip(first, low, high,
                                                                      strict=True))],
              x[tuple(slice(lo, hi) for lo, hi in zip(low, high, strict=True))],
              casting="unsafe")
    by_axis = {fa.axis: fa for fa in fft_plan.axes}

    def reads(a, begin, end):  # the input index positions [begin, end) of axis a read
        positions = np.arange(begin, end)
        if a not in by_axis:
            return positions
        return extend_indices(positions, by_axis[a].length, by_axis[a].mode)

    # Slabs span the axes before theirs in full: those axes' reads, once.
    spanned = {b: np.maximum(reads(b, first[b], stop[b]), 0) for b in range(max(by_axis))}
    constant_halos = []
    for fa in fft_plan.axes:
        a = fa.axis
        for side, (begin, end) in ((slice(0, low[a] - first[a]), (first[a], low[a])),
                                   (slice(high[a] - first[a], None), (high[a], stop[a]))):
            if begin == end:
                continue
            # Only the halo's positions go through the rule (the rest of a
            # long 1-D box is inside, and is most of it).
            halo = reads(a, begin, end)
            if halo[0] < 0:  # past a constant edge: every position of this side
                constant_halos.append((a, side))
                continue
            where, source = [], []
            for b in range(x.ndim):
                if b < a:
                    where.append(slice(None))
                    source.append(spanned[b])
                elif b == a:
                    where.append(side)
                    source.append(halo)
                else:
                    where.append(slice(low[b] - first[b], high[b] - first[b]))
                    source.append(np.arange(low[b], high[b]))
            np.copyto(block[tuple(where)], x[np.ix_(*source)], casting="unsafe")
    for a, side in constant_halos:
        block[(slice(None),) * a + (side,)] = cval
    return block


def _gather(x, problem, fft_plan, positions, box_start, box_stop):
    """The tiles of one box, in the working dtype, each filtered axis split (tiles, N).

    Returns (tiles, owned). Tiles are strided views (of the input itself when
    the box lies inside it and is already in the working dtype): pocketfft
    reads any strides, and copying first costs as much again. `owned` says
    the array is scratch the transform may overwrite: a fresh copy in which
    no two tiles overlap.
    """
    first, stop = list(box_start), list(box_stop)
    for fa in fft_plan.axes:
        tiles = box_stop[fa.axis] - box_start[fa.axis]
        step = fa.useful * fa.stride
        first[fa.axis] = box_start[fa.axis] * step - fa.before
        stop[fa.axis] = first[fa.axis] + (tiles - 1) * step + fa.transform
    inside = all(0 <= a and b <= n for a, b, n in zip(first, stop, x.shape, strict=True))
    if inside and x.dtype == problem.work_dtype:
        block = x[tuple(slice(a, b) for a, b in zip(first, stop, strict=True))]
    else:
        block = _extend(x, first, stop, fft_plan, problem.work_dtype, problem.cval)
    # Cut overlapping tiles (windows `step` apart) out of each extended axis;
    # axes are split in increasing order, so axis a sits at positions.tile[a].
    for fa in fft_plan.axes:
        axis = positions.tile[fa.axis]
        if box_stop[fa.axis] - box_start[fa.axis] > 1:
            windows = np.lib.stride_tricks.sliding_window_view(block, fa.transform, axis=axis)
            picked = [slice(None)] * windows.ndim
            picked[axis] = slice(None, None, fa.useful * fa.stride)
            block = np.moveaxis(windows[tuple(picked)], -1, axis + 1)
        else:
            block = np.expand_dims(block, axis)
    # Windows that do not overlap (step == transform) leave a contiguous but
    # read-only view of the scratch: not for the transform to overwrite.
    owned = (block.flags.c_contiguous and block.flags.writeable
             and not np.may_share_memory(block, x))
    return block, owned


def _store(values, out):
    """Write working-precision `values` into `out` with the documented conversion.

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


def _put_box(values, target, start, stop, by_axis, pair=None, store=_store):
    """Store a box's `values` (each filtered axis split in (tiles, useful)) in `target`.

    Rather than merge the two axes (a copy), the target is viewed split the
    same way: whole tiles in one piece, the last tile's used part in
    another, so up to 2**k stores for k filtered axes. `pair`: (axis,
    parity) when `values` holds only every other unit of that axis (from
    unit ``start + parity``); extra trailing units of `values` are ignored.
    `store(piece, view)` writes each piece.
    """
    choices = []  # per input axis: (values index, target first, target shape, strides)
    for a in range(target.ndim):
        step = target.strides[a]
        first_unit, unit_step = start[a], 1
        if pair is not None and a == pair[0]:
            first_unit, unit_step = start[a] + pair[1], 2
        count = len(range(first_unit, stop[a], unit_step))
        if count == 0:
            return
        if a not in by_axis:
            choices.append([((slice(0, count),), first_unit, (count,), (unit_step * step,))])
            continue
        fa = by_axis[a]
        last = first_unit + (count - 1) * unit_step
        partial = (last + 1) * fa.useful > fa.out_len  # only the axis' last tile can be
        whole = count - partial
        rest = fa.out_len - last * fa.useful if partial else 0
        unit_stride = unit_step * fa.useful * step
        options = []
        if whole:
            options.append(((slice(0, whole), slice(None)), first_unit * fa.useful,
                            (whole, fa.useful), (unit_stride, step)))
        if rest:
            options.append(((slice(whole, whole + 1), slice(0, rest)), last * fa.useful,
                            (1, rest), (unit_stride, step)))
        choices.append(options)
    for pieces in itertools.product(*choices):
        corner = target[tuple(slice(first, None) for _, first, _, _ in pieces)]
        view = np.lib.stride_tricks.as_strided(
            corner, shape=sum((shape for _, _, shape, _ in pieces), ()),
            strides=sum((strides for _, _, _, strides in pieces), ()), writeable=True)
        store(values[sum((index for index, _, _, _ in pieces), ())], view)


def _put_pairs(values, target, start, stop, by_axis, axis):
    """Store a box of paired `values` (units 2p and 2p + 1 of input axis `axis`
    as the real and imaginary parts of unit p) in `target`.

    The pairs of two whole units go through `unpack_pairs`, which reads
    each value once; the rest (an odd count's last unit, the axis' partial
    last tile, or all of them for an output of another dtype) go as the real
    parts, then the imaginary parts.
    """
    fa = by_axis.get(axis)
    fused = (stop[axis] - start[axis]) // 2
    if fa is not None and stop[axis] * fa.useful > fa.out_len and fused * 2 == (
            stop[axis] - start[axis]):
        fused -= 1  # the last pair holds the axis' partial last tile
    if target.dtype != values.real.dtype or not target.flags.aligned:
        fused = 0
    if fused:
        split = list(stop)
        split[axis] = start[axis] + 2 * fused
        unit_bytes = target.strides[axis] * (fa.useful if fa is not None else 1)
        _put_box(values, target, start, split, by_axis, pair=(axis, 0),
                 store=lambda piece, view: unpack_pairs(piece, view, unit_bytes))
    rest_start = list(start)
    rest_start[axis] = start[axis] + 2 * fused
    unit_position = sum(2 if b in by_axis else 1 for b in range(axis))
    rest = values[(slice(None),) * unit_position + (slice(fused, None),)]
    _put_box(rest.real, target, rest_start, stop, by_axis, pair=(axis, 0))
    _put_box(rest.imag, target, rest_start, stop, by_axis, pair=(axis, 1))


def _pack_pairs(tiles, unit, dtype, scratch):
    """The units of `tiles` (along position `unit`) in pairs, as one complex
    array from `scratch` (see `_Scratch`), which the transforms then
    overwrite in place.

    Units 0, 2, 4... become the real part, 1, 3, 5... the imaginary part (an
    odd count's last unit is paired with zeros). Neighbours share a
    transform: its rounding error scales with everything in it, and
    neighbours have about the same magnitude.
    """
    shape = list(tiles.shape)
    shape[unit] = -(-shape[unit] // 2)
    packed = scratch(shape, np.dtype(dtype))
    if not tiles.flags.aligned:  # a view of a misaligned input
        tiles = tiles.copy()
    pack_pairs(tiles, unit, packed)
    return packed


def _transform_box(tiles, owned, spectrum, fft_plan, positions, workers, scratch=None):
    """Correlate a box of tiles with the kernel; keep the strided valid points.

    `owned`: `tiles` is scratch the forward transform may overwrite (never
    when it is a view of the caller's input). `scratch`: see `_Scratch`.
    """
    transforms = fft_plan.transforms
    values = transforms.forward(tiles, [positions.n[fa.axis] for fa in fft_plan.axes],
                                fft_plan.real, workers, owned, scratch)
    del tiles
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0: NaN, as documented
        values *= spectrum
    # Inverse axis by axis, keeping only the strided valid points each time;
    # irfft (the real axis) must come last.
    for i, fa in enumerate(fft_plan.axes):
        axis = positions.n[fa.axis]
        real = fft_plan.real and i == len(fft_plan.axes) - 1
        values = transforms.inverse(values, axis, fa.transform, real, workers, scratch)
        keep = [slice(None)] * positions.ndim
        keep[axis] = slice(fa.span, fa.span + (fa.useful - 1) * fa.stride + 1, fa.stride)
        values = values[tuple(keep)]
    return values


def correlate(problem, fft_plan=None, check_finite=False, slot=None):
    """Fill ``problem.output`` by the FFT method and return it.

    `check_finite`: raise :class:`NotFinite` as soon as a box's result holds
    a NaN or an infinity -- what a NaN or an infinity anywhere in a tile's
    input turns the whole tile into (or a sum past the dtype's range). The
    output may then be partly written. `slot`: a `SpectrumSlot` of calls
    with these weights and this plan (the spectrum is taken from it, or
    computed and left in it).
    """
    output = problem.output
    if output.size == 0:
        return output
    fft_plan = fft_plan or plan(problem)
    x = problem.input
    target = np.empty_like(output) if np.may_share_memory(output, x) else output
    by_axis = {fa.axis: fa for fa in fft_plan.axes}
    positions = _Positions(x.ndim, by_axis)
    # Several boxes: one thread each (numpy's copies and both backends'
    # transforms release the GIL); a single box: the backend's own threads.
    box_threads = min(problem.n_workers, fft_plan.n_boxes)
    fft_workers = 1 if box_threads > 1 else problem.n_workers
    spectrum = slot.spectrum if slot is not None else None
    if spectrum is None:
        spectrum = _kernel_spectrum(problem, fft_plan, positions, problem.n_workers)
        if slot is not None:
            slot.keep(spectrum)

    unit_count = [by_axis[a].tiles if a in by_axis else x.shape[a] for a in range(x.ndim)]
    box_starts = [range(0, unit_count[a], fft_plan.box[a]) for a in range(x.ndim)]
    scratch = _Scratch()

    def run_box(corner):
        start = [box_starts[a][i] for a, i in enumerate(corner)]
        stop = [min(start[a] + fft_plan.box[a], unit_count[a]) for a in range(x.ndim)]
        tiles, owned = _gather(x, problem, fft_plan, positions, start, stop)
        arrays = scratch.arrays()
        if fft_plan.paired:
            # Pair along the axis with the most units here (the innermost of equals).
            pair = max(range(x.ndim), key=lambda a: (stop[a] - start[a], a))
            tiles = _pack_pairs(tiles, positions.unit[pair], spectrum.dtype, arrays)
            owned = True
        values = _transform_box(tiles, owned, spectrum, fft_plan, positions, fft_workers,
                                arrays)
        # Any NaN or inf makes the sum non-finite (on a box of complex values, half
        # the time of isfinite().all()); a sum of finite values past the range
        # only hands over needlessly.
        if check_finite and not np.isfinite(values.sum()):
            raise NotFinite
        if fft_plan.paired:
            _put_pairs(values, target, start, stop, by_axis, pair)
        else:
            _put_box(values, target, start, stop, by_axis)

    _run_boxes(run_box, list(np.ndindex(*[len(starts) for starts in box_starts])),
               box_threads)
    if target is not output:
        output[...] = target
    return output


class _Scratch:
    """Arrays each thread reuses from box to box, for the transforms' outputs.

    ``arrays()`` is the calling thread's allocator ``(shape, dtype) -> array``:
    the n-th request of a box gets the n-th buffer of the previous box (grown
    if the box is larger), so a box's results never share memory.
    """

    def __init__(self):
        self.local = threading.local()

    def arrays(self):
        buffers = self.local.__dict__.setdefault("buffers", [])
        used = itertools.count()

        def allocate(shape, dtype):
            size = math.prod(shape)
            i = next(used)
            if i == len(buffers):
                buffers.append(np.empty(0, dtype))
            if buffers[i].dtype != dtype or buffers[i].size < size:
                buffers[i] = np.empty(size, dtype)
            return buffers[i][:size].reshape(shape)

        return allocate


def _run_boxes(run_box, corners, threads):
    """run_box(corner) for every corner, on `threads` threads."""
    if threads <= 1:
        for corner in corners:
            run_box(corner)
        return
    pool = ThreadPoolExecutor(max_workers=threads)
    try:
        for _ in pool.map(run_box, corners):
            pass
    finally:
        # On Ctrl-C (or an error) drop the boxes not started yet; only the
        # ones running finish, so the call stops within about one box.
        pool.shutdown(wait=True, cancel_futures=True)


# nan_policy="omit": an output whose sum of present weights is within this
# many units of rounding of sum |w| is treated as having none (the two
# transforms leave a residue of that order where the true sum is 0).
OMIT_ZERO_ULPS = 64


def correlate_omit(problem, check_finite=False, slot=None):
    """Fill ``problem.output`` with the normalised correlation (nan_policy="omit").

    Two transforms of the same tiles: of the input with its NaN set to 0
    and of its presence (1 where present, 0 where NaN), each extended by the
    mode -- past a constant edge, cval and 1, or 0 and 0 when cval is NaN
    (the outside is missing). The result is their ratio times the sum of
    the weights; NaN where the sum of present weights is 0 to within
    ``OMIT_ZERO_ULPS`` units of rounding of ``sum |w|``. `check_finite` and
    `slot` as in :func:`correlate` (both sums share the spectrum).
    """
    output, work = problem.output, problem.work_dtype
    x = np.asarray(problem.input, dtype=work)
    missing = np.isnan(x)
    cval_missing = bool(np.isnan(problem.cval))
    values = np.where(missing, work.type(0), x)
    presence = np.logical_not(missing).astype(work)
    plain = problem._replace(omit=False, bool_output=None)
    slot = slot or SpectrumSlot(bounded=False)
    sums = []
    for data, cval in ((values, 0.0 if cval_missing else problem.cval),
                       (presence, 0.0 if cval_missing else 1.0)):
        sub = plain._replace(input=data, cval=cval, output=np.empty(output.shape, work))
        sums.append(correlate(sub, plan(sub), check_finite=check_finite, slot=slot))
    weighted, present = sums
    weights = problem.weights.astype(np.complex128 if work.kind == "c" else np.float64)
    tolerance = OMIT_ZERO_ULPS * np.finfo(work).eps * np.abs(weights).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = weighted / present * work.type(weights.sum())
    output[...] = np.where(np.abs(present) > tolerance, ratio, np.nan)
    return output
