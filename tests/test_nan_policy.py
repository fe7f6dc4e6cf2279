"""nan_policy: 'propagate' (today's behaviour), 'raise', and 'omit' (normalised
convolution) against the NumPy reference, astropy, dask and the filter family;
its errors, and the direct method's three kinds of work item."""

import numpy as np
import pytest
import reference
from common import MODES, assert_omit_close
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import pyconv
from pyconv import _direct_plan, _normalize

# How the direct method cuts the work (see _direct_plan): one test shape per kind.
KINDS = {
    # 1-D along long lines: line chunks, edges gathered, the interior in place.
    "lines": ((3, 700), (1, 9)),
    # A kernel that is not an outer product, on short lines: gathered strips.
    "gathered": ((40, 50), (5, 4)),
    # An outer product: separable strips (both sums of the line pass kept).
    "separable": ((40, 50), (5, 7)),
}
CVALS = [0.0, 1.5, np.nan]


def holes(rng, x, fraction=0.15):
    """`x` (a copy) with about `fraction` of its values set to NaN, and a gap."""
    x = np.array(x)
    flat = x.reshape(-1)
    flat[rng.random(flat.size) < fraction] = np.nan
    if x.ndim >= 1 and x.shape[-1] > 6:
        x[..., 2:6] = np.nan  # windows with nothing present
    return x


def positive_kernel(rng, shape, separable=False):
    """Weights in [0.2, 1.2] (no present sum near 0); an outer product if asked."""
    if separable:
        w = np.ones(())
        for n in shape:
            w = np.multiply.outer(w, 0.2 + rng.random(n))
        return w
    w = 0.2 + rng.random(shape)
    if w.ndim == 2 and min(w.shape) > 1:
        w[0, 0] += 1.0  # not an outer product
    return w


def omit(function, x, w, **kwargs):
    return function(x, w, nan_policy="omit", **kwargs)


# --------------------------------------------------------------------------
# Against the reference
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cval", CVALS)
def test_every_mode_and_item_kind(rng, kind, mode, cval, plans):
    shape, kernel_shape = KINDS[kind]
    x = holes(rng, rng.standard_normal(shape))
    w = positive_kernel(rng, kernel_shape, separable=kind == "separable")
    got = omit(pyconv.correlate, x, w, mode=mode, cval=cval, method="direct")
    expected = reference.correlate(x, w, mode=mode, cval=cval, omit=True)
    assert_omit_close(got, expected, x, w)
    strips = {"lines": _direct_plan.LINES, "gathered": _direct_plan.GATHERED_STRIPS,
              "separable": _direct_plan.SEPARABLE_STRIPS}[kind]
    assert plans[-1].strips == strips and plans[-1].omit


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("geometry", [
    dict(stride=2), dict(stride=3, padding="valid"), dict(dilation=2, padding="full"),
    dict(stride=2, dilation=3, padding=[(4, 1), 2]), dict(padding=[3, (0, 5)]),
    dict(origin=[0, -1]),
])
def test_stride_dilation_padding(rng, kind, geometry):
    shape, kernel_shape = KINDS[kind]
    x = holes(rng, rng.standard_normal(shape))
    w = positive_kernel(rng, kernel_shape, separable=kind == "separable")
    for mode, cval in (("constant", np.nan), ("reflect", 0.0)):
        got = omit(pyconv.correlate, x, w, mode=mode, cval=cval, method="direct", **geometry)
        expected = reference.correlate(x, w, mode=mode, cval=cval, omit=True, **geometry)
        assert_omit_close(got, expected, x, w)


