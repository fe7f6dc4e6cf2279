"""The public functions: a docstring and a few lines each.

Every call goes through ``_dispatch.filter_any``: ``normalize`` (checks,
builds a Problem) -> ``_plan`` (picks the method) -> one back-end; a dask
array goes to ``_dask`` instead, which builds a lazy graph whose tasks take
the same path. Imports run one way: this module imports those below it, and
none of them imports it (the filter family, ``_filters``, sits beside it).
"""

import numpy as np

from pyconv import _plan
from pyconv._dask import is_dask_array
from pyconv._dispatch import filter_any as _filter
from pyconv._docstrings import fill
from pyconv._normalize import normalize, normalize_geometry, single_axis

__all__ = ["correlate", "convolve", "correlate1d", "convolve1d", "output_shape",
           "choose_method"]


@fill
def correlate(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *,
              axes=None, stride=1, dilation=1, padding="same", nan_policy="propagate",
             method="auto", workers=None):
    """Multidimensional correlation, with stride, dilation and padding.

    A drop-in for :func:`scipy.ndimage.correlate` (same positional
    parameters and defaults) that also takes CNN-style `stride`, `dilation`
    and `padding`, batch axes and threads.

    Parameters
    ----------
    %(input)s
    weights : array_like
        The kernel, real or complex, one axis per filtered axis. Complex
        weights are conjugated, as scipy.ndimage and scipy.signal do.
    %(output)s
    %(mode)s
    %(mode_per_axis)s
    %(cval)s
    %(origin)s
    %(axes)s
    %(stride)s
    %(dilation)s
    %(padding)s
    %(nan_policy)s
    %(method)s
    %(workers)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    convolve : The same with the kernel flipped.
    correlate1d : Along one axis.
    output_shape : The shape this returns, without computing it.
    scipy.ndimage.correlate : The function this extends.

    Notes
    -----
    Along one filtered axis of length ``n``, with ``k`` taps ``w``, stride
    ``s``, dilation ``d`` and padding ``(before, after)``::

        out[j] = sum over t = 0..k-1 of conj(w[t]) * x_ext[j*s - before + t*d]
        out_len = max(0, (n + before + after - d*(k-1) - 1) // s + 1)

    where ``x_ext`` is the input extended past its edges by `mode` (``conj``
    does nothing to real weights). In N dimensions the sum runs over every
    tap, one index per filtered axis. ``padding='same'`` means
    ``before = (k // 2 + origin) * d`` and ``after = d*(k-1) - before``,
    which with stride and dilation 1 is exactly scipy.ndimage.correlate.
    Taps whose weight is zero are skipped; NaN and inf reach exactly the
    outputs whose window holds them under a non-zero weight.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> x = np.arange(10.0)
    >>> pyconv.correlate(x, [1.0, 2.0, 1.0])
    array([ 1.,  4.,  8., 12., 16., 20., 24., 28., 32., 35.])

    Every second output of a dilated kernel, only where it fits:

    >>> pyconv.correlate(x, [1.0, 0.0, -1.0], stride=2, dilation=2,
    ...                  padding="valid")
    array([-4., -4., -4.])

    A 2-D kernel over each frame of a small video (axis 0 is time):

    >>> video = np.ones((3, 4, 4), dtype=np.float32)
    >>> smoothed = pyconv.correlate(video, np.ones((3, 3)), axes=(1, 2))
    >>> smoothed.shape
    (3, 4, 4)
    """
    return _filter(input, weights, output, mode, cval, origin,
                   dict(axes=axes, stride=stride, dilation=dilation, padding=padding,
                        nan_policy=nan_policy, method=method, workers=workers,
                        convolution=False))


@fill
def convolve(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *,
             axes=None, stride=1, dilation=1, padding="same", nan_policy="propagate",
              method="auto",
             workers=None):
    """Multidimensional convolution, with stride, dilation and padding.

    A drop-in for :func:`scipy.ndimage.convolve`: :func:`correlate` with the
    kernel flipped on every filtered axis (complex weights are not
    conjugated).

    Parameters
    ----------
    %(input)s
    weights : array_like
        The kernel, real or complex, one axis per filtered axis.
    %(output)s
    %(mode)s
    %(mode_per_axis)s
    %(cval)s
    %(origin)s
    %(axes)s
    %(stride)s
    %(dilation)s
    %(padding)s
    %(nan_policy)s
    %(method)s
    %(workers)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    correlate : Without the flip.
    convolve1d : Along one axis.
    scipy.ndimage.convolve : The function this extends.

    Notes
    -----
    Along one filtered axis, with the symbols of :func:`correlate`::

        out[j] = sum over t = 0..k-1 of w[k-1-t] * x_ext[j*s - before + t*d]

    that is, ``correlate(x, w[::-1, ::-1, ...])`` without conjugation. With
    ``padding='same'`` the origin is mirrored to ``-origin``, minus one more
    on axes of even length, exactly as scipy.ndimage.convolve does, so
    ``before = ((k - 1) // 2 - origin) * d``. With ``padding='full'`` or
    ``'valid'`` and ``mode='constant'`` the result is
    :func:`scipy.signal.convolve`'s. The output length is the same as
    :func:`correlate`'s.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> pyconv.convolve([0.0, 1.0, 0.0, 0.0], [1.0, 2.0, 3.0], padding="full",
    ...                 mode="constant")
    array([0., 1., 2., 3., 0., 0.])
    """
    return _filter(input, weights, output, mode, cval, origin,
                   dict(axes=axes, stride=stride, dilation=dilation, padding=padding,
                        nan_policy=nan_policy, method=method, workers=workers,
                        convolution=True))


