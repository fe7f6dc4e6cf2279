"""The linear-filter family (gaussian_filter(1d), uniform_filter(1d), sobel,
prewitt, laplace, gaussian_laplace, gaussian_gradient_magnitude).

float64 results are compared with scipy.ndimage's to rounding; other dtypes
with scipy's float64 result put through pyconv's documented output rules
(integers rounded to nearest and saturated once, at the end); stride with
slicing of the full-resolution result; dask with scipy; errors with the
exception type, the parameter's name in the message and an untouched
`output`. Where pyconv deliberately differs from scipy (per-axis truncate,
gaussian_gradient_magnitude with `axes`), the reference is built from
scipy's one-axis filters.
"""

import numpy as np
import pytest
import scipy.ndimage as ndi
from common import ALL_MODES
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from reference import to_dtype

import pyconv

FAMILY = ["gaussian_filter", "gaussian_filter1d", "uniform_filter", "uniform_filter1d",
          "sobel", "prewitt", "laplace", "gaussian_laplace", "gaussian_gradient_magnitude"]
# Lengths 1 and 2, kernels longer than the axis (a sigma of 2 has radius 8).
SHAPES = [(1,), (2,), (9,), (1, 4), (2, 3), (6, 7), (3, 4, 5), (2, 1, 6)]
SENTINEL = -12345.0


def calls(name, ndim):
    """(positional arguments, keywords) that cover `name`'s own parameters."""
    axes = range(-ndim, ndim)
    return {
        "gaussian_filter": [((sigma,), {"order": order}) for sigma, order
                            in [(0.6, 0), (2.0, 1), (0.9, 2), (1.4, 3), (2.0, 0)]]
        + [((1.0,), {"radius": 1}), ((1.5,), {"truncate": 1.2}),
           ((0.8,), {"radius": 4, "order": 1})],
        "gaussian_filter1d": [((1.1, axis), {"order": axis % 4}) for axis in axes]
        + [((0.7, -1), {"radius": 3}), ((3.0, 0), {"truncate": 0.5})],
        "uniform_filter": [((size,), {"origin": origin}) for size, origin
                           in [(1, 0), (2, 0), (2, -1), (3, 1), (4, -2), (4, 1), (6, 0),
                               (13, 6)]],
        "uniform_filter1d": [((size, axis), {"origin": origin}) for axis in axes
                             for size, origin in [(3, -1), (4, 0), (5, 2), (11, -5)]],
        "sobel": [((axis,), {}) for axis in axes],
        "prewitt": [((axis,), {}) for axis in axes],
        "laplace": [((), {})],
        "gaussian_laplace": [((0.8,), {}), ((1.7,), {}), ((1.0,), {"truncate": 2.0})],
        "gaussian_gradient_magnitude": [((0.8,), {}), ((1.7,), {}), ((1.0,), {"radius": 2})],
    }[name]


def assert_near(actual, expected, data, rtol=1e-12):
    """Equal to `rtol` relative to the scale of the data and the result."""
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0)),
                float(np.max(np.abs(data), initial=0)))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=rtol * scale)


def both(name, x, *args, **kwargs):
    """(pyconv's result, scipy's) of the same call."""
    return getattr(pyconv, name)(x, *args, **kwargs), getattr(ndi, name)(x, *args, **kwargs)


def derivative_terms(x, sigmas, order, axes, modes, cval):
    """Per axis of `axes`, scipy's gaussian_filter with `order` along that
    axis, every pass in that axis' mode, the passes in the order of the axes'
    numbers (scipy's gaussian_laplace)."""
    sigmas, modes = np.broadcast_to(sigmas, len(axes)), np.broadcast_to(modes, len(axes))
    by_number = np.argsort(axes)
    sorted_axes = [axes[j] for j in by_number]
    return [ndi.gaussian_filter(x, [sigmas[j] for j in by_number],
                                [order if j == i else 0 for j in by_number],
                                mode=str(modes[i]), cval=cval, axes=sorted_axes)
            for i in range(len(axes))]


def gradient_magnitude_reference(x, sigma, axes, **kwargs):
    """sqrt(sum over `axes` of the squared first Gaussian derivative along
    that axis), each smoothed along `axes` only (scipy's gaussian_filter)."""
    total = 0.0
    for axis in axes:
        order = [1 if other == axis else 0 for other in axes]
        total = total + ndi.gaussian_filter(x, sigma, order, axes=axes, **kwargs) ** 2
    return np.sqrt(total)


# --------------------------------------------------------------------------
# float64 parity with scipy.ndimage
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("name", FAMILY)
def test_every_function_mode_and_shape_like_scipy(rng, name, mode):
    for shape in SHAPES:
        x = rng.standard_normal(shape)
        for args, kwargs in calls(name, x.ndim):
            ours, theirs = both(name, x, *args, mode=mode, cval=1.7, **kwargs)
            assert_near(ours, theirs, x)


