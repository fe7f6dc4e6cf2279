"""The scipy.ndimage linear-filter family: gaussian, uniform, sobel, prewitt, laplace.

The public functions, a docstring and a few lines each: parse the
family's own arguments (sigma, order, truncate, radius, size), check every
argument once (``_separable.check_call``, the same checks as correlate's),
then build and run the chain of one-axis passes (``_separable``). Sums of
chains (laplace, gaussian_laplace) and the gradient magnitude combine their
chains in the working dtype and round to the output once.

A call repeated with the same arguments on data of the same layout (the
loop over small images or windows) finds its preparation kept, and with it
the calls its chains made, recorded the first time (``filter_any``'s
`steps`): it replays them on the new data, with none of the keys and
lookups of the calls themselves. Each replay is kept for the thread count
and FFT backend it was recorded with.
"""

import functools
import math
import numbers
import threading
from typing import NamedTuple

import numpy as np

from pyconv import _dispatch
from pyconv._dask import checked_for_nan, is_dask_array
from pyconv._direct_plan import remember
from pyconv._dispatch import NotPlain, frozen_arguments
from pyconv._docstrings import fill
from pyconv._fft_backends import current_if_chosen
from pyconv._normalize import (
    as_input_array,
    as_int,
    check_fits_in_memory,
    parse_axes,
    parse_positive,
    per_axis,
    single_axis,
)
from pyconv._openmp import effective_workers
from pyconv._separable import (
    Pass,
    box_weights,
    check_call,
    gaussian_weights,
    identity_pass,
    run_chain,
    run_omit,
    store,
    with_strided_copies,
)

__all__ = ["gaussian_filter", "gaussian_filter1d", "uniform_filter", "uniform_filter1d",
           "sobel", "prewitt", "laplace", "gaussian_laplace", "gaussian_gradient_magnitude"]

# scipy.ndimage.gaussian_filter skips an axis whose sigma is at most this.
SMALLEST_SIGMA = 1e-15

# The 3-tap kernels of sobel, prewitt and laplace, for correlation.
DIFFERENCE = np.array([-1.0, 0.0, 1.0])
SOBEL_SMOOTHING = np.array([1.0, 2.0, 1.0])
PREWITT_SMOOTHING = np.array([1.0, 1.0, 1.0])
SECOND_DIFFERENCE = np.array([1.0, -2.0, 1.0])


# --------------------------------------------------------------------------
# The family's own arguments
# --------------------------------------------------------------------------


def _parse_nonnegative(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


def _parse_order(value, name):
    value = as_int(value, name)
    if value < 0:
        raise ValueError(f"{name} must be an integer >= 0 (a derivative's order), got {value}")
    return value


def _parse_radius(value, name):
    if value is None:
        return None
    value = as_int(value, name)
    if value < 0:
        raise ValueError(f"{name} must be None or an integer >= 0, got {value}")
    return value


def _parse_size(value, name):
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)  # scipy accepts size=3.0
    return parse_positive(value, name)


def _keep(value, name):
    return value  # checked with the arguments every filter shares (check_call)


def _as_input(input):
    return input if is_dask_array(input) else as_input_array(input)


def _gaussian_pass(axis, sigma, order, truncate, radius, mode, stride):
    radius = int(truncate * sigma + 0.5) if radius is None else radius
    check_fits_in_memory(8 * (2 * radius + 1), "a Gaussian kernel of radius {}", radius)
    return Pass(axis, gaussian_weights(sigma, order, radius), 0, mode, stride)


