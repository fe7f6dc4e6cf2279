"""Stride, dilation, padding, per-axis arguments: against the NumPy reference.

scipy.ndimage has none of these, so the oracle is tests/reference.py (and
scipy.signal for 'valid'/'full' with a zero constant boundary).
"""

import itertools

import numpy as np
import pytest
import scipy.signal
from common import MODES, assert_close, assert_omit_close
from reference import correlate as reference
from reference import to_dtype

import pyconv
from pyconv import _direct_plan

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


LINE_CASES = [
    # (input shape, kernel shape, keywords)
    ((5, 40), (1, 5), {}),
    ((5, 40), (3, 4), {"mode": "wrap", "origin": (0, 1)}),
    ((4, 90), (1, 7), {"stride": 3, "mode": "mirror"}),
    ((4, 37), (2, 3), {"dilation": 4, "mode": "nearest"}),
    ((6, 33), (3, 3), {"padding": "full", "mode": "constant", "cval": 1.5}),
    ((6, 33), (1, 9), {"padding": "valid", "stride": 2}),
    ((3, 30), (5, 5), {"mode": "reflect"}),  # separable: strips
    ((2, 3, 29), (2, 2, 6), {"mode": "constant", "dilation": (1, 1, 2)}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128, np.uint8])
@pytest.mark.parametrize("omit", [False, True])
@pytest.mark.parametrize("shape, kernel_shape, keywords", LINE_CASES)
def test_short_lines_gathered_whole_equal_three_pieces(monkeypatch, plans, rng, dtype, omit,
                                                       shape, kernel_shape, keywords):
    # A line of at most GATHERED_LINE_BYTES is gathered whole, in one piece;
    # a longer one reads its interior in place between two gathered edge
    # pieces. Both give every output the same terms in the same order.
    if omit and np.dtype(dtype).kind not in "fc":
        pytest.skip("only floating-point data can hold NaN")
    x = (rng.standard_normal(shape) * 10).astype(dtype)
    if omit:
        x[rng.random(shape) < 0.1] = np.nan
    # (Positive weights with omit: a sum of present weights near 0 would
    # magnify rounding without bound.)
    draw = (lambda shape: rng.random(shape) + 0.1) if omit else rng.standard_normal
    w = np.outer(draw(5), draw(5)) if kernel_shape == (5, 5) else draw(kernel_shape)
    if np.dtype(dtype).kind == "u":
        w = np.round(w * 4)  # integer weights: the exact int16 sums
    nan_policy = "omit" if omit else "propagate"
    whole = pyconv.correlate(x, w, nan_policy=nan_policy, method="direct", workers=1,
                             **keywords)
    monkeypatch.setattr(_direct_plan, "GATHERED_LINE_BYTES", 0)
    in_pieces = pyconv.correlate(x, w, nan_policy=nan_policy, method="direct", workers=1,
                                 **keywords)
    np.testing.assert_array_equal(in_pieces, whole, strict=True)
    whole_plan, pieces_plan = plans[0], plans[-1]
    assert len(plans) == 2
    assert (whole_plan.seg_bounds[:, 1] == whole_plan.seg_bounds[:, 0]).all()
    if np.dtype(dtype).kind == "f" and pieces_plan.strips != _direct_plan.GATHERED_STRIPS:
        # (Converted data, and gathered strips, are always gathered.)
        assert (pieces_plan.seg_bounds[:, 2] > pieces_plan.seg_bounds[:, 1]).any()
    expected = reference(x, w, omit=omit, **keywords)
    if np.dtype(dtype).kind == "u":  # exact sums, rounded and saturated
        np.testing.assert_array_equal(whole, to_dtype(expected, whole.dtype))
    elif omit:
        assert_omit_close(whole, expected, x, w)
    else:
        assert_close(whole, expected, x, w, cval=keywords.get("cval", 0.0))
