"""The running-sum box mean (pyconv._box.box_mean) against plain NumPy and
scipy.ndimage.uniform_filter1d: every mode, window sizes past the line's
length, origins, output strides, layouts, thread counts and the argument
checks."""

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st
from pyconv._boundary import Mode, extend_indices
from pyconv._box import RESTART, box_mean

MODES = ["reflect", "constant", "nearest", "mirror", "wrap"]
# scipy.ndimage's mode names -> np.pad's.
PAD_MODES = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge",
             "wrap": "wrap", "constant": "constant"}
CODE = {name: int(Mode[name.upper()]) for name in MODES}


def output_length(n, stride):
    return (n - 1) // stride + 1


def reference(x, size, before, mode, cval=0.0, stride=1):
    """The box mean along axis 1 of a 3-D array, from np.pad and window sums
    in float64 (pairwise sums of each window: no running sum)."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[1]
    m = output_length(n, stride)
    right = max(0, (m - 1) * stride - before + size - n)
    extra = {"constant_values": cval} if mode == "constant" else {}
    ext = np.pad(x, ((0, 0), (before, right), (0, 0)), mode=PAD_MODES[mode], **extra)
    windows = np.lib.stride_tricks.sliding_window_view(ext, size, axis=1)
    return windows[:, : (m - 1) * stride + 1 : stride].sum(axis=-1) / size


def run(x, size, before, mode, cval=0.0, stride=1, n_threads=1, out=None):
    if out is None:
        out = np.full((x.shape[0], output_length(x.shape[1], stride), x.shape[2]),
                      np.nan, dtype=x.dtype)
    box_mean(x, out, size, before, CODE[mode], cval, stride, n_threads)
    return out


def assert_matches(actual, x, size, before, mode, cval=0.0, stride=1):
    """Within a few units of rounding of the output dtype, at the data's scale
    (a float32 output is the float32 rounding of a double mean)."""
    expected = reference(x, size, before, mode, cval, stride)
    scale = max(np.abs(x).max(initial=0.0), abs(cval) if mode == "constant" else 0.0, 1.0)
    eps = np.finfo(x.dtype).eps
    atol = (2 * eps if x.dtype == np.float32 else 64 * eps) * scale
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=atol)


def test_np_pad_extends_as_the_boundary_rule_does():
    """The reference's premise: np.pad, repeated past the line, reads what
    extend_index does, for pads many times the line's length."""
    for n in (1, 2, 3, 5):
        line = np.arange(n, dtype=np.float64)
        for mode in ["reflect", "nearest", "mirror", "wrap"]:
            padded = np.pad(line, (4 * n + 3, 5 * n + 2), mode=PAD_MODES[mode])
            positions = np.arange(-(4 * n + 3), n + 5 * n + 2)
            np.testing.assert_array_equal(
                padded, line[extend_indices(positions, n, CODE[mode])], err_msg=mode)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 2, 1), (3, 7, 1), (1, 23, 1),
                                   (4, 19, 3), (2, 11, 9), (1, 13, 130)])