def _box_pass(axis, size, origin, mode, stride):
    if not -(size // 2) <= origin <= (size - 1) // 2:
        raise ValueError(f"origin={origin} is out of range for size {size}: it must lie in "
                         f"[{-(size // 2)}, {(size - 1) // 2}]")
    return Pass(axis, box_weights(size), origin, mode, stride, box=True)


# --------------------------------------------------------------------------
# Running chains
# --------------------------------------------------------------------------


class Prepared(NamedTuple):
    """A call's checked arguments (``_separable.Checked``) and its chains of
    passes (copying passes for strided axes included); a kept preparation
    also holds its calls' replays, by (threads, FFT backend)."""
    checked: object
    chains: list
    replays: dict = None


# Recent calls' Prepared (oldest first), added and evicted one thread at a time.
_PREPARED = {}
_PREPARED_LOCK = threading.Lock()
CACHED_PREPARED = 64


def _key(name, input, output, nan_policy, arguments):
    """The key of a call of filter `name` (made before the input is
    converted), or None: only for an in-memory ndarray, an output dtype (not
    an array), plain Python values (typed, so that 1, 1.0 and True differ)
    and a policy other than "raise", which scans each call's data. It holds
    the input's layout (strides, alignment), to which the replays kept under
    it are bound."""
    if (type(input) is not np.ndarray or nan_policy == "raise"
            or not (output is None or isinstance(output, (type, np.dtype, str)))):
        return None
    try:
        return (name, input.shape, input.strides, input.dtype, input.flags.aligned, output,
                frozen_arguments((nan_policy, *arguments)))
    except (NotPlain, TypeError):
        return None


def _replay_of(key, workers):
    """The replay kept under `key` for this thread count and FFT backend, or
    None (always, while repeated calls are not kept: CACHED_REPEATS 0)."""
    found = _PREPARED.get(key) if key is not None else None
    if found is None or _dispatch.CACHED_REPEATS == 0:
        return None
    return found.replays.get((effective_workers(workers), current_if_chosen()))


def _prepared(key, output, prepare):
    """``prepare()`` (parse the filter's arguments, build its chains, check
    the call), or its outcome kept under `key` (see `_key`) by a recent call:
    a loop of small filter calls parses and checks once. Not kept for an
    output dtype other than the result's own (a promoted one warns on every
    call).
    """
    found = _PREPARED.get(key) if key is not None else None
    if found is None:
        found = prepare()
        if key is not None and (output is None
                                or np.dtype(output) == found.checked.output_dtype):
            found = found._replace(replays={})
            remember(_PREPARED, _PREPARED_LOCK, key, found, CACHED_PREPARED)
    return found


def _replay(input, steps):
    """The recorded calls of a chain, each on the previous one's result."""
    for step in steps:
        input = step(input)
    return input


def _record(prepared):
    """A list to record a call's steps into, or None when its preparation is
    not kept (nor, then, a replay) or repeated calls are not."""
    return None if prepared.replays is None or _dispatch.CACHED_REPEATS == 0 else []


def _keep_replay(prepared, workers, record, replay):
    """Keep `replay` (a function of the input) when every step recorded in
    `record` (lists of steps) can be replayed."""
    if all(step is not None for steps in record for step in steps):
        prepared.replays[(effective_workers(workers), current_if_chosen())] = replay


def _prepare(input, passes, output, modes, cval, axes, strides, method, workers,
             nan_policy="propagate"):
    """Check the shared arguments; the chain is `passes` plus a copying pass
    for each strided axis they leave out (as scipy, a filter with no pass
    copies)."""
    checked = check_call(input, output, modes, cval, axes, strides, method, workers,
                         nan_policy)
    return Prepared(checked, [with_strided_copies(passes, axes, modes, strides)])


def _run(input, prepared, output, cval, method, workers, nan_policy="propagate"):
    """Run a prepared chain, and keep its replay; nan_policy="omit" runs it
    as one normalised correlation (`run_omit`)."""
    steps = _record(prepared)
    result = _run_chain(input, prepared, output, cval, method, workers, nan_policy, steps)
    if steps:
        _keep_replay(prepared, workers, [steps], steps[0] if len(steps) == 1
                     else functools.partial(_replay, steps=steps))
    return result


def _run_chain(input, prepared, output, cval, method, workers, nan_policy, steps):
    checked, (passes,), _ = prepared
    if not isinstance(output, np.ndarray):  # the result's dtype, checked (and promoted) once
        output = checked.output_dtype
    if nan_policy == "raise" and is_dask_array(input):
        input = checked_for_nan(input)
    if checked.omit:
        return run_omit(input, passes, output, cval, method=method, workers=workers,
                        steps=steps)
    if not passes:
        return store(input, output, workers, steps)
    return run_chain(input, passes, output, cval, work_dtype=checked.work_dtype,
                     method=method, workers=workers, steps=steps)


def _gaussian(input, sigma, order, output, mode, cval, truncate, radius, axes, stride,
              method, workers, nan_policy="propagate"):
    key = _key("gaussian", input, output, nan_policy,
               (sigma, order, mode, cval, truncate, radius, axes, stride, method, workers))
    replay = _replay_of(key, workers)
    if replay is not None:
        return replay(input)
    input = _as_input(input)

    def prepare():
        filtered = parse_axes(axes, input.ndim)
        n = len(filtered)
        sigmas = per_axis(sigma, n, "sigma", _parse_nonnegative)
        orders = per_axis(order, n, "order", _parse_order)
        truncates = per_axis(truncate, n, "truncate", _parse_nonnegative)
        radii = per_axis(radius, n, "radius", _parse_radius)
        modes = per_axis(mode, n, "mode", _keep)
        strides = per_axis(stride, n, "stride", parse_positive)
        passes = [_gaussian_pass(*arguments) for arguments
                  in zip(filtered, sigmas, orders, truncates, radii, modes, strides,
                         strict=True)
                  if arguments[1] > SMALLEST_SIGMA]
        return _prepare(input, passes, output, modes, cval, filtered, strides, method,
                        workers, nan_policy)

    return _run(input, _prepared(key, output, prepare), output, cval, method, workers,
                nan_policy)


def _uniform(input, size, output, mode, cval, origin, axes, stride, workers,
             nan_policy="propagate"):
    key = _key("uniform", input, output, nan_policy,
               (size, mode, cval, origin, axes, stride, workers))
    replay = _replay_of(key, workers)
    if replay is not None:
        return replay(input)
    input = _as_input(input)

    def prepare():
        filtered = parse_axes(axes, input.ndim)
        n = len(filtered)
        sizes = per_axis(size, n, "size", _parse_size)
        origins = per_axis(origin, n, "origin", as_int)
        modes = per_axis(mode, n, "mode", _keep)
        strides = per_axis(stride, n, "stride", parse_positive)
        passes = [_box_pass(*arguments) for arguments
                  in zip(filtered, sizes, origins, modes, strides, strict=True)
                  if arguments[1] > 1 or arguments[2] != 0]
        return _prepare(input, passes, output, modes, cval, filtered, strides, "direct",
                        workers, nan_policy)

    return _run(input, _prepared(key, output, prepare), output, cval, "direct", workers,
                nan_policy)


def _edge(name, input, axis, output, mode, cval, stride, workers, smoothing):
    """sobel/prewitt (`name`): the difference along `axis`, then `smoothing`
    along every other axis, in order (scipy's passes)."""
    key = _key(name, input, output, "propagate", (axis, mode, cval, stride, workers))
    replay = _replay_of(key, workers)
    if replay is not None:
        return replay(input)
    input = _as_input(input)

    def prepare():
        axes = tuple(range(input.ndim))
        (difference_axis,) = parse_axes(axis, input.ndim)
        modes = per_axis(mode, len(axes), "mode", _keep)
        strides = per_axis(stride, len(axes), "stride", parse_positive)
        passes = [Pass(difference_axis, DIFFERENCE, 0, modes[difference_axis],
                       strides[difference_axis])]
        passes += [Pass(other, smoothing, 0, modes[other], strides[other])
                   for other in axes if other != difference_axis]
        return _prepare(input, passes, output, modes, cval, axes, strides, "direct", workers)

    return _run(input, _prepared(key, output, prepare), output, cval, "direct", workers)


def _combine(input, prepared, output, cval, method, workers, square):
    """sum over the prepared chains of each chain's result (squared first,
    and the square root of the sum taken, with `square`), rounded to
    `output` once; its replay kept."""
    checked, chains, _ = prepared
    if not chains:  # no filtered axis: a copy, as scipy
        return _run(input, prepared._replace(chains=[[]]), output, cval, method, workers)
    record = _record(prepared)

    def terms():
        for passes in chains:
            steps = None if record is None else []
            if record is not None:
                record.append(steps)
            yield run_chain(input, passes, checked.work_dtype, cval,
                            work_dtype=checked.work_dtype, method=method, workers=workers,
                            steps=steps)

    total = _sum_terms(terms(), square)
    if not isinstance(output, np.ndarray):
        output = checked.output_dtype
    rounding = []  # the store into `output`, when that is not the working dtype
    if isinstance(output, np.ndarray) or output != total.dtype:
        total = store(total, output, workers, None if record is None else rounding)
    if record is not None and all(record):
        _keep_replay(prepared, workers, [*record, rounding],
                     functools.partial(_replay_sum, chains=record, rounding=rounding,
                                       square=square))
    return total


def _sum_terms(terms, square):
    """The sum of `terms` (of their squares, then its square root, with
    `square`), in place: each term is a new array of the chains' own, and a
    new array each time costs its page faults (about 0.5 ms per 2 MB)."""
    total = None
    for term in terms:
        if square:
            np.multiply(term, term, out=term)
        if total is None:
            total = term
        else:
            total += term
    return np.sqrt(total, out=total) if square else total


def _replay_sum(input, chains, rounding, square):
    """_combine's replay: its chains' recorded steps, summed, then rounded."""
    return _replay(_sum_terms((_replay(input, steps) for steps in chains), square), rounding)


def _derivative_chains(sigma, order, mode, truncate, radius, axes, stride):
    """Per filtered axis ``i``, the chain of gaussian_filter over `axes` with
    `order` on axis i, every pass in mode ``mode[i]`` (as scipy: a sequence
    of modes gives each derivative term its mode). The passes run in the
    order of the axes' numbers, as scipy's (which matters with 'constant'
    and a non-zero cval when `axes` is out of order)."""
    n = len(axes)
    sigmas = per_axis(sigma, n, "sigma", _parse_nonnegative)
    truncates = per_axis(truncate, n, "truncate", _parse_nonnegative)
    radii = per_axis(radius, n, "radius", _parse_radius)
    modes = per_axis(mode, n, "mode", _keep)
    strides = per_axis(stride, n, "stride", parse_positive)
    chains = []
    for i in range(n):
        passes = [_gaussian_pass(axes[j], sigmas[j], order if j == i else 0, truncates[j],
                                 radii[j], modes[i], strides[j])
                  for j in sorted(range(n), key=axes.__getitem__)
                  if sigmas[j] > SMALLEST_SIGMA]
        passes = with_strided_copies(passes, axes, (modes[i],) * n, strides)
        chains.append(passes or [identity_pass(axes[i], modes[i], 1)])
    return chains, modes, strides


def _gaussian_derivatives(name, input, sigma, order, output, mode, cval, axes, keywords,
                          square):
    unknown = set(keywords) - {"truncate", "radius", "stride", "method", "workers"}
    if unknown:
        raise TypeError(f"unexpected keyword argument {sorted(unknown)[0]!r}")
    method = keywords.get("method", "auto")
    workers = keywords.get("workers")
    key = _key(name, input, output, "propagate",
               (sigma, mode, cval, axes, *sorted(keywords.items())))
    replay = _replay_of(key, workers)
    if replay is not None:
        return replay(input)
    input = _as_input(input)

    def prepare():
        filtered = parse_axes(axes, input.ndim)
        chains, modes, strides = _derivative_chains(
            sigma, order, mode, keywords.get("truncate", 4.0), keywords.get("radius"),
            filtered, keywords.get("stride", 1))
        checked = check_call(input, output, modes, cval, filtered, strides, method, workers)
        return Prepared(checked, chains)

    return _combine(input, _prepared(key, output, prepare), output, cval, method, workers,
                    square)


# --------------------------------------------------------------------------
# The public functions
# --------------------------------------------------------------------------


@fill
def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0,
                    truncate=4.0, *, radius=None, axes=None, stride=1,
                    nan_policy="propagate", method="auto", workers=None):
    """Multidimensional Gaussian filter, or a derivative of it.

    A drop-in for :func:`scipy.ndimage.gaussian_filter` (same parameters,
    defaults and kernels) that also takes `stride`, `method` and threads.

    Parameters
    ----------
    %(input)s
    sigma : float or sequence of float
        Standard deviation of the Gaussian, one per filtered axis or one
        for all. An axis whose sigma is 0 is not filtered.
    order : int or sequence of int, optional
        0 (default) smooths; 1, 2, 3... convolve with that derivative of
        the Gaussian. One per filtered axis or one for all.
    %(family_output)s
    %(family_mode)s
    %(cval)s
    truncate : float or sequence of float, optional
        The kernel's radius in standard deviations:
        ``int(truncate * sigma + 0.5)``. Default 4.0.
    radius : int or sequence of int, optional
        The kernel's radius in samples, instead of `truncate`: the kernel
        has ``2 * radius + 1`` taps.
    %(family_axes)s
    %(family_stride)s
    %(nan_policy)s
    %(method)s
    %(workers)s

    Returns
    -------
    result : ndarray
        The filtered array (`output` itself when an array was given).

    Raises
    ------
    %(smoothing_raises)s

    See Also
    --------
    gaussian_filter1d : Along one axis.
    scipy.ndimage.gaussian_filter : The function this reproduces.

    Notes
    -----
    The filter is separable: a 1-D Gaussian pass along each filtered axis
    in turn, in the order of `axes`, each in its axis' mode (scipy's
    definition, also for ``mode='constant'``). Two passes may run as one
    call of the direct method's separable strips, which filters a block of
    lines at a time; the result is the same to rounding.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> x = np.zeros((5, 5))
    >>> x[2, 2] = 1.0
    >>> y = pyconv.gaussian_filter(x, 1.0)
    >>> float(round(y.sum(), 12))
    1.0

    One level of a Gaussian pyramid: smooth, and keep every second pixel
    (only those are computed):

    >>> image = np.random.default_rng(0).random((64, 48)).astype(np.float32)
    >>> pyconv.gaussian_filter(image, 1.0, stride=2).shape
    (32, 24)
    """
    return _gaussian(input, sigma, order, output, mode, cval, truncate, radius, axes, stride,
                     method, workers, nan_policy)