@pytest.mark.parametrize("mode", ["reflect", "constant", "wrap", "grid-constant"])
def test_per_axis_parameters_3d(rng, mode):
    x = rng.standard_normal((6, 7, 8))
    modes = (mode, "nearest", "mirror")
    for kwargs in [dict(sigma=(0.5, 1.5, 2.0), order=(0, 1, 2)),
                   dict(sigma=(2.5, 0.0, 1.0), order=(3, 2, 0)),  # sigma 0: skipped
                   dict(sigma=(0.5, 1.5, 2.0), radius=(1, 5, 2), order=(3, 0, 1)),
                   dict(sigma=(1.0, 1e-16, 0.8), truncate=2.5)]:
        ours, theirs = both("gaussian_filter", x, mode=modes, cval=-0.6, **kwargs)
        assert_near(ours, theirs, x)
    for size, origin in [((2, 3, 4), (0, 1, -2)), ((1, 5, 8), (0, -2, 3)), ((3, 1, 2), 0)]:
        ours, theirs = both("uniform_filter", x, size, mode=modes, cval=2.5, origin=origin)
        assert_near(ours, theirs, x)
    for name in ("sobel", "prewitt"):
        for axis in (0, 1, -1):
            assert_near(*both(name, x, axis, mode=modes, cval=0.3), x)
    for name, args in [("laplace", ()), ("gaussian_laplace", ((0.7, 1.2, 2.0),)),
                       ("gaussian_gradient_magnitude", ((0.7, 1.2, 2.0),))]:
        assert_near(*both(name, x, *args, mode=modes, cval=0.9), x)


def test_per_axis_truncate(rng):
    """A sequence of truncate (scipy: one for all): each axis' pass uses its own."""
    x = rng.standard_normal((9, 10, 11))
    expected = x
    for axis, (sigma, order, truncate) in enumerate([(1.0, 1, 1.5), (2.0, 0, 3.0),
                                                     (0.8, 2, 4.0)]):
        expected = ndi.gaussian_filter1d(expected, sigma, axis, order, truncate=truncate)
    actual = pyconv.gaussian_filter(x, (1.0, 2.0, 0.8), (1, 0, 2), truncate=(1.5, 3.0, 4.0))
    assert_near(actual, expected, x)


AXES = [(0,), (-1,), (2, 0), (0, 2), (1, -1), (-3, 1, 2), (2, 1, 0)]


@pytest.mark.parametrize("axes", AXES, ids=str)
def test_axes_subsets_and_negative_axes(rng, axes):
    x = rng.standard_normal((5, 6, 7))
    n = len(axes)
    modes = ["wrap", "constant", "mirror"][:n]
    sigmas, orders = [1.0, 2.0, 0.6][:n], [0, 1, 2][:n]
    assert_near(*both("gaussian_filter", x, sigmas, orders, mode=modes, cval=1.1, axes=axes),
                x)
    assert_near(*both("uniform_filter", x, [2, 3, 4][:n], origin=[0, 1, -1][:n],
                      mode=modes, cval=1.1, axes=axes), x)
    assert_near(*both("laplace", x, mode=modes, cval=1.1, axes=axes), x)
    # sigma follows `axes` (scipy: the axes' numbers when axes holds them all).
    actual = pyconv.gaussian_laplace(x, sigmas, mode=modes, cval=1.1, axes=axes)
    normalized = [axis % x.ndim for axis in axes]
    assert_near(actual, sum(derivative_terms(x, sigmas, 2, normalized, modes, 1.1)), x)
    if n < x.ndim:
        assert_near(*both("gaussian_laplace", x, sigmas, mode=modes, cval=1.1, axes=axes), x)
    # Filtered along `axes` only (scipy 1.17 also smooths along the others).
    actual = pyconv.gaussian_gradient_magnitude(x, 1.2, mode="nearest", axes=axes)
    assert_near(actual, gradient_magnitude_reference(x, 1.2, axes, mode="nearest"), x)


def test_gradient_magnitude_with_axes_leaves_other_axes_alone(rng):
    """Each slice along the axes not filtered is filtered on its own."""
    x = rng.standard_normal((4, 9, 10)) ** 3  # non-linear data shows any smoothing
    actual = pyconv.gaussian_gradient_magnitude(x, 1.5, axes=(1, 2))
    for i in range(x.shape[0]):
        assert_near(actual[i], ndi.gaussian_gradient_magnitude(x[i], 1.5), x)


@pytest.mark.parametrize("layout", ["reversed", "strided", "transposed", "read-only"])
def test_non_contiguous_and_read_only_inputs(rng, layout):
    base = rng.standard_normal((12, 14, 10))
    x = {"reversed": base[::-1, :, ::-1], "strided": base[::2, 1::3, ::2],
         "transposed": base.transpose(2, 0, 1), "read-only": base.copy()}[layout]
    x.flags.writeable = layout != "read-only"
    for name in FAMILY:
        for args, kwargs in calls(name, x.ndim)[:3]:
            assert_near(*both(name, x, *args, mode="mirror", **kwargs), x)
    if layout == "read-only":
        assert np.array_equal(x, base)


