"""Streams: the outputs of every push and the finish, concatenated, are the
whole-array call's (bitwise for the direct method) whatever the chunking.

The reference is ``pyconv.correlate``/``convolve`` of the concatenated
input, itself checked against scipy and the NumPy reference elsewhere.
"""

import copy
import tracemalloc

import numpy as np
import pytest
from common import MODES, assert_close, random_array
from hypothesis import given
from hypothesis import strategies as st

import pyconv
from pyconv import _stream


def cuts_of(n, cuts):
    """Chunk bounds from cut positions (any order, repeats: empty chunks)."""
    return [0] + sorted(min(c, n) for c in cuts) + [n]


def stream_through(stream, x, bounds, axis):
    pieces = []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        pieces.append(stream.push(np.take(x, range(start, stop), axis=axis)))
    pieces.append(stream.finish())
    return pieces


def whole_order(expected, stream, axis):
    """The whole result in the order a stream returns it (wrap: first outputs last)."""
    n = expected.shape[axis]
    return np.roll(expected, -min(stream.wrapped, n), axis=axis) if n else expected


def check_stream(x, w, axis=0, chunks=(), convolution=False, exact=True, **keywords):
    whole = pyconv.convolve if convolution else pyconv.correlate
    make = pyconv.convolve_stream if convolution else pyconv.correlate_stream
    expected = whole(x, w, **keywords)
    stream = make(w, axis=axis, **keywords)
    pieces = stream_through(stream, x, cuts_of(x.shape[axis], chunks), axis)
    got = np.concatenate(pieces, axis=axis)
    expected = whole_order(expected, stream, axis)
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    if exact:
        np.testing.assert_array_equal(got, expected)
    else:
        assert_close(got, expected, x, w)
    return pieces


# --------------------------------------------------------------------------
# 1-D: every mode, padding, stride, dilation, origin, chunking
# --------------------------------------------------------------------------

PADDINGS = ["same", "valid", "full", 0, 3, [(2, 0)], [(0, 4)], [(6, 1)]]


@given(n=st.integers(0, 40), k=st.integers(1, 7), stride=st.integers(1, 4),
       dilation=st.integers(1, 3), mode=st.sampled_from(MODES),
       padding=st.sampled_from(PADDINGS), convolution=st.booleans(),
       origin_shift=st.integers(-3, 3),
       cuts=st.lists(st.integers(0, 40), max_size=6), seed=st.integers(0, 2**16))