def test_per_axis_modes_and_convolve(rng):
    x = holes(rng, rng.standard_normal((30, 41)))
    w = positive_kernel(rng, (4, 5))
    modes = ["wrap", "constant"]
    got = omit(pyconv.convolve, x, w, mode=modes, cval=np.nan)
    expected = reference.correlate(x, w, mode=modes, cval=np.nan, convolve=True, omit=True)
    assert_omit_close(got, expected, x, w)


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
def test_dimensions_and_methods(rng, ndim, method):
    shape = {1: (300,), 2: (33, 40), 3: (9, 10, 21)}[ndim]
    x = holes(rng, rng.standard_normal(shape))
    w = positive_kernel(rng, (5, 3, 4)[:ndim])
    for mode, cval in (("constant", np.nan), ("constant", 0.5), ("mirror", 0.0)):
        got = omit(pyconv.correlate, x, w, mode=mode, cval=cval, method=method)
        expected = reference.correlate(x, w, mode=mode, cval=cval, omit=True)
        assert_omit_close(got, expected, x, w, terms=int(np.log2(x.size)))


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_batch_axes_and_1d_functions(rng, method):
    x = holes(rng, rng.standard_normal((6, 50, 3)))
    w = positive_kernel(rng, (7,))
    got = omit(pyconv.correlate1d, x, w, axis=1, mode="constant", cval=np.nan, method=method)
    expected = reference.correlate(x, w, axes=[1], mode="constant", cval=np.nan, omit=True)
    assert_omit_close(got, expected, x, w, terms=10)
    got = omit(pyconv.convolve1d, x, w, axis=1, mode="nearest", method=method, stride=2)
    expected = reference.correlate(x, w, axes=[1], mode="nearest", convolve=True, omit=True,
                                   stride=2)
    assert_omit_close(got, expected, x, w, terms=10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.complex64,
                                   np.complex128])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_dtypes(rng, dtype, kind):
    shape, kernel_shape = KINDS[kind]
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    x = holes(rng, x).astype(dtype)
    if np.dtype(dtype).kind == "c":  # a NaN in one part only is missing too
        x.flat[7] = complex(1.0, np.nan)
    w = positive_kernel(rng, kernel_shape, separable=kind == "separable")
    got = omit(pyconv.correlate, x, w, mode="constant", cval=np.nan)
    expected = reference.correlate(x, w, mode="constant", cval=np.nan, omit=True)
    assert_omit_close(got, expected, x, w, out_dtype=dtype)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("out_dtype", [np.float32, np.float64])
def test_integer_input_with_a_floating_output(rng, kind, out_dtype):
    """No sample is missing but the outside with a NaN cval (never the int16 sums)."""
    shape, kernel_shape = KINDS[kind]
    x = rng.integers(0, 255, size=shape).astype(np.uint8)
    w = np.ones(kernel_shape)  # small integers: what the exact int16 sums would take
    got = omit(pyconv.correlate, x, w, mode="constant", cval=np.nan, output=out_dtype)
    expected = reference.correlate(x, w, mode="constant", cval=np.nan, omit=True)
    assert_omit_close(got, expected, x, w, out_dtype=out_dtype)
    # Inside, the mean over the window times its size: the plain sum.
    plain = pyconv.correlate(x, w, mode="constant", output=np.float64)
    inner = tuple(slice(k, -k) for k in kernel_shape)
    np.testing.assert_allclose(got[inner], plain[inner], rtol=1e-6)


def test_windows_with_nothing_present_are_nan(rng):
    x = rng.standard_normal((20, 30))
    x[5:12, 10:20] = np.nan
    w = positive_kernel(rng, (3, 3))
    for method in ("direct", "fft"):
        got = omit(pyconv.correlate, x, w, method=method)
        assert np.isnan(got[6:11, 11:19]).all()
        assert not np.isnan(got[:5]).any() and not np.isnan(got[:, :9]).any()
    # The whole input missing: every output is NaN.
    got = omit(pyconv.correlate, np.full((8, 9), np.nan), w, mode="constant", cval=np.nan)
    assert np.isnan(got).all()
    # A NaN cval only: the outside counts for nothing.
    ones = np.ones((8, 9))
    np.testing.assert_allclose(omit(pyconv.correlate, ones, w, mode="constant", cval=np.nan),
                               np.full((8, 9), w.sum()))


def test_signed_weights(rng):
    """A kernel with negative weights (a sharpening kernel): the same formula."""
    x = holes(rng, rng.standard_normal((30, 40)), fraction=0.03)
    w = -0.1 * np.ones((3, 3))
    w[1, 1] = 2.0
    for method in ("direct", "fft"):
        got = omit(pyconv.correlate, x, w, mode="reflect", method=method)
        expected = reference.correlate(x, w, mode="reflect", omit=True)
        assert_omit_close(got, expected, x, w, terms=12)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_workers_give_bitwise_the_same(rng, kind, plans):
    shape, kernel_shape = KINDS[kind]
    shape = (8 * shape[0], 8 * shape[1])
    x = holes(rng, rng.standard_normal(shape))
    w = positive_kernel(rng, kernel_shape, separable=kind == "separable")
    one = omit(pyconv.correlate, x, w, mode="constant", cval=np.nan, method="direct",
               workers=1)
    for workers in (2, 3):
        again = omit(pyconv.correlate, x, w, mode="constant", cval=np.nan, method="direct",
                     workers=workers)
        assert plans[-1].n_threads > 1
        np.testing.assert_array_equal(one, again)


