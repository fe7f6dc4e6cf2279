"""Every documented error: the exception type, a message naming the
parameter, and an `output` array left exactly as it was."""

import re

import numpy as np
import pytest
import scipy.ndimage as ndi

import pyconv

X = np.arange(48, dtype=np.float64).reshape(6, 8)
W = np.ones((3, 3))
SENTINEL = -12345.0

# (keyword arguments for correlate, exception, text the message must contain)
VALUE_ERRORS = [
    (dict(mode="bogus"), "mode"),
    (dict(mode=["reflect", "bogus"]), "mode"),
    (dict(mode=["reflect"]), "mode"),  # wrong number of per-axis entries
    (dict(padding="bogus"), "padding"),
    (dict(padding=-1), "padding"),
    (dict(padding=[(1, -2), "same"]), "padding"),
    (dict(padding=[(1, 2, 3), "same"]), "padding"),
    (dict(padding=(1, 2, 3)), "padding"),
    (dict(origin=2), "origin"),
    (dict(origin=-2), "origin"),
    (dict(origin=[0, 5]), "origin"),
    (dict(origin=[0, 0, 0]), "origin"),  # one entry per filtered axis (scipy: RuntimeError)
    (dict(origin=1, padding="valid"), "origin"),
    (dict(origin=[0, 1], padding=["same", "full"]), "origin"),
    (dict(origin=1, padding=2), "origin"),
    (dict(stride=0), "stride"),
    (dict(stride=[1, -1]), "stride"),
    (dict(dilation=0), "dilation"),
    (dict(dilation=[2, 0]), "dilation"),
    (dict(axes=(0, 0)), "axes"),
    (dict(axes=(0, -2)), "axes"),
    (dict(axes=(0, 2)), "axes"),
    (dict(axes=(-3, 1)), "axes"),
    (dict(axes=(0,)), "weights"),  # 2-D weights, one filtered axis
    (dict(workers=0), "workers"),
    (dict(workers=-1000), "workers"),
    (dict(workers=30000), "workers"),  # the OpenMP runtime would abort the process
    (dict(padding=[2**62, 0]), "padding"),
]

TYPE_ERRORS = [
    (dict(mode=3), "mode"),
    (dict(mode=None), "mode"),
    (dict(stride=1.5), "stride"),
    (dict(stride="2"), "stride"),
    (dict(stride=True), "stride"),
    (dict(dilation=2.0), "dilation"),
    (dict(origin=0.5), "origin"),
    (dict(padding=1.5), "padding"),
    (dict(padding=None), "padding"),
    (dict(axes=1.0), "axes"),
    (dict(axes=["a", 1]), "axes"),
    (dict(workers=1.5), "workers"),
    (dict(workers="2"), "workers"),
    (dict(cval="zero"), "cval"),
    (dict(cval=None), "cval"),
    (dict(cval=[1.0]), "cval"),
    (dict(cval=1j), "cval"),  # complex cval for real data
]


def sentinel_output(shape=(6, 8), dtype=np.float64):
    return np.full(shape, SENTINEL, dtype=dtype)


@pytest.mark.parametrize("function", ["correlate", "convolve"])
@pytest.mark.parametrize("kwargs,name", VALUE_ERRORS, ids=str)
def test_value_errors_leave_output_untouched(function, kwargs, name):
    out = sentinel_output()
    with pytest.raises(ValueError, match=name):
        getattr(pyconv, function)(X, W, output=out, **kwargs)
    assert np.all(out == SENTINEL)


@pytest.mark.parametrize("function", ["correlate", "convolve"])
@pytest.mark.parametrize("kwargs,name", TYPE_ERRORS, ids=str)
def test_type_errors_leave_output_untouched(function, kwargs, name):
    out = sentinel_output()
    with pytest.raises(TypeError, match=name):
        getattr(pyconv, function)(X, W, output=out, **kwargs)
    assert np.all(out == SENTINEL)


@pytest.mark.parametrize("function", ["correlate1d", "convolve1d"])
@pytest.mark.parametrize(
    "kwargs,error,name",
    [
        (dict(mode="bogus"), ValueError, "mode"),
        (dict(mode=["reflect"]), TypeError, "mode"),
        (dict(origin=2), ValueError, "origin"),
        (dict(origin=1, padding="full"), ValueError, "origin"),
        (dict(stride=0), ValueError, "stride"),
        (dict(stride=[2]), TypeError, "stride"),
        (dict(dilation=-3), ValueError, "dilation"),
        (dict(padding=(1, -1)), ValueError, "padding"),
        (dict(padding=(1, 2, 3)), ValueError, "padding"),
        (dict(padding="half"), ValueError, "padding"),
        (dict(axis=2), ValueError, "axes"),
        (dict(axis=1.0), TypeError, "axes"),
    ],
    ids=str,
)
def test_1d_errors(function, kwargs, error, name):
    out = sentinel_output()
    with pytest.raises(error, match=name):
        getattr(pyconv, function)(X, [1.0, 2.0, 1.0], output=out, **kwargs)
    assert np.all(out == SENTINEL)