# --------------------------------------------------------------------------
# dtypes and output
# --------------------------------------------------------------------------

# One call of each function, on 2-D data.
ONE_CALL = [("gaussian_filter", (1.3,)), ("gaussian_filter1d", (0.9, 0)),
            ("uniform_filter", (3,)), ("uniform_filter1d", (5, -1)), ("sobel", (0,)),
            ("prewitt", (1,)), ("laplace", ()), ("gaussian_laplace", (1.0,)),
            ("gaussian_gradient_magnitude", (1.0,))]


def float64_result(name, x, args, **kwargs):
    return getattr(ndi, name)(x.astype(np.float64), *args, output=np.float64, **kwargs)


@pytest.mark.parametrize("name,args", ONE_CALL, ids=[c[0] for c in ONE_CALL])
def test_float32_and_float16(rng, name, args):
    x = rng.standard_normal((15, 17)) * 10
    for dtype, eps in [(np.float32, 2.0**-23), (np.float16, 2.0**-10)]:
        data = x.astype(dtype)
        expected = float64_result(name, data, args, mode="nearest")
        actual = getattr(pyconv, name)(data, *args, mode="nearest")
        assert actual.dtype == dtype
        # float16 computes in float32: one float16 rounding of the result.
        tolerance = 64 * eps * max(1.0, float(np.abs(x).max()))
        np.testing.assert_allclose(actual.astype(np.float64), expected, rtol=0, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("mode", ["reflect", "constant", "wrap"])
def test_complex_gaussian_uniform_and_sums(rng, dtype, mode):
    x = (rng.standard_normal((9, 11)) + 1j * rng.standard_normal((9, 11))).astype(dtype)
    rtol = 1e-12 if dtype == np.complex128 else 1e-5
    for name, args, kwargs in [("gaussian_filter", (1.2,), {}),
                               ("gaussian_filter", ((0.7, 2.0),), {"order": (1, 2)}),
                               ("gaussian_filter1d", (1.5, 0), {"order": 1}),
                               ("uniform_filter", ((3, 4),), {"origin": (1, 0)}),
                               ("uniform_filter1d", (6, -1), {}),
                               # sums of chains, formed in place
                               ("laplace", (), {}), ("gaussian_laplace", (1.0,), {}),
                               ("gaussian_gradient_magnitude", (0.8,), {})]:
        actual = getattr(pyconv, name)(x, *args, mode=mode, cval=0.5, **kwargs)
        expected = getattr(ndi, name)(x.astype(np.complex128), *args, mode=mode, cval=0.5,
                                      **kwargs)
        assert actual.dtype == dtype
        assert_near(actual, expected.astype(dtype), x, rtol=rtol)


INTEGER_DTYPES = [np.uint8, np.int16, np.uint16, np.int32, np.int64]


@pytest.mark.parametrize("dtype", INTEGER_DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("name,args", ONE_CALL, ids=[c[0] for c in ONE_CALL])
def test_integers_round_to_nearest_and_saturate_once(rng, name, args, dtype):
    """Expected: scipy's float64 result on the same values, rounded half to
    even and clipped to the dtype. Values within the float32 working
    precision's error of a half (small-integer dtypes) may round either
    way: off by one is allowed there and only there."""
    info = np.iinfo(dtype)
    low, high = max(info.min, -300), min(info.max, 300)  # uint8 saturates both ways
    x = rng.integers(low, high, size=(14, 16), endpoint=True).astype(dtype)
    exact = float64_result(name, x, args, mode="reflect")
    expected = np.clip(np.rint(exact), info.min, info.max)
    actual = getattr(pyconv, name)(x, *args, mode="reflect")
    assert actual.dtype == dtype
    difference = np.abs(actual.astype(np.float64) - expected)
    near_half = np.abs(exact - np.floor(exact) - 0.5) < 1e-4 * max(1.0, np.abs(exact).max())
    work32 = np.dtype(dtype).itemsize <= 2
    assert np.all(difference[~near_half] == 0) if work32 else np.all(difference == 0)
    assert np.all(difference <= 1)
    if name in ("sobel", "laplace") and dtype == np.uint8:
        assert np.any(exact < 0) and np.any(exact > 255)  # both saturations happen


def test_integer_ties_round_half_to_even(rng):
    """uniform sizes 2 and 4 on integers: exact quarter sums, many exact
    halves; and a sum clipped once (scipy would truncate after each pass)."""
    x = rng.integers(0, 256, size=(20, 22)).astype(np.uint8)
    for size in (2, 4, (2, 4)):
        exact = ndi.uniform_filter(x.astype(np.float64), size)
        assert np.any(exact % 1 == 0.5)
        np.testing.assert_array_equal(pyconv.uniform_filter(x, size), to_dtype(exact, np.uint8))
    # Once, at the end: a sobel pass overshoots 255 in the middle of the chain.
    exact = ndi.sobel(x.astype(np.float64), 0)
    np.testing.assert_array_equal(pyconv.sobel(x, 0, output=np.int16),
                                  to_dtype(exact, np.int16))


def test_bool_input(rng):
    """bool data are 0/1; the bool result is ``value != 0``, and a numeric
    output dtype gets the values."""
    x = rng.random((12, 13)) > 0.6
    for name, args in ONE_CALL:
        exact = float64_result(name, x, args, mode="constant")
        ours = getattr(pyconv, name)(x, *args, mode="constant")
        assert ours.dtype == np.bool_ and ours.view(np.uint8).max() <= 1
        np.testing.assert_array_equal(ours, np.abs(exact) > 1e-6)
        numbers = getattr(pyconv, name)(x, *args, mode="constant", output=np.float64)
        assert_near(numbers, exact, x)


@pytest.mark.parametrize("name,args", ONE_CALL, ids=[c[0] for c in ONE_CALL])
def test_output_dtype_and_array(rng, name, args):
    x = rng.standard_normal((10, 12)) * 50
    exact = float64_result(name, x, args, mode="wrap")
    for dtype in (np.float32, np.int16, np.float64):
        by_dtype = getattr(pyconv, name)(x, *args, mode="wrap", output=dtype)
        assert by_dtype.dtype == dtype
        given = np.full(x.shape, SENTINEL, dtype=dtype)
        returned = getattr(pyconv, name)(x, *args, mode="wrap", output=given)
        assert returned is given
        np.testing.assert_array_equal(given, by_dtype)
        if dtype == np.int16:
            np.testing.assert_array_equal(given, to_dtype(exact, np.int16))
        else:
            assert_near(given, exact.astype(dtype), x, 1e-12 if dtype == np.float64 else 1e-5)


@pytest.mark.parametrize("name,args", ONE_CALL, ids=[c[0] for c in ONE_CALL])
def test_output_is_or_overlaps_the_input(rng, name, args):
    data = rng.standard_normal((11, 13))
    expected = getattr(ndi, name)(data, *args)
    x = data.copy()
    assert getattr(pyconv, name)(x, *args, output=x) is x  # in place
    assert_near(x, expected, data)
    buffer = np.zeros((12, 13))
    buffer[1:] = data
    getattr(pyconv, name)(buffer[1:], *args, output=buffer[:-1])  # shifted by one row
    assert_near(buffer[:-1], expected, data)
    transposed = data.T.copy()
    getattr(pyconv, name)(transposed.T, *args, output=transposed.T)  # Fortran order
    assert_near(transposed.T, expected, data)


# --------------------------------------------------------------------------
# stride
# --------------------------------------------------------------------------

STRIDED = [("gaussian_filter", (1.5,), {"method": "direct"}),
           ("gaussian_filter", ((1.0, 0.6, 2.0),), {"order": (1, 0, 2), "method": "direct"}),
           ("gaussian_filter", ((0.8, 1.2),), {"axes": (2, 0), "mode": ("wrap", "constant"),
                                               "cval": 0.4}),
           ("gaussian_filter1d", (1.3, 1), {"order": 3}),
           ("uniform_filter", ((4, 3, 5),), {"origin": (1, 0, -2)}),
           ("uniform_filter", (3,), {"axes": (-1, 1)}),
           ("uniform_filter1d", (5, 0), {"mode": "constant", "cval": -1.0}),
           ("sobel", (1,), {}), ("prewitt", (-1,), {"mode": "mirror"}),
           ("gaussian_laplace", ((0.9, 1.1, 1.4),), {"method": "direct"}),
           ("gaussian_gradient_magnitude", (1.2,), {"axes": (0, 2)})]


def subsample(full, strides, axes):
    index = [slice(None)] * full.ndim
    for axis, step in zip(axes, strides, strict=True):
        index[axis] = slice(None, None, step)
    return full[tuple(index)]


def stride_axes(ndim, kwargs, args, name):
    if name.endswith("1d"):
        return (args[1],)
    return kwargs.get("axes", tuple(range(ndim)))


@pytest.mark.parametrize("name,args,kwargs", STRIDED, ids=lambda v: str(v)[:40])
def test_stride_is_exactly_subsampling(rng, name, args, kwargs):
    """Bitwise: every pass computes the kept outputs as the full one does."""
    x = rng.standard_normal((13, 11, 9))
    function = getattr(pyconv, name)
    full = function(x, *args, **kwargs)
    axes = stride_axes(x.ndim, kwargs, args, name)
    for strides in [(2, 3, 4), (3, 1, 2), (1, 20, 4), (13, 11, 9), (5, 5, 5)]:
        strides = strides[:len(axes)]
        actual = function(x, *args, stride=strides, **kwargs)
        np.testing.assert_array_equal(actual, subsample(full, strides, axes))
    np.testing.assert_array_equal(function(x, *args, stride=2, **kwargs),
                                  subsample(full, (2,) * len(axes), axes))


def test_stride_on_an_axis_with_no_pass(rng):
    """sigma 0 or size 1 on a strided axis: that axis is only subsampled.
    The strided call then runs three passes where the dense one fuses two
    into one 2-D call (another summation order), so equality is to rounding."""
    x = rng.standard_normal((10, 12, 14))
    dense = pyconv.gaussian_filter(x, (1.0, 0.0, 2.0))
    strided = pyconv.gaussian_filter(x, (1.0, 0.0, 2.0), stride=(2, 3, 1))
    assert_near(strided, dense[::2, ::3], x, rtol=1e-14)
    assert_near(strided, ndi.gaussian_filter(x, (1.0, 0.0, 2.0))[::2, ::3], x)
    dense = pyconv.uniform_filter(x, (3, 1, 4))
    strided = pyconv.uniform_filter(x, (3, 1, 4), stride=(1, 4, 3))
    assert_near(strided, dense[:, ::4, ::3], x, rtol=1e-14)
    # No pass at all: a strided copy.
    np.testing.assert_array_equal(pyconv.gaussian_filter(x, 0.0, stride=(3, 1, 2)),
                                  x[::3, :, ::2])
    np.testing.assert_array_equal(pyconv.uniform_filter(x, 1, stride=5), x[::5, ::5, ::5])


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_stride_pyramid_level_like_scipy(rng, method):
    image = rng.random((64, 48)).astype(np.float32)
    level = pyconv.gaussian_filter(image, 1.0, stride=2, method=method)
    expected = ndi.gaussian_filter(image.astype(np.float64), 1.0)[::2, ::2]
    assert level.shape == (32, 24) and level.dtype == np.float32
    np.testing.assert_allclose(level, expected, rtol=0, atol=1e-6)


# --------------------------------------------------------------------------
# dask
# --------------------------------------------------------------------------


@pytest.mark.parametrize("chunks", [(3, 4, 9), (13, 1, 2), (5, 11, 4), (1, 2, 3)], ids=str)
@pytest.mark.parametrize("name", FAMILY)
def test_dask_arrays(rng, name, chunks):
    """Lazy, and scipy's result to rounding, with chunks smaller than the
    kernels' radius (sigma 2.5: radius 10)."""
    da = pytest.importorskip("dask.array")
    x = rng.standard_normal((13, 11, 9) if chunks != (1, 2, 3) else (4, 5, 6))
    lazy_input = da.from_array(x, chunks=chunks)
    for args, kwargs in calls(name, 3)[::4]:
        if name.startswith("gaussian") and not name.endswith("1d"):
            args = (2.5,)
        lazy = getattr(pyconv, name)(lazy_input, *args, mode="nearest", **kwargs)
        assert isinstance(lazy, da.Array)
        expected = getattr(ndi, name)(x, *args, mode="nearest", **kwargs)
        assert lazy.shape == expected.shape and lazy.dtype == expected.dtype
        assert_near(lazy.compute(scheduler="threads"), expected, x)


def test_dask_integer_output_and_stride(rng):
    da = pytest.importorskip("dask.array")
    x = rng.integers(0, 256, size=(20, 18)).astype(np.uint8)
    lazy_input = da.from_array(x, chunks=(7, 5))
    for name, args in ONE_CALL:
        lazy = getattr(pyconv, name)(lazy_input, *args, output=np.int16)
        assert isinstance(lazy, da.Array) and lazy.dtype == np.int16
        expected = to_dtype(float64_result(name, x, args), np.int16)
        difference = np.abs(lazy.compute().astype(np.int64) - expected)
        assert difference.max() <= 1 and np.mean(difference) < 0.01  # float32 ties only
    lazy = pyconv.gaussian_filter(lazy_input, 1.5, stride=(2, 3))
    assert lazy.dtype == np.uint8
    np.testing.assert_array_equal(lazy.compute(), pyconv.gaussian_filter(x, 1.5)[::2, ::3])


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

finite = st.floats(-100, 100, allow_nan=False, allow_subnormal=False)
INDEX_MODES = ["reflect", "nearest", "mirror", "wrap"]  # no constant: not linear in x


@st.composite
def linear_problems(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 8), min_size=ndim, max_size=ndim)))
    x = draw(arrays(np.float64, shape, elements=finite))
    y = draw(arrays(np.float64, shape, elements=finite))
    modes = draw(st.lists(st.sampled_from(INDEX_MODES), min_size=ndim, max_size=ndim))
    choice = draw(st.sampled_from(["gaussian", "uniform", "sobel", "laplace"]))
    if choice == "gaussian":
        sigma = draw(st.lists(st.floats(0.0, 3.0), min_size=ndim, max_size=ndim))
        order = draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim))
        call = lambda v, **k: pyconv.gaussian_filter(v, sigma, order, mode=modes, **k)  # noqa: E731
    elif choice == "uniform":
        size = draw(st.lists(st.integers(1, 9), min_size=ndim, max_size=ndim))
        call = lambda v, **k: pyconv.uniform_filter(v, size, mode=modes, **k)  # noqa: E731
    elif choice == "sobel":
        axis = draw(st.integers(-ndim, ndim - 1))
        call = lambda v, **k: pyconv.sobel(v, axis, mode=modes, **k)  # noqa: E731
    else:
        call = lambda v, **k: pyconv.laplace(v, mode=modes)  # noqa: E731
    return x, y, call, choice