def test_a_strided_result_is_a_slice_of_the_dense_one(rng):
    x = holes(rng, rng.standard_normal((60, 70)))
    w = positive_kernel(rng, (5, 5), separable=True)
    dense = omit(pyconv.correlate, x, w, mode="constant", cval=np.nan, method="direct")
    strided = omit(pyconv.correlate, x, w, mode="constant", cval=np.nan, method="direct",
                   stride=(2, 3))
    np.testing.assert_array_equal(strided, dense[::2, ::3])


def test_the_input_is_never_modified(rng):
    x = holes(rng, rng.standard_normal((30, 30)))
    kept = x.copy()
    w = positive_kernel(rng, (3, 3))
    for method in ("direct", "fft"):
        omit(pyconv.correlate, x, w, mode="constant", cval=np.nan, method=method)
        np.testing.assert_array_equal(x, kept)
    out = np.empty_like(x)
    omit(pyconv.correlate, x, w, output=out)
    np.testing.assert_array_equal(x, kept)


def test_output_overlapping_the_input(rng):
    x = holes(rng, rng.standard_normal((30, 30)))
    w = positive_kernel(rng, (3, 5))
    expected = omit(pyconv.correlate, x.copy(), w)
    omit(pyconv.correlate, x, w, output=x)
    np.testing.assert_array_equal(x, expected)


# --------------------------------------------------------------------------
# propagate and raise; errors
# --------------------------------------------------------------------------


def test_propagate_is_the_default(rng):
    x = holes(rng, rng.standard_normal((20, 30)))
    w = rng.standard_normal((3, 4))
    np.testing.assert_array_equal(pyconv.correlate(x, w, nan_policy="propagate"),
                                  pyconv.correlate(x, w))
    np.testing.assert_array_equal(pyconv.correlate(x, w, nan_policy="propagate"),
                                  reference.correlate(x, w))


@pytest.mark.parametrize("function", [pyconv.correlate, pyconv.convolve])
def test_raise_raises_before_writing(rng, function):
    x = rng.standard_normal((10, 10))
    w = np.ones((3, 3))
    np.testing.assert_array_equal(function(x, w, nan_policy="raise"), function(x, w))
    x[4, 5] = np.nan
    out = np.full((10, 10), 7.0)
    with pytest.raises(ValueError, match="NaN.*nan_policy='raise'"):
        function(x, w, output=out, nan_policy="raise")
    assert (out == 7.0).all()
    with pytest.raises(ValueError, match="nan_policy='raise'"):
        pyconv.correlate1d(x, [1.0, 2.0], nan_policy="raise")
    # A NaN cval is not in the input.
    function(np.ones((4, 4)), w, mode="constant", cval=np.nan, nan_policy="raise")


def test_unknown_policy():
    with pytest.raises(ValueError, match="nan_policy='ignore'.*'propagate', 'omit' or"):
        pyconv.correlate(np.ones(5), [1.0], nan_policy="ignore")
    with pytest.raises(TypeError, match="nan_policy must be a string"):
        pyconv.correlate(np.ones(5), [1.0], nan_policy=None)


@pytest.mark.parametrize("output", [np.int16, np.uint8, bool, np.zeros(5, dtype=np.int32)])
def test_omit_needs_a_floating_output(output):
    with pytest.raises(TypeError, match="nan_policy='omit' needs a floating"):
        pyconv.correlate(np.ones(5), [1.0, 1.0], output=output, nan_policy="omit")
    # ... also for integer input without a floating output given.
    with pytest.raises(TypeError, match="nan_policy='omit' needs a floating"):
        pyconv.correlate(np.ones(5, dtype=np.int32), [1.0, 1.0], nan_policy="omit")


@pytest.mark.parametrize("weights", [[1.0, -1.0], [-1.0, 0.0, 1.0], [[1.0, -2.0, 1.0]],
                                     [0.0, 0.0]])
def test_omit_needs_weights_that_do_not_sum_to_zero(weights):
    x = np.ones((5, 5)) if np.ndim(weights) == 2 else np.ones(5)
    out = np.full(x.shape, 3.0)
    with pytest.raises(ValueError, match="weights whose sum is not 0"):
        pyconv.correlate(x, weights, output=out, nan_policy="omit")
    assert (out == 3.0).all()
    with pytest.raises(ValueError, match="weights whose sum is not 0"):
        pyconv.gaussian_filter1d(np.ones(20), 2.0, order=1, nan_policy="omit")


