"""Fuzzing against the NumPy reference over the whole parameter space.

Every run tries a small number of examples; PYCONV_HYPOTHESIS_PROFILE=long
(see conftest.py) raises it for a long fuzzing session.
"""

import numpy as np
from common import ALL_DTYPES, ALL_MODES, assert_close
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import correlate as reference
from reference import to_dtype

import pyconv

dtypes = st.sampled_from([np.dtype(t) for t in ALL_DTYPES])


@st.composite
def paddings(draw, taps):
    return draw(st.one_of(st.sampled_from(["same", "valid", "full"]), st.integers(0, 6),
                          st.tuples(st.integers(0, 6), st.integers(0, 6))))


@st.composite
def problems(draw):
    ndim = draw(st.integers(1, 4))
    lengths = st.integers(0, 41).map(lambda v: v // 3)  # 0 to 13; 0 in about 7% of axes
    shape = tuple(draw(st.lists(lengths, min_size=ndim, max_size=ndim)))
    n_axes = draw(st.integers(1, ndim))
    axes = tuple(draw(st.permutations(range(ndim)))[:n_axes])
    taps = draw(st.lists(st.integers(1, 9), min_size=n_axes, max_size=n_axes))
    dtype = draw(dtypes)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        x = rng.integers(max(info.min, -50), min(info.max, 50), size=shape, endpoint=True)
        x = x.astype(dtype)
    else:
        x = rng.standard_normal(shape)
        if dtype.kind == "c":
            x = x + 1j * rng.standard_normal(shape)
        x = x.astype(dtype)
    w = rng.standard_normal(taps)
    if draw(st.booleans()) and draw(st.booleans()):
        w = w + 1j * rng.standard_normal(taps)
    w[rng.random(taps) < 0.2] = 0  # zero taps are skipped
    pads = [draw(paddings(k)) for k in taps]
    origins = [draw(st.integers(-(k // 2), (k - 1) // 2)) if p == "same" else 0
               for k, p in zip(taps, pads, strict=True)]
    kwargs = {
        "axes": axes,
        "mode": draw(st.lists(st.sampled_from(ALL_MODES), min_size=n_axes, max_size=n_axes)),
        "cval": draw(st.floats(-3, 3)),
        "origin": origins,
        "stride": draw(st.lists(st.integers(1, 4), min_size=n_axes, max_size=n_axes)),
        "dilation": draw(st.lists(st.integers(1, 4), min_size=n_axes, max_size=n_axes)),
        "padding": pads,
    }
    run = {
        "method": draw(st.sampled_from(["auto", "direct", "fft"])),
        "workers": draw(st.sampled_from([1, 2, -1, None])),
        "convolve": draw(st.booleans()),
    }
    return x, w, kwargs, run


@settings(max_examples=settings.default.max_examples * 4)
@given(problems())
def test_matches_reference_everywhere(problem):
    x, w, kwargs, run = problem
    function = pyconv.convolve if run["convolve"] else pyconv.correlate
    actual = function(x, w, method=run["method"], workers=run["workers"], **kwargs)
    expected = reference(x, w, convolve=run["convolve"], **kwargs)
    out_dtype = x.dtype if w.dtype.kind != "c" else np.promote_types(x.dtype, np.complex64)
    assert actual.shape == expected.shape
    assert actual.shape == pyconv.output_shape(
        x.shape, w.shape, **{k: v for k, v in kwargs.items() if k not in ("mode", "cval")})
    assert_close(actual, to_dtype(expected, out_dtype), x, w, out_dtype, cval=kwargs["cval"])
