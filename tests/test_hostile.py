"""Hostile input: each gets its documented outcome, never a crash, a hang or
a giant allocation."""

import sys
import tracemalloc

import numpy as np
import pytest
from common import assert_close

import pyconv

METHODS = ["direct", "fft"]


@pytest.mark.parametrize("method", METHODS)
def test_lists_and_nested_lists(method):
    out = pyconv.correlate([[1, 2, 3], [4, 5, 6]], [[1]], method=method)
    assert isinstance(out, np.ndarray) and out.dtype == np.int64
    np.testing.assert_array_equal(out, [[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError):  # ragged: numpy refuses to make an array
        pyconv.correlate([[1, 2, 3], [4, 5]], [[1]], method=method)


def test_scalars_and_zero_dimensional_arrays():
    assert pyconv.correlate(3, 2).tolist() == 6
    assert pyconv.correlate(np.float32(1.5), np.array(2.0)).dtype == np.float32
    assert pyconv.convolve(np.array(4.0), np.array(0.5)) == 2.0
    with pytest.raises(ValueError, match="weights"):
        pyconv.correlate(3.0, [1.0, 2.0])


@pytest.mark.parametrize("bad", [np.array([1, "a"], dtype=object), np.array([None, None]),
                                 np.array([object(), object()])])
def test_object_arrays(bad):
    with pytest.raises(TypeError, match="object"):
        pyconv.correlate(bad, [1.0])
    with pytest.raises(TypeError, match="weights"):
        pyconv.correlate(np.ones(3), bad)


def test_subclasses():
    # Masked arrays: a TypeError (the mask would silently be ignored otherwise).
    with pytest.raises(TypeError, match="masked"):
        pyconv.correlate(np.ma.masked_array([1.0, 2.0], mask=[0, 1]), [1.0])
    with pytest.raises(TypeError, match="masked"):
        pyconv.correlate(np.ones(3), np.ma.masked_array([1.0], mask=[0]))
    # Other subclasses are filtered as plain arrays; the result is an ndarray.
    with pytest.warns(PendingDeprecationWarning):
        matrix = np.asmatrix(np.arange(12.0).reshape(3, 4))
    out = pyconv.correlate(matrix, np.ones((1, 2)))
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, pyconv.correlate(np.asarray(matrix), np.ones((1, 2))))

    class Tagged(np.ndarray):
        pass

    tagged = np.arange(5.0).view(Tagged)
    assert type(pyconv.correlate1d(tagged, [1.0, 1.0])) is np.ndarray


def test_memmap_input_and_output(tmp_path):
    data = np.random.default_rng(0).standard_normal((64, 80))
    data.tofile(tmp_path / "in.bin")
    mapped = np.memmap(tmp_path / "in.bin", dtype=np.float64, mode="r", shape=(64, 80))
    out = np.memmap(tmp_path / "out.bin", dtype=np.float64, mode="w+", shape=(64, 80))
    for method in METHODS:
        assert pyconv.correlate(mapped, np.ones((5, 5)), output=out, method=method) is out
        out.flush()
        assert_close(np.fromfile(tmp_path / "out.bin").reshape(64, 80),
                     pyconv.correlate(data, np.ones((5, 5)), method="direct"), data,
                     np.ones((5, 5)))
    # The read-only map is the input; used as the output it is refused.
    with pytest.raises(ValueError, match="read-only"):
        pyconv.correlate(data, np.ones((3, 3)), output=mapped)


@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
def test_sizes_that_cannot_exist_fail_before_allocating(method):
    tracemalloc.start()
    try:
        cases = [
            # output too large for the machine: MemoryError before np.empty
            (dict(padding=[2**33, 0]), MemoryError),
            (dict(padding=[2**40, 2**40]), MemoryError),
            # extents that would overflow positions: ValueError
            (dict(padding=[(2**61, 0), 0], stride=2**61), ValueError),
            (dict(dilation=2**61), ValueError),
            (dict(stride=[2**70, 1]), None),  # a huge stride is fine: one output
        ]
        for kwargs, error in cases:
            if error is None:
                assert pyconv.correlate(np.ones((4, 4)), np.ones((3, 3)), method=method,
                                        **kwargs).shape == (1, 4)
                continue
            with pytest.raises(error):
                pyconv.correlate(np.ones((4, 4)), np.ones((3, 3)), method=method, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, f"allocated {peak} bytes on the way to the error"


def test_forced_fft_with_absurd_scratch_is_a_memory_error():
    # Dilation 2**35 makes one FFT tile longer than memory; direct is instant.
    x = np.arange(6.0)
    with pytest.raises(MemoryError, match="fft"):
        pyconv.correlate1d(x, [1.0, 2.0], dilation=2**35, method="fft")
    assert pyconv.choose_method(x, [1.0, 2.0], dilation=2**35) == "direct"
    # Tap 1 lies over the output: out[j] = x[j - d] + 2 x[j], wrapped.
    np.testing.assert_array_equal(pyconv.correlate1d(x, [1.0, 2.0], dilation=2**35,
                                                     mode="wrap"),
                                  np.roll(x, 2**35 % 6) + 2 * x)


def test_nonfinite_weights_documented_outcome():
    x = np.arange(10.0)
    w = np.array([1.0, np.nan, 0.0])
    direct = pyconv.correlate1d(x, w, method="direct")
    assert np.all(np.isnan(direct))  # every window has the NaN tap (weight != 0)
    w = np.array([np.inf, 1.0])
    assert np.all(np.isinf(pyconv.correlate1d(x + 1, w, method="direct")))
    # auto never sends them to the FFT; forced, the FFT spreads them (documented).
    assert pyconv.choose_method(np.ones(10**6), np.r_[np.inf, np.ones(999)]) == "direct"
    assert np.all(np.isnan(pyconv.correlate1d(x, [np.nan, 1.0], method="fft")))


@pytest.mark.parametrize("cval", ["0", None, [0.0], {}, np.array([1.0, 2.0]), True])
def test_cval_of_the_wrong_type(cval):
    out = np.full(5, 7.0)
    with pytest.raises(TypeError, match="cval"):
        pyconv.correlate1d(np.ones(5), [1.0], mode="constant", cval=cval, output=out)
    assert np.all(out == 7.0)


@pytest.mark.parametrize("method", METHODS)
def test_output_aliasing_in_every_form(method):
    rng = np.random.default_rng(5)
    w = rng.standard_normal((3, 3))

    def expected(x):
        return pyconv.correlate(x.copy(), w, method="direct")

    # 1. output is the input
    x = rng.standard_normal((20, 20))
    want = expected(x)
    pyconv.correlate(x, w, output=x, method=method)
    assert_close(x, want, want, w)
    # 2. output overlaps the input, shifted by one row and one column
    buffer = rng.standard_normal((21, 21))
    x = buffer[:-1, :-1]
    want = expected(x)
    pyconv.correlate(x, w, output=buffer[1:, 1:], method=method)
    assert_close(buffer[1:, 1:], want, want, w)
    # 3. output is the transpose of the input
    x = rng.standard_normal((20, 20))
    want = expected(x)
    pyconv.correlate(x, w, output=x.T, method=method)
    assert_close(x.T, want, want, w)
    # 4. output is the input's memory seen with another dtype of the same size
    x = rng.standard_normal((20, 20))
    want = expected(x)
    as_int = x.view(np.int64)
    pyconv.correlate(x, w, output=as_int, method=method)
    np.testing.assert_array_equal(as_int, np.rint(want).astype(np.int64))
    # 5. output is the weights
    x = rng.standard_normal((3, 3))
    kernel = rng.standard_normal((3, 3))
    want = pyconv.correlate(x, kernel.copy(), method="direct")
    pyconv.correlate(x, kernel, output=kernel, method=method)
    assert_close(kernel, want, x, want)
    # 6. output is read-only (a broadcast view): refused, untouched
    frozen = np.broadcast_to(np.zeros(20), (20, 20))
    with pytest.raises(ValueError, match="read-only"):
        pyconv.correlate(rng.standard_normal((20, 20)), w, output=frozen, method=method)
    # 7. output overlaps itself (a writable zero-stride view): no crash, every
    #    element written, the value is the result for one of its positions
    base = np.zeros(20)
    self_overlapping = np.lib.stride_tricks.as_strided(base, (20, 20), (0, 8))
    x = rng.standard_normal((20, 20))
    pyconv.correlate(x, w, output=self_overlapping, method=method)
    want = expected(x)
    assert all(np.any(np.isclose(base[j], want[:, j])) for j in range(20))


def test_no_crash_on_many_malformed_calls():
    """A grab bag of nonsense: each is a clean TypeError or ValueError."""
    bad_calls = [
        lambda: pyconv.correlate(np.ones(3), np.ones((2, 2, 2, 2))),
        lambda: pyconv.correlate(np.ones((2, 2)), np.ones((2, 2)), axes="01"),
        lambda: pyconv.correlate(np.ones((2, 2)), np.ones((2, 2)), padding={"a": 1}),
        lambda: pyconv.correlate(np.ones((2, 2)), np.ones((2, 2)), origin=[[0], [0]]),
        lambda: pyconv.correlate(np.ones((2, 2)), np.ones((2, 2)), stride=np.array([1.5, 2])),
        lambda: pyconv.correlate(np.ones((2, 2)), np.ones((2, 2)), workers=[2]),
        lambda: pyconv.correlate1d(np.ones(5), [1.0], axis=None),
        lambda: pyconv.correlate(np.ones(5), np.ones(1), output=np.empty(5, dtype="S3")),
        lambda: pyconv.output_shape("abc", (1,)),
        lambda: pyconv.output_shape((5,), None),
    ]
    for bad in bad_calls:
        with pytest.raises((TypeError, ValueError)):
            bad()
    assert sys.getrefcount(np) > 0  # still alive


@pytest.mark.parametrize("method", METHODS)
def test_float_overflow_saturates_to_inf_silently(method):
    # pytest turns warnings into errors here: a RuntimeWarning would fail.
    half = pyconv.correlate(np.full(40, 60000, np.float16), [1.0, 1.0], method=method)
    assert half.dtype == np.float16 and np.isposinf(half).all()
    ones = np.ones(40, np.float32)
    # (Forced, the FFT turns an infinite cval or weight into NaN over the
    # tiles it reaches, as documented; the direct method keeps it in place.)
    exact = method == "direct"
    for cval in (1e300, 10**400):
        edge = pyconv.correlate(ones, [1.0, 1.0, 1.0], mode="constant", cval=cval,
                                method=method)
        assert not exact or np.isposinf(edge[[0, -1]]).all() and (edge[1:-1] == 3).all()
    edge = pyconv.correlate(ones, [1.0, 1.0], mode="constant", cval=-10**400, method=method)
    assert not exact or np.isneginf(edge[0])
    heavy = pyconv.correlate(ones, [1e300, 0.0], method=method)
    assert heavy.dtype == np.float32 and (not exact or np.isposinf(heavy).all())
    assert pyconv.choose_method(ones, [1e300, 1.0], mode="constant", cval=10**400) in (
        "direct", "fft")
