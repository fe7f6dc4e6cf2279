"""The FFT method and method='auto': equal to direct and to the reference
over every mode, padding, stride, dilation, origin, dtype and dimension;
tiles and boxes; NaN never smeared by auto; choose_method is what ran.
Every test runs with each FFT backend (the fft_backend fixture)."""

import collections
import itertools
import tracemalloc

import numpy as np
import pytest
import scipy.fft
import scipy.signal
from common import ALL_DTYPES, MODES, assert_close, random_array, results_of
from reference import correlate as reference
from reference import to_dtype

import pyconv
from pyconv import _fft, _fft_backends, _plan
from pyconv._normalize import normalize

pytestmark = pytest.mark.usefixtures("fft_backend")

PADDINGS = ["same", "valid", "full", 3, (0, 4)]


def both(function, x, w, **kwargs):
    return (getattr(pyconv, function)(x, w, method="fft", **kwargs),
            getattr(pyconv, function)(x, w, method="direct", **kwargs))


@pytest.mark.parametrize("padding", PADDINGS, ids=str)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_fft_equals_direct_and_reference(rng, ndim, mode, padding):
    x = rng.standard_normal([31, 17, 9][:ndim])
    w = rng.standard_normal([5, 4, 3][:ndim])
    nd_padding = [padding] * ndim if isinstance(padding, tuple) else padding
    for stride, dilation in ((1, 1), (2, 1), (1, 2), (3, 2)):
        kwargs = dict(mode=mode, cval=0.5, stride=stride, dilation=dilation,
                      padding=nd_padding)
        fft, direct = both("correlate", x, w, **kwargs)
        expected = reference(x, w, **kwargs)
        assert_close(fft, expected, x, w, cval=0.5)
        assert_close(direct, expected, x, w, cval=0.5)
        assert_close(fft, direct, x, w, cval=0.5)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_fft_origin_and_convolve(rng, ndim, mode):
    x = rng.standard_normal([23, 14, 8][:ndim])
    w = rng.standard_normal([4, 3, 2][:ndim])
    for origins in itertools.product(*[range(-(k // 2), (k - 1) // 2 + 1) for k in w.shape]):
        for function, flip in (("correlate", False), ("convolve", True)):
            fft, direct = both(function, x, w, mode=mode, origin=list(origins))
            expected = reference(x, w, mode=mode, origin=list(origins), convolve=flip)
            assert_close(fft, expected, x, w)
            assert_close(fft, direct, x, w)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda t: np.dtype(t).name)
def test_fft_dtypes(rng, dtype):
    x = random_array(rng, (20, 22), dtype)
    w = rng.integers(-4, 5, size=(5, 5)) / 4.0 if np.dtype(dtype).kind in "iu" \
        else rng.standard_normal((5, 5))
    for kwargs in ({}, {"mode": "constant", "cval": 2.0, "stride": 2}):
        fft, direct = both("correlate", x, w, **kwargs)
        assert fft.dtype == direct.dtype == x.dtype
        expected = to_dtype(reference(x, w, **kwargs), x.dtype)
        assert_close(fft, expected, x, w, cval=kwargs.get("cval", 0.0))
        assert_close(direct, expected, x, w, cval=kwargs.get("cval", 0.0))


@pytest.mark.parametrize("shape,taps", [
    ((64, 64), (9, 9)),  # 2-D: real transforms
    ((3, 500), (1, 9)),  # one filtered axis: on scipy.fft, rows in pairs
])
def test_fft_single_precision_end_to_end(rng, monkeypatch, shape, taps):
    """float32 data are transformed in float32 (complex64), not float64."""
    seen = []
    transforms = _fft_backends.current()
    original = transforms.forward

    def spy(array, *args, **kwargs):
        result = original(array, *args, **kwargs)
        seen.append((array.dtype, result.dtype))
        return result

    monkeypatch.setattr(transforms, "forward", spy)
    x = rng.standard_normal(shape).astype(np.float32)
    out = pyconv.correlate(x, rng.standard_normal(taps), method="fft")
    assert out.dtype == np.float32
    assert seen and all(d in (np.float32, np.complex64) and r == np.complex64
                        for d, r in seen)


def test_fft_complex_and_conjugation(rng):
    x = rng.standard_normal((30, 20)) + 1j * rng.standard_normal((30, 20))
    w = rng.standard_normal((5, 3)) + 1j * rng.standard_normal((5, 3))
    for function in ("correlate", "convolve"):
        fft, direct = both(function, x, w, mode="wrap")
        assert_close(fft, direct, x, w)
    # Real data, complex weights: complex output, conj in correlate only.
    xr = x.real.astype(np.float32)
    fft, direct = both("correlate", xr, w)
    assert fft.dtype == np.complex64
    assert_close(fft, direct, xr, w)
    np.testing.assert_allclose(
        pyconv.correlate(x, w, method="fft", padding="full", mode="constant"),
        scipy.signal.correlate(x, w, mode="full"), atol=1e-11)


@pytest.mark.parametrize("axes", [(0,), (1,), (2,), (0, 2), (2, 1), (1, 2, 0)])
def test_fft_batch_axes(rng, axes):
    x = rng.standard_normal((6, 20, 18))
    w = rng.standard_normal([5, 3, 2][: len(axes)])
    kwargs = dict(axes=axes, mode="reflect", stride=(2, 1, 3)[: len(axes)],
                  dilation=(1, 2, 1)[: len(axes)])
    fft, direct = both("correlate", x, w, **kwargs)
    assert_close(fft, reference(x, w, **kwargs), x, w)
    assert_close(fft, direct, x, w)


def test_fft_1d_functions(rng):
    x = rng.standard_normal((4, 300))
    w = rng.standard_normal(41)
    for function in ("correlate1d", "convolve1d"):
        for axis in (0, 1):
            fft, direct = both(function, x, w, axis=axis, mode="mirror", stride=3)
            assert_close(fft, direct, x, w)


def test_fft_kernel_longer_than_input(rng):
    for mode in MODES:
        x = rng.standard_normal((3, 5))
        w = rng.standard_normal((11, 17))
        for padding in ("same", "full"):
            fft = pyconv.correlate(x, w, method="fft", mode=mode, padding=padding, cval=1.0)
            assert_close(fft, reference(x, w, mode=mode, padding=padding, cval=1.0), x, w,
                         cval=1.0)


def test_fft_output_array_and_overlap(rng):
    x = rng.standard_normal((40, 41))
    w = rng.standard_normal((7, 7))
    expected = pyconv.correlate(x, w, method="direct")
    out = np.empty((40, 41), np.float32)
    assert pyconv.correlate(x, w, method="fft", output=out) is out
    assert_close(out, expected.astype(np.float32), x, w)
    pyconv.correlate(x, w, method="fft", output=x)  # in place
    assert_close(x, expected, expected, w)


def test_fft_integer_rounding_and_saturation():
    x = np.array([100, 120, 127, -128, 0, 5], dtype=np.int8)
    for method in ("fft", "direct"):
        out = pyconv.correlate1d(x, [1.0, 1.0], mode="nearest", method=method)
        np.testing.assert_array_equal(out, [127, 127, 127, -1, -128, 5])
    x = np.arange(1, 9, dtype=np.int16) * 2 + 1
    out = pyconv.correlate1d(x, [0.5], mode="constant", method="fft")
    np.testing.assert_array_equal(out, np.rint(x * 0.5).astype(np.int16))
    big = np.array([2**62, 2**62, 1], dtype=np.int64)
    out = pyconv.correlate1d(big, [2.0, 2.0], mode="nearest", method="fft")
    assert out[0] == out[1] == 2**63 - 1


# --------------------------------------------------------------------------
# Tiles and boxes (overlap-save): many tiles, many boxes, partial last ones
# --------------------------------------------------------------------------


def small_tiles(monkeypatch, transform):
    """Force tiles of `transform` positions and boxes of a few tiles."""

    def tile_length(span, stride, out_len, cap):
        size = max(transform, span + stride + 1)
        return size, (size - span - 1) // stride + 1

    monkeypatch.setattr(_fft, "_tile_length", tile_length)
    monkeypatch.setattr(_fft, "BOX_ELEMENTS", 3 * transform)


def test_tile_lengths_are_5_smooth_and_prefer_cheap_factors():
    # Every 2**a 3**b 5**c up to the cap, and nothing else.
    smooth = [n for n in range(1, 5000) if scipy.fft.next_fast_len(n, real=True) == n]
    assert _fft.SMOOTH_LENGTHS[_fft.SMOOTH_LENGTHS < 5000].tolist() == smooth
    assert _fft.SMOOTH_LENGTHS[-1] <= _fft.MAX_TILE_ELEMENTS
    # From 1,024 on, factors of 3 and 5 cost more than their log2 (measured):
    # 10**7 samples with 1025 taps go in tiles of 8192, not 10800.
    assert _fft._transform_work(10800) / 10800 > _fft._transform_work(8192) / 8192 + 1
    assert _fft._tile_length(1024, 1, 10**7, _fft.MAX_TILE_ELEMENTS) == (8192, 7168)
    # A short axis goes whole; the cap splits a long one.
    assert _fft._tile_length(10, 1, 500, 4096)[1] == 500
    transform, useful = _fft._tile_length(10, 1, 10**6, 4096)
    assert transform <= 4096 and useful == transform - 10
    # However long the kernel, the shortest tile with two outputs is admitted past the cap.
    shortest = scipy.fft.next_fast_len(5002, real=True)
    assert _fft._tile_length(5000, 1, 10**5, 4096) == (shortest, shortest - 5000)


def unblocked(function, *args, **kwargs):
    """`function` run with a single tile along every filtered axis."""

    def tile_length(span, stride, out_len, cap):
        return scipy.fft.next_fast_len((out_len - 1) * stride + span + 1), out_len

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_fft, "_tile_length", tile_length)
        return function(*args, **kwargs)


@pytest.mark.parametrize("stride", [1, 2, 5])
@pytest.mark.parametrize("mode", MODES)
def test_tiled_equals_unblocked_1d(rng, monkeypatch, mode, stride):
    x = rng.standard_normal(1000)
    w = rng.standard_normal(37)
    kwargs = dict(mode=mode, stride=stride, dilation=2, method="fft", cval=-1.0)
    whole = unblocked(pyconv.correlate1d, x, w, **kwargs)
    problem = normalize(x, w, None, mode, -1.0, 0, axes=(0,), stride=stride, dilation=2,
                        padding="same", workers=None, convolution=False, one_axis=True)
    assert unblocked(_fft.plan, problem).axes[0].tiles == 1
    small_tiles(monkeypatch, 128)
    fft_plan = _fft.plan(problem)
    # On scipy.fft, tiles two to a complex transform, odd boxes included.
    assert fft_plan.paired == _fft_backends.current().pairs
    # Many tiles, several boxes, and a last tile that is only partly used.
    assert fft_plan.axes[0].tiles > 6 and fft_plan.box[0] < fft_plan.axes[0].tiles
    assert fft_plan.axes[0].tiles * fft_plan.axes[0].useful > fft_plan.axes[0].out_len
    tiled = pyconv.correlate1d(x, w, **kwargs)
    assert_close(tiled, whole, x, w, cval=-1.0)
    assert_close(tiled, reference(x, w, mode=mode, stride=stride, dilation=2, cval=-1.0),
                 x, w, cval=-1.0)


@pytest.mark.parametrize("complex_part", ["input", "weights"])
@pytest.mark.parametrize("dilation", [1, 3])
def test_windows_that_do_not_overlap(rng, monkeypatch, complex_part, dilation):
    # stride == dilation * (k - 1) + 1: tiles cut from the scratch are
    # contiguous but read-only views, which the transform must not overwrite.
    x = rng.standard_normal(1000)
    w = rng.standard_normal(2)
    if complex_part == "input":
        x = x + 1j * rng.standard_normal(1000)
    else:
        w = w + 1j * rng.standard_normal(2)
    stride = dilation + 1
    small_tiles(monkeypatch, 64)
    result = pyconv.correlate(x, w, stride=stride, dilation=dilation, method="fft")
    assert_close(result, reference(x, w, stride=stride, dilation=dilation), x, w)
    assert_close(pyconv.correlate(np.ones(1000, complex), [1.0, 1.0], stride=2, method="fft"),
                 np.full(500, 2.0 + 0j), np.ones(1000), [1.0, 1.0])


@pytest.mark.parametrize("tiled", [False, True])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_tiles_wholly_past_an_edge(rng, monkeypatch, ndim, mode, tiled):
    # Padding wider than the input: some tiles (and boxes) read nothing but
    # positions before the start or after the end, on one axis or several.
    x = rng.standard_normal([3, 2, 1][:ndim])
    w = rng.standard_normal([3, 2, 3][:ndim])
    if tiled:
        small_tiles(monkeypatch, 8)
    for stride, padding in ((1, (9, 7)), (3, (4, 0)), (2, (0, 6))):
        kwargs = dict(mode=mode, cval=0.5, stride=stride, padding=[padding] * ndim)
        expected = reference(x, w, **kwargs)
        assert_close(pyconv.correlate(x, w, method="fft", **kwargs), expected, x, w,
                     cval=0.5)


@pytest.mark.parametrize("dtype", [d for d in ALL_DTYPES if np.dtype(d).kind != "c"],
                         ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("tiled", [False, True])
@pytest.mark.parametrize("rows", [1, 2, 5])
def test_paired_units_keep_their_own_results(rng, monkeypatch, dtype, tiled, rows):
    """Real data with one filtered axis go two units to a complex transform
    (rows of the batch axis, or tiles along the filtered axis when there are
    more of those): each unit must get its own result back, in every dtype,
    for odd and even counts and a partial last box."""
    x = random_array(rng, (rows, 700), dtype)
    w = rng.integers(-4, 5, size=33) / 4.0 if np.dtype(dtype).kind in "iu" \
        else rng.standard_normal(33)
    if tiled:
        small_tiles(monkeypatch, 128)  # 6 tiles a row, boxes of 3 tiles
    problem = normalize(x, w, None, "mirror", 0.0, 0, axes=(1,), stride=1, dilation=1,
                        padding="same", workers=None, convolution=False, one_axis=True)
    fft_plan = _fft.plan(problem)
    pairs = _fft_backends.current().pairs
    assert fft_plan.paired == (pairs and fft_plan.box[0] * fft_plan.box[1] > 1)
    assert fft_plan.paired or (rows == 1 and not tiled) or not pairs
    fft, direct = both("correlate1d", x, w, mode="mirror", axis=1)
    expected = to_dtype(reference(x, w[None], mode="mirror"), x.dtype)
    assert fft.dtype == x.dtype
    assert_close(fft, expected, x, w)
    assert_close(fft, direct, x, w)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
def test_boxes_read_in_place_leave_the_input_alone(rng, monkeypatch, dtype):
    # Interior boxes hand pocketfft strided views of the input itself (and a
    # single-tile box a contiguous one): the transform must never overwrite them.
    x = (rng.standard_normal((4, 700)) + (1j * rng.standard_normal((4, 700))
                                          if dtype == np.complex128 else 0)).astype(dtype)
    w = rng.standard_normal(9)
    before = x.copy()
    whole = unblocked(pyconv.correlate1d, x, w, mode="mirror", method="fft")
    small_tiles(monkeypatch, 64)
    problem = normalize(x, w, None, "mirror", 0.0, 0, axes=(-1,), stride=1, dilation=1,
                        padding="same", workers=None, convolution=False, one_axis=True)
    fft_plan = _fft.plan(problem)
    positions = _fft._Positions(x.ndim, {fa.axis: fa for fa in fft_plan.axes})
    _, owned = _fft._gather(x, problem, fft_plan, positions, [0, 2], [1, 4])
    assert not owned
    tiled = pyconv.correlate1d(x, w, mode="mirror", method="fft")
    np.testing.assert_array_equal(x, before)
    assert_close(tiled, whole, x, w)
    assert_close(tiled, reference(x, w[None], mode="mirror"), x, w)


@pytest.mark.parametrize("padding", ["same", "valid", "full"])
def test_tiled_equals_unblocked_3d_with_batch(rng, monkeypatch, padding):
    x = rng.standard_normal((3, 50, 45, 40))
    w = rng.standard_normal((5, 4, 6))
    kwargs = dict(axes=(3, 1, 2), mode=["wrap", "reflect", "constant"], padding=padding,
                  stride=(1, 2, 3), method="fft", cval=0.25)
    whole = unblocked(pyconv.correlate, x, w, **kwargs)
    small_tiles(monkeypatch, 24)
    tiled = pyconv.correlate(x, w, **kwargs)
    assert_close(tiled, whole, x, w, cval=0.25)
    expected = reference(x, w, **{k: v for k, v in kwargs.items() if k != "method"})
    assert_close(tiled, expected, x, w, cval=0.25)


def test_long_signal_memory_is_bounded_by_the_box(rng):
    """Overlap-save keeps the scratch at a few boxes, whatever the length."""

    def planned(n):
        problem = normalize(np.zeros(n), np.ones(1025), None, "constant", 0.0, 0, axes=(0,),
                            stride=1, dilation=1, padding="same", workers=2,
                            convolution=False, one_axis=True)
        fft_plan = _fft.plan(problem)
        return fft_plan, _plan.fft_memory(problem, fft_plan)

    short_plan, short_memory = planned(6_000_000)
    long_plan, long_memory = planned(60_000_000)
    assert short_plan.axes[0].tiles > 100 and long_plan.n_boxes > 10 * short_plan.n_boxes // 2
    assert long_memory == short_memory  # does not grow with the input
    assert short_plan.box_elements <= _fft.BOX_ELEMENTS
    x = rng.standard_normal(6_000_000)
    pyconv.correlate1d(x[:100_000], np.ones(1025), method="fft", workers=2)  # warm up
    tracemalloc.start()
    try:
        out = pyconv.correlate1d(x, np.ones(1025), method="fft", mode="constant", workers=2)
        peak = tracemalloc.get_traced_memory()[1] - out.nbytes
    finally:
        tracemalloc.stop()
    assert peak <= short_memory, (peak, short_memory)


# --------------------------------------------------------------------------
# auto
# --------------------------------------------------------------------------


def which_method_ran(monkeypatch):
    ran = []
    for name, module in (("fft", _fft), ("direct", _plan._direct)):
        original = module.correlate

        def spy(*args, _original=original, _name=name, **kwargs):
            ran.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, "correlate", spy)
    return ran


@pytest.mark.parametrize("shape,taps", [((256, 256), (3, 3)), ((256, 256), (41, 41)),
                                        ((200_000,), (9,)), ((200_000,), (801,)),
                                        ((40, 40, 40), (3, 3, 3)), ((40, 40, 40), (15, 15, 15))])
def test_choose_method_is_what_auto_runs(rng, monkeypatch, shape, taps):
    ran = which_method_ran(monkeypatch)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(taps)
    chosen = pyconv.choose_method(x, w)
    pyconv.correlate(x, w)
    pyconv.convolve(x, w)
    assert ran == [chosen, chosen]


def test_auto_picks_fft_for_large_kernels_and_direct_for_small(rng):
    x = rng.standard_normal((512, 512))
    assert pyconv.choose_method(x, rng.standard_normal((3, 3))) == "direct"
    assert pyconv.choose_method(x, rng.standard_normal((63, 63))) == "fft"
    assert pyconv.choose_method(np.zeros(1_000_000), np.ones(1025)) == "fft"
    # A separable kernel costs the direct method the sum of its sides.
    assert pyconv.choose_method(x, np.ones((63, 63))) == "direct"


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_auto_plans_an_fft_only_when_it_could_win(rng, monkeypatch, workers):
    """auto skips planning the FFT when the direct method is predicted to take
    less than FFT_PER_BOX: sound because no FFT is predicted to take less."""
    for shape, taps in [((8, 8), (3, 3)), ((3000,), (1025,)), ((512, 512), (63, 63)),
                        ((64, 64, 64), (9, 9, 9)), ((10_000_000,), (1025,)),
                        ((2048, 2048), (15, 15)), ((40, 3000), (1, 301))]:
        problem = normalize(np.zeros(shape), np.ones(taps), None, "constant", 0.0, 0,
                            axes=None, stride=1, dilation=1, padding="same",
                            workers=workers, convolution=False)
        fft_plan = _fft.plan(problem)
        assert _plan.fft_cost(problem, fft_plan) >= _plan.FFT_PER_BOX[
            fft_plan.transforms.name]
    planned = []
    original = _fft.plan
    monkeypatch.setattr(_fft, "plan", lambda *args: planned.append(1) or original(*args))
    assert pyconv.choose_method(np.ones((8, 8)), np.ones((3, 3)), workers=workers) == "direct"
    assert planned == []
    assert pyconv.choose_method(np.ones((512, 512)), rng.standard_normal((63, 63)),
                                workers=workers) == "fft"
    assert planned == [1]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_auto_never_smears_nan_or_inf(rng, monkeypatch, bad):
    x = rng.standard_normal((256, 256))
    w = rng.standard_normal((41, 41))
    w[20, 20] = 0.0
    assert pyconv.choose_method(x, w) == "fft"
    x[100, 37] = bad
    assert pyconv.choose_method(x, w) == "direct"
    ran = which_method_ran(monkeypatch)
    out = pyconv.correlate(x, w, mode="constant")
    assert ran == ["fft", "direct"]  # the box with the NaN hands over to the direct method
    np.testing.assert_array_equal(out, pyconv.correlate(x, w, mode="constant", method="direct"))
    expected = reference(x, w, mode="constant")
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    # Exactly the outputs whose window holds it under a non-zero weight.
    window = np.zeros((256, 256), bool)
    window[100 - 20: 100 + 21, 37 - 20: 37 + 21] = True
    window[100, 37] = False  # the centre tap has weight 0
    assert np.array_equal(~np.isfinite(out), window)


@pytest.mark.parametrize("where", [0, 150_000, -1])
def test_auto_hands_over_from_any_box(rng, monkeypatch, where):
    """A NaN in any box, on either thread, makes auto's result the direct one."""
    monkeypatch.setattr(_fft, "BOX_ELEMENTS", 1 << 14)  # many boxes
    x = rng.standard_normal(300_000)
    w = rng.standard_normal(2001)
    assert pyconv.choose_method(x, w, workers=2) == "fft"
    x[where] = np.nan
    out = np.full_like(x, 7.0)
    ran = which_method_ran(monkeypatch)
    pyconv.correlate1d(x, w, output=out, workers=2)
    assert ran == ["fft", "direct"]
    np.testing.assert_array_equal(out, pyconv.correlate1d(x, w, workers=2, method="direct"))
    assert 0 < np.isnan(out).sum() <= 2 * w.size  # the windows that reach it, not whole tiles


def test_auto_hands_over_when_the_sums_overflow(rng, monkeypatch):
    """Finite data whose FFT overflows: auto gives the direct method's sums."""
    x = np.full(200_000, 1e308)
    x[::2] = -1e308
    w = np.ones(801)
    w[::3] = 0.5
    ran = which_method_ran(monkeypatch)
    out = pyconv.correlate1d(x, w, mode="wrap")
    assert ran == ["fft", "direct"]
    expected = pyconv.correlate1d(x, w, mode="wrap", method="direct")
    np.testing.assert_array_equal(out, expected)
    assert not np.isfinite(pyconv.correlate1d(x, w, mode="wrap", method="fft")).all()


def test_auto_direct_for_nonfinite_weights_or_cval(rng):
    x = rng.standard_normal((256, 256))
    w = rng.standard_normal((41, 41))
    assert pyconv.choose_method(x, w, mode="constant", cval=1.0) == "fft"
    assert pyconv.choose_method(x, w, mode="constant", cval=np.nan) == "direct"
    w[0, 0] = np.inf
    assert pyconv.choose_method(x, w) == "direct"


def test_auto_respects_the_memory_limit(rng, monkeypatch):
    x = rng.standard_normal((512, 512))
    w = rng.standard_normal((63, 63))
    assert pyconv.choose_method(x, w) == "fft"
    monkeypatch.setattr(_plan, "FFT_MEMORY_LIMIT", 0)
    monkeypatch.setattr(_fft, "BOX_ELEMENTS", 1 << 30)
    assert pyconv.choose_method(x, w) == "direct"


def test_method_errors():
    x = np.ones((5, 5))
    out = np.full((5, 5), -7.0)
    with pytest.raises(ValueError, match="method"):
        pyconv.correlate(x, np.ones((3, 3)), output=out, method="fast")
    with pytest.raises(TypeError, match="method"):
        pyconv.correlate(x, np.ones((3, 3)), output=out, method=None)
    assert np.all(out == -7.0)


def test_fft_without_filtered_axes_is_direct():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(
        pyconv.correlate(x, np.float64(2.0), axes=(), method="fft"), 2 * x)
    np.testing.assert_array_equal(pyconv.correlate(x, np.ones((1, 1)), method="fft"), x)


@pytest.mark.parametrize("dtype,shape,taps", [(np.float64, (5000,), (65,)),
                                              (np.complex128, (40, 30), (5, 5)),
                                              (np.float32, (3, 700), (1, 33))])
def test_fft_reads_a_misaligned_input(rng, dtype, shape, taps):
    """Boxes inside the input are handed to the transforms as views of it,
    misaligned ones included."""
    raw = np.zeros(int(np.prod(shape)) * np.dtype(dtype).itemsize + 1, np.uint8)
    x = raw[1:].view(dtype).reshape(shape)
    assert not x.flags.aligned
    x[...] = rng.standard_normal(shape)
    w = rng.standard_normal(taps)
    fft, direct = both("correlate", x, w, mode="reflect")
    assert_close(fft, direct, x, w)


# The kernel's spectrum is computed once where the weights and plan stay.


@pytest.fixture
def spectra(monkeypatch):
    """The kernel spectra computed from now on (no slots kept before), with
    an empty cache of repeated calls."""
    from pyconv import _dispatch

    monkeypatch.setattr(_dispatch, "_REPEATS", {})
    monkeypatch.setattr(_fft, "_kept_slots", collections.deque())
    return results_of(monkeypatch, _fft, "_kernel_spectrum")


def test_a_repeated_call_keeps_its_kernels_spectrum(spectra, rng):
    w = rng.standard_normal((9, 7))
    inputs = [rng.standard_normal((40, 50)) for _ in range(4)]
    results = [pyconv.correlate(x, w, mode="wrap", method="fft") for x in inputs]
    assert len(spectra) == 1
    spectra.clear()
    for x, got in zip(inputs, results, strict=True):
        fresh = pyconv.correlate(x, w, mode="wrap", method="fft", output=np.empty_like(x))
        np.testing.assert_array_equal(got, fresh)  # (no repeat: computed anew)
    assert len(spectra) == len(inputs)
    spectra.clear()
    pyconv.correlate(inputs[0], w + 1, mode="wrap", method="fft")  # other weights
    assert len(spectra) == 1


def test_at_most_a_few_spectra_are_kept(spectra, rng, monkeypatch):
    from pyconv import _dispatch

    x = rng.standard_normal(300)
    kernels = [rng.standard_normal(40) for _ in range(_fft.KEPT_SPECTRA + 2)]
    for w in kernels:
        pyconv.correlate1d(x, w, method="fft")
    slots = [repeat.slot for repeat in _dispatch._REPEATS.values()]
    assert len(slots) == len(kernels)
    assert sum(slot.spectrum is not None for slot in slots) == _fft.KEPT_SPECTRA
    assert slots[0].spectrum is None and slots[-1].spectrum is not None
    spectra.clear()
    pyconv.correlate1d(x, kernels[0], method="fft")  # emptied: computed again
    pyconv.correlate1d(x, kernels[-1], method="fft")
    assert len(spectra) == 1
    monkeypatch.setattr(_fft, "KEPT_SPECTRUM_BYTES", 64)  # too large to keep
    w = rng.standard_normal(33)
    for _ in range(2):
        pyconv.correlate1d(x, w, method="fft")
    assert len(spectra) == 3


def test_both_sums_of_omit_share_the_spectrum(spectra, rng):
    x = rng.standard_normal((30, 40))
    x[rng.random(x.shape) < 0.1] = np.nan
    w = rng.standard_normal((5, 5)) + 1
    got = pyconv.correlate(x, w, method="fft", nan_policy="omit", output=np.empty_like(x))
    assert len(spectra) == 1
    np.testing.assert_allclose(got, pyconv.correlate(x, w, method="direct", nan_policy="omit"),
                               rtol=1e-10, atol=1e-10)


def test_a_streams_pushes_share_the_spectrum(spectra, rng):
    w = rng.standard_normal(65)
    x = rng.standard_normal(4000)
    stream = pyconv.correlate_stream(w, mode="constant", method="fft")
    pieces = [stream.push(chunk) for chunk in np.split(x, 10)] + [stream.finish()]
    assert len(spectra) <= 3  # the first push's length, the steady one, the finish
    np.testing.assert_allclose(np.concatenate(pieces),
                               pyconv.correlate1d(x, w, mode="constant", method="direct"),
                               rtol=1e-10, atol=1e-10)