@fill
def correlate1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0,
                *, stride=1, dilation=1, padding="same", nan_policy="propagate",
                method="auto", workers=None):
    """One-dimensional correlation along one axis.

    A drop-in for :func:`scipy.ndimage.correlate1d`, plus stride, dilation
    and padding.

    Parameters
    ----------
    %(input)s
    weights : array_like
        One-dimensional kernel, real or complex (conjugated).
    %(axis)s
    %(output)s
    %(mode)s
    %(cval)s
    %(origin_1d)s
    %(stride_1d)s
    %(dilation_1d)s
    %(padding_1d)s
    %(nan_policy)s
    %(method)s
    %(workers)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    correlate : Any number of filtered axes.
    scipy.ndimage.correlate1d : The function this extends.

    Notes
    -----
    Along `axis`, of length ``n``, with ``k`` taps ``w``, stride ``s`` and
    dilation ``d``::

        out[j] = sum over t = 0..k-1 of conj(w[t]) * x_ext[j*s - before + t*d]
        out_len = max(0, (n + before + after - d*(k-1) - 1) // s + 1)

    with ``x_ext`` the input extended by `mode` and ``(before, after)`` from
    `padding` (for 'same', ``before = (k // 2 + origin) * d``). Every
    other axis is a batch axis. This is ``correlate(input, weights,
    axes=(axis,), ...)`` with a 1-D `weights`.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> signal = np.array([[0.0, 0.0, 3.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0]])
    >>> pyconv.correlate1d(signal, [1.0, 1.0, 1.0], mode="constant")
    array([[0., 3., 3., 3., 0.],
           [2., 3., 3., 3., 2.]])
    """
    return _filter(input, weights, output, mode, cval, origin,
                   dict(axes=single_axis(axis), stride=stride, dilation=dilation,
                        padding=padding, nan_policy=nan_policy, method=method,
                        workers=workers, convolution=False, one_axis=True))


@fill
def convolve1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0,
               *, stride=1, dilation=1, padding="same", nan_policy="propagate",
               method="auto", workers=None):
    """One-dimensional convolution along one axis.

    A drop-in for :func:`scipy.ndimage.convolve1d`: :func:`correlate1d` with
    the kernel reversed (and not conjugated).

    Parameters
    ----------
    %(input)s
    weights : array_like
        One-dimensional kernel, real or complex.
    %(axis)s
    %(output)s
    %(mode)s
    %(cval)s
    %(origin_1d)s
    %(stride_1d)s
    %(dilation_1d)s
    %(padding_1d)s
    %(nan_policy)s
    %(method)s
    %(workers)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    convolve : Any number of filtered axes.
    scipy.ndimage.convolve1d : The function this extends.

    Notes
    -----
    Along `axis`, with the symbols of :func:`correlate1d`::

        out[j] = sum over t = 0..k-1 of w[k-1-t] * x_ext[j*s - before + t*d]

    that is, ``correlate1d(x, w[::-1])`` without conjugation, with the origin
    of ``padding='same'`` mirrored as scipy.ndimage.convolve1d does:
    ``before = ((k - 1) // 2 - origin) * d``.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> impulse = np.array([1.0, 0.0, 0.0, 0.0])
    >>> pyconv.convolve1d(impulse, [1.0, 0.5], padding="full", mode="constant")
    array([1. , 0.5, 0. , 0. , 0. ])
    """
    return _filter(input, weights, output, mode, cval, origin,
                   dict(axes=single_axis(axis), stride=stride, dilation=dilation,
                        padding=padding, nan_policy=nan_policy, method=method,
                        workers=workers, convolution=True, one_axis=True))


