"""A slow, obviously correct correlation, written from the documented formula.

It shares no code with pyconv: the padding table is re-derived here, the
boundary comes from ``np.pad`` (whose 'symmetric', 'reflect', 'wrap' and
'edge' modes are scipy's 'reflect', 'mirror', 'wrap' and 'nearest', at any
width), and the sum is a Python loop over taps of whole-array slices, in
float64 / complex128.
"""

import numpy as np

NP_PAD_MODE = {
    "reflect": "symmetric",
    "grid-mirror": "symmetric",
    "mirror": "reflect",
    "nearest": "edge",
    "wrap": "wrap",
    "grid-wrap": "wrap",
    "constant": "constant",
    "grid-constant": "constant",
}


def _per_axis(value, n_axes):
    if isinstance(value, (list, tuple)):
        assert len(value) == n_axes
        return list(value)
    return [value] * n_axes


def before_after(n, k, dilation, padding, origin=0):
    """The documented padding table."""
    span = dilation * (k - 1)
    if padding == "same":
        c = k // 2 + origin
        return c * dilation, span - c * dilation
    if padding == "valid":
        return 0, 0
    if padding == "full":
        return span, span
    if isinstance(padding, int):
        return padding, padding
    before, after = padding
    return before, after


def out_length(n, k, stride, dilation, before, after):
    if n == 0:
        return 0
    return max(0, (n + before + after - dilation * (k - 1) - 1) // stride + 1)


def extend(x, axis, before, after, mode, cval):
    """x padded by (before, after) along `axis` with scipy's meaning of `mode`."""
    width = [(0, 0)] * x.ndim
    width[axis] = (before, after)
    np_mode = NP_PAD_MODE[mode]
    if np_mode == "constant":
        return np.pad(x, width, mode="constant", constant_values=cval)
    if np_mode == "reflect" and x.shape[axis] == 1:
        return np.pad(x, width, mode="edge")  # mirror of one sample is itself
    return np.pad(x, width, mode=np_mode)


def correlate(x, w, *, axes=None, mode="reflect", cval=0.0, origin=0, stride=1,
              dilation=1, padding="same", convolve=False, omit=False):
    """The documented correlation, in float64/complex128 (no rounding to a dtype).

    Batch axes (not in `axes`) pass through. With ``convolve`` the kernel is
    flipped and the "same" origin mirrored; otherwise complex weights are
    conjugated. Taps whose weight is exactly zero are skipped, as documented
    (so a NaN under a zero weight does not propagate).

    With ``omit`` (nan_policy="omit", normalised convolution): a NaN value,
    or a complex one with a NaN part, is missing (so is the outside with
    mode 'constant' and a NaN cval: np.pad writes NaN there); each output is
    ``sum(w*x) / sum(w) * sum(all w)``, both sums over its present taps, and
    NaN where that sum of weights is 0.
    """
    x = np.asarray(x)
    w = np.asarray(w)
    axes = list(range(x.ndim)) if axes is None else [a % x.ndim for a in axes]
    n_axes = len(axes)
    assert w.ndim == n_axes
    modes = _per_axis(mode, n_axes)
    origins = _per_axis(origin, n_axes)
    strides = _per_axis(stride, n_axes)
    dilations = _per_axis(dilation, n_axes)
    if isinstance(padding, list) or (isinstance(padding, tuple) and n_axes != 1):
        paddings = list(padding)
    elif isinstance(padding, tuple):  # one axis: a tuple is that axis' pair
        paddings = [padding]
    else:
        paddings = [padding] * n_axes

    complex_data = x.dtype.kind == "c" or w.dtype.kind == "c"
    acc_dtype = np.complex128 if complex_data else np.float64
    w = w.astype(acc_dtype)
    if convolve:
        w = w[(slice(None, None, -1),) * w.ndim]
        origins = [
            -o - (1 - k % 2) if p == "same" else o
            for o, k, p in zip(origins, w.shape, paddings, strict=True)
        ]
    else:
        w = np.conj(w)

    xe = x.astype(acc_dtype)
    out_shape = list(x.shape)
    for i, axis in enumerate(axes):
        n, k = x.shape[axis], w.shape[i]
        before, after = before_after(n, k, dilations[i], paddings[i], origins[i])
        out_shape[axis] = out_length(n, k, strides[i], dilations[i], before, after)
        if n > 0:
            xe = extend(xe, axis, before, after, modes[i], cval)
    out = np.zeros(out_shape, dtype=acc_dtype)
    present_weight = np.zeros(out_shape, dtype=acc_dtype)
    if 0 in out_shape:
        return out
    for taps in np.ndindex(*w.shape):
        weight = w[taps]
        if weight == 0:
            continue
        window = [slice(None)] * x.ndim
        for i, axis in enumerate(axes):
            start = taps[i] * dilations[i]
            stop = start + (out_shape[axis] - 1) * strides[i] + 1
            window[axis] = slice(start, stop, strides[i])
        values = xe[tuple(window)]
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is NaN: intended
            if omit:
                present = ~np.isnan(values)
                out += weight * np.where(present, values, 0)
                present_weight += np.where(present, weight, 0)
            else:
                out += weight * values
    if omit:
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(present_weight != 0, out / present_weight * w.sum(), np.nan)
    return out.astype(acc_dtype)


def to_dtype(values, dtype):
    """Values in the documented output dtype: integers rounded half-even and saturated."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        rounded = np.rint(values.real if np.iscomplexobj(values) else values)
        rounded = np.nan_to_num(rounded, nan=0.0)
        result = np.empty(values.shape, dtype=dtype)
        high = rounded >= float(info.max)
        low = rounded <= float(info.min)
        inside = ~(high | low)
        result[high] = info.max
        result[low] = info.min
        result[inside] = rounded[inside].astype(dtype)
        return result
    return values.astype(dtype)