@given(linear_problems(), finite, finite)
def test_linearity(problem, a, b):
    x, y, call, _ = problem
    combined = call(a * x + b * y)
    separate = a * call(x) + b * call(y)
    scale = max(1.0, float(np.abs(x).max()), float(np.abs(y).max()),
                float(np.abs(combined).max()))  # derivatives of small sigma: large weights
    np.testing.assert_allclose(combined, separate, rtol=0,
                               atol=1e-12 * 64 * (abs(a) + abs(b) + 1) * scale)


@given(linear_problems(), st.data())
def test_translation_equivariance_under_wrap(problem, data):
    x, _, _, choice = problem
    shift = tuple(data.draw(st.integers(-10, 10)) for _ in range(x.ndim))
    axes = tuple(range(x.ndim))
    sigma = data.draw(st.floats(0.3, 3.0))
    function = {"gaussian": lambda v: pyconv.gaussian_filter(v, sigma, 1, mode="wrap"),
                "uniform": lambda v: pyconv.uniform_filter(v, 4, mode="wrap"),
                "sobel": lambda v: pyconv.sobel(v, 0, mode="wrap"),
                "laplace": lambda v: pyconv.laplace(v, mode="grid-wrap")}[choice]
    rolled_then_filtered = function(np.roll(x, shift, axis=axes))
    filtered_then_rolled = np.roll(function(x), shift, axis=axes)
    np.testing.assert_allclose(rolled_then_filtered, filtered_then_rolled, rtol=0,
                               atol=1e-12 * max(1.0, float(np.abs(x).max())) * 64)


