"""Property tests (hypothesis): linearity, translation equivariance under
wrap, stride equals subsampling, convolve equals correlate of the flipped
kernel, output_shape agrees with the result -- over random geometry."""

import numpy as np
from common import MODES
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import pyconv

finite = st.floats(-100, 100, allow_nan=False, allow_subnormal=False)


@st.composite
def problems(draw, max_ndim=3, modes=MODES, paddings=True):
    """An input, a kernel on some of its axes, and the keyword arguments."""
    ndim = draw(st.integers(1, max_ndim))
    shape = draw(st.lists(st.integers(1, 9), min_size=ndim, max_size=ndim))
    n_axes = draw(st.integers(1, ndim))
    axes = draw(st.permutations(range(ndim)))[:n_axes]
    taps = draw(st.lists(st.integers(1, 5), min_size=n_axes, max_size=n_axes))
    x = draw(arrays(np.float64, shape, elements=finite))
    w = draw(arrays(np.float64, taps, elements=finite))
    kwargs = {
        "axes": tuple(axes),
        "mode": draw(st.lists(st.sampled_from(modes), min_size=n_axes, max_size=n_axes)),
        "dilation": draw(st.lists(st.integers(1, 3), min_size=n_axes, max_size=n_axes)),
    }
    if paddings:
        kwargs["padding"] = draw(st.lists(
            st.one_of(st.sampled_from(["same", "valid", "full"]), st.integers(0, 4),
                      st.tuples(st.integers(0, 4), st.integers(0, 4))),
            min_size=n_axes, max_size=n_axes))
    return x, w, kwargs


def scale(x, w):
    return float(np.abs(w).sum()) * max(1.0, float(np.abs(x).max(initial=0)))


@given(problems(), st.data())
def test_linearity(problem, data):
    x, w, kwargs = problem
    y = data.draw(arrays(np.float64, x.shape, elements=finite))
    a, b = data.draw(finite), data.draw(finite)
    kwargs["mode"] = [m if m != "constant" else "reflect" for m in kwargs["mode"]]
    combined = pyconv.correlate(a * x + b * y, w, **kwargs)
    separate = a * pyconv.correlate(x, w, **kwargs) + b * pyconv.correlate(y, w, **kwargs)
    tolerance = 1e-12 * (abs(a) + abs(b) + 1) * scale(np.abs(x) + np.abs(y), w)
    np.testing.assert_allclose(combined, separate, rtol=0, atol=tolerance)


@given(problems(modes=["wrap"], paddings=False), st.data())
def test_translation_equivariance_under_wrap(problem, data):
    x, w, kwargs = problem
    shift = tuple(data.draw(st.integers(-10, 10)) for _ in range(x.ndim))
    axes = tuple(range(x.ndim))
    shifted_then_filtered = pyconv.correlate(np.roll(x, shift, axis=axes), w, **kwargs)
    filtered_then_shifted = np.roll(pyconv.correlate(x, w, **kwargs), shift, axis=axes)
    np.testing.assert_allclose(shifted_then_filtered, filtered_then_shifted,
                               rtol=0, atol=1e-12 * scale(x, w))


@given(problems(), st.data())
def test_stride_is_subsampling(problem, data):
    x, w, kwargs = problem
    n_axes = len(kwargs["axes"])
    stride = data.draw(st.lists(st.integers(1, 4), min_size=n_axes, max_size=n_axes))
    dense = pyconv.correlate(x, w, method="direct", **kwargs)
    strided = pyconv.correlate(x, w, stride=stride, method="direct", **kwargs)
    window = [slice(None)] * x.ndim
    for axis, s in zip(kwargs["axes"], stride, strict=True):
        window[axis] = slice(None, None, s)
    np.testing.assert_array_equal(strided, dense[tuple(window)])


@given(problems(paddings=False), st.data())
def test_convolve_is_correlate_of_flipped_kernel(problem, data):
    x, w, kwargs = problem
    origin = [data.draw(st.integers(-(k // 2), (k - 1) // 2)) for k in w.shape]
    flipped = w[(slice(None, None, -1),) * w.ndim]
    mirrored = [-o - (1 - k % 2) for o, k in zip(origin, w.shape, strict=True)]
    np.testing.assert_allclose(
        pyconv.convolve(x, w, origin=origin, **kwargs),
        pyconv.correlate(x, flipped, origin=mirrored, **kwargs),
        rtol=0, atol=1e-12 * scale(x, w))
    # Same, without the origin adjustment, for 'valid' and 'full'.
    for padding in ("valid", "full"):
        np.testing.assert_allclose(
            pyconv.convolve(x, w, padding=padding, **kwargs),
            pyconv.correlate(x, flipped, padding=padding, **kwargs),
            rtol=0, atol=1e-12 * scale(x, w))


@given(problems(), st.data())
def test_output_shape_agrees(problem, data):
    x, w, kwargs = problem
    n_axes = len(kwargs["axes"])
    stride = data.draw(st.lists(st.integers(1, 5), min_size=n_axes, max_size=n_axes))
    result = pyconv.correlate(x, w, stride=stride, **kwargs)
    predicted = pyconv.output_shape(x.shape, w.shape, stride=stride, axes=kwargs["axes"],
                                    dilation=kwargs["dilation"], padding=kwargs["padding"])
    assert result.shape == predicted


@given(problems(max_ndim=4))
def test_matches_reference(problem):
    from reference import correlate as reference

    x, w, kwargs = problem
    expected = reference(x, w, **kwargs)
    np.testing.assert_allclose(pyconv.correlate(x, w, **kwargs), expected,
                               rtol=0, atol=1e-12 * scale(x, w))
