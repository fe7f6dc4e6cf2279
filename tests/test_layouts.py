"""Memory layouts: non-contiguous, negative strides, Fortran order, either
byte order, read-only inputs; outputs with strides or overlapping the input."""

import numpy as np
import pytest
import scipy.ndimage as ndi
from common import assert_close
from reference import correlate as reference

import pyconv
from pyconv import _direct_plan


def layouts(base):
    """The same values in many layouts: (name, array)."""
    yield "c", np.ascontiguousarray(base)
    yield "fortran", np.asfortranarray(base)
    big = np.zeros((base.shape[0] * 2, base.shape[1] * 3), base.dtype)
    big[::2, ::3] = base
    yield "strided", big[::2, ::3]
    flipped = np.ascontiguousarray(base[::-1, ::-1])
    yield "negative", flipped[::-1, ::-1]
    yield "transposed", np.ascontiguousarray(base.T).T
    swapped = base.astype(base.dtype.newbyteorder(">" if base.dtype.byteorder != ">" else "<"))
    yield "byteswapped", swapped
    readonly = base.copy()
    readonly.flags.writeable = False
    yield "readonly", readonly
    yield "broadcast", np.broadcast_to(base[:1], base.shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128, np.int16,
                                   np.uint32, np.float16])
def test_input_layouts(rng, dtype):
    base = (rng.standard_normal((23, 19)) * 20).astype(dtype)
    w = rng.standard_normal((3, 4))
    for name, x in layouts(base):
        before = x.copy()
        for kwargs in ({}, {"stride": 2, "mode": "wrap"}, {"padding": "full", "dilation": 2}):
            expected = pyconv.correlate(
                np.ascontiguousarray(x).astype(x.dtype.newbyteorder("=")), w, **kwargs)
            actual = pyconv.correlate(x, w, **kwargs)
            if name in ("fortran", "transposed"):
                # The line axis follows the contiguous axis, so the order of the
                # sum (not its terms) changes: equal to rounding.
                assert_close(actual, expected, x, w)
            else:
                np.testing.assert_array_equal(actual, expected, err_msg=name)
        np.testing.assert_array_equal(x, before, err_msg=f"{name}: input modified")


def test_input_layouts_match_scipy(rng):
    base = rng.standard_normal((31, 29))
    w = rng.standard_normal((5, 3))
    for _name, x in layouts(base):
        assert_close(pyconv.correlate(x, w), ndi.correlate(np.asarray(x, float), w), x, w)


def test_3d_layouts(rng):
    base = rng.standard_normal((6, 7, 8)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3))
    expected = pyconv.correlate(base, w)
    for x in (np.asfortranarray(base), base.transpose(2, 0, 1).copy().transpose(1, 2, 0),
              np.flip(np.flip(base, 1).copy(), 1)):
        assert_close(pyconv.correlate(x, w), expected, x, w)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.float16])
def test_output_layouts(rng, dtype):
    x = (rng.standard_normal((20, 21)) * 10).astype(dtype)
    w = rng.standard_normal((3, 3))
    expected = pyconv.correlate(x, w)
    big = np.zeros((40, 63), dtype)
    outputs = {
        "strided": big[::2, ::3],
        "fortran": np.zeros((20, 21), dtype, order="F"),
        "negative": np.zeros((20, 21), dtype)[::-1],
        "byteswapped": np.zeros((20, 21), np.dtype(dtype).newbyteorder(">")),
    }
    for name, out in outputs.items():
        result = pyconv.correlate(x, w, output=out)
        assert result is out
        np.testing.assert_array_equal(out, expected, err_msg=name)
    assert np.all(big[1::2] == 0) and np.all(big[:, 1::3] == 0)


@pytest.mark.parametrize("kwargs", [{}, {"mode": "wrap"}, {"axes": (1,)}])
def test_output_is_the_input(rng, kwargs):
    x = rng.standard_normal((30, 31))
    w = rng.standard_normal((3, 3)) if "axes" not in kwargs else rng.standard_normal(5)
    expected = pyconv.correlate(x.copy(), w, **kwargs)
    result = pyconv.correlate(x, w, output=x, **kwargs)
    assert result is x
    np.testing.assert_array_equal(x, expected)


def test_output_overlaps_input_shifted(rng):
    buffer = rng.standard_normal(100)
    x = buffer[:-3]
    expected = pyconv.correlate1d(x.copy(), [1.0, -2.0, 1.0], padding="valid")
    out = buffer[5:]  # shares memory with x, shifted: sequential writes would corrupt reads
    pyconv.correlate1d(x, [1.0, -2.0, 1.0], padding="valid", output=out)
    np.testing.assert_array_equal(out, expected)
    # 2-D, output a transposed view of the input.
    square = rng.standard_normal((25, 25))
    expected = pyconv.correlate(square.copy(), np.ones((3, 3)))
    pyconv.correlate(square, np.ones((3, 3)), output=square.T)
    np.testing.assert_array_equal(square.T, expected)