@given(linear_problems(), st.data())
def test_stride_equals_subsampling(problem, data):
    x, _, call, choice = problem
    if choice == "laplace":
        return  # laplace takes no stride
    strides = tuple(data.draw(st.integers(1, 10)) for _ in range(x.ndim))
    np.testing.assert_allclose(call(x, stride=strides),
                               call(x)[tuple(slice(None, None, s) for s in strides)],
                               rtol=0, atol=1e-13 * max(1.0, float(np.abs(x).max())))


@given(st.lists(st.integers(1, 9), min_size=1, max_size=3), finite,
       st.sampled_from(["reflect", "nearest", "mirror", "wrap", "constant"]),
       st.floats(0.0, 4.0), st.integers(1, 12))
def test_constant_arrays_stay_constant(shape, value, mode, sigma, size):
    """Order 0 weights sum to 1; with mode='constant' the constant is cval."""
    x = np.full(shape, value)
    gaussian = pyconv.gaussian_filter(x, sigma, mode=mode, cval=value)
    uniform = pyconv.uniform_filter(x, size, mode=mode, cval=value)
    np.testing.assert_allclose(gaussian, x, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(uniform, x, rtol=1e-13, atol=1e-300)


@given(st.lists(st.integers(1, 12), min_size=1, max_size=3), st.data())
def test_gaussian_preserves_the_sum_under_wrap(shape, data):
    x = data.draw(arrays(np.float64, shape, elements=st.floats(0, 100)))
    sigma = data.draw(st.lists(st.floats(0.0, 5.0), min_size=len(shape), max_size=len(shape)))
    smoothed = pyconv.gaussian_filter(x, sigma, mode="wrap")
    np.testing.assert_allclose(smoothed.sum(), x.sum(), rtol=1e-12, atol=1e-9)


# --------------------------------------------------------------------------
# Errors: raised before anything is written
# --------------------------------------------------------------------------

X = np.arange(48, dtype=np.float64).reshape(6, 8)
NAN, INF = float("nan"), float("inf")
# (function, positional arguments, keywords, exception, word in the message)
ERRORS = [
    *[("gaussian_filter", (sigma,), {}, ValueError, "sigma") for sigma in (-1.0, NAN, INF)],
    ("gaussian_filter", ((1.0, -0.5),), {}, ValueError, "sigma"),
    ("gaussian_filter", ("1",), {}, TypeError, "sigma"),
    ("gaussian_filter", (None,), {}, TypeError, "sigma"),
    ("gaussian_filter", (1.0,), {"truncate": -1.0}, ValueError, "truncate"),
    ("gaussian_filter", (1.0,), {"truncate": NAN}, ValueError, "truncate"),
    ("gaussian_filter", (1.0,), {"radius": -1}, ValueError, "radius"),
    ("gaussian_filter", (1.0,), {"radius": 1.5}, TypeError, "radius"),
    ("gaussian_filter", (1.0,), {"order": -1}, ValueError, "order"),
    ("gaussian_filter", (1.0,), {"order": 1.5}, TypeError, "order"),
    ("gaussian_filter", ((1.0, 2.0, 3.0),), {}, ValueError, "sigma"),
    *[("gaussian_filter", (1.0,), {name: value}, ValueError, name)
      for name, value in [("order", [0]), ("mode", ["reflect"]), ("stride", [1, 2, 3]),
                          ("truncate", [1.0, 2.0, 3.0]), ("radius", [1])]],
    ("gaussian_filter", (1.0,), {"mode": "bogus"}, ValueError, "mode"),
    ("gaussian_filter", (1.0,), {"axes": (0, 0)}, ValueError, "axes"),
    ("gaussian_filter", (1.0,), {"axes": (2,)}, ValueError, "axes"),
    ("gaussian_filter", (1.0,), {"axes": (-3,)}, ValueError, "axes"),
    ("gaussian_filter", (1.0,), {"stride": 0}, ValueError, "stride"),
    ("gaussian_filter", (1.0,), {"method": "bogus"}, ValueError, "method"),
    ("gaussian_filter", (1.0,), {"workers": 0}, ValueError, "workers"),
    ("gaussian_filter1d", (1.0,), {"axis": 2}, ValueError, "ax"),
    ("gaussian_filter1d", (-0.5,), {}, ValueError, "sigma"),
    ("gaussian_filter1d", (1.0,), {"order": -2}, ValueError, "order"),
    *[("uniform_filter", (size,), {}, ValueError, "size") for size in (0, -2, (3, 0))],
    ("uniform_filter", ((3, 3, 3),), {}, ValueError, "size"),
    ("uniform_filter", (2.5,), {}, TypeError, "size"),
    ("uniform_filter", (3,), {"origin": 2}, ValueError, "origin"),
    ("uniform_filter", (4,), {"origin": -3}, ValueError, "origin"),
    ("uniform_filter", ((3, 4),), {"origin": (0, 2)}, ValueError, "origin"),
    ("uniform_filter", (3,), {"origin": [0, 0, 0]}, ValueError, "origin"),
    ("uniform_filter", (3,), {"mode": ("wrap", "bogus")}, ValueError, "mode"),
    ("uniform_filter", (3,), {"stride": [1, 0]}, ValueError, "stride"),
    ("uniform_filter1d", (0,), {}, ValueError, "size"),
    ("uniform_filter1d", (3,), {"origin": 2}, ValueError, "origin"),
    ("sobel", (), {"axis": 2}, ValueError, "ax"),
    ("sobel", (), {"mode": ["reflect"]}, ValueError, "mode"),
    ("prewitt", (), {"stride": [1, 2, 3]}, ValueError, "stride"),
    ("laplace", (), {"axes": (0, 0)}, ValueError, "axes"),
    ("laplace", (), {"mode": ["wrap"]}, ValueError, "mode"),
    ("gaussian_laplace", (1.0,), {"bogus": 1}, TypeError, "bogus"),
    ("gaussian_laplace", (-1.0,), {}, ValueError, "sigma"),
    ("gaussian_laplace", (1.0,), {"radius": 1.5}, TypeError, "radius"),
    ("gaussian_laplace", (1.0,), {"stride": [1, 2, 3]}, ValueError, "stride"),
    ("gaussian_gradient_magnitude", (1.0,), {"order": 1}, TypeError, "order"),
    ("gaussian_gradient_magnitude", (1.0,), {"truncate": -1.0}, ValueError, "truncate"),
    ("gaussian_gradient_magnitude", ((1.0, 2.0, 3.0),), {}, ValueError, "sigma"),
]


@pytest.mark.parametrize("name,args,kwargs,error,word", ERRORS, ids=str)
def test_errors_name_the_parameter_and_leave_output_untouched(name, args, kwargs, error,
                                                              word):
    out = np.full(X.shape, SENTINEL)
    with pytest.raises(error, match=word):
        getattr(pyconv, name)(X, *args, output=out, **kwargs)
    assert np.all(out == SENTINEL)


@pytest.mark.parametrize("name,args", ONE_CALL, ids=[c[0] for c in ONE_CALL])
def test_output_of_the_wrong_shape_or_read_only(name, args):
    wrong = np.full((6, 7), SENTINEL)
    with pytest.raises(ValueError, match="output"):
        getattr(pyconv, name)(X, *args, output=wrong)
    assert np.all(wrong == SENTINEL)
    read_only = np.full(X.shape, SENTINEL)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="output"):
        getattr(pyconv, name)(X, *args, output=read_only)
    assert np.all(read_only == SENTINEL)
    if name != "laplace":  # the strided result's shape
        with pytest.raises(ValueError, match="output"):
            getattr(pyconv, name)(X, *args, output=np.full(X.shape, SENTINEL), stride=2)