@fill
def gaussian_filter1d(input, sigma, axis=-1, order=0, output=None, mode="reflect", cval=0.0,
                      truncate=4.0, *, radius=None, stride=1, nan_policy="propagate",
                      method="auto", workers=None):
    """One-dimensional Gaussian filter, or a derivative of it.

    A drop-in for :func:`scipy.ndimage.gaussian_filter1d`: this is
    :func:`gaussian_filter` with ``axes=(axis,)``.

    Parameters
    ----------
    %(input)s
    sigma : float
        Standard deviation of the Gaussian; 0 copies the input.
    %(axis)s
    order : int, optional
        0 (default) smooths; 1, 2, 3... convolve with that derivative of
        the Gaussian.
    %(family_output)s
    %(mode)s
    %(cval)s
    truncate : float, optional
        The kernel's radius in standard deviations. Default 4.0.
    radius : int, optional
        The kernel's radius in samples, instead of `truncate`.
    %(stride_1d)s
    %(nan_policy)s
    %(method)s
    %(workers)s

    Returns
    -------
    result : ndarray
        The filtered array.

    Raises
    ------
    %(smoothing_raises)s

    See Also
    --------
    gaussian_filter : Along several axes.
    scipy.ndimage.gaussian_filter1d : The function this reproduces.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> pyconv.gaussian_filter1d([1.0, 2.0, 3.0, 4.0, 5.0], 1.0).round(4)
    array([1.427 , 2.0678, 3.    , 3.9322, 4.573 ])
    """
    return _gaussian(input, sigma, order, output, mode, cval, truncate, radius,
                     _one_axis(axis), stride, method, workers, nan_policy)