# --------------------------------------------------------------------------
# Method choice
# --------------------------------------------------------------------------


def test_choose_method_agrees_with_what_runs(rng, monkeypatch):
    from pyconv import _fft

    ran = []
    real = _fft.correlate_omit
    monkeypatch.setattr(_fft, "correlate_omit",
                        lambda *a, **k: ran.append("fft") or real(*a, **k))
    x = holes(rng, rng.standard_normal((256, 256)), fraction=0.02)
    for w in (positive_kernel(rng, (3, 3)), positive_kernel(rng, (61, 61))):
        ran.clear()
        chosen = pyconv.choose_method(x, w, nan_policy="omit", workers=2)
        result = omit(pyconv.correlate, x, w, workers=2)
        assert chosen == ("fft" if ran else "direct")
        assert not np.isnan(result[40:-40, 40:-40]).any()
    assert chosen == "fft"  # a large kernel: the two transforms pay
    # A small one goes direct, NaN or not.
    assert pyconv.choose_method(x, np.ones((3, 3)), nan_policy="omit") == "direct"


def test_an_infinity_hands_the_fft_over_to_the_direct_method(rng):
    x = holes(rng, rng.standard_normal((256, 256)), fraction=0.02)
    x[100, 100] = np.inf
    w = positive_kernel(rng, (61, 61))
    got = omit(pyconv.correlate, x, w, workers=2)
    expected = omit(pyconv.correlate, x, w, method="direct")
    np.testing.assert_array_equal(got, expected)
    assert np.isfinite(got[:30, :30]).all()


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

finite = st.floats(-100, 100, allow_nan=False, allow_subnormal=False)
positive = st.floats(0.125, 4, allow_nan=False, allow_subnormal=False)


@st.composite
def problems(draw):
    ndim = draw(st.integers(1, 3))
    shape = draw(st.lists(st.integers(1, 9), min_size=ndim, max_size=ndim))
    taps = draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim))
    x = draw(arrays(np.float64, shape, elements=finite))
    w = draw(arrays(np.float64, taps, elements=positive))
    kwargs = {
        "mode": draw(st.lists(st.sampled_from(MODES), min_size=ndim, max_size=ndim)),
        "cval": draw(st.floats(-5, 5)),
        "stride": draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim)),
        "dilation": draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim)),
        "method": draw(st.sampled_from(["direct", "fft"])),
    }
    return x, w, kwargs


@given(problems())
def test_without_nan_omit_is_propagate(problem):
    """No sample missing: the present weights are all of them, the ratio is 1."""
    x, w, kwargs = problem
    got = omit(pyconv.correlate, x, w, **kwargs)
    plain = pyconv.correlate(x, w, **kwargs)
    scale = float(np.abs(w).sum()) * max(1.0, float(np.abs(x).max()), abs(kwargs["cval"]))
    np.testing.assert_allclose(got, plain, rtol=0, atol=64 * w.size * 2.3e-16 * scale)


@given(problems(), st.data())
def test_omit_does_not_see_the_kernels_scale(problem, data):
    """Scaling the kernel by c scales the result by c (the ratio does not move)."""
    x, w, kwargs = problem
    x = x.copy()
    x.reshape(-1)[data.draw(st.lists(st.integers(0, x.size - 1), max_size=x.size))] = np.nan
    c = data.draw(st.sampled_from([0.25, 3.0, -2.0]))
    got = omit(pyconv.correlate, x, c * w, **kwargs)
    once = omit(pyconv.correlate, x, w, **kwargs)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(once))
    scale = float(np.abs(w).sum()) / float(w.min()) * max(1.0, float(np.nanmax(np.abs(x),
                                                                               initial=0)))
    np.testing.assert_allclose(got, c * once, rtol=0,
                               atol=64 * w.size * 2.3e-16 * scale * abs(c) * w.sum() + 1e-300)


# --------------------------------------------------------------------------
# astropy.convolution.convolve(nan_treatment="interpolate")
# --------------------------------------------------------------------------

ASTROPY_BOUNDARIES = [  # astropy's boundary and fill_value -> pyconv's mode and cval
    ("fill", np.nan, "constant", np.nan),
    ("fill", 0.75, "constant", 0.75),
    ("extend", 0.0, "nearest", 0.0),
    ("wrap", 0.0, "wrap", 0.0),
]


