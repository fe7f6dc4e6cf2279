"""The one place that checks and expands every argument.

Every public function calls :func:`normalize` (or :func:`normalize_geometry`
for ``output_shape``). All errors are raised here, before any output is
written; what comes out is a frozen :class:`Problem` that the kernels trust.
Strings become integer codes here and nowhere else.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import os
import sys
import warnings
from typing import NamedTuple

import numpy as np

from pyconv._boundary import Mode
from pyconv._openmp import effective_workers

MODES = {
    "reflect": Mode.REFLECT,
    "grid-mirror": Mode.REFLECT,
    "constant": Mode.CONSTANT,
    "grid-constant": Mode.CONSTANT,
    "nearest": Mode.NEAREST,
    "mirror": Mode.MIRROR,
    "wrap": Mode.WRAP,
    "grid-wrap": Mode.WRAP,
}
PADDINGS = ("same", "valid", "full")
METHODS = ("auto", "direct", "fft")
NAN_POLICIES = ("propagate", "omit", "raise")

# Input/output dtypes: float16/32/64, complex64/128, 8- to 64-bit integers,
# and bool (as scipy.ndimage takes it: bool input is 0/1 uint8 data, and a
# bool output receives ``result != 0``).
SUPPORTED_DTYPES = tuple(
    np.dtype(t)
    for t in (
        np.float16, np.float32, np.float64, np.complex64, np.complex128,
        np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64,
        np.bool_,
    )
)

# Positions are Py_ssize_t in the kernels; keep every extent well inside it.
MAX_EXTENT = 2**60


@functools.cache
def physical_memory():
    """Bytes of RAM on this machine (a large number where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 2**62


def stand_in(shape, dtype):
    """A data-free, read-only array of `shape` and `dtype` (every stride 0)."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype=dtype), shape=shape,
                                           strides=(0,) * len(shape), writeable=False)


def check_fits_in_memory(n_bytes, what, *details):
    """MemoryError, before any allocation, for a request larger than the machine.

    The message names ``what.format(*details)`` (formatted only then).
    """
    if n_bytes > physical_memory():
        what = what.format(*details)
        raise MemoryError(
            f"{what} would need {n_bytes / 2**30:.1f} GiB, more than this machine's "
            f"{physical_memory() / 2**30:.1f} GiB of memory"
        )


# Named tuples: one is made per call (frozen dataclasses take microseconds to
# make, a sizeable part of a small call).
class AxisGeometry(NamedTuple):
    """One filtered axis: lengths, spacing and padding, in input positions."""

    axis: int  # the input axis it runs along
    length: int  # n
    taps: int  # k
    stride: int
    dilation: int
    before: int
    after: int
    out_len: int


class Geometry(NamedTuple):
    """The shape of a problem: which axes are filtered and how."""

    axes: tuple[int, ...]
    filtered: tuple[AxisGeometry, ...]  # in the order of `axes`
    out_shape: tuple[int, ...]


class Problem(NamedTuple):
    """A checked problem, ready for a kernel.

    Per-axis tuples have one entry per *input* axis; batch axes are filtered
    axes with one tap, stride 1 and no padding. ``weights`` has ``input.ndim``
    axes (length 1 on batch axes), is in the working dtype, and is already
    flipped (convolve) or conjugated (correlate with complex weights).
    A bool input arrives as its uint8 view; for a bool result, see
    ``bool_output``.
    """

    input: np.ndarray
    weights: np.ndarray
    axes: tuple[int, ...]  # the filtered axes, in the order given
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    before: tuple[int, ...]
    after: tuple[int, ...]
    mode: tuple[int, ...]
    cval: complex | float
    work_dtype: np.dtype
    output: np.ndarray
    n_workers: int
    method: str  # 'auto', 'direct' or 'fft'
    # A bool result: the kernel fills `output` (scratch in the working dtype)
    # and `finish` stores ``output != 0`` here (the user's array or a new one).
    bool_output: np.ndarray | None = None
    # nan_policy="omit": NaN samples (and, in mode "constant" with a NaN
    # cval, the outside) are missing, and each output is the normalised sum
    # over the present ones (see _direct_plan's note on omit).
    omit: bool = False

    def with_arrays(self, input, output):
        """This problem for other arrays of the same layout (a repeated call)."""
        return Problem(input, *self[1:_OUTPUT_FIELD], output, *self[_OUTPUT_FIELD + 1:])

    def finish(self, result):
        """What the caller returns for the kernel's `result`.

        `result` itself, except for a bool result: ``result != 0`` stored in
        ``bool_output`` (nonzero sums are True).
        """
        if self.bool_output is not None:
            return np.not_equal(result, 0, out=self.bool_output)
        return result


# Problem.with_arrays: the input is the first field, the output this one.
_OUTPUT_FIELD = Problem._fields.index("output")


# --------------------------------------------------------------------------
# Small parsers, one per kind of argument
# --------------------------------------------------------------------------


def as_int(value, name):
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None


def _is_sequence(value):
    return isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim > 0)


def per_axis(value, n_axes, name, parse):
    """Expand `value` (one value, or one per filtered axis) to a parsed tuple."""
    if not _is_sequence(value):
        return (parse(value, name),) * n_axes
    entries = list(value)
    if len(entries) != n_axes:
        hint = ""
        if name == "padding" and len(entries) == 2:
            hint = "; a (before, after) pair for every axis is written [(before, after)] * n"
        raise ValueError(
            f"{name} has {len(entries)} entries but there are {n_axes} filtered axes "
            f"(a sequence gives one entry per filtered axis){hint}"
        )
    return tuple(parse(entry, f"{name}[{i}]") for i, entry in enumerate(entries))


def _did_you_mean(value, name):
    """A hint for a mode given as a padding, a padding as a mode, or wrong case."""
    word = value.strip().lower()
    parameter = name.partition("[")[0]
    if word in PADDINGS and parameter == "mode":
        return (f" (did you mean padding={word!r}? scipy.signal's mode={word!r} is "
                "pyconv's padding; mode says what lies past the edges)")
    if word in MODES and parameter == "padding":
        return f" (did you mean mode={word!r}?)"
    if word != value and (word in PADDINGS or word in MODES):
        return f" (did you mean {parameter}={word!r}? names are lower case)"
    return ""


def _parse_mode(value, name):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    try:
        return int(MODES[value])
    except KeyError:
        raise ValueError(
            f"{name}={value!r} is not a boundary mode; use one of {', '.join(MODES)}"
            + _did_you_mean(value, name)
        ) from None


def parse_positive(value, name):
    value = as_int(value, name)
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value}")
    return value


def _parse_padding(value, name):
    """One axis' padding: 'same' | 'valid' | 'full' | int p | pair (before, after)."""
    if isinstance(value, str):
        if value not in PADDINGS:
            raise ValueError(
                f"{name}={value!r} is not a padding; use 'same', 'valid', 'full', "
                "an int >= 0 or a pair (before, after)" + _did_you_mean(value, name)
            )
        return value
    if not _is_sequence(value):
        amount = as_int(value, name)
        if amount < 0:
            raise ValueError(f"{name} must be >= 0, got {amount}")
        return (amount, amount)
    pair = tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be a pair (before, after), got {len(pair)} entries")
    before, after = (as_int(v, name) for v in pair)
    if before < 0 or after < 0:
        raise ValueError(f"{name} must be >= 0, got ({before}, {after})")
    return (before, after)


def single_axis(axis):
    """`axes` for a function of one axis: a plain int as it is (the cheap key
    of a repeated call), anything else as ``(axis,)``, which parse_axes
    checks as an axis."""
    return axis if type(axis) is int else (axis,)


def parse_axes(axes, ndim):
    if axes is None:
        return tuple(range(ndim))
    entries = [as_int(a, "axes") for a in axes] if _is_sequence(axes) else [
        as_int(axes, "axes")]
    normalized = []
    for a in entries:
        if not -ndim <= a < ndim:
            raise ValueError(f"axes entry {a} is out of range for an input with {ndim} axes")
        normalized.append(a % ndim)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"axes must be unique (no axis twice), got {tuple(entries)}")
    return tuple(normalized)


