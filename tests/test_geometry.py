"""Stride, dilation, padding, per-axis arguments: against the NumPy reference.

scipy.ndimage has none of these, so the oracle is tests/reference.py (and
scipy.signal for 'valid'/'full' with a zero constant boundary).
"""

import itertools

import numpy as np
import pytest
import scipy.signal
from common import MODES, assert_close
from reference import correlate as reference

import pyconv

PADDINGS = ["same", "valid", "full", 0, 2, (0, 3), (4, 1)]


@pytest.mark.parametrize("padding", PADDINGS, ids=str)
@pytest.mark.parametrize("dilation", [1, 2, 3])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("mode", MODES)
def test_1d_stride_dilation_padding(rng, mode, stride, dilation, padding):
    x = rng.standard_normal(29)
    for taps in (1, 2, 3, 4, 5):
        w = rng.standard_normal(taps)
        for function, flip in (("correlate1d", False), ("convolve1d", True)):
            expected = reference(x, w, mode=mode, cval=0.75, stride=stride,
                                 dilation=dilation, padding=padding, convolve=flip)
            actual = getattr(pyconv, function)(x, w, mode=mode, cval=0.75, stride=stride,
                                               dilation=dilation, padding=padding)
            assert_close(actual, expected, x, w, cval=0.75)
            # The N-d function with one axis says the same (pair written per axis).
            nd_padding = [padding] if isinstance(padding, tuple) else padding
            nd = getattr(pyconv, function[:-2])(x, w, mode=mode, cval=0.75, stride=stride,
                                                dilation=dilation, padding=nd_padding)
            np.testing.assert_array_equal(nd, actual)


@pytest.mark.parametrize("padding", ["same", "valid", "full", 1, (2, 0)], ids=str)
@pytest.mark.parametrize("mode", MODES)
def test_2d_per_axis_stride_dilation(rng, mode, padding):
    x = rng.standard_normal((17, 20))
    w = rng.standard_normal((3, 4))
    for stride, dilation in itertools.product([1, 2, (1, 3), (2, 1)], [1, 2, (3, 1), (1, 2)]):
        nd_padding = [padding, padding] if isinstance(padding, tuple) else padding
        expected = reference(x, w, mode=mode, stride=stride, dilation=dilation,
                             padding=nd_padding)
        actual = pyconv.correlate(x, w, mode=mode, stride=stride, dilation=dilation,
                                  padding=nd_padding)
        assert_close(actual, expected, x, w)


@pytest.mark.parametrize("modes", [("reflect", "wrap"), ("constant", "mirror"),
                                   ("nearest", "constant"), ("wrap", "grid-mirror")])
def test_per_axis_modes(rng, modes):
    x = rng.standard_normal((9, 12))
    w = rng.standard_normal((5, 4))
    expected = reference(x, w, mode=list(modes), cval=3.0)
    actual = pyconv.correlate(x, w, mode=modes, cval=3.0)
    assert_close(actual, expected, x, w, cval=3.0)
    # ... which is two 1-D passes when the kernel is separable (with cval 0:
    # otherwise the second pass pads with cval, not with the filtered cval).
    u, v = rng.standard_normal(5), rng.standard_normal(4)
    two_pass = pyconv.correlate1d(pyconv.correlate1d(x, u, axis=0, mode=modes[0]),
                                  v, axis=1, mode=modes[1])
    assert_close(pyconv.correlate(x, np.outer(u, v), mode=modes), two_pass,
                 x, np.outer(u, v) * 4)


def test_mixed_padding_forms_3d(rng):
    x = rng.standard_normal((6, 9, 11))
    w = rng.standard_normal((2, 3, 4))
    padding = ["valid", (1, 2), "full"]
    kwargs = dict(mode=["wrap", "constant", "reflect"], cval=-1.0, stride=(1, 2, 3),
                  dilation=(2, 1, 2), padding=padding)
    expected = reference(x, w, **kwargs)
    actual = pyconv.correlate(x, w, **kwargs)
    assert_close(actual, expected, x, w, cval=-1.0)
    assert actual.shape == pyconv.output_shape(x.shape, w.shape, stride=(1, 2, 3),
                                               dilation=(2, 1, 2), padding=padding)


@pytest.mark.parametrize("axes", [(0,), (2,), (1, 3), (3, 1), (0, 1, 2, 3), (2, 0, 3)])
def test_4d_batch_axes_with_geometry(rng, axes):
    x = rng.standard_normal((4, 5, 6, 7))
    w = rng.standard_normal([3, 2, 4, 3][: len(axes)])
    kwargs = dict(axes=axes, mode="mirror", stride=2, dilation=(1, 2, 1, 2)[: len(axes)],
                  padding="full")
    expected = reference(x, w, **kwargs)
    actual = pyconv.correlate(x, w, **kwargs)
    assert_close(actual, expected, x, w)


def test_5d_and_6d_correct(rng):
    for shape in [(3, 4, 3, 5, 4), (2, 3, 2, 3, 2, 4)]:
        x = rng.standard_normal(shape)
        w = rng.standard_normal((2,) * len(shape))
        for mode in MODES:
            expected = reference(x, w, mode=mode, stride=(1, 2) * 3 if len(shape) == 6 else 1)
            actual = pyconv.correlate(x, w, mode=mode,
                                      stride=(1, 2) * 3 if len(shape) == 6 else 1)
            assert_close(actual, expected, x, w)