@pytest.mark.parametrize(("boundary", "fill_value", "mode", "cval"), ASTROPY_BOUNDARIES)
@pytest.mark.parametrize("kernel_shape", [(5,), (9,), (3, 5), (7, 7)])
def test_equals_astropy_interpolate(rng, boundary, fill_value, mode, cval, kernel_shape):
    """astropy's convolve flips the kernel (a true convolution): pyconv.convolve."""
    convolution = pytest.importorskip("astropy.convolution")
    shape = (200,) if len(kernel_shape) == 1 else (40, 37)
    x = holes(rng, rng.standard_normal(shape), fraction=0.1)
    w = rng.random(kernel_shape) + 0.05  # not symmetric: the flip shows
    w /= w.sum()
    expected = convolution.convolve(x, w, boundary=boundary, fill_value=fill_value,
                                    nan_treatment="interpolate", normalize_kernel=True)
    got = omit(pyconv.convolve, x, w, mode=mode, cval=cval)
    assert_omit_close(got, expected, x, w)


# --------------------------------------------------------------------------
# dask and the filter family
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "cval"), [("constant", np.nan), ("constant", 1.0),
                                            ("reflect", 0.0), ("wrap", 0.0)])
def test_dask(rng, mode, cval):
    da = pytest.importorskip("dask.array")
    x = holes(rng, rng.standard_normal((37, 45)))
    w = positive_kernel(rng, (5, 4))
    lazy = da.from_array(x, chunks=(10, 13))
    for function in (pyconv.correlate, pyconv.convolve):
        got = omit(function, lazy, w, mode=mode, cval=cval, stride=(1, 2))
        assert isinstance(got, da.Array)
        np.testing.assert_array_equal(got.compute(), omit(function, x, w, mode=mode, cval=cval,
                                                          stride=(1, 2), method="direct"))
    result = omit(pyconv.gaussian_filter, lazy, 1.5, mode=mode, cval=cval)
    np.testing.assert_allclose(result.compute(), omit(pyconv.gaussian_filter, x, 1.5,
                                                      mode=mode, cval=cval), atol=1e-13)


def test_dask_raise(rng):
    da = pytest.importorskip("dask.array")
    x = rng.standard_normal((20, 20))
    lazy = da.from_array(x, chunks=10)
    np.testing.assert_array_equal(
        pyconv.correlate(lazy, np.ones((3, 3)), nan_policy="raise").compute(),
        pyconv.correlate(x, np.ones((3, 3))))
    x[15, 3] = np.nan
    lazy = da.from_array(x, chunks=10)
    result = pyconv.correlate(lazy, np.ones((3, 3)), mode="constant", cval=np.nan,
                              nan_policy="raise")
    with pytest.raises(ValueError, match="nan_policy='raise'"):
        result.compute()
    with pytest.raises(ValueError, match="nan_policy='raise'"):
        pyconv.uniform_filter(lazy, 3, nan_policy="raise").compute()


def filter_reference(x, weights_1d, axes, mode, cval):
    """The normalised filter: the reference's omit with the outer-product kernel."""
    w = np.ones(())
    for one in weights_1d:
        w = np.multiply.outer(w, one)
    return reference.correlate(x, w, axes=list(axes), mode=mode, cval=cval, omit=True), w


def gaussian_1d(sigma, truncate=4.0):
    radius = int(truncate * sigma + 0.5)
    phi = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return phi / phi.sum()