def _check_dtype(dtype, what):
    if dtype.newbyteorder("=") not in SUPPORTED_DTYPES:
        raise TypeError(
            f"{what} has dtype {dtype}, which pyconv does not support; use float16/32/64, "
            "complex64/128, a signed/unsigned integer of 8 to 64 bits or bool"
        )


def as_input_array(value):
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            "input is a masked array; pyconv does not apply masks. Pass "
            "input.filled(value) or np.asarray(input) to filter the data underneath"
        )
    array = np.asarray(value)
    _check_dtype(array.dtype, "input")
    return array


def _as_weights_array(value):
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError("weights is a masked array; pass weights.filled(0)")
    weights = np.asarray(value)
    if weights.dtype.kind not in "biufc":  # bool: 0/1 weights, as in scipy.ndimage
        raise TypeError(
            f"weights has dtype {weights.dtype}; it must be a real, complex or bool array"
        )
    if 0 in weights.shape:
        raise ValueError(f"weights must not have a zero-length axis, got shape {weights.shape}")
    return weights


# --------------------------------------------------------------------------
# Geometry: padding, output size
# --------------------------------------------------------------------------


def _axis_geometry(axis, n, k, stride, dilation, padding, origin, name, convolution):
    span = dilation * (k - 1)
    if not -(k // 2) <= origin <= (k - 1) // 2:
        raise ValueError(
            f"origin{name}={origin} is out of range for a kernel of length {k}: "
            f"it must lie in [{-(k // 2)}, {(k - 1) // 2}]"
        )
    if padding == "same":
        if convolution:
            # The flipped kernel's origin, as scipy.ndimage.convolve has it
            # (the range above maps onto itself).
            origin = -origin - (1 - k % 2)
        center = k // 2 + origin
        before, after = center * dilation, span - center * dilation
    else:
        if origin != 0:
            raise ValueError(
                f"origin{name}={origin} is only meaningful with padding='same', "
                f"not padding={padding!r}"
            )
        if padding == "valid":
            before, after = 0, 0
        elif padding == "full":
            before, after = span, span
        else:
            before, after = padding
    if n + before + after + span >= MAX_EXTENT:
        raise ValueError(
            f"padding{name}/dilation{name} are too large: the padded axis spans "
            f"{n + before + after + span} positions (limit {MAX_EXTENT})"
        )
    out_len = 0 if n == 0 else max(0, (n + before + after - span - 1) // stride + 1)
    return AxisGeometry(axis, n, k, stride, dilation, before, after, out_len)


def normalize_geometry(input_shape, weights_shape, *, axes, stride, dilation, padding,
                       origin, one_axis=False, convolution=False):
    """Check the shape-related arguments and compute the output shape.

    With ``one_axis`` (the ``*1d`` functions) every per-axis argument is a
    single value and a padding pair means (before, after). ``convolution``
    mirrors the origin of "same" padding for the flipped kernel. Arguments
    made of plain ints, strings and tuples of them (the usual case) have
    their result cached; a check that fails is never cached.
    """
    arguments = (input_shape, weights_shape, axes, stride, dilation, padding, origin,
                 one_axis, convolution)
    if _plain(arguments[:-2]):  # (the last two are always bools)
        return _cached_geometry(*arguments)
    return _geometry(*arguments)


def _plain(value):
    """Whether `value` is made of None, int, str and tuples of them only.

    Not bool: a bool stride is an error, and ``True`` would find the result
    cached for ``1`` (they are equal keys).
    """
    kind = type(value)
    if kind is tuple:
        return all(_plain(item) for item in value)
    return kind is int or kind is str or value is None


@functools.lru_cache(maxsize=256)
def _cached_geometry(*arguments):
    return _geometry(*arguments)


def _geometry(input_shape, weights_shape, axes, stride, dilation, padding, origin, one_axis,
              convolution):
    input_shape = tuple(as_int(n, "input_shape") for n in input_shape)
    if any(n < 0 for n in input_shape):
        raise ValueError(f"input_shape must not have negative lengths, got {input_shape}")
    weights_shape = tuple(as_int(k, "weights_shape") for k in weights_shape)
    if any(k < 1 for k in weights_shape):
        raise ValueError(
            f"weights must not have a zero-length axis, got shape {weights_shape}"
        )
    ndim = len(input_shape)
    axes = parse_axes(axes, ndim)
    if len(weights_shape) != len(axes):
        raise ValueError(
            f"weights has {len(weights_shape)} axes but {len(axes)} axes are filtered "
            f"(input has {ndim} axes, axes={axes if len(axes) != ndim else None}); "
            "weights.ndim must equal the number of filtered axes"
        )
    n_axes = len(axes)
    if one_axis:
        paddings = (_parse_padding(padding, "padding"),)
        strides = (parse_positive(stride, "stride"),)
        dilations = (parse_positive(dilation, "dilation"),)
        origins = (as_int(origin, "origin"),)
    else:
        paddings = per_axis(padding, n_axes, "padding", _parse_padding)
        strides = per_axis(stride, n_axes, "stride", parse_positive)
        dilations = per_axis(dilation, n_axes, "dilation", parse_positive)
        origins = per_axis(origin, n_axes, "origin", as_int)

    filtered = []
    for i, axis in enumerate(axes):
        suffix = "" if n_axes == 1 else f"[{i}]"
        filtered.append(
            _axis_geometry(axis, input_shape[axis], weights_shape[i], strides[i],
                           dilations[i], paddings[i], origins[i], suffix, convolution)
        )
    out_shape = list(input_shape)
    for g in filtered:
        out_shape[g.axis] = g.out_len
    return Geometry(axes, tuple(filtered), tuple(out_shape))


# --------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------


def working_dtype(out_dtype, complex_data):
    """float32/complex64 for outputs of at most single precision, else double.

    A bool output counts as uint8 (as bool input is uint8 data).
    """
    out_dtype = np.dtype(out_dtype).newbyteorder("=")
    single = out_dtype in (np.float16, np.float32, np.complex64) or (
        out_dtype.kind in "biu" and out_dtype.itemsize <= 2
    )
    if complex_data:
        return np.dtype(np.complex64 if single else np.complex128)
    return np.dtype(np.float32 if single else np.float64)


def _warn(message, category=UserWarning):
    """warnings.warn, pointing at the first caller outside pyconv."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] \
            == "pyconv":
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def _output_dtype(output, input_dtype, complex_data):
    """The result's dtype, as scipy.ndimage's ``_get_output`` chooses it.

    Complex data with a real output given as a dtype or a type (not a
    string, not an array): scipy's UserWarning, and the dtype promoted to
    complex. A real output array (or a dtype string) is a TypeError.
    """
    if output is None:
        native = input_dtype.newbyteorder("=")
        return np.promote_types(native, np.complex64) if complex_data else native
    if isinstance(output, np.ndarray):
        dtype = output.dtype
    else:
        try:
            dtype = np.dtype(output)
        except TypeError:
            raise TypeError(
                f"output must be None, a numpy array or a dtype, got {type(output).__name__}"
            ) from None
    _check_dtype(dtype, "output")
    if complex_data and dtype.kind != "c":
        if isinstance(output, (type, np.dtype)):
            _warn("promoting specified output dtype to complex")
            return np.promote_types(dtype, np.complex64)
        what = "output array of dtype" if isinstance(output, np.ndarray) else "output dtype"
        raise TypeError(
            f"{what} {dtype} cannot hold the complex result of complex input or weights; "
            "use a complex output dtype"
        )
    return dtype


def _parse_cval(cval, complex_work):
    if isinstance(cval, np.ndarray) and cval.ndim == 0:
        cval = cval[()]
    if isinstance(cval, (bool, np.bool_)) or not isinstance(cval, (numbers.Number, np.number)):
        raise TypeError(f"cval must be a real or complex number, got {type(cval).__name__}")
    try:
        value = complex(cval)
    except OverflowError:  # an integer past float64's range: +-inf, as any float saturates
        value = complex(float("inf") if cval > 0 else float("-inf"))
    if complex_work:
        return value
    if value.imag != 0:
        raise TypeError(f"cval={cval!r} is complex but the data are real; use a real cval")
    return value.real


# --------------------------------------------------------------------------
# The routine every public function calls
# --------------------------------------------------------------------------


def _parse_method(method):
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {type(method).__name__}")
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not a method; use 'auto', 'direct' or 'fft'")
    return method


def _parse_nan_policy(nan_policy):
    if not isinstance(nan_policy, str):
        raise TypeError(f"nan_policy must be a string, got {type(nan_policy).__name__}")
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy={nan_policy!r} is not a NaN policy; use 'propagate', "
                         "'omit' or 'raise'")
    return nan_policy


def check_nan_policy(nan_policy, input, out_dtype, weights, scan=True):
    """Check `nan_policy` against the data; returns True for "omit".

    "raise" scans `input` for NaN here (with `scan`; a dask task scans its
    block), before anything is written. "omit" needs a floating or complex
    result and `weights` that do not sum to 0 (nothing to renormalise by):
    a sum within rounding of 0 (a derivative kernel's) counts as 0.
    """
    nan_policy = _parse_nan_policy(nan_policy)
    if nan_policy == "raise":
        if scan and input.dtype.kind in "fc" and input.size and np.isnan(input).any():
            raise ValueError("the input holds NaN and nan_policy='raise'")
        return False
    if nan_policy == "propagate":
        return False
    if out_dtype.kind not in "fc":
        raise TypeError(
            f"nan_policy='omit' needs a floating or complex output (missing windows are "
            f"NaN), got output dtype {out_dtype}"
        )
    wide = weights.astype(np.complex128 if weights.dtype.kind == "c" else np.float64)
    if abs(wide.sum()) <= wide.size * np.finfo(weights.dtype).eps * np.abs(wide).sum():
        raise ValueError(
            "nan_policy='omit' needs weights whose sum is not 0: the result is rescaled "
            "by that sum (a derivative or difference kernel has nothing to renormalise by)"
        )
    return True


def _check_output_array(output, out_shape):
    if output.shape != out_shape:
        raise ValueError(f"output has shape {output.shape} but the result has shape {out_shape}")
    if not output.flags.writeable:
        raise ValueError("output array is read-only")


def _kernel(weights, work, convolution, axes, ndim):
    """The weights as the kernels read them: in the working dtype, flipped
    (convolution) or conjugated (complex correlation), one axis per input axis."""
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float32's range: inf
        kernel = weights.astype(work, copy=True)
    if convolution:
        kernel = kernel[(slice(None, None, -1),) * kernel.ndim]
    elif kernel.dtype.kind == "c":
        kernel = np.conj(kernel)
    # Weights axis i runs along axes[i]: move it there; batch axes get length 1.
    n_axes = len(axes)
    kernel = kernel.reshape(kernel.shape + (1,) * (ndim - n_axes))
    if axes != tuple(range(n_axes)):
        kernel = np.moveaxis(kernel, range(n_axes), axes)
    return np.ascontiguousarray(kernel)


def _per_input_axis(geometry, modes, ndim):
    """Problem's per-axis tuples, one entry per input axis (batch axes: one
    tap, stride 1, no padding)."""
    stride_all = [1] * ndim
    dilation_all = [1] * ndim
    before_all = [0] * ndim
    after_all = [0] * ndim
    mode_all = [int(Mode.CONSTANT)] * ndim  # batch axes never read past an edge
    for i, g in enumerate(geometry.filtered):
        # A stride past the padded extent only ever multiplies output index 0.
        stride_all[g.axis] = min(g.stride, max(1, g.length + g.before + g.after))
        dilation_all[g.axis] = g.dilation
        before_all[g.axis] = g.before
        after_all[g.axis] = g.after
        mode_all[g.axis] = modes[i]
    return dict(stride=tuple(stride_all), dilation=tuple(dilation_all),
                before=tuple(before_all), after=tuple(after_all), mode=tuple(mode_all))


def _result_arrays(output, out_shape, out_dtype, work, allocate):
    """(the array the kernels fill, the bool result or None), allocated last.

    With ``allocate=False`` (dask) nothing is computed on the result: a
    data-free stand-in carries its shape and dtype.
    """
    if not allocate:
        return stand_in(out_shape, out_dtype), None
    if out_dtype == np.bool_:
        # The kernels fill a scratch array in the working dtype; `finish`
        # stores ``scratch != 0`` in the bool result afterwards.
        size = math.prod(out_shape)
        check_fits_in_memory(size * (work.itemsize + (not isinstance(output, np.ndarray))),
                             "the result (shape {}, bool, with {} scratch)", out_shape, work)
        bool_output = output if isinstance(output, np.ndarray) else \
            np.empty(out_shape, dtype=np.bool_)
        return np.empty(out_shape, dtype=work), bool_output
    if isinstance(output, np.ndarray):
        return output, None
    check_fits_in_memory(math.prod(out_shape) * out_dtype.itemsize,
                         "the result (shape {}, {})", out_shape, out_dtype)
    return np.empty(out_shape, dtype=out_dtype), None


def normalize(input, weights, output, mode, cval, origin, *, axes, stride, dilation,
              padding, workers, convolution, method="auto", one_axis=False, allocate=True,
              nan_policy="propagate"):
    """Check every argument and return a :class:`Problem`.

    ``convolution`` flips the kernel on each filtered axis (and, with
    padding "same", mirrors the origin as scipy.ndimage.convolve does);
    otherwise complex weights are conjugated. Nothing is written and nothing
    large is allocated until every check has passed. With ``allocate=False``
    (dask) the output is a data-free stand-in of the right shape and dtype
    (and nan_policy="raise" does not scan it: each task scans its block).
    """
    input = as_input_array(input)
    weights = _as_weights_array(weights)
    if one_axis and weights.ndim != 1:
        raise ValueError(f"weights must be one-dimensional, got shape {weights.shape}")
    geometry = normalize_geometry(
        input.shape, weights.shape, axes=axes, stride=stride, dilation=dilation,
        padding=padding, origin=origin, one_axis=one_axis, convolution=convolution,
    )
    if one_axis:
        modes = (_parse_mode(mode, "mode"),)
    else:
        modes = per_axis(mode, len(geometry.axes), "mode", _parse_mode)
    complex_data = input.dtype.kind == "c" or weights.dtype.kind == "c"
    out_dtype = _output_dtype(output, input.dtype, complex_data)
    work = working_dtype(out_dtype, complex_data)
    if input.dtype == np.bool_:
        input = input.view(np.uint8)  # the same bytes, 0 and 1: the kernels' uint8
    cval = _parse_cval(cval, work.kind == "c")
    if isinstance(output, np.ndarray):
        _check_output_array(output, geometry.out_shape)
    n_workers = effective_workers(workers)
    method = _parse_method(method)
    kernel = _kernel(weights, work, convolution, geometry.axes, input.ndim)
    omit = check_nan_policy(nan_policy, input, out_dtype, kernel, scan=allocate)

    # Checks are done: build the kernel's view of the problem.
    axis_fields = _per_input_axis(geometry, modes, input.ndim)
    result, bool_output = _result_arrays(output, geometry.out_shape, out_dtype, work, allocate)
    return Problem(input=input, weights=kernel, axes=geometry.axes, **axis_fields, cval=cval,
                   work_dtype=work, output=result, n_workers=n_workers, method=method,
                   bool_output=bool_output, omit=omit)
