"""The filter family's engine: separable filters as chains of one-axis passes.

Scheme
------
gaussian_filter, uniform_filter, sobel and prewitt are each a *chain* of
passes, one per axis, in scipy.ndimage's order: a 1-D correlation along the
pass' axis, with that axis' mode, origin and stride. Each pass computes only
the outputs its stride keeps, so a strided chain computes only what the
result keeps, and its result is exactly every s-th value of the dense one:
a pass along one axis acts on each line independently, so subsampling
another axis before or after it gives the same values. Intermediate values
stay in the working dtype and are rounded to an integer output once, at the
end (scipy rounds after every pass).

Two passes over two different axes run as *one* call of the direct method
with their outer product as the kernel when that is cheaper: the kernel's
separable strips then filter a block of lines at a time through a scratch
buffer of a few lines, with no full-size intermediate array. Both forms
give the same values (to rounding) as long as the outside of the first
pass' result is that pass applied to the outside, which holds for every
mode but 'constant' (or its alias 'grid-constant') with a non-zero cval
(scipy extends the intermediate by cval). Longer chains keep one
intermediate array alive between passes.

A pass of a uniform filter is a box (``Pass.box``): in memory a box of
BOX_PASS_TAPS values or more runs as running sums (``_box``), whose cost
does not grow with the size; a narrower one, two narrow boxes fused into
strips and every box of a dask array run as the equivalent kernel of equal
weights.
"""

import functools
import math
import threading
from typing import NamedTuple

import numpy as np

from pyconv._box import box_mean
from pyconv._direct_plan import SEPARABLE_GROUP, remember
from pyconv._dispatch import NotPlain, filter_any, frozen_arguments
from pyconv._normalize import MODES, check_nan_policy, normalize, stand_in
from pyconv._openmp import effective_workers, parallel_threads

# Two passes become one separable-strip call when the strips' multiply-adds
# per output (the line pass over the strip's lines, then the other pass) are
# at most this many times the two passes' (which also write and re-read an
# intermediate array).
STRIPS_OVER_PASSES = 1.5
LARGEST_FUSED_KERNEL = 1024
# A running-sum pass costs about as much as a kernel of this many taps per
# output (2048^2 float32, one thread): two box passes are fused into one
# separable-strip call when the strips cost less, which they do for boxes up
# to about 15 wide; the running sums bound the cost of wider ones.
BOX_PASS_TAPS = 14
# Values per thread below which a running-sum pass runs on fewer threads.
BOX_THREAD_VALUES = 1 << 16


class Pass(NamedTuple):
    """One 1-D correlation of a chain."""

    axis: int
    weights: np.ndarray  # correlation weights, 1-D (a box: all equal to 1/size)
    origin: int
    mode: str
    stride: int
    box: bool = False


@functools.lru_cache(maxsize=128)
def gaussian_weights(sigma, order, radius):
    """scipy.ndimage's Gaussian kernel (or its `order`-th derivative) for
    correlation: ``2 * radius + 1`` taps, the normalised Gaussian times the
    derivative's polynomial, reversed (gaussian_filter1d convolves).
    Cached, so read-only: a loop of calls with one sigma builds it once."""
    weights = _gaussian_weights(sigma, order, radius)
    weights.flags.writeable = False
    return weights


def _gaussian_weights(sigma, order, radius):
    x = np.arange(-radius, radius + 1)
    variance = sigma * sigma
    phi = np.exp(-0.5 / variance * x.astype(np.float64) ** 2)
    phi /= phi.sum()
    if order > 0:
        # d^n/dx^n of the Gaussian is p_n(x) * phi(x), with p_0 = 1 and
        # p_{n+1} = p_n' - x p_n / variance: the coefficients of p_n, by
        # ascending power, follow from those of p_{n-1}.
        coefficients = np.zeros(order + 1)
        coefficients[0] = 1.0
        raise_power = np.diag(np.full(order, -1.0 / variance), -1)
        differentiate = np.diag(np.arange(1, order + 1, dtype=np.float64), 1)
        step = differentiate + raise_power
        for _ in range(order):
            coefficients = step @ coefficients
        phi = (x[:, None] ** np.arange(order + 1)) @ coefficients * phi
    return phi[::-1].copy()


def box_weights(size):
    return np.full(size, 1.0 / size)


class Checked(NamedTuple):
    """What a chain needs of its checked arguments."""

    output_dtype: np.dtype  # the result's (checked and promoted once)
    work_dtype: np.dtype  # the intermediate values'
    omit: bool  # nan_policy="omit"