@fill
def uniform_filter(input, size=3, output=None, mode="reflect", cval=0.0, origin=0, *,
                   axes=None, stride=1, nan_policy="propagate", workers=None):
    """Multidimensional moving average (box filter).

    A drop-in for :func:`scipy.ndimage.uniform_filter` that also takes
    `stride` and threads. Its cost does not depend on `size`.

    Parameters
    ----------
    %(input)s
    size : int or sequence of int, optional
        The box's length along each filtered axis, one per axis or one for
        all. Default 3.
    %(family_output)s
    %(family_mode)s
    %(cval)s
    origin : int or sequence of int, optional
        Moves the box: the output at ``i`` averages the inputs from
        ``i - size // 2 - origin`` on. Range ``-(size // 2) <= origin <=
        (size - 1) // 2``. Default 0.
    %(family_axes)s
    %(family_stride)s
    %(nan_policy)s
    %(workers)s

    Returns
    -------
    result : ndarray
        The filtered array.

    Raises
    ------
    %(smoothing_raises)s

    See Also
    --------
    uniform_filter1d : Along one axis.
    scipy.ndimage.uniform_filter : The function this reproduces.

    Notes
    -----
    A pass along each filtered axis in turn. A box of 14 values or more is
    a running sum (the value entering the box added, the one leaving it
    subtracted) accumulated in float64 and re-started at regular intervals,
    so that rounding does not build up along long lines; a narrower box
    costs less as the correlation with ``size`` equal weights.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> pyconv.uniform_filter(np.arange(6.0), 3)
    array([0.33333333, 1.        , 2.        , 3.        , 4.        ,
           4.66666667])
    """
    return _uniform(input, size, output, mode, cval, origin, axes, stride, workers, nan_policy)


