"""Shared parameter text, filled into every public docstring.

A docstring names a fragment as ``%(name)s``; :func:`fill` substitutes it, so
each parameter is described once for all four functions.
"""

import inspect

_FRAGMENTS = {
    "input": """\
input : array_like or dask.array.Array
    The data: float16/32/64, complex64/128, 8- to 64-bit integers or bool
    (read as 0 and 1), any layout (non-contiguous, negative strides, either
    byte order, read-only).
    It is never modified. A dask array gives a lazy dask array, computed
    block by block (see the user guide's page on dask).""",
    "output": """\
output : ndarray or dtype, optional
    Where to put the result: an array of exactly the output shape (any
    strides; it may overlap `input`), or the dtype of a new array. Default:
    the input's dtype, promoted to complex when the weights are complex.
    The working precision follows it: float32 (complex64) for float16,
    float32, complex64, bool and integers of at most 16 bits, float64
    otherwise. Integer outputs are rounded to nearest (ties to even) and
    saturated; a bool output holds ``sum != 0``. Complex data with a real
    output dtype (not an array) give a complex result with scipy's
    UserWarning, as scipy.ndimage does.""",
    "mode": """\
mode : {'reflect', 'constant', 'nearest', 'mirror', 'wrap'} or sequence, optional
    How the input extends past its edges, exactly as in scipy.ndimage, at
    any distance from the edge. Aliases: 'grid-mirror' (reflect),
    'grid-constant' (constant), 'grid-wrap' (wrap). Default 'reflect'.""",
    "mode_per_axis": """\
    A sequence gives one mode per filtered axis.""",
    "cval": """\
cval : scalar, optional
    The value past the edges for ``mode='constant'``. Default 0.0.""",
    "origin_1d": """\
origin : int, optional
    Moves the kernel: tap ``len(weights) // 2 + origin`` lies over each
    output point. Range ``-(k // 2) <= origin <= (k - 1) // 2``. Only with
    ``padding='same'``. Default 0.""",
    "origin": """\
origin : int or sequence of int, optional
    Moves the kernel: tap ``k // 2 + origin`` lies over each output point
    (it counts taps, also when dilated). One per filtered axis or one for
    all; range ``-(k // 2) <= origin <= (k - 1) // 2``. A non-zero origin
    needs ``padding='same'``. Default 0.""",
    "axes": """\
axes : int or sequence of int, optional
    The filtered axes, in order: weights axis ``i`` runs along ``axes[i]``
    (not sorted, unlike scipy). The other axes are batch axes, each slice
    along them filtered independently. Default: every axis, and then
    ``weights.ndim == input.ndim``.""",
    "axis": """\
axis : int, optional
    The axis of `input` to filter along. Default -1.""",
    "stride": """\
stride : int or sequence of int, optional
    Keep every ``stride``-th output along each filtered axis; only the kept
    outputs are computed. One per filtered axis or one for all. Default 1.""",
    "stride_1d": """\
stride : int, optional
    Keep every ``stride``-th output; only those are computed. Default 1.""",
    "dilation": """\
dilation : int or sequence of int, optional
    Spacing between taps: the kernel spans ``dilation * (k - 1) + 1`` input
    samples but costs no more than undilated. Default 1.""",
    "dilation_1d": """\
dilation : int, optional
    Spacing between taps; costs no more than undilated. Default 1.""",
    "padding": """\
padding : {'same', 'valid', 'full'}, int, pair or sequence, optional
    How far the kernel may hang past the edges, which sets the output size:
    'same' keeps the input length (``ceil(n / stride)`` with a stride),
    'valid' places the kernel only where it lies fully inside, 'full'
    wherever it overlaps the input; an int ``p`` pads ``p`` positions on
    both sides and a pair ``(before, after)`` pads each side. A sequence
    gives one entry per filtered axis, so a pair for a single filtered axis
    is written ``[(before, after)]``. Default 'same'. Padding does not
    mean zeros: the filters read the padded positions through ``mode``
    ('reflect' by default), so 'full' gives scipy.signal's (and, in 1-D,
    numpy.convolve's or numpy.correlate's) full result only with
    ``mode='constant'``.""",
    "padding_1d": """\
padding : {'same', 'valid', 'full'}, int or (before, after), optional
    How far the kernel may hang past the edges, which sets the output
    length. Default 'same'. Padding does not mean zeros: the padded
    positions are read through `mode` ('reflect' by default), so 'full'
    gives numpy.convolve's (or numpy.correlate's) full result only with
    ``mode='constant'``.""",
    "method": """\
method : {'auto', 'direct', 'fft'}, optional
    'direct' runs the compiled loops (cost grows with the kernel size);
    'fft' transforms in overlap-save tiles, with ducc0.fft when ducc0 is
    installed and scipy.fft otherwise (see :func:`set_fft_backend`; cost
    grows with log of the tile size). Both agree to floating-point
    rounding, except around a NaN or inf in the input: the direct method
    gives NaN (or inf) only where a window holds it under a non-zero
    weight, the FFT gives NaN in every output of each tile that reads it
    (and, for real data filtered along one axis on scipy.fft, of the tile
    sharing its complex transform), which is the whole result when one
    tile covers the input. 'auto' (default)
    picks the faster by a measured cost model and never returns such a
    result: it does not pick the FFT when the weights or cval are not
    finite, and when the input holds a NaN or inf the FFT hands the call
    over to the direct method as soon as it meets one (see
    :func:`choose_method`).""",
    "nan_policy": """\
nan_policy : {'propagate', 'omit', 'raise'}, optional
    What a NaN in the input means. 'propagate' (default): a value like any
    other, so it reaches exactly the outputs whose window holds it under a
    non-zero weight. 'raise': ValueError if the input holds a NaN, before
    anything is written (on a dask array, when the block holding it is
    computed). 'omit': NaN samples are missing -- and so is the outside
    with ``mode='constant', cval=np.nan`` -- and each output is the
    normalised sum over the present samples of its window, ``sum(w*x) /
    sum(w) * sum(all w)`` with both sums over the present taps (astropy's
    ``nan_treatment='interpolate'``); NaN where no sample under a
    non-zero weight is present. Needs a floating or complex output
    (TypeError) and weights whose sum is not 0 (ValueError). See the user
    guide's page on missing data.""",
    "workers": """\
workers : int, optional
    Threads to use. None (default): as many as OpenMP may use at the time
    of the call (so ``OMP_NUM_THREADS`` and threadpoolctl limits hold);
    ``n >= 1``: exactly n; negative values count back from the number of
    cores (``-1``: all, ``-2``: all but one); more than 1024 is a
    ValueError. The FFT method passes the same number to its backend. The
    direct method's result is bitwise the same for any value. In a process
    forked after its parent used threads (a fork-based multiprocessing
    pool), every call runs on one thread: GNU OpenMP's threads do not
    survive fork.""",
    "returns": """\
result : ndarray
    The filtered array (`output` itself when an array was given). Its
    shape is the input's, with each filtered axis of length
    ``max(0, (n + before + after - dilation*(k-1) - 1) // stride + 1)``
    (see :func:`output_shape`).""",
    "raises": """\
ValueError
    Unknown mode, padding, method or nan_policy, origin out of range or
    non-zero with padding other than 'same', stride or dilation below 1,
    negative padding, weights with a zero-length axis or the wrong number
    of axes, repeated or out-of-range axes, output of the wrong shape or
    read-only; a NaN in the input with ``nan_policy='raise'``; weights
    summing to 0 with ``nan_policy='omit'``.
TypeError
    Unsupported input, weights or output dtype (object, strings...),
    a real output array (or dtype string) for complex data, an integer or
    bool output with ``nan_policy='omit'``, arguments of the wrong type.""",
    "family_axes": """\
axes : int or sequence of int, optional
    The filtered axes; per-axis arguments (sigma, size, mode...) follow
    them in the order given. The other axes are batch axes, each slice
    along them filtered independently. Default: every axis.""",
    "family_mode": """\
mode : str or sequence of str, optional
    How the input extends past its edges: 'reflect' (default),
    'constant', 'nearest', 'mirror' or 'wrap' (and scipy's aliases
    'grid-mirror', 'grid-constant', 'grid-wrap'), exact at any distance
    from the edge. A sequence gives one mode per filtered axis.""",
    "family_stride": """\
stride : int or sequence of int, optional
    Keep every ``stride``-th output along each filtered axis (a pyramid
    level): exactly ``result[::stride]`` of the full-resolution result,
    and each pass computes only what is kept. One per filtered axis or
    one for all. Default 1.""",
    "family_output": """\
output : ndarray or dtype, optional
    Where to put the result: an array of the result's shape, or the dtype
    of a new array. Default: the input's dtype. Intermediate passes keep
    the working precision (float32 for float16, float32 and integers of
    at most 16 bits, float64 otherwise; complex likewise), and an
    integer output is rounded to nearest and saturated once, at the end.""",
    "edge_raises": """\
ValueError
    A sequence whose length is not the number of axes, an unknown mode,
    stride below 1, an axis out of range, an output of the wrong shape
    or read-only.
TypeError
    Unsupported input or output dtype, arguments of the wrong type.""",
    "edge_parameters": """\
%(input)s
%(axis)s
%(family_output)s
mode : str or sequence of str, optional
    How the input extends past its edges (see :func:`gaussian_filter`);
    a sequence gives one mode per input axis. Default 'reflect'.
%(cval)s
stride : int or sequence of int, optional
    Keep every ``stride``-th output along each input axis (one per
    axis or one for all); only those are computed. Default 1.
%(workers)s""",
    "derivative_parameters": """\
sigma : float or sequence of float
    Standard deviation of the Gaussian, one per filtered axis or one
    for all.
%(family_output)s
mode : str or sequence of str, optional
    How the input extends past its edges. A sequence gives one mode
    per filtered axis, used (as in scipy) for every pass of that axis'
    derivative term. Default 'reflect'.
%(cval)s
%(family_axes)s
**kwargs
    `truncate`, `radius`, `stride`, `method` and `workers`, as in
    :func:`gaussian_filter`.""",
    "family_raises": """\
ValueError
    A negative or non-finite sigma or truncate, a size below 1, a
    sequence whose length is not the number of filtered axes, an unknown
    mode, origin out of range, stride below 1, repeated or out-of-range
    axes, an output of the wrong shape or read-only.
TypeError
    Unsupported input or output dtype, arguments of the wrong type.""",
    "stream_parameters": """\
axis : int, optional
    The input axis along which samples arrive; one of the filtered axes
    (written as in `axes` when `axes` is given). Default 0.
%(mode)s
%(mode_per_axis)s
%(cval)s
%(origin)s
%(axes)s
%(stride)s
    Along `axis` the stride's phase carries from chunk to chunk.
%(dilation)s
%(padding)s
%(method)s
%(workers)s

Returns
-------
Stream
    With :meth:`~Stream.push`, :meth:`~Stream.finish`,
    :attr:`~Stream.delay` and :attr:`~Stream.wrapped`.""",
    "smoothing_raises": """\
ValueError
    A negative or non-finite sigma or truncate, a size below 1, a
    sequence whose length is not the number of filtered axes, an unknown
    mode or nan_policy, origin out of range, stride below 1, repeated or
    out-of-range axes, an output of the wrong shape or read-only; a NaN
    in the input with ``nan_policy='raise'``; a kernel summing to 0 (a
    derivative) with ``nan_policy='omit'``.
TypeError
    Unsupported input or output dtype, an integer output with
    ``nan_policy='omit'``, arguments of the wrong type.""",
}

# Fragments made of fragments.
_FRAGMENTS["derivative_parameters"] %= _FRAGMENTS
_FRAGMENTS["edge_parameters"] %= _FRAGMENTS
_FRAGMENTS["stream_parameters"] %= _FRAGMENTS


def fill(function):
    """Decorator: substitute the shared fragments into a docstring."""
    function.__doc__ = inspect.cleandoc(function.__doc__) % _FRAGMENTS
    return function