@fill
def output_shape(input_shape, weights_shape, *, axes=None, stride=1, dilation=1,
                 padding="same", origin=0):
    """The shape :func:`correlate` (or :func:`convolve`) would return.

    Checks the geometry arguments exactly as :func:`correlate` does, without
    any data, so it also tells whether a call would be accepted.

    Parameters
    ----------
    input_shape : sequence of int
        Shape of the input.
    weights_shape : sequence of int
        Shape of the kernel, one entry per filtered axis.
    %(axes)s
    %(stride)s
    %(dilation)s
    %(padding)s
    %(origin)s

    Returns
    -------
    shape : tuple of int
        The input shape with each filtered axis replaced by its output
        length; batch axes keep their length.

    Raises
    ------
    ValueError
        As :func:`correlate` raises it for these arguments: origin out of
        range or non-zero with padding other than 'same', stride or dilation
        below 1, negative or unknown padding, a zero in `weights_shape`,
        the wrong number of kernel axes, repeated or out-of-range axes.
    TypeError
        Arguments of the wrong type.

    See Also
    --------
    correlate : Computes what this only measures.
    choose_method : Which method ``method='auto'`` would use.

    Notes
    -----
    A filtered axis of length ``n``, with ``k`` taps, stride ``s``, dilation
    ``d`` and padding ``(before, after)``, has length::

        out_len = max(0, (n + before + after - d*(k-1) - 1) // s + 1)

    and 0 when ``n == 0``. The forms of `padding` give ``(before, after)``:

    - 'same': ``(c*d, d*(k-1) - c*d)`` with ``c = k // 2 + origin``, so
      that ``out_len = ceil(n / s)``;
    - 'valid': ``(0, 0)``;
    - 'full': ``(d*(k-1), d*(k-1))``;
    - an int ``p``: ``(p, p)``;
    - a pair ``(b, a)``: ``(b, a)``.

    Examples
    --------
    >>> import pyconv
    >>> pyconv.output_shape((32, 32), (3, 3), stride=2)
    (16, 16)
    >>> pyconv.output_shape((32, 32), (5, 5), padding="valid", dilation=2)
    (24, 24)

    Frames of a video, each padded by one row before and none after along
    axis 1, and fully along axis 2:

    >>> pyconv.output_shape((10, 64, 64), (3, 3), axes=(1, 2),
    ...                     padding=[(1, 0), "full"])
    (10, 63, 66)
    """
    return normalize_geometry(input_shape, weights_shape, axes=axes, stride=stride,
                              dilation=dilation, padding=padding, origin=origin).out_shape


@fill
def choose_method(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *,
                  axes=None, stride=1, dilation=1, padding="same", nan_policy="propagate",
                  workers=None):
    """The method ``method='auto'`` would use: ``'direct'`` or ``'fft'``.

    Takes :func:`correlate`'s arguments (the choice is the same for
    :func:`convolve`, and for the 1-D functions with ``axes=(axis,)``) and
    checks them the same way, without computing anything but, when the FFT
    looks faster, whether the input holds a NaN or an infinity.

    Parameters
    ----------
    %(input)s
    weights : array_like
        The kernel, one axis per filtered axis.
    %(output)s
    %(mode)s
    %(cval)s
    %(origin)s
    %(axes)s
    %(stride)s
    %(dilation)s
    %(padding)s
    %(nan_policy)s
    %(workers)s

    Returns
    -------
    method : {'direct', 'fft'}
        What ``method='auto'`` runs for these arguments.

    Raises
    ------
    %(raises)s

    See Also
    --------
    correlate

    Notes
    -----
    The choice compares predicted times: the direct method costs about
    ``outputs * non-zero taps`` multiply-adds (``outputs * (sum of the
    sides)`` for a separable kernel), the FFT about
    ``elements * log2(transform size)`` per tile it transforms, each times a
    constant measured on the development machine (``pyconv._plan``). The
    FFT is never chosen when the input, the weights or `cval` hold a NaN or
    an infinity (it would spread them over the whole output), nor when its
    scratch memory would far exceed the direct method's.

    Examples
    --------
    >>> import numpy as np
    >>> import pyconv
    >>> image = np.zeros((512, 512))
    >>> kernel = np.random.default_rng(0).standard_normal((63, 63))
    >>> pyconv.choose_method(image, kernel[:3, :3], workers=2)
    'direct'
    >>> pyconv.choose_method(image, kernel, workers=2)
    'fft'
    >>> image[0, 0] = np.nan
    >>> pyconv.choose_method(image, kernel, workers=2)
    'direct'

    A separable kernel (an outer product, like this box) costs the direct
    method the sum of its sides per output, not their product:

    >>> pyconv.choose_method(np.zeros((512, 512)), np.ones((63, 63)), workers=2)
    'direct'
    """
    if is_dask_array(input):
        raise TypeError("choose_method needs an in-memory array; on a dask array each "
                        "block picks its own method when it is computed")
    with np.errstate(over="ignore"):  # as in every filter: past the range is +-inf
        problem = normalize(input, weights, output, mode, cval, origin, axes=axes,
                            stride=stride, dilation=dilation, padding=padding,
                            nan_policy=nan_policy, method="auto", workers=workers,
                            convolution=False)
        return _plan.choose(problem)