@fill
def uniform_filter1d(input, size, axis=-1, output=None, mode="reflect", cval=0.0, origin=0,
                     *, stride=1, nan_policy="propagate", workers=None):
    """One-dimensional moving average (box filter) along one axis.

    A drop-in for :func:`scipy.ndimage.uniform_filter1d`: this is
    :func:`uniform_filter` with ``axes=(axis,)``.

    Parameters
    ----------
    %(input)s
    size : int
        The box's length.
    %(axis)s
    %(family_output)s
    %(mode)s
    %(cval)s
    origin : int, optional
        Moves the box, as in :func:`uniform_filter`. Default 0.
    %(stride_1d)s
    %(nan_policy)s
    %(workers)s

    Returns
    -------
    result : ndarray
        The filtered array.

    Raises
    ------
    %(smoothing_raises)s

    See Also
    --------
    uniform_filter : Along several axes.
    scipy.ndimage.uniform_filter1d : The function this reproduces.

    Examples
    --------
    >>> import pyconv
    >>> pyconv.uniform_filter1d([2.0, 8.0, 0.0, 4.0, 1.0], 3)
    array([4.        , 3.33333333, 4.        , 1.66666667, 2.        ])
    """
    return _uniform(input, size, output, mode, cval, origin, _one_axis(axis), stride, workers,
                    nan_policy)