def check_call(input, output, modes, cval, axes, strides, method, workers,
               nan_policy="propagate"):
    """Check the arguments every pass shares, before anything is computed.

    `modes` and `strides` have one entry per axis of `axes`. Returns the
    :class:`Checked` of a one-tap filter over those axes (normalised, never
    computed). nan_policy="raise" scans an in-memory input here (a dask
    array: each chunk as it is computed, see :func:`checked_for_nan`).

    The outcome depends on the input's shape and dtype, not its data, so it
    is kept for the recent arguments that make a key (`_check_key`): a loop
    of small filter calls checks once.
    """
    key = _check_key(input, output, modes, cval, axes, strides, method, workers, nan_policy)
    found = _CHECKED.get(key) if key is not None else None
    if found is not None:
        return found
    shape_only = stand_in(input.shape, input.dtype) if not isinstance(input, np.ndarray) \
        else input
    problem = normalize(shape_only, np.ones((1,) * len(axes)), output, list(modes), cval, 0,
                        axes=tuple(axes), stride=tuple(strides), dilation=1, padding="same",
                        workers=workers, convolution=False, method=method, allocate=False,
                        nan_policy=nan_policy)
    if nan_policy == "raise" and isinstance(input, np.ndarray):
        check_nan_policy(nan_policy, input, problem.output.dtype, None)
    checked = Checked(problem.output.dtype, problem.work_dtype, problem.omit)
    # (Not a promoted output dtype, whose warning comes with every call.)
    if key is not None and (output is None or np.dtype(output) == checked.output_dtype):
        remember(_CHECKED, _CHECKED_LOCK, key, checked, CACHED_CHECKS)
    return checked


# Recent checks (oldest first), added and evicted one thread at a time.
_CHECKED = {}
_CHECKED_LOCK = threading.Lock()
CACHED_CHECKS = 64


def _check_key(input, output, modes, cval, axes, strides, method, workers, nan_policy):
    """The key of check_call's arguments, or None: only for an in-memory
    ndarray, an output dtype (not an array), plain Python values (typed, so
    that 1, 1.0 and True differ) and a policy other than "raise", which
    scans each call's data."""
    if type(input) is not np.ndarray or nan_policy == "raise":
        return None
    if not (output is None or isinstance(output, (type, np.dtype, str))):
        return None
    try:
        arguments = frozen_arguments((tuple(modes), cval, tuple(axes), tuple(strides), method,
                                      workers, nan_policy))
    except (NotPlain, TypeError):
        return None
    return input.shape, input.dtype, output, arguments


def _strip_cost(first, second):
    """Multiply-adds per output of `first` then `second` as separable strips."""
    k_across, k_line = first.weights.size, second.weights.size
    return k_line * (SEPARABLE_GROUP + k_across - 1) / SEPARABLE_GROUP + k_across


def _fuses(passes, cval, in_memory):
    """Whether two passes run as one call with their outer product."""
    if len(passes) != 2 or not in_memory:
        return False
    first, second = passes
    if first.axis == second.axis or first.weights.size * second.weights.size \
            > LARGEST_FUSED_KERNEL:
        return False
    if cval != 0 and {first.mode, second.mode} & {"constant", "grid-constant"}:
        return False
    passes_cost = (BOX_PASS_TAPS if first.box else first.weights.size) \
        + (BOX_PASS_TAPS if second.box else second.weights.size)
    return _strip_cost(first, second) <= STRIPS_OVER_PASSES * passes_cost


def _run_fused(input, first, second, output, cval, method, workers, steps=None):
    # One value for both axes where they agree, and no axes for the two axes
    # of a 2-D input (the kernel in their order): the same call, with the
    # cheap repeat key of scalar arguments (a small call's key of lists took
    # 3 us of its 12).
    axes = (first.axis, second.axis)
    if input.ndim == 2 and set(axes) == {0, 1}:
        first, second = sorted((first, second), key=lambda step: step.axis)
        axes = None
    return filter_any(input, _outer(first.weights, second.weights), output,
                      _one_or_both(first.mode, second.mode), cval,
                      _one_or_both(first.origin, second.origin),
                      dict(axes=axes, stride=_one_or_both(first.stride, second.stride),
                           dilation=1, padding="same", method=method, workers=workers,
                           convolution=False), steps)


def _one_or_both(a, b):
    return a if a == b else [a, b]


@functools.lru_cache(maxsize=64)
def _outer_bytes(dtype, a, b):
    outer = np.multiply.outer(np.frombuffer(a, dtype), np.frombuffer(b, dtype))
    outer.flags.writeable = False
    return outer


def _outer(a, b):
    """The fused kernel, cached (read-only) for small factors."""
    if a.size * b.size > 1024 or a.dtype != b.dtype:
        return np.multiply.outer(a, b)
    return _outer_bytes(a.dtype.str, a.tobytes(), b.tobytes())