@pytest.mark.parametrize("mode", ["valid", "full"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_valid_full_match_scipy_signal(rng, ndim, mode):
    x = rng.standard_normal([13, 9, 7][:ndim])
    for taps in ([3, 2, 4], [1, 5, 2], [4, 4, 1]):
        w = rng.standard_normal(taps[:ndim])
        np.testing.assert_allclose(
            pyconv.correlate(x, w, padding=mode, mode="constant"),
            scipy.signal.correlate(x, w, mode=mode, method="direct"), atol=1e-12)
        np.testing.assert_allclose(
            pyconv.convolve(x, w, padding=mode, mode="constant"),
            scipy.signal.convolve(x, w, mode=mode, method="direct"), atol=1e-12)


def test_valid_full_complex_match_scipy_signal(rng):
    x = rng.standard_normal((8, 9)) + 1j * rng.standard_normal((8, 9))
    w = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    for mode in ("valid", "full"):
        np.testing.assert_allclose(pyconv.correlate(x, w, padding=mode, mode="constant"),
                                   scipy.signal.correlate(x, w, mode=mode), atol=1e-12)
        np.testing.assert_allclose(pyconv.convolve(x, w, padding=mode, mode="constant"),
                                   scipy.signal.convolve(x, w, mode=mode), atol=1e-12)


def test_same_with_stride_is_sliced_same(rng):
    x = rng.standard_normal((21, 22))
    w = rng.standard_normal((3, 5))
    full = pyconv.correlate(x, w)
    for stride in [(2, 2), (3, 1), (1, 4), (5, 7), (21, 22), (100, 1000)]:
        strided = pyconv.correlate(x, w, stride=stride)
        np.testing.assert_array_equal(strided, full[:: stride[0], :: stride[1]])
        assert strided.shape == tuple(-(-n // s) for n, s in zip(x.shape, stride, strict=True))


def test_dilated_kernel_equals_zero_filled_kernel(rng):
    x = rng.standard_normal((15, 16))
    w = rng.standard_normal((3, 3))
    zero_filled = np.zeros((5, 7))
    zero_filled[::2, ::3] = w
    for mode in MODES:
        np.testing.assert_allclose(
            pyconv.correlate(x, w, dilation=(2, 3), mode=mode, padding="valid"),
            pyconv.correlate(x, zero_filled, mode=mode, padding="valid"), atol=1e-12)


def test_origin_counts_taps_when_dilated(rng):
    """Tap k//2 + origin lies over the output point, whatever the dilation."""
    x = np.zeros(20)
    x[10] = 1.0
    w = np.array([1.0, 2.0, 3.0, 4.0])
    for origin in (-2, -1, 0, 1):
        out = pyconv.correlate1d(x, w, origin=origin, dilation=3, mode="constant")
        center = len(w) // 2 + origin
        # The output whose tap `center` sits on x[10] is output 10.
        assert out[10] == w[center]
        expected = reference(x, w, origin=origin, dilation=3, mode="constant")
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("padding", ["same", "valid", "full", 3, (0, 5), [(2, 1), "valid"]],
                         ids=str)
def test_output_shape_matches_result(rng, padding):
    x = rng.standard_normal((10, 12))
    w = rng.standard_normal((3, 4))
    for stride, dilation in itertools.product([1, 2, (3, 1)], [1, 2, (1, 3)]):
        shape = pyconv.output_shape(x.shape, w.shape, stride=stride, dilation=dilation,
                                    padding=padding)
        result = pyconv.correlate(x, w, stride=stride, dilation=dilation, padding=padding)
        assert result.shape == shape


def test_output_shape_formula():
    # n=10, k=3, d=2 (span 4): valid 6, full 14, same 10; stride 3 -> ceil.
    assert pyconv.output_shape((10,), (3,), dilation=2, padding="valid") == (6,)
    assert pyconv.output_shape((10,), (3,), dilation=2, padding="full") == (14,)
    assert pyconv.output_shape((10,), (3,), dilation=2, stride=3) == (4,)
    assert pyconv.output_shape((10,), (3,), padding=[(2, 0)], stride=4) == (3,)
    assert pyconv.output_shape((2,), (5,), padding="valid") == (0,)
    assert pyconv.output_shape((0, 7), (3, 3), padding="full") == (0, 9)
    assert pyconv.output_shape((4, 5, 6), (3,), axes=(1,), padding="full") == (4, 7, 6)


def test_output_shape_same_errors_as_correlate():
    with pytest.raises(ValueError, match="origin"):
        pyconv.output_shape((10,), (3,), padding="valid", origin=1)
    with pytest.raises(ValueError, match="padding"):
        pyconv.output_shape((10,), (3,), padding="wide")
    with pytest.raises(ValueError, match="stride"):
        pyconv.output_shape((10,), (3,), stride=0)


def test_empty_inputs_give_empty_results(rng):
    w = rng.standard_normal((3, 3))
    for padding in ("same", "valid", "full", 4):
        out = pyconv.correlate(np.zeros((0, 5)), w, padding=padding)
        assert out.shape[0] == 0
        assert out.shape == pyconv.output_shape((0, 5), (3, 3), padding=padding)
    # Batch axes keep their length, even zero.
    out = pyconv.correlate(np.zeros((0, 5)), [1.0, 2.0], axes=(1,), padding="full")
    assert out.shape == (0, 6)
    out = pyconv.correlate1d(np.zeros((3, 0)), [1.0, 2.0, 3.0], padding="full")
    assert out.shape == (3, 0)
    # A valid output that does not fit is empty too.
    assert pyconv.correlate(np.ones(2), np.ones(5), padding="valid").shape == (0,)


def test_zero_dimensional_input():
    out = pyconv.correlate(np.float64(3.0), np.float64(2.0))
    assert out.shape == () and out == 6.0
    # No filtered axes at all: every axis is a batch axis.
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(pyconv.correlate(x, np.float64(-1.0), axes=()), -x)