def test_sigma_zero_and_size_one_copy_like_scipy(rng):
    """An axis whose sigma is <= 1e-15 is skipped; size 1 is a copy."""
    x = rng.standard_normal((5, 6))
    for sigma in (0.0, 1e-15, (0.0, 0.0)):
        np.testing.assert_array_equal(pyconv.gaussian_filter(x, sigma, order=2), x)
    np.testing.assert_array_equal(pyconv.uniform_filter(x, 1), x)
    np.testing.assert_array_equal(pyconv.uniform_filter1d(x, 1, axis=0), x)
    assert_near(*both("gaussian_filter", x, 2e-15), x)  # just above: filtered, as scipy
    y = pyconv.gaussian_filter(x, 0.0, output=np.int16)
    np.testing.assert_array_equal(y, to_dtype(x, np.int16))


# --------------------------------------------------------------------------
# Accuracy on long lines, methods, threads
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["reflect", "wrap", "constant", "nearest"])
def test_uniform_filter1d_on_a_long_line(mode):
    """2e6 samples near 1e6: a running sum that drifted would show here.
    The reference sums the small parts (x - 1e6 is exact) with cumsum."""
    n, size = 2_000_000, 101
    rng = np.random.default_rng(7)
    small = rng.random(n)
    x = 1e6 + small
    actual = pyconv.uniform_filter1d(x, size, mode=mode, cval=1e6)
    np.testing.assert_allclose(actual, ndi.uniform_filter1d(x, size, mode=mode, cval=1e6),
                               rtol=1e-12, atol=0)
    pad = {"reflect": "symmetric", "wrap": "wrap", "constant": "constant",
           "nearest": "edge"}[mode]
    padded = np.pad(x - 1e6, size // 2, mode=pad)  # cval 1e6: 0 after the shift
    sums = np.cumsum(np.concatenate([[0.0], padded]))
    reference = 1e6 + (sums[size:] - sums[:-size]) / size
    np.testing.assert_allclose(actual, reference, rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", ["gaussian_filter", "gaussian_laplace",
                                  "gaussian_gradient_magnitude"])