def _one_axis(axis):
    """`axis` as the `axes` of the N-D form (checked there)."""
    if type(axis) is int:
        return axis
    if isinstance(axis, (list, tuple)) or (isinstance(axis, np.ndarray) and axis.ndim > 0):
        raise TypeError(f"axis must be an integer, got {type(axis).__name__}")
    return single_axis(axis)


@fill
def sobel(input, axis=-1, output=None, mode="reflect", cval=0.0, *, stride=1, workers=None):
    """Sobel derivative along one axis.

    A drop-in for :func:`scipy.ndimage.sobel`: the difference ``[-1, 0, 1]``
    along `axis` (correlation: ``x[i + 1] - x[i - 1]``), then the smoothing
    ``[1, 2, 1]`` along every other axis.

    Parameters
    ----------
    %(edge_parameters)s

    Returns
    -------
    result : ndarray
        The filtered array. Derivatives of integer data are usually wanted
        signed and unclipped: pass ``output=np.float32`` for uint8 images.

    Raises
    ------
    %(edge_raises)s

    See Also
    --------
    prewitt : The same with ``[1, 1, 1]`` smoothing.
    scipy.ndimage.sobel : The function this reproduces.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> ramp = np.tile(np.arange(5.0), (3, 1))
    >>> pyconv.sobel(ramp, axis=1)
    array([[4., 8., 8., 8., 4.],
           [4., 8., 8., 8., 4.],
           [4., 8., 8., 8., 4.]])
    """
    return _edge("sobel", input, axis, output, mode, cval, stride, workers, SOBEL_SMOOTHING)


@fill
def prewitt(input, axis=-1, output=None, mode="reflect", cval=0.0, *, stride=1, workers=None):
    """Prewitt derivative along one axis.

    A drop-in for :func:`scipy.ndimage.prewitt`: the difference
    ``[-1, 0, 1]`` along `axis`, then the smoothing ``[1, 1, 1]`` along
    every other axis.

    Parameters
    ----------
    %(edge_parameters)s

    Returns
    -------
    result : ndarray
        The filtered array.

    Raises
    ------
    %(edge_raises)s

    See Also
    --------
    sobel : The same with ``[1, 2, 1]`` smoothing.
    scipy.ndimage.prewitt : The function this reproduces.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> ramp = np.tile(np.arange(5.0), (3, 1))
    >>> pyconv.prewitt(ramp, axis=1)
    array([[3., 6., 6., 6., 3.],
           [3., 6., 6., 6., 3.],
           [3., 6., 6., 6., 3.]])
    """
    return _edge("prewitt", input, axis, output, mode, cval, stride, workers,
                 PREWITT_SMOOTHING)