def test_weights_not_1d_in_1d_functions():
    out = sentinel_output()
    for function in (pyconv.correlate1d, pyconv.convolve1d):
        with pytest.raises(ValueError, match="one-dimensional"):
            function(X, W, output=out)
    assert np.all(out == SENTINEL)


@pytest.mark.parametrize("weights", [np.ones((0, 3)), np.ones((3, 0)), np.ones(0)])
def test_weights_with_zero_length_axis(weights):
    out = sentinel_output()
    function = pyconv.correlate1d if weights.ndim == 1 else pyconv.correlate
    with pytest.raises(ValueError, match="zero-length"):
        function(X, weights, output=out)
    assert np.all(out == SENTINEL)


def test_weights_ndim_mismatch():
    out = sentinel_output()
    with pytest.raises(ValueError, match="weights"):
        pyconv.correlate(X, np.ones(3), output=out)
    with pytest.raises(ValueError, match="weights"):
        pyconv.correlate(X, np.ones((3, 3, 3)), output=out)
    assert np.all(out == SENTINEL)


@pytest.mark.parametrize("shape", [(6, 7), (8, 6), (6, 8, 1), (48,)])
def test_output_of_wrong_shape(shape):
    out = sentinel_output(shape)
    with pytest.raises(ValueError, match="output"):
        pyconv.correlate(X, W, output=out)
    assert np.all(out == SENTINEL)
    # The shape is checked against the strided/padded result, not the input.
    out = sentinel_output((6, 8))
    with pytest.raises(ValueError, match="output"):
        pyconv.correlate(X, W, output=out, stride=2)
    assert np.all(out == SENTINEL)


def test_read_only_output():
    out = sentinel_output()
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pyconv.correlate(X, W, output=out)
    assert np.all(out == SENTINEL)


@pytest.mark.parametrize(
    "data",
    [
        np.array([["a", "b"], ["c", "d"]]),
        np.array([[1, None], [2, 3]], dtype=object),
        np.ones((4, 4), dtype="datetime64[s]"),
        np.ones((4, 4), dtype="timedelta64[s]"),
        np.ones((4, 4), dtype=np.longdouble),
        np.ones((4, 4), dtype=np.clongdouble),
    ],
    ids=lambda a: a.dtype.name,
)
def test_unsupported_input_dtypes(data):
    with pytest.raises(TypeError, match=re.escape(f"input has dtype {data.dtype}")):
        pyconv.correlate(data, np.ones((3, 3)))


@pytest.mark.parametrize(
    "weights",
    [np.array([["a"] * 3] * 3), np.ones((3, 3), dtype=object),
     np.ones((3, 3), dtype="datetime64[s]")],
    ids=lambda a: a.dtype.name,
)
def test_unsupported_weights_dtypes(weights):
    out = sentinel_output()
    with pytest.raises(TypeError, match="weights"):
        pyconv.correlate(X, weights, output=out)
    assert np.all(out == SENTINEL)


@pytest.mark.parametrize("dtype", [object, "U3", "datetime64[s]", np.longdouble])
def test_unsupported_output_dtypes(dtype):
    with pytest.raises(TypeError, match="output"):
        pyconv.correlate(X, W, output=dtype)
    out = np.zeros((6, 8), dtype=dtype)
    before = out.copy()
    with pytest.raises(TypeError, match="output"):
        pyconv.correlate(X, W, output=out)
    np.testing.assert_array_equal(out, before)


def test_output_of_wrong_kind():
    for output in ("not a dtype", 3.5, [1, 2]):
        with pytest.raises(TypeError, match="output"):
            pyconv.correlate(X, W, output=output)


def test_real_output_array_for_complex_data():
    """A real output array cannot take a complex result: TypeError (scipy's
    RuntimeError "output must have complex dtype"), the array untouched."""
    out = sentinel_output()
    with pytest.raises(TypeError, match="output array of dtype float64 cannot hold the complex"):
        pyconv.correlate(X + 1j, W, output=out)
    with pytest.raises(TypeError, match="complex"):
        pyconv.correlate(X, W * 1j, output=out)
    with pytest.raises(TypeError, match="complex"):
        pyconv.correlate1d(X, [1j], output=out)
    for bad in (np.zeros((6, 8), np.int16), np.zeros((6, 8), bool)):
        before = bad.copy()
        with pytest.raises(TypeError, match="complex"):
            pyconv.convolve(X, W * 1j, output=bad)
        np.testing.assert_array_equal(bad, before)
    assert np.all(out == SENTINEL)