def test_every_size_origin_and_stride(rng, dtype, mode, shape):
    x = rng.standard_normal(shape).astype(dtype)
    n = shape[1]
    for size in sorted({1, 2, 3, 4, 5, n, n + 1, 2 * n + 1, 4 * n + 3}):
        for before in sorted({0, 1 % size, size // 2, size - 1}):
            for stride in (1, 2, 3, 4):
                out = run(x, size, before, mode, cval=1.5, stride=stride)
                assert_matches(out, x, size, before, mode, 1.5, stride)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_matches_scipy_uniform_filter1d(rng, mode, axis):
    x = rng.standard_normal((9, 30, 11))
    for size in (1, 2, 5, 8, 31, 100):
        for origin in sorted({-(size // 2), 0, (size - 1) // 2}):
            expected = ndi.uniform_filter1d(x, size, axis=axis, mode=mode, cval=-0.5,
                                            origin=origin)
            out = np.moveaxis(run(np.moveaxis(x, axis, 1), size, size // 2 + origin,
                                  mode, -0.5), 1, axis)
            np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-14)
            for stride in (2, 3):
                strided = run(np.moveaxis(x, axis, 1), size, size // 2 + origin, mode,
                              -0.5, stride)
                np.testing.assert_allclose(
                    np.moveaxis(strided, 1, axis),
                    np.moveaxis(np.moveaxis(expected, axis, 1)[:, ::stride], 1, axis),
                    rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 3 * RESTART + 17, 1), (3, 2 * RESTART + 5, 2),
                                   (1, RESTART + 9, 70)])
def test_lines_longer_than_a_restart(rng, dtype, shape):
    """Segments between restarts, a window longer than the restart run, and
    outputs taken across segment boundaries with every phase of the stride."""
    x = rng.standard_normal(shape).astype(dtype)
    for size, before, stride in [(3, 1, 1), (15, 14, 3), (RESTART + 101, 500, 7)]:
        for mode in ("reflect", "constant", "wrap"):
            out = run(x, size, before, mode, cval=0.25, stride=stride, n_threads=2)
            assert_matches(out, x, size, before, mode, 0.25, stride)


@pytest.mark.parametrize("inner", [1, 3, 8, 64, 200, 1100])
def test_inner_lengths_around_the_kernels_and_block_widths(rng, inner):
    x = rng.standard_normal((3, 40, inner))
    for mode in MODES:
        out = run(x, 7, 2, mode, cval=2.0, stride=2)
        assert_matches(out, x, 7, 2, mode, 2.0, 2)


def layouts(rng, dtype):
    """(src, dst) pairs with strides of every kind the caller may pass."""
    complex_dtype = np.result_type(dtype, np.complex64)
    base = rng.standard_normal((4, 30, 24)).astype(dtype)
    yield "contiguous", base, None
    yield "every other inner", base[..., ::2], None
    yield "every other line", base[:, ::2], None
    yield "reversed axis", base[:, ::-1], None
    yield "reversed everywhere", base[::-1, ::-1, ::-1], None
    yield "transposed", np.ascontiguousarray(base.transpose(2, 1, 0)).transpose(2, 1, 0), None
    z = (base + 1j * rng.standard_normal(base.shape)).astype(complex_dtype)
    yield "real part", z.real, None
    yield "imaginary part", z.imag, None
    yield "last axis filtered, inner 1", base.reshape(-1, 24, 1), None
    yield "strided lines, inner 1", base[:, 0, ::2][:, :, None], None
    yield "lines across rows, inner 1", base[:, :, 0].T[:, :, None], None
    yield "broadcast (zero strides)", np.broadcast_to(base[:1, :, :1], (3, 30, 20)), None
    big = np.full((4, 60, 48), np.nan, dtype=dtype)
    yield "dst a strided view", base, big[:, ::2, 1::2]
    big_z = np.full((4, 30, 24), np.nan, dtype=complex_dtype)
    yield "dst imaginary parts", base, big_z.imag
    yield "dst reversed", base, np.full((4, 30, 24), np.nan, dtype=dtype)[::-1, ::-1, ::-1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layouts(rng, dtype):
    for _name, src, dst in layouts(rng, dtype):
        for mode, size, before, stride in [("mirror", 5, 2, 1), ("constant", 9, 8, 2),
                                           ("wrap", 40, 3, 1)]:
            out = None
            if dst is not None:
                out = dst if stride == 1 else dst[:, : output_length(src.shape[1], stride)]
            out = run(src, size, before, mode, cval=3.0, stride=stride, out=out)
            assert_matches(np.array(out), src, size, before, mode, 3.0, stride)


def test_writes_the_outputs_and_nothing_else(rng):
    x = rng.standard_normal((2, 17, 10))
    big = np.full((2, 2 * 9, 21), np.nan)
    out = big[:, ::2, 1::2]
    run(x, 4, 1, "nearest", stride=2, out=out)
    assert np.isfinite(out).all()
    untouched = np.ones(big.shape, bool)
    untouched[:, ::2, 1::2] = False
    assert np.isnan(big[untouched]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 9000, 1), (7, 3000, 1), (2, 3000, 3), (1, 5000, 300),
                                   (64, 100, 130)])
def test_thread_counts_give_identical_bits(rng, dtype, shape):
    x = (1e3 + rng.standard_normal(shape)).astype(dtype)
    for mode, size in [("reflect", 15), ("constant", 301), ("wrap", 2 * RESTART + 1)]:
        one = run(x, size, size // 2, mode, cval=1.0, n_threads=1)
        two = run(x, size, size // 2, mode, cval=1.0, n_threads=2)
        np.testing.assert_array_equal(one.view(np.uint8), two.view(np.uint8))
        assert_matches(two, x, size, size // 2, mode, 1.0)


@pytest.mark.parametrize("mode", MODES)
def test_long_line_with_large_offset_float64(rng, mode):
    """2e6 samples near 1e6: the running sum, restarted every RESTART
    positions, stays within 1e-12 relative of scipy and of exact window sums."""
    n, size = 2_000_000, 15
    noise = rng.random(n)
    x = (1e6 + noise)[None, :, None]
    out = run(x, size, size // 2, mode, cval=1e6, n_threads=2)[0, :, 0]
    expected = ndi.uniform_filter1d(x[0, :, 0], size, mode=mode, cval=1e6)
    assert np.max(np.abs(out - expected) / np.abs(expected)) < 1e-12
    # Exact up to a final rounding: the offset apart, the window means of the
    # noise (a pairwise sum per window).
    exact = reference(noise[None, :, None], size, size // 2, mode, cval=0.0)[0, :, 0]
    assert np.max(np.abs(out - 1e6 - exact)) < 1e6 * 1e-13


@pytest.mark.parametrize("n_threads", [1, 2])
def test_a_huge_sample_leaves_no_residue_past_the_next_restart(rng, n_threads):
    """Without restarts, 1e12 passing through a window of U(0, 1) samples
    leaves ~1e-4 / size of rounding in every later sum."""
    x = rng.random(3 * RESTART)
    x[100] = 1e12
    for inner in (1, 20):  # the line kernel, the block kernel
        src = np.repeat(x[:, None], inner, axis=1)[None]
        out = run(src, 15, 7, "reflect", n_threads=n_threads)
        expected = reference(src, 15, 7, "reflect")
        np.testing.assert_allclose(out[:, RESTART:], expected[:, RESTART:], rtol=0, atol=1e-14)


@pytest.mark.parametrize("mode", MODES)
def test_long_line_float32_is_the_rounded_double_mean(rng, mode):
    n, size = 2_000_000, 31
    x = (1e3 + rng.standard_normal(n)).astype(np.float32)
    out = run(x[None, :, None], size, 10, mode, cval=1e3, n_threads=2)[0, :, 0]
    expected = ndi.uniform_filter1d(x.astype(np.float64), size, mode=mode, cval=1e3,
                                    origin=10 - size // 2)
    # At most one float32 rounding away from the double mean (half an ulp,
    # plus the double's own error).
    ulp = np.spacing(np.abs(expected).astype(np.float32)).astype(np.float64)
    assert np.all(np.abs(out - expected) <= 0.5 * ulp * (1 + 1e-6))


@given(data=st.data(), outer=st.integers(1, 3), n=st.integers(1, 40),
       inner=st.integers(1, 12), mode=st.sampled_from(MODES),
       dtype=st.sampled_from([np.float32, np.float64]), stride=st.integers(1, 5),
       cval=st.floats(-4, 4), seed=st.integers(0, 2**32 - 1))
def test_property_equals_the_reference(data, outer, n, inner, mode, dtype, stride, cval,
                                       seed):
    size = data.draw(st.integers(1, 5 * n + 3), label="size")
    before = data.draw(st.integers(0, size - 1), label="before")
    x = np.random.default_rng(seed).standard_normal((outer, n, inner)).astype(dtype)
    out = run(x, size, before, mode, cval, stride, n_threads=data.draw(st.sampled_from([1, 2])))
    assert_matches(out, x, size, before, mode, cval, stride)


def test_argument_checks():
    x = np.zeros((2, 5, 3))
    out = np.zeros((2, 5, 3))
    ok = dict(size=3, before=1, mode=0, cval=0.0, stride=1, n_threads=1)

    def call(src=x, dst=out, **changes):
        args = {**ok, **changes}
        box_mean(src, dst, args["size"], args["before"], args["mode"], args["cval"],
                 args["stride"], args["n_threads"])

    call()  # the baseline is accepted
    with pytest.raises(ValueError, match="3-D"):
        call(src=x[0], dst=out[0])
    with pytest.raises(TypeError):
        call(dst=out.astype(np.float32))
    with pytest.raises(TypeError):
        call(src=x.astype(np.int64), dst=out.astype(np.int64))
    with pytest.raises(TypeError):
        call(src=x.astype(">f8"), dst=out.astype(">f8"))
    with pytest.raises(TypeError):
        call(src=x.tolist())
    with pytest.raises(ValueError, match="shape"):
        call(dst=np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="shape"):
        call(dst=np.zeros((2, 5, 3)), stride=2)  # needs 3 outputs
    with pytest.raises(ValueError, match="empty"):
        call(src=np.zeros((2, 0, 3)), dst=np.zeros((2, 0, 3)))
    for name in ("size", "stride", "n_threads"):
        with pytest.raises(ValueError, match=">= 1"):
            call(**{name: 0})
    for before in (-1, 3):
        with pytest.raises(ValueError, match="before"):
            call(before=before)
    with pytest.raises(ValueError, match="size"):
        call(size=2**62, before=0)
    for mode in (-1, 5):
        with pytest.raises(ValueError, match="mode"):
            call(mode=mode)
    read_only = np.zeros((2, 5, 3))
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        call(dst=read_only)
    with pytest.raises(ValueError, match="zero strides"):
        call(dst=np.lib.stride_tricks.as_strided(out, strides=(0, 24, 8)))
    raw = np.zeros(2 * 5 * 3 * 8 + 1, np.uint8)[1:].view(np.float64).reshape(2, 5, 3)
    with pytest.raises(ValueError, match="aligned"):
        call(src=raw)