def test_fft_and_direct_agree(rng, name):
    x = rng.standard_normal((40, 36))
    for sigma in (1.0, (6.0, 3.0)):
        direct = getattr(pyconv, name)(x, sigma, method="direct", mode="wrap")
        fft = getattr(pyconv, name)(x, sigma, method="fft", mode="wrap")
        assert_near(fft, direct, x, rtol=1e-13)
        assert_near(direct, getattr(ndi, name)(x, sigma, mode="wrap"), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_workers_do_not_change_the_result(rng, dtype):
    x = (rng.random((64, 80)) * 200).astype(dtype)
    for name, args in ONE_CALL:
        one = getattr(pyconv, name)(x, *args, workers=1)
        two = getattr(pyconv, name)(x, *args, workers=2)
        np.testing.assert_array_equal(one, two)
    for method in ("direct", "fft"):
        np.testing.assert_array_equal(
            pyconv.gaussian_filter(x, 3.0, method=method, workers=1),
            pyconv.gaussian_filter(x, 3.0, method=method, workers=2))


@pytest.mark.parametrize("shape, axis_last", [((40, 3000), True), ((3000, 40), False)])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_a_missing_value_reaches_only_the_windows_that_hold_it(shape, axis_last, value):
    # Running sums keep a NaN or inf after it has left the window (scipy's
    # uniform_filter: to the line's end); pyconv's reaches exactly the
    # outputs whose box holds it, as correlate's does.
    x = np.random.default_rng(5).random(shape)
    x[(7, 1500) if axis_last else (1500, 7)] = value
    size = 9
    result = pyconv.uniform_filter(x, size, mode="nearest")
    windows = ndi.uniform_filter((~np.isfinite(x)).astype(float), size, mode="nearest") > 0
    np.testing.assert_array_equal(~np.isfinite(result), windows)
    expected = ndi.correlate(np.where(np.isfinite(x), x, 0.0), np.full((size, size), size ** -2.0),
                             mode="nearest")
    np.testing.assert_allclose(result[~windows], expected[~windows], rtol=1e-12, atol=1e-14)
    assert np.isfinite(pyconv.uniform_filter1d(x, size, axis=0 if axis_last else 1)).sum() \
        > 0.9 * x.size


def test_a_nan_cval_reaches_only_the_windows_past_the_edge():
    x = np.random.default_rng(6).random((50, 5000))
    result = pyconv.uniform_filter1d(x, 5, mode="constant", cval=np.nan)
    assert np.isnan(result[:, :2]).all() and np.isnan(result[:, -2:]).all()
    assert np.isfinite(result[:, 2:-2]).all()