def test_real_output_dtype_string_for_complex_data():
    """scipy refuses a dtype *string* (RuntimeError) where it promotes a dtype
    object; pyconv does the same with TypeError."""
    for output in ("float32", "f8", "int16"):
        with pytest.raises(RuntimeError, match="output must have complex dtype"):
            ndi.correlate(X + 1j, W, output=output)
        with pytest.raises(TypeError, match="cannot hold the complex result"):
            pyconv.correlate(X + 1j, W, output=output)


def test_complex_data_with_an_error_does_not_warn():
    """Every other check still comes first or alone: an unsupported output
    dtype is a TypeError, not a promotion."""
    with pytest.raises(TypeError, match="output has dtype object"):
        pyconv.correlate(X + 1j, W, output=object)


def test_origin_sequence_of_the_wrong_length():
    """scipy: RuntimeError; pyconv: ValueError naming origin (documented)."""
    for origin in ([0, 0, 0], [0]):
        with pytest.raises(RuntimeError, match="sequence argument must have length"):
            ndi.correlate(X, W, origin=origin)
        with pytest.raises(ValueError, match="origin has"):
            pyconv.correlate(X, W, origin=origin)


def test_complex_cval_with_real_data():
    """scipy refuses a Python complex cval (TypeError, even 1+0j) and drops a
    NumPy complex one's imaginary part with a ComplexWarning; pyconv takes
    a zero imaginary part and refuses any other (TypeError), for both."""
    with pytest.raises(TypeError):
        ndi.correlate(X, W, mode="constant", cval=1 + 0j)
    with pytest.warns(np.exceptions.ComplexWarning):
        ndi.correlate(X, W, mode="constant", cval=np.complex128(1 + 2j))
    expected = pyconv.correlate(X, W, mode="constant", cval=1.0)
    for cval in (1 + 0j, np.complex128(1), np.complex64(1)):
        np.testing.assert_array_equal(
            pyconv.correlate(X, W, mode="constant", cval=cval), expected)
    for cval in (1 + 2j, np.complex128(1 + 2j), 1e-30j):
        with pytest.raises(TypeError, match="cval"):
            pyconv.correlate(X, W, mode="constant", cval=cval)


def test_masked_input_is_refused():
    masked = np.ma.masked_array(X, mask=X > 10)
    with pytest.raises(TypeError, match="masked"):
        pyconv.correlate(masked, W)


def test_output_shape_errors():
    with pytest.raises(ValueError, match="input_shape"):
        pyconv.output_shape((-1, 4), (3, 3))
    with pytest.raises(TypeError, match="input_shape"):
        pyconv.output_shape((4.0, 4), (3, 3))
    with pytest.raises(ValueError, match="zero-length"):
        pyconv.output_shape((4, 4), (0, 3))
    with pytest.raises(ValueError, match="weights"):
        pyconv.output_shape((4, 4), (3,))


def test_show_config_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        pyconv.show_config(mode="yaml")


def test_overflowing_extent_is_a_clean_error():
    # Padding beyond 2**60 positions: a ValueError, never a giant allocation.
    with pytest.raises(ValueError, match="too large"):
        pyconv.correlate1d(np.ones(3), [1.0, 1.0], padding=(2**61, 0), stride=2**61)
    with pytest.raises(ValueError, match="too large"):
        pyconv.correlate1d(np.ones(3), [1.0, 1.0], dilation=2**61)
    # A result too big for memory is numpy's clean error, raised before writing.
    with pytest.raises((MemoryError, ValueError)):
        pyconv.correlate(np.ones((3, 3)), np.ones((3, 3)), padding=[2**40, 2**40])


@pytest.mark.parametrize(("kwargs", "hint"), [
    (dict(mode="same"), "did you mean padding='same'"),
    (dict(mode="valid"), "did you mean padding='valid'"),
    (dict(padding="SAME"), "did you mean padding='same'"),
    (dict(padding="reflect"), "did you mean mode='reflect'"),
    (dict(mode="Wrap"), "did you mean mode='wrap'"),
    (dict(mode=["reflect", "full"]), "did you mean padding='full'"),
])
def test_mixed_up_mode_and_padding_get_a_hint(kwargs, hint):
    with pytest.raises(ValueError, match=re.escape(hint)):
        pyconv.correlate(np.ones((4, 4)), np.ones((3, 3)), **kwargs)