@pytest.mark.parametrize("shape", [(60,), (31, 40), (9, 12, 14)])
@pytest.mark.parametrize(("mode", "cval"), [("constant", np.nan), ("reflect", 0.0),
                                            ("nearest", 0.0), ("constant", 0.0)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gaussian_and_uniform_filters(rng, shape, mode, cval, dtype):
    x = holes(rng, rng.standard_normal(shape)).astype(dtype)
    axes = tuple(range(len(shape)))
    sigma = 1.5
    expected, w = filter_reference(x, [gaussian_1d(sigma)] * len(shape), axes, mode, cval)
    got = omit(pyconv.gaussian_filter, x, sigma, mode=mode, cval=cval)
    assert_omit_close(got, expected, x, w)
    expected, w = filter_reference(x, [np.full(3, 1 / 3)] * len(shape), axes, mode, cval)
    got = omit(pyconv.uniform_filter, x, 3, mode=mode, cval=cval)
    assert_omit_close(got, expected, x, w)
    # The 1-D forms, along the last axis.
    expected, w = filter_reference(x, [gaussian_1d(sigma)], (x.ndim - 1,), mode, cval)
    assert_omit_close(omit(pyconv.gaussian_filter1d, x, sigma, mode=mode, cval=cval),
                      expected, x, w)
    expected, w = filter_reference(x, [np.full(4, 1 / 4)], (x.ndim - 1,), mode, cval)
    assert_omit_close(omit(pyconv.uniform_filter1d, x, 4, mode=mode, cval=cval), expected,
                      x, w)


def test_filters_by_hand(rng):
    """The by-hand recipe (filter the data with NaN as 0, filter the mask,
    divide) with scipy.ndimage, away from the edges."""
    import scipy.ndimage as ndi

    x = holes(rng, rng.standard_normal((64, 80)), fraction=0.05)
    present = ~np.isnan(x)
    zeroed = np.where(present, x, 0.0)
    by_hand = ndi.gaussian_filter(zeroed, 2.0) / ndi.gaussian_filter(present * 1.0, 2.0)
    got = omit(pyconv.gaussian_filter, x, 2.0)
    np.testing.assert_allclose(got[10:-10, 10:-10], by_hand[10:-10, 10:-10], rtol=1e-10)
    by_hand = ndi.uniform_filter(zeroed, 5) / ndi.uniform_filter(present * 1.0, 5)
    got = omit(pyconv.uniform_filter, x, 5)
    inside = np.isfinite(by_hand)
    np.testing.assert_allclose(got[inside], by_hand[inside], rtol=1e-9, atol=1e-12)


def test_filter_geometry_and_policies(rng):
    x = holes(rng, rng.standard_normal((6, 40, 50)))
    got = omit(pyconv.gaussian_filter, x, [1.0, 2.0], axes=(2, 1), stride=(2, 3),
               mode=["wrap", "constant"], cval=np.nan)
    expected, w = filter_reference(x, [gaussian_1d(1.0), gaussian_1d(2.0)], (2, 1),
                                   ["wrap", "constant"], np.nan)
    assert_omit_close(got, expected[:, ::3, ::2], x, w)
    # No axis filtered: the input, its NaN kept.
    np.testing.assert_array_equal(omit(pyconv.gaussian_filter, x, 0.0), x)
    out = np.zeros(x.shape, dtype=np.int16)
    with pytest.raises(TypeError, match="floating"):
        pyconv.uniform_filter(x, 3, output=out, nan_policy="omit")
    with pytest.raises(ValueError, match="nan_policy='raise'"):
        pyconv.gaussian_filter(x, 1.0, output=out, nan_policy="raise")
    assert not out.any()
    with pytest.raises(ValueError, match="not a NaN policy"):
        pyconv.uniform_filter1d(x, 3, nan_policy="skip")


def test_problem_records_the_policy():
    problem = _normalize.normalize(np.ones(4), [1.0], None, "reflect", 0.0, 0, axes=None,
                                   stride=1, dilation=1, padding="same", workers=1,
                                   convolution=False, nan_policy="omit")
    assert problem.omit


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_output_arrays_of_any_layout_and_dtype(rng, kind):
    """The ratio goes straight to an output of the working dtype with unit
    steps, else through the conversion: the same values either way."""
    shape, kernel_shape = KINDS[kind]
    x = holes(rng, rng.standard_normal(shape))
    w = positive_kernel(rng, kernel_shape, separable=kind == "separable")
    expected = omit(pyconv.correlate, x, w, mode="constant", cval=np.nan)
    wide = np.full((shape[0], 2 * shape[1]), 5.0)
    strided = wide[:, ::2]
    omit(pyconv.correlate, x, w, mode="constant", cval=np.nan, output=strided)
    np.testing.assert_array_equal(strided, expected)
    transposed = np.empty(shape[::-1]).T
    omit(pyconv.correlate, x, w, mode="constant", cval=np.nan, output=transposed)
    np.testing.assert_array_equal(transposed, expected)
    single = omit(pyconv.correlate, x, w, mode="constant", cval=np.nan, output=np.float32)
    assert_omit_close(single, expected, x, w)
    swapped = np.empty(shape, dtype=">f8")
    omit(pyconv.correlate, x, w, mode="constant", cval=np.nan, output=swapped)
    np.testing.assert_array_equal(swapped, expected)