def test_weights_layouts(rng):
    x = rng.standard_normal((15, 16))
    w = rng.standard_normal((4, 5))
    expected = pyconv.correlate(x, w)
    for weights in (np.asfortranarray(w), w[::-1, ::-1].copy()[::-1, ::-1],
                    w.astype(">f8"), w.tolist()):
        np.testing.assert_array_equal(pyconv.correlate(x, weights), expected)


def test_kernel_analysis_cache(rng):
    """A kernel's analysis is cached by dtype, shape and bytes; never shared wrongly."""
    x = rng.standard_normal((20, 21))
    w = rng.standard_normal((3, 4))
    for _ in range(2):  # the second call reads the cache
        assert_close(pyconv.correlate(x, w, method="direct"), ndi.correlate(x, w), x, w)
    # The same bytes in another shape or dtype are another kernel.
    for other in (w.reshape(4, 3), w.view(np.int64).reshape(3, 4)):
        wide = other.astype(np.float64)
        assert_close(pyconv.correlate(x, other, method="direct", output=np.float64),
                     ndi.correlate(x, wide), x, wide)
    # A complex64 kernel and a float64 one with the very same bytes and shape
    # (after correlate's conjugation).
    wc = (w + 1j * w[::-1]).astype(np.complex64)
    wf = np.conj(wc).view(np.float64)
    xc = (x + 1j * x[::-1]).astype(np.complex64)
    for signal, kernel in ((x, wf), (xc, wc), (x, wf)):
        assert_close(pyconv.correlate(signal, kernel, method="direct"),
                     ndi.correlate(signal, kernel), signal, kernel)
    # The same kernel with its values changed in place (same array object).
    w[1, 2] = 0.0
    assert_close(pyconv.correlate(x, w, method="direct"), ndi.correlate(x, w), x, w)
    # Cached arrays are read-only: no later call can change what another reads.
    analysis = _direct_plan.analyse_kernel(w)
    assert analysis is _direct_plan.analyse_kernel(w.copy())
    assert not analysis.row_weights.flags.writeable
    assert not analysis.columns.flags.writeable
    # A kernel past the cache's size is analysed afresh each time.
    big = rng.standard_normal((1, _direct_plan.CACHED_KERNEL + 1))
    assert _direct_plan.analyse_kernel(big) is not _direct_plan.analyse_kernel(big)
    assert_close(pyconv.correlate(x[:1], big, method="direct", mode="wrap"),
                 ndi.correlate(x[:1], big, mode="wrap"), x, big)


def test_list_and_scalar_inputs():
    assert pyconv.correlate([1.0, 2.0, 3.0], [1.0]).tolist() == [1.0, 2.0, 3.0]
    assert pyconv.correlate1d([[1, 2], [3, 4]], [2]).tolist() == [[2, 4], [6, 8]]
    out = pyconv.correlate(5.0, 2.0)
    assert out.shape == () and out == 10.0


def test_memmap_input(tmp_path, rng):
    data = rng.standard_normal((40, 50))
    path = tmp_path / "data.bin"
    data.tofile(path)
    mapped = np.memmap(path, dtype=np.float64, mode="r", shape=(40, 50))
    np.testing.assert_array_equal(pyconv.correlate(mapped, np.ones((3, 3))),
                                  pyconv.correlate(data, np.ones((3, 3))))


def test_plans_are_cached_under_everything_they_depend_on(rng, monkeypatch):
    """A repeated call reuses its plan; any change to what a plan depends on
    (data layout, dtype, kernel values, geometry, cval, workers) makes a new one."""
    monkeypatch.setattr(_direct_plan, "_PLANS", {})
    x = rng.standard_normal((40, 50))
    w = rng.standard_normal((3, 3))
    calls = [dict(), dict(mode="constant", cval=1.0), dict(stride=2), dict(workers=1),
             dict(dilation=(1, 2)), dict(origin=1)]
    for kwargs in calls:
        pyconv.correlate(x, w, **kwargs)
    assert len(_direct_plan._PLANS) == len(calls)
    for kwargs in calls:
        want = reference(x, w, **{k: v for k, v in kwargs.items() if k != "workers"})
        assert_close(pyconv.correlate(x, w, **kwargs), want, x, w)
    assert len(_direct_plan._PLANS) == len(calls)
    pyconv.correlate(np.asfortranarray(x), w)
    pyconv.correlate(x.astype(np.float32), w)
    w2 = w.copy()
    w2[0, 0] += 1
    assert_close(pyconv.correlate(x, w2), ndi.correlate(x, w2), x, w2)
    assert len(_direct_plan._PLANS) == len(calls) + 3
    wide = rng.standard_normal((4, 3 * _direct_plan.CACHED_PLANS))
    for i in range(2 * _direct_plan.CACHED_PLANS):
        pyconv.correlate(wide[:, : 10 + i], w)
    assert len(_direct_plan._PLANS) == _direct_plan.CACHED_PLANS