def test_1d_any_chunking_is_the_whole_call(n, k, stride, dilation, mode, padding,
                                           convolution, origin_shift, cuts, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(n), rng.standard_normal(k)
    origin = 0
    if padding == "same":
        origin = max(-(k // 2), min((k - 1) // 2, origin_shift))
    check_stream(x, w, chunks=cuts, convolution=convolution, mode=mode, cval=0.5,
                 padding=padding, stride=stride, dilation=dilation, origin=origin,
                 method="direct")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("padding", ["same", "valid", "full"])
def test_one_sample_chunks(mode, padding):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(23), rng.standard_normal(6)
    pieces = check_stream(x, w, chunks=range(23), mode=mode, padding=padding, stride=2,
                          method="direct")
    assert len(pieces) == 25


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_streams_shorter_than_the_kernel(mode, n):
    rng = np.random.default_rng(n)
    x, w = rng.standard_normal(n), rng.standard_normal(9)
    for chunks in ([], range(n)):
        check_stream(x, w, chunks=chunks, mode=mode, dilation=2, method="direct")


def test_outputs_come_as_soon_as_they_are_final():
    """delay: output j comes with the push that brings sample j*stride + delay."""
    w = np.ones(5)
    for padding, delay in [("same", 2), ("valid", 4), ("full", 0), ([(1, 3)], 3)]:
        stream = pyconv.correlate_stream(w, padding=padding, mode="constant")
        assert stream.delay == delay
        if padding == "full":  # outputs start span samples before the first one
            continue
        outputs = 0
        for position in range(30):
            outputs += stream.push(np.ones(1)).shape[0]
            # Outputs whose window ends by `position`, the first one included.
            assert outputs == max(0, position - delay + 1), (padding, position)


def test_causal_filter_has_no_delay():
    stream = pyconv.convolve_stream([0.5, 0.5], padding=[(1, 0)], mode="constant")
    assert stream.delay == 0
    assert stream.push(np.array([2.0])).tolist() == [1.0]
    assert stream.push(np.array([4.0, 6.0])).tolist() == [3.0, 5.0]
    assert stream.finish().shape == (0,)


def test_wrap_returns_the_first_outputs_last():
    x, w = np.arange(8.0), np.array([1.0, 10.0, 100.0])
    stream = pyconv.correlate_stream(w, mode="wrap")
    assert stream.wrapped == 1
    whole = pyconv.correlate(x, w, mode="wrap")
    np.testing.assert_array_equal(stream.push(x[:5]), whole[1:4])  # output 4 reads x[5]
    np.testing.assert_array_equal(stream.push(x[5:]), whole[4:7])
    np.testing.assert_array_equal(stream.finish(), [whole[7], whole[0]])


def test_stride_phase_carries_across_chunks():
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal(100), rng.standard_normal(4)
    for stride in (2, 3, 7):
        pieces = check_stream(x, w, chunks=[1, 2, 10, 11, 50], stride=stride,
                              method="direct")
        dense = pyconv.correlate(x, w)
        np.testing.assert_array_equal(np.concatenate(pieces), dense[::stride])


# --------------------------------------------------------------------------
# N-D: video, multichannel time series, the stream along the line axis
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_video_frame_by_frame(mode):
    rng = np.random.default_rng(2)
    video = rng.standard_normal((12, 9, 11)).astype(np.float32)
    kernel = rng.standard_normal((3, 5, 3)).astype(np.float32)
    check_stream(video, kernel, axis=0, chunks=range(12), mode=mode, method="direct")
    check_stream(video, kernel, axis=0, chunks=[3, 4, 9], mode=mode, stride=(2, 1, 3),
                 padding=["same", "valid", "full"], method="direct")


def test_multichannel_time_series():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 200))
    w = rng.standard_normal(15)
    check_stream(x, w, axis=1, axes=(1,), chunks=[17, 17, 60, 199], method="direct")
    check_stream(x, w, axis=-1, axes=(-1,), chunks=[5, 100], stride=3, dilation=2,
                 method="direct")


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("kernel_shape", [(3, 4), (1, 5), (4, 1), (2, 2)])
def test_stream_along_either_axis_of_an_image(axis, kernel_shape):
    rng = np.random.default_rng(4)
    image = rng.standard_normal((17, 19))
    w = rng.standard_normal(kernel_shape)
    for padding in ("same", "full"):
        check_stream(image, w, axis=axis, chunks=[1, 2, 8, 8, 15], padding=padding,
                     mode=["reflect", "constant"], method="direct")


def test_separable_kernel_and_batch_axes():
    """A separable kernel (summed in strips) and a batch axis between."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((30, 3, 24))
    w = np.outer([1.0, 2.0, 1.0], [1.0, 4.0, 6.0, 4.0, 1.0])
    check_stream(x, w, axis=0, axes=(0, 2), chunks=[1, 7, 8, 20], method="direct")
    check_stream(x, w, axis=2, axes=(0, 2), chunks=[1, 7, 8, 20], method="direct")


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int64, np.float16, np.float32,
                                   np.complex64, np.complex128, np.bool_])
def test_dtypes_round_as_the_whole_call(dtype):
    rng = np.random.default_rng(6)
    x = random_array(rng, (40, 6), dtype)
    w = rng.standard_normal((5, 3)) * (3 if np.dtype(dtype).kind in "iub" else 1)
    pieces = check_stream(x, w, axis=0, chunks=[1, 5, 6, 30], method="direct")
    assert all(p.dtype == pyconv.correlate(x, w).dtype for p in pieces)


def test_complex_weights_conjugated():
    rng = np.random.default_rng(8)
    x = rng.standard_normal(50)
    w = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    check_stream(x, w, chunks=[10, 33], method="direct")
    check_stream(x, w, chunks=[10, 33], convolution=True, method="direct")


@pytest.mark.parametrize("workers", [1, 2])
def test_same_bits_for_any_workers(workers):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((64, 40))
    w = rng.standard_normal((5, 5))
    pieces = check_stream(x, w, axis=0, chunks=[16, 32, 48], method="direct",
                          workers=workers)
    reference = check_stream(x, w, axis=0, chunks=[16, 32, 48], method="direct", workers=1)
    np.testing.assert_array_equal(np.concatenate(pieces), np.concatenate(reference))


# --------------------------------------------------------------------------
# The FFT method and auto: overlap-save across pushes, equal to rounding
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("padding", ["same", "valid", "full"])
def test_fft_method(mode, padding):
    rng = np.random.default_rng(10)
    x, w = rng.standard_normal(3000), rng.standard_normal(201)
    check_stream(x, w, chunks=[1, 500, 501, 1700], mode=mode, padding=padding, method="fft",
                 exact=False)


def test_fft_method_on_video():
    rng = np.random.default_rng(11)
    video = rng.standard_normal((20, 16, 16))
    kernel = rng.standard_normal((9, 9, 9))
    check_stream(video, kernel, chunks=range(0, 20, 3), method="fft", exact=False)


def test_auto_method():
    rng = np.random.default_rng(12)
    x, w = rng.standard_normal(20000), rng.standard_normal(513)
    check_stream(x, w, chunks=range(0, 20000, 2048), exact=False)


def test_nan_stays_local_in_a_stream():
    x = np.zeros(200)
    x[50] = np.nan
    w = np.ones(11)
    got = np.concatenate(stream_through(pyconv.correlate_stream(w), x,
                                        cuts_of(200, range(0, 200, 32)), 0))
    assert np.flatnonzero(np.isnan(got)).tolist() == list(range(45, 56))


# --------------------------------------------------------------------------
# Memory, errors, forks
# --------------------------------------------------------------------------


def test_memory_stays_bounded():
    """Two million samples through a stream: memory of a few chunks."""
    chunk_len = 4096
    w = np.ones(31) / 31
    chunk = np.random.default_rng(13).standard_normal(chunk_len)
    stream = pyconv.correlate_stream(w, method="direct")
    for _ in range(10):
        stream.push(chunk)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        for _ in range(500):
            stream.push(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The buffer (BUFFER_SLACK chunks and the span), an output, the arrays
    # of a call: well under ten chunks of float64.
    assert peak < 10 * chunk.nbytes, peak
    assert stream._buffer.nbytes <= 5 * (chunk_len + 31) * 8


def test_chunks_of_ever_new_lengths_keep_memory_bounded():
    # Each new length is a new layout of the buffer's views, bound anew; the
    # stream keeps a few of those calls, not one per length.
    rng = np.random.default_rng(15)
    w = rng.standard_normal(31)
    x = rng.standard_normal(400 * 1001)
    lengths = np.arange(1000, 600, -1)
    stream = pyconv.correlate_stream(w, method="direct")
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    pieces = [stream.push(x[start:stop]) for start, stop in zip(bounds[:20], bounds[1:21],
                                                                 strict=True)]
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for start, stop in zip(bounds[20:-1], bounds[21:], strict=True):
            pieces.append(stream.push(x[start:stop]))
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    pieces.append(stream.push(x[bounds[-1]:]))
    pieces.append(stream.finish())
    assert len(stream._calls) == 0  # (finish lets them go)
    # The outputs returned, and some chunks' worth per kept call (380 lengths
    # kept 5.3 MB besides the outputs; 16 calls kept 0.75 MB).
    returned = sum(piece.nbytes for piece in pieces[20:-2])
    kept = _stream.KEPT_CALLS * 10 * 1000 * 8
    assert after - before < returned + kept, (after - before, returned)
    np.testing.assert_array_equal(np.concatenate(pieces), pyconv.correlate(x, w))


def test_refused_chunks_lose_nothing():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((50, 4))
    w = rng.standard_normal((5, 3))
    stream = pyconv.correlate_stream(w, method="direct")
    pieces = [stream.push(x[:10])]
    with pytest.raises(ValueError, match="dtype"):
        stream.push(x[10:20].astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        stream.push(x[10:20, :3])
    with pytest.raises(ValueError, match="shape"):
        stream.push(x[10:20, :, None])
    with pytest.raises(ValueError, match="shape"):
        stream.push(x[10])
    pieces += [stream.push(x[10:]), stream.finish()]
    np.testing.assert_array_equal(np.concatenate(pieces), pyconv.correlate(x, w))


def test_push_after_finish_raises():
    stream = pyconv.correlate_stream(np.ones(3))
    stream.push(np.ones(4))
    stream.finish()
    with pytest.raises(ValueError, match="finished"):
        stream.push(np.ones(4))
    with pytest.raises(ValueError, match="finished"):
        stream.finish()


def test_finish_before_any_push_raises():
    with pytest.raises(ValueError, match="push at least one chunk"):
        pyconv.correlate_stream(np.ones(3)).finish()


def test_empty_stream_gives_an_empty_result():
    stream = pyconv.correlate_stream(np.ones((3, 3)), axis=0)
    assert stream.push(np.zeros((0, 5))).shape == (0, 5)
    assert stream.finish().shape == (0, 5)


@pytest.mark.parametrize("bad, error, match", [
    (dict(mode="bogus"), ValueError, "mode"),
    (dict(padding="sam"), ValueError, "padding"),
    (dict(stride=0), ValueError, "stride"),
    (dict(origin=5), ValueError, "origin"),
    (dict(method="fast"), ValueError, "method"),
    (dict(axis=2), ValueError, "axis"),
    (dict(axes=(1,), axis=0), ValueError, "axis"),
    (dict(cval="x"), TypeError, "cval"),
])
def test_bad_arguments_raise_when_the_stream_is_made(bad, error, match):
    keywords = dict(axis=0)
    keywords.update(bad)
    weights = np.ones(3) if "axes" in bad else np.ones((3, 3))
    with pytest.raises(error, match=match):
        pyconv.correlate_stream(weights, **keywords)


def test_first_chunk_checked_against_the_arguments():
    stream = pyconv.correlate_stream(np.ones((3, 3)), axis=0)
    with pytest.raises(ValueError, match="axes"):
        stream.push(np.ones(5))  # 1-D data for a 2-D kernel
    x = np.arange(20.0).reshape(4, 5)  # the refused chunk set nothing
    got = np.concatenate([stream.push(x), stream.finish()])
    np.testing.assert_array_equal(got, pyconv.correlate(x, np.ones((3, 3))))


def test_dask_chunks_are_refused():
    da = pytest.importorskip("dask.array")
    with pytest.raises(TypeError, match="dask"):
        pyconv.correlate_stream(np.ones(3)).push(da.ones(5))


def test_chunks_are_never_modified():
    rng = np.random.default_rng(15)
    chunk = rng.standard_normal(100)
    chunk.flags.writeable = False
    copy_before = chunk.copy()
    stream = pyconv.correlate_stream(np.ones(7))
    stream.push(chunk)
    stream.push(chunk[::-1])
    stream.finish()
    np.testing.assert_array_equal(chunk, copy_before)


@pytest.mark.parametrize("mode", MODES)
def test_deepcopy_forks_a_stream(mode):
    rng = np.random.default_rng(16)
    head, tail_a, tail_b = (rng.standard_normal(n) for n in (40, 30, 25))
    w = rng.standard_normal(7)
    stream = pyconv.correlate_stream(w, mode=mode, method="direct")
    common = stream.push(head)
    fork = copy.deepcopy(stream)
    a = np.concatenate([common, stream.push(tail_a), stream.finish()])
    b = np.concatenate([common, fork.push(tail_b), fork.finish()])
    for result, tail in ((a, tail_a), (b, tail_b)):
        expected = pyconv.correlate(np.concatenate([head, tail]), w, mode=mode)
        np.testing.assert_array_equal(result, whole_order(expected, stream, 0))


def test_a_problem_for_other_arrays():
    from pyconv._normalize import normalize

    x, w = np.arange(12.0).reshape(3, 4), np.ones((2, 2))
    problem = normalize(x, w, None, "wrap", 1.5, 0, axes=None, stride=(1, 2), dilation=1,
                        padding="same", workers=1, convolution=True)
    other_x, other_out = x + 1, np.empty_like(problem.output)
    other = problem.with_arrays(other_x, other_out)
    assert other.input is other_x and other.output is other_out
    pairs = zip(other._fields, other, problem, strict=True)
    assert all(mine is theirs for name, mine, theirs in pairs if name not in ("input", "output"))


def test_a_bound_call_checks_the_layout_it_was_bound_to():
    from pyconv import _direct_plan, _normalize
    from pyconv._kernels import direct

    rng = np.random.default_rng(17)
    x = rng.standard_normal((6, 40))
    w = rng.standard_normal((3, 5))
    problem = _normalize.normalize(x, w, None, "reflect", 0.0, 0, axes=None, stride=1,
                                   dilation=1, padding="same", workers=1, convolution=False)
    plan = _direct_plan.plan(problem)
    bound = direct.Bound(plan, x, problem.output)
    for data in (x, rng.standard_normal((6, 40))):
        out = np.empty_like(data)
        bound.run(data, out)
        np.testing.assert_array_equal(out, pyconv.correlate(data, w))
    for wrong_input, wrong_output in (
            (x.T.copy().T, np.empty_like(x)),  # other strides
            (x.astype(np.float32), np.empty_like(x)),  # other dtype
            (x.astype(">f8"), np.empty_like(x)),  # other byte order
            (x[:, :39], np.empty((6, 39))),  # other shape
            (x, np.empty((6, 40), np.float32))):  # other output dtype
        with pytest.raises(ValueError, match="layout"):
            bound.run(wrong_input, wrong_output)
    read_only = np.empty_like(x)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        bound.run(x, read_only)


def test_no_outputs_before_the_first_sample():
    """Outputs that read only cval past the start still wait for a sample:
    an empty stream has no outputs at all."""
    w = np.ones(1)
    stream = pyconv.correlate_stream(w, mode="constant", padding=3, cval=0.5)
    assert stream.push(np.zeros(0)).shape == (0,)
    assert stream.finish().shape == (0,)
    stream = pyconv.correlate_stream(w, mode="constant", padding=3, cval=0.5)
    stream.push(np.zeros(0))
    got = np.concatenate([stream.push(np.ones(1)), stream.finish()])
    np.testing.assert_array_equal(got, pyconv.correlate(np.ones(1), w, mode="constant",
                                                        padding=3, cval=0.5))