def _box_threads(n_values, workers):
    wanted = min(effective_workers(workers), max(1, n_values // BOX_THREAD_VALUES))
    return parallel_threads(wanted)


def _run_box(input, step, output, cval, work_dtype, workers, steps=None):
    """A box pass in memory: running sums (``_box.box_mean``) along the
    pass' axis of the input in the working dtype, into a new array (then
    rounded into `output` when that is not the working dtype).

    `steps` (see ``filter_any``): the running sums are appended, to be redone
    as they are (then the rounding into `output`, its own step); a pass
    that fell back to a correlation appends None.
    """
    source = np.asarray(input, dtype=work_dtype)
    shape = source.shape
    axis = step.axis
    out_shape = shape[:axis] + ((shape[axis] - 1) // step.stride + 1,) + shape[axis + 1:]
    result = np.empty(out_shape, dtype=work_dtype)
    outer, inner = math.prod(shape[:axis]), math.prod(shape[axis + 1:])
    as_3d = (lambda a, n: a.reshape(outer, n, inner))  # noqa: E731
    source_3d, result_3d = as_3d(source, shape[axis]), as_3d(result, out_shape[axis])
    before = step.weights.size // 2 + step.origin
    n_threads = _box_threads(result.size, workers)
    parts = ((source_3d.real, result_3d.real, cval.real), (source_3d.imag, result_3d.imag,
                                                           cval.imag)) \
        if work_dtype.kind == "c" else ((source_3d, result_3d, cval.real),)
    for src, dst, value in parts:
        with np.errstate(over="ignore"):  # cval in the working precision (+-inf past it)
            value = float(np.asarray(value, dtype=src.dtype))
        if not box_mean(src, dst, step.weights.size, before, int(MODES[step.mode]), value,
                        step.stride, n_threads):
            # A NaN or inf stays in a running sum: the equal weights' correlation
            # instead, whose NaN reaches only the windows that hold it.
            if steps is not None:
                steps.append(None)
            return _run_pass(input, step._replace(box=False), output, cval, work_dtype,
                             "direct", workers)
    if steps is not None:
        steps.append(functools.partial(_run_box, step=step, output=work_dtype, cval=cval,
                                       work_dtype=work_dtype, workers=workers))
    if isinstance(output, np.ndarray) or np.dtype(output) != work_dtype:
        return store(result, output, workers, steps)
    return result


def _run_pass(input, step, output, cval, work_dtype, method, workers, steps=None):
    if (step.box and isinstance(input, np.ndarray) and input.size > 0
            and step.weights.size >= BOX_PASS_TAPS):
        return _run_box(input, step, output, complex(cval), np.dtype(work_dtype), workers,
                        steps)
    return filter_any(input, step.weights, output, step.mode, cval, step.origin,
                      dict(axes=step.axis, stride=step.stride, dilation=1, padding="same",
                           method=method, workers=workers, convolution=False,
                           one_axis=True), steps)


def run_chain(input, passes, output, cval, *, work_dtype, method, workers, steps=None):
    """The chain's result: each pass in turn, the last one into `output`.

    `input` and the arguments are checked (:func:`check_call`); `passes`
    holds at least one pass. Intermediate results are new arrays of
    `work_dtype`. `steps` (see ``filter_any``): each call made is appended,
    to be replayed in order (each step's result is the next one's input).
    """
    in_memory = isinstance(input, np.ndarray)
    if _fuses(passes, cval, in_memory):
        return _run_fused(input, *passes, output, cval, method, workers, steps)
    current = input
    for i, step in enumerate(passes):
        target = output if i == len(passes) - 1 else work_dtype
        current = _run_pass(current, step, target, cval, work_dtype, method, workers, steps)
    return current


def run_omit(input, passes, output, cval, *, method, workers, steps=None):
    """nan_policy="omit" for a chain: the normalised correlation with the
    outer product of the passes' weights (on distinct axes), in one call.

    The sums of w*x and of w over the present samples must run through the
    same passes, and the direct method's separable strips do exactly that
    for two passes (both sums of the line pass per buffered line, then the
    other pass on each) with no full-size intermediate. The outside is the
    N-D kernel's: cval on every axis in mode 'constant' (scipy's chains
    filter cval along the later axes; with omit, a NaN cval is missing).
    """
    weights = np.ones(())
    for step in passes:
        weights = np.multiply.outer(weights, step.weights)
    return filter_any(input, weights, output, [p.mode for p in passes], cval,
                      [p.origin for p in passes],
                      dict(axes=tuple(p.axis for p in passes),
                           stride=tuple(p.stride for p in passes), dilation=1,
                           padding="same", method=method, workers=workers,
                           convolution=False, nan_policy="omit"), steps)


def identity_pass(axis, mode, stride):
    """A pass that copies (every `stride`-th value along `axis`)."""
    return Pass(axis, np.ones(1), 0, mode, stride)


def with_strided_copies(passes, axes, modes, strides):
    """`passes` plus a copying pass for each strided axis they leave out."""
    covered = {p.axis for p in passes}
    return list(passes) + [identity_pass(axis, mode, stride)
                           for axis, mode, stride in zip(axes, modes, strides, strict=True)
                           if stride != 1 and axis not in covered]


def store(values, output, workers, steps=None):
    """`values` copied into `output` (an array, or the dtype of a new one),
    converted as every pass converts: integers rounded and saturated."""
    return filter_any(values, np.ones(()), output, "reflect", 0.0, 0,
                      dict(axes=(), stride=1, dilation=1, padding="same", method="direct",
                           workers=workers, convolution=False), steps)