@fill
def laplace(input, output=None, mode="reflect", cval=0.0, *, axes=None, workers=None):
    """Discrete Laplacian: the sum of second differences along each axis.

    A drop-in for :func:`scipy.ndimage.laplace`: ``[1, -2, 1]`` along each
    filtered axis, summed.

    Parameters
    ----------
    %(input)s
    %(family_output)s
    %(family_mode)s
    %(cval)s
    %(family_axes)s
    %(workers)s

    Returns
    -------
    result : ndarray
        The filtered array.

    Raises
    ------
    %(edge_raises)s

    See Also
    --------
    gaussian_laplace : The Laplacian of a Gaussian-smoothed input.
    scipy.ndimage.laplace : The function this reproduces.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> x = np.zeros((3, 3))
    >>> x[1, 1] = 1.0
    >>> pyconv.laplace(x, mode="constant")
    array([[ 0.,  1.,  0.],
           [ 1., -4.,  1.],
           [ 0.,  1.,  0.]])
    """
    key = _key("laplace", input, output, "propagate", (mode, cval, axes, workers))
    replay = _replay_of(key, workers)
    if replay is not None:
        return replay(input)
    input = _as_input(input)

    def prepare():
        filtered = parse_axes(axes, input.ndim)
        modes = per_axis(mode, len(filtered), "mode", _keep)
        chains = [[Pass(axis, SECOND_DIFFERENCE, 0, axis_mode, 1)]
                  for axis, axis_mode in zip(filtered, modes, strict=True)]
        checked = check_call(input, output, modes, cval, filtered, (1,) * len(filtered),
                             "direct", workers)
        return Prepared(checked, chains)

    return _combine(input, _prepared(key, output, prepare), output, cval, "direct", workers,
                    square=False)


@fill
def gaussian_laplace(input, sigma, output=None, mode="reflect", cval=0.0, *, axes=None,
                     **kwargs):
    """Laplacian of Gaussian: the sum of second Gaussian derivatives.

    A drop-in for :func:`scipy.ndimage.gaussian_laplace`: for each filtered
    axis, :func:`gaussian_filter` with ``order=2`` on that axis and 0 on
    the others, summed.

    Parameters
    ----------
    %(input)s
    %(derivative_parameters)s

    Returns
    -------
    result : ndarray
        The filtered array.

    Raises
    ------
    %(family_raises)s

    See Also
    --------
    gaussian_gradient_magnitude
    scipy.ndimage.gaussian_laplace : The function this reproduces.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> x = np.zeros((9, 9))
    >>> x[4, 4] = 1.0
    >>> y = pyconv.gaussian_laplace(x, 1.0)
    >>> bool(y[4, 4] < 0)
    True
    """
    return _gaussian_derivatives("gaussian_laplace", input, sigma, 2, output, mode, cval,
                                 axes, kwargs, square=False)


@fill
def gaussian_gradient_magnitude(input, sigma, output=None, mode="reflect", cval=0.0, *,
                                axes=None, **kwargs):
    """Gradient magnitude of a Gaussian-smoothed input.

    A drop-in for :func:`scipy.ndimage.gaussian_gradient_magnitude`: the
    square root of the sum over the filtered axes of the squared
    first-derivative :func:`gaussian_filter` along that axis.

    Parameters
    ----------
    %(input)s
    %(derivative_parameters)s

    Returns
    -------
    result : ndarray
        The filtered array.

    Raises
    ------
    %(family_raises)s

    See Also
    --------
    gaussian_laplace
    scipy.ndimage.gaussian_gradient_magnitude : The function this reproduces.

    Notes
    -----
    With `axes`, only those axes are smoothed and differentiated; the
    others are batch axes. (scipy 1.17 also smooths along the axes it is
    not given.)

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> ramp = np.tile(np.arange(8.0), (8, 1))
    >>> float(pyconv.gaussian_gradient_magnitude(ramp, 1.0)[4, 4].round(3))
    0.999
    """
    return _gaussian_derivatives("gaussian_gradient_magnitude", input, sigma, 1, output,
                                 mode, cval, axes, kwargs, square=True)
