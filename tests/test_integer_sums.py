"""8-bit inputs with integer-multiple kernels: exact int16 sums, scaled once.

`_direct_plan.integer_kernel` decides; the results must be the correlation with
the float32 weights, rounded once to float32 and then to the output dtype:
compared exactly with a float64 reference (exact for these integer sums and
scales) on every layout -- separable strips, gathered strips, plain lines --
and every mode, stride, dilation, padding and batch axis.
"""

import numpy as np
import pytest
from common import MODES
from reference import correlate as reference
from reference import to_dtype

import pyconv
from pyconv._direct_plan import integer_kernel

BOX = np.full((3, 3), 1 / 9)
BINOMIAL = np.outer([1, 2, 1], [1, 2, 1]) / 16
SOBEL = np.outer([1, 2, 1], [-1, 0, 1])
LAPLACIAN = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float)  # not separable


def expected(x, weights, out_dtype, **kwargs):
    """float32 weights, float64 sum (exact here), one rounding to float32, then the dtype."""
    w = np.asarray(weights, dtype=np.float32).astype(np.float64)
    return to_dtype(reference(x, w, **kwargs).astype(np.float32).astype(np.float64), out_dtype)


def image(rng, shape, dtype):
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)
    x.flat[: min(8, x.size)] = [info.min, info.max] * 4  # the extremes bound the sums
    return x


@pytest.mark.parametrize("x_dtype", [np.uint8, np.int8])
@pytest.mark.parametrize("out_dtype", [np.uint8, np.int8, np.uint16, np.int16])
@pytest.mark.parametrize("weights", [BOX, BINOMIAL, SOBEL, LAPLACIAN],
                         ids=["box", "binomial", "sobel", "laplacian"])
@pytest.mark.parametrize("shape", [(37, 70), (5, 300), (70, 9)])
def test_exact_sums_every_layout(rng, x_dtype, out_dtype, weights, shape):
    """Long lines (separable strips or lines), short ones (gathered strips),
    and lines shorter than a vector; rounding ties (binomial) go to even,
    negative sums (Sobel, Laplacian) saturate."""
    x = image(rng, shape, x_dtype)
    assert integer_kernel(np.dtype(x_dtype), np.dtype(out_dtype),
                          weights.astype(np.float32), 0.0) is not None
    out = pyconv.correlate(x, weights, output=out_dtype)
    np.testing.assert_array_equal(out, expected(x, weights, out_dtype))


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_and_cval(rng, mode):
    x = image(rng, (40, 50), np.uint8)
    for cval in [0, 7, -3, 300]:
        out = pyconv.correlate(x, BINOMIAL, mode=mode, cval=cval)
        np.testing.assert_array_equal(out, expected(x, BINOMIAL, np.uint8, mode=mode, cval=cval))


@pytest.mark.parametrize("stride, dilation, padding", [
    (2, 1, "same"), (1, 2, "same"), (3, 2, "valid"), ((2, 1), (1, 3), "full"),
    (1, 1, [(2, 0), (1, 3)]),
])
def test_geometry(rng, stride, dilation, padding):
    x = image(rng, (41, 67), np.uint8)
    for weights in (BOX, LAPLACIAN):
        out = pyconv.correlate(x, weights, stride=stride, dilation=dilation, padding=padding,
                               mode="constant", cval=5)
        np.testing.assert_array_equal(out, expected(
            x, weights, np.uint8, stride=stride, dilation=dilation, padding=padding,
            mode="constant", cval=5))


def test_1d_3d_batch_axes_and_convolve(rng):
    signal = image(rng, (3, 500), np.int8)
    taps = np.array([1, -2, 3, -2, 1]) / 4
    np.testing.assert_array_equal(pyconv.correlate1d(signal, taps),
                                  expected(signal, taps[None, :] * [[0], [1], [0]], np.int8))
    volume = image(rng, (9, 10, 40), np.uint8)
    box3 = np.full((3, 3, 3), 1 / 27)
    np.testing.assert_array_equal(pyconv.correlate(volume, box3, mode="nearest"),
                                  expected(volume, box3, np.uint8, mode="nearest"))
    np.testing.assert_array_equal(pyconv.convolve(volume, SOBEL, axes=(2, 1)),
                                  expected(volume, SOBEL, np.uint8, axes=(2, 1), convolve=True))


def test_strided_and_int16_outputs(rng):
    """A non-contiguous output (the scalar store), and an int16 output of
    scale-1 sums (written by the sums directly)."""
    x = image(rng, (30, 80), np.uint8)
    out = np.zeros((30, 160), np.uint8)[:, ::2]
    pyconv.correlate(x, BOX, output=out)
    np.testing.assert_array_equal(out, expected(x, BOX, np.uint8))
    edges = pyconv.correlate(x, SOBEL, output=np.int16)
    np.testing.assert_array_equal(edges, expected(x, SOBEL, np.int16))
    assert edges.min() < -255 and edges.max() > 255


def test_saturation():
    x = np.full((4, 64), 255, np.uint8)
    np.testing.assert_array_equal(pyconv.correlate(x, np.ones((3, 3))), 255)
    np.testing.assert_array_equal(pyconv.correlate(x, -np.ones((3, 3))), 0)
    np.testing.assert_array_equal(pyconv.correlate(x, np.ones((3, 3)), output=np.int8), 127)


def test_which_kernels_sum_in_integers():
    u8, i8, u16, f32 = (np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.float32))
    box = BOX.astype(np.float32)
    K, s = integer_kernel(u8, u8, box, 0.0)
    np.testing.assert_array_equal(K, np.ones((3, 3)))
    assert s == np.float32(1 / 9)
    K, s = integer_kernel(i8, np.dtype(np.int16), SOBEL.astype(np.float32), -4.0)
    np.testing.assert_array_equal(K, SOBEL)
    assert s == 1
    declined = [
        (u16, u8, box, 0.0),  # 16-bit input: sums would need int32
        (u8, f32, box, 0.0),  # float output
        (u8, np.dtype(np.int32), box, 0.0),  # float64 working precision
        (u8, u8, box, 0.5),  # a cval that is not an integer
        (u8, u8, box, 1000.0),  # 1000 * 9 taps: still fits, so...
        (u8, u8, np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]).astype(np.float32) / 256, 0.0),
        (u8, u8, np.array([0.1, 0.3], np.float32), 0.0),  # not exact multiples in float32
        (u8, u8, np.array([1.0, np.nan], np.float32), 0.0),
        (u8, u8, np.zeros(3, np.float32), 0.0),
        (u8, u8, np.array([1e6, 2e6], np.float32), 0.0),  # scaled sums beyond int32
    ]
    results = [integer_kernel(*case) for case in declined]
    assert results[4] is not None  # 9 * 1000 <= 32767
    assert all(r is None for i, r in enumerate(results) if i != 4)
    # 37 * 1000 > 32767: declined, and the float32 path gives the same result
    x = np.arange(40, dtype=np.uint8)
    taps = np.ones(37) / 37
    assert integer_kernel(u8, u8, taps.astype(np.float32), 1000.0) is None
    np.testing.assert_array_equal(pyconv.correlate1d(x, taps, mode="constant", cval=1000),
                                  expected(x, taps, np.uint8, mode="constant", cval=1000))
