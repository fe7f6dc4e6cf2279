"""dtypes: output dtype, working precision, integer rounding and saturation,
float16, complex conjugation, output= as dtype or array, zero taps, NaN."""

import numpy as np
import pytest
import scipy.ndimage as ndi
from common import ALL_DTYPES, INT_DTYPES, assert_close, random_array
from reference import correlate as reference
from reference import to_dtype

import pyconv


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda t: np.dtype(t).name)
def test_output_dtype_follows_input(rng, dtype):
    x = random_array(rng, (6, 7), dtype)
    assert pyconv.correlate(x, np.ones((3, 3))).dtype == dtype
    assert pyconv.convolve1d(x, [1, 2, 3]).dtype == dtype


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda t: np.dtype(t).name)
def test_complex_weights_promote_output(rng, dtype):
    x = random_array(rng, (6, 7), dtype)
    expected = np.promote_types(dtype, np.complex64)
    out = pyconv.correlate(x, np.ones((3, 3)) * (1 + 1j))
    assert out.dtype == expected
    assert_close(out, to_dtype(reference(x, np.ones((3, 3)) * (1 + 1j)), expected), x,
                 np.ones((3, 3)) * 2)


@pytest.mark.parametrize("weights_dtype", [np.int8, np.uint16, np.int64, np.float16,
                                           np.float32, np.longdouble, np.complex64])
def test_any_numeric_weights(rng, weights_dtype):
    x = rng.standard_normal((9, 9))
    w = np.array([[1, 2, 1], [0, 3, 0], [1, 2, 1]]).astype(weights_dtype)
    expected = reference(x, w.astype(np.complex128 if w.dtype.kind == "c" else np.float64))
    out = pyconv.correlate(x, w)
    assert_close(out, expected.astype(out.dtype), x, w.astype(np.complex128))


def test_float32_is_computed_in_float32(rng):
    """float32 data: float32 arithmetic by default, float64 on request."""
    x = rng.standard_normal((64, 64)).astype(np.float32)
    w = rng.standard_normal((5, 5))
    exact = ndi.correlate(x.astype(np.float64), w)
    single = pyconv.correlate(x, w)
    assert single.dtype == np.float32
    # float32 accumulation: close to, but not everywhere the correctly
    # rounded float64 result (which a float64 computation would give).
    assert_close(single, exact.astype(np.float32), x, w)
    assert np.any(single != exact.astype(np.float32))
    double = pyconv.correlate(x, w, output=np.float64)
    assert double.dtype == np.float64
    np.testing.assert_allclose(double, exact, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16])
def test_small_integers_work_in_float32(rng, dtype):
    # 2**24 + 1 is not a float32: the single-precision sum loses the 1.
    x = np.array([1, 0, 0, 0], dtype=dtype)
    w = np.array([2.0**24, 1.0])
    out = pyconv.correlate1d(x, w, origin=-1, mode="constant", output=np.int64)
    assert out[0] == 2**24  # float64 (int64 output): exact
    single = pyconv.correlate1d(x.astype(np.float32), w, origin=-1, mode="constant")
    assert single[0] == np.float32(2**24)


def test_integer_rounding_is_half_to_even():
    x = np.array([1, 3, 5, 7, -1, -3, -5], dtype=np.int16)
    out = pyconv.correlate1d(x, [0.5], mode="constant")
    np.testing.assert_array_equal(out, [0, 2, 2, 4, 0, -2, -2])
    out = pyconv.correlate1d(x.astype(np.int64), [0.5], mode="constant")
    np.testing.assert_array_equal(out, [0, 2, 2, 4, 0, -2, -2])
    out = pyconv.correlate1d(x.astype(np.int64), [0.49], mode="constant")
    np.testing.assert_array_equal(out, [0, 1, 2, 3, 0, -1, -2])


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda t: np.dtype(t).name)
def test_integer_saturation(dtype):
    info = np.iinfo(dtype)
    x = np.array([info.max, info.max, info.min, info.min, 0], dtype=dtype)
    # out[j] = x[j-1] + x[j]: 2*max, 2*max, max + min, 2*min, min.
    up = pyconv.correlate1d(x, [1.0, 1.0], mode="nearest")
    assert up.dtype == dtype
    assert up[0] == up[1] == info.max and up[3] == info.min
    # max + min is -1 (or max, unsigned); in float64 for 64-bit types, 0.
    np.testing.assert_array_equal(up, to_dtype(reference(x, [1.0, 1.0], mode="nearest"), dtype))
    down = pyconv.correlate1d(x, [-3.0], mode="nearest")
    assert down[0] == info.min and down[2] == (info.max if info.min < 0 else 0)
    assert pyconv.correlate1d(x, [np.inf])[0] == info.max
    assert pyconv.correlate1d(x, [-np.inf])[0] == info.min
    assert pyconv.correlate1d(np.ones(3, dtype), [1e300])[1] == info.max


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16])
def test_small_integer_store_every_length(rng, dtype):
    """Rounding, saturation and NaN on lines long enough for the vector store
    (16 or 32 values a pass on the AVX-512 and AVX2 builds) and every tail after it."""
    info = np.iinfo(dtype)
    special = np.array([np.nan, np.inf, -np.inf, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5,
                        info.max + 0.5, info.max + 1, info.min - 0.5, info.min - 1,
                        info.max - 0.5, info.min + 0.5, 1e30, -1e30], dtype=np.float32)
    values = np.concatenate([special, rng.uniform(info.min - 50, info.max + 50, 300)])
    for length in [*range(1, 70), 200, 317]:
        x = rng.permutation(values)[:length].astype(np.float32)
        out = pyconv.correlate1d(x, [1.0], output=dtype)
        expected = np.clip(np.rint(np.nan_to_num(x, nan=0.0, posinf=info.max,
                                                 neginf=info.min)), info.min, info.max)
        np.testing.assert_array_equal(out, expected.astype(dtype), err_msg=f"length {length}")


def test_int64_extremes_saturate_exactly():
    x = np.array([2**62, 2**62, -(2**62), -(2**62)], dtype=np.int64)
    out = pyconv.correlate1d(x, [1.0, 1.0], mode="nearest")
    np.testing.assert_array_equal(out, [2**63 - 1, 2**63 - 1, 0, -(2**63)])
    # 2**63 + 1 is 2**63 in float64, the working precision of 64-bit integers.
    x = np.array([2**63, 2**63, 1], dtype=np.uint64)
    out = pyconv.correlate1d(x, [1.0, 1.0], mode="nearest")
    np.testing.assert_array_equal(out, [2**64 - 1, 2**64 - 1, 2**63])


def test_nan_to_integer_is_zero():
    x = np.arange(5, dtype=np.int32)
    out = pyconv.correlate1d(x, [1.0, np.nan, 1.0], mode="constant")
    np.testing.assert_array_equal(out, [0, 0, 0, 0, 0])


def test_float16_in_and_out(rng):
    x = rng.standard_normal((20, 20)).astype(np.float16)
    w = rng.standard_normal((3, 3))
    out = pyconv.correlate(x, w)
    assert out.dtype == np.float16
    expected = ndi.correlate(x.astype(np.float32), w).astype(np.float16)
    assert_close(out, expected, x, w)
    # float16 as requested output of float32 data, and as an output array.
    y = rng.standard_normal((20, 20)).astype(np.float32)
    assert pyconv.correlate(y, w, output=np.float16).dtype == np.float16
    out = np.empty((20, 20), np.float16)
    assert pyconv.correlate(y, w, output=out) is out
    assert_close(out, ndi.correlate(y, w).astype(np.float16), y, w)


def test_complex_weights_are_conjugated_in_correlate_only(rng):
    x = rng.standard_normal((8, 9)) + 1j * rng.standard_normal((8, 9))
    w = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    np.testing.assert_allclose(pyconv.correlate(x, w), ndi.correlate(x, w), atol=1e-12)
    np.testing.assert_allclose(pyconv.convolve(x, w), ndi.convolve(x, w), atol=1e-12)
    # correlate(x, w) is correlate with conj(w) taken literally:
    # sum conj(w[t]) x[...]; the real-weights correlate of conj(w) pieces.
    direct = pyconv.correlate(x, w.real) - 1j * pyconv.correlate(x, w.imag)
    np.testing.assert_allclose(pyconv.correlate(x, w), direct, atol=1e-12)
    direct = pyconv.convolve(x, w.real) + 1j * pyconv.convolve(x, w.imag)
    np.testing.assert_allclose(pyconv.convolve(x, w), direct, atol=1e-12)


def test_complex_cval(rng):
    x = rng.standard_normal(6) + 1j * rng.standard_normal(6)
    w = np.array([1.0, 2.0, 3.0])
    out = pyconv.correlate1d(x, w, mode="constant", cval=2 - 1j)
    np.testing.assert_allclose(out, reference(x, w, mode="constant", cval=2 - 1j), atol=1e-12)
    # A complex cval with zero imaginary part is fine for real data.
    pyconv.correlate1d(x.real, w, mode="constant", cval=2 + 0j)


def test_complex_cval_with_real_input_and_complex_weights(rng):
    """Documented difference: the real input is extended by the complex cval
    (scipy: ValueError, "Cannot provide a complex-valued cval when the input
    is real")."""
    x = rng.standard_normal((5, 6))
    w = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    with pytest.raises(ValueError, match="complex-valued cval"):
        ndi.correlate(x, w, mode="constant", cval=2 - 1j)
    for function in ("correlate", "convolve"):
        out = getattr(pyconv, function)(x, w, mode="constant", cval=2 - 1j)
        expected = getattr(pyconv, function)(x.astype(np.complex128), w, mode="constant",
                                             cval=2 - 1j)
        np.testing.assert_allclose(out, expected, atol=1e-12)
    np.testing.assert_allclose(pyconv.correlate(x, w, mode="constant", cval=2 - 1j),
                               reference(x, w, mode="constant", cval=2 - 1j), atol=1e-12)


@pytest.mark.parametrize("out_dtype", [np.float32, np.float64, np.complex64, np.complex128,
                                       np.int16, np.uint8, np.int32, np.float16])
def test_output_as_dtype(rng, out_dtype):
    x = rng.integers(0, 50, size=(10, 11)).astype(np.uint8)
    w = rng.integers(-2, 3, size=(3, 3)) / 2.0
    out = pyconv.correlate(x, w, output=out_dtype)
    assert out.dtype == out_dtype
    expected = to_dtype(reference(x, w), out_dtype)
    assert_close(out, expected, x, w)
    # dtype given as a string or a dtype object means the same.
    np.testing.assert_array_equal(pyconv.correlate(x, w, output=np.dtype(out_dtype).name), out)


def test_output_array_is_filled_and_returned(rng):
    x = rng.standard_normal((7, 8))
    w = rng.standard_normal((3, 3))
    out = np.empty((7, 8))
    assert pyconv.correlate(x, w, output=out) is out
    np.testing.assert_allclose(out, ndi.correlate(x, w), atol=1e-12)
    # A wider output dtype than the input: computed at the output's precision.
    out32 = x.astype(np.float32)
    out = np.empty((7, 8), np.float64)
    pyconv.correlate(out32, w, output=out)
    np.testing.assert_allclose(out, ndi.correlate(out32.astype(np.float64), w), atol=1e-12)


def test_zero_weight_taps_are_skipped():
    """A NaN under a zero weight does not reach the output."""
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    out = pyconv.correlate1d(x, [1.0, 0.0, 1.0], mode="constant")
    np.testing.assert_array_equal(np.isnan(out), [False, True, False, True, False])
    assert out[2] == 2.0 + 4.0
    # 2-D: a whole zero row of the kernel skips the rows it would read.
    x2 = np.ones((5, 5))
    x2[2, :] = np.inf
    w2 = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    out2 = pyconv.correlate(x2, w2, mode="constant")
    assert np.all(np.isfinite(out2[2])) and np.all(np.isinf(out2[[1, 3]]))


def test_nan_propagates_exactly_to_its_windows(rng):
    x = rng.standard_normal((30, 40))
    x[7, 11] = np.nan
    x[20, 0] = np.inf
    w = rng.standard_normal((3, 5))
    w[1, 1] = 0.0
    for mode in ("reflect", "constant", "wrap", "mirror", "nearest"):
        out = pyconv.correlate(x, w, mode=mode, stride=(1, 2), dilation=(2, 1))
        expected = reference(x, w, mode=mode, stride=(1, 2), dilation=(2, 1))
        np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
        finite = np.isfinite(expected)
        np.testing.assert_allclose(out[finite], expected[finite], atol=1e-12)


def test_nonfinite_weights_with_constant_zero_boundary():
    """inf * cval(0) is NaN in the padded region, as the formula says."""
    x = np.ones(5)
    out = pyconv.correlate1d(x, [np.inf, 1.0, 0.0], mode="constant", cval=0.0)
    expected = reference(x, np.array([np.inf, 1.0, 0.0]), mode="constant")
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    assert np.isnan(out[0]) and np.isinf(out[1])


def test_all_zero_weights_give_zeros(rng):
    x = rng.standard_normal((5, 6))
    x[2, 2] = np.nan
    np.testing.assert_array_equal(pyconv.correlate(x, np.zeros((3, 3))), np.zeros((5, 6)))
    integers = np.arange(30, dtype=np.int32).reshape(5, 6)
    out = pyconv.correlate(integers, np.zeros((2, 2)), mode="constant", cval=5)
    np.testing.assert_array_equal(out, 0)


# --------------------------------------------------------------------------
# bool, as scipy.ndimage takes it
# --------------------------------------------------------------------------

STRUCTURES = [ndi.generate_binary_structure(2, 1), ndi.generate_binary_structure(2, 2),
              np.array([[True, False, True]])]


@pytest.mark.parametrize("structure", STRUCTURES, ids=["cross", "square", "row"])
@pytest.mark.parametrize("x_dtype", [np.uint8, np.int16, np.float32, np.float64, bool])
def test_bool_weights_are_zero_one(rng, structure, x_dtype):
    """bool weights (generate_binary_structure, comparisons) are 0/1 weights."""
    x = (rng.random((9, 11)) > 0.5) if x_dtype is bool else random_array(rng, (9, 11), x_dtype)
    for function in ("correlate", "convolve"):
        ours = getattr(pyconv, function)(x, structure, mode="constant")
        np.testing.assert_array_equal(
            ours, getattr(pyconv, function)(x, structure.astype(np.float64), mode="constant"))
        if x_dtype is not bool:  # scipy's numbers, in pyconv's output rules
            theirs = getattr(ndi, function)(x.astype(np.float64), structure, mode="constant")
            assert_close(ours, to_dtype(theirs, x_dtype), x, structure.astype(np.float64))
    ones = np.array([True, True, False])
    np.testing.assert_array_equal(pyconv.convolve1d(x, ones, axis=0),
                                  pyconv.convolve1d(x, [1.0, 1.0, 0.0], axis=0))


@pytest.mark.parametrize("mode", ["constant", "reflect", "nearest", "mirror", "wrap"])
@pytest.mark.parametrize("output", [np.uint8, np.int16, np.int32, np.float32, np.float64])
def test_bool_input_like_scipy(rng, mode, output):
    """scikit-image's call, ndi.convolve(mask, structure, output=np.uint8,
    mode="constant"), and its relatives: bool input is 0/1 data."""
    mask = rng.random((31, 40)) > 0.6
    for structure in STRUCTURES:
        for function in ("correlate", "convolve"):
            ours = getattr(pyconv, function)(mask, structure, output=output, mode=mode)
            theirs = getattr(ndi, function)(mask, structure, output=output, mode=mode)
            assert ours.dtype == output
            np.testing.assert_array_equal(ours, theirs)
    for function in ("correlate1d", "convolve1d"):
        ours = getattr(pyconv, function)(mask, [1, 2, 1], 0, output, mode)
        np.testing.assert_array_equal(ours, getattr(ndi, function)(mask, [1, 2, 1], 0, output,
                                                                     mode))


def test_bool_input_with_cval_and_fractional_weights(rng):
    mask = rng.random((12, 13)) > 0.5
    w = rng.random((3, 3))
    for output in (np.float32, np.float64):
        ours = pyconv.correlate(mask, w, output=output, mode="constant", cval=0.5)
        theirs = ndi.correlate(mask.astype(np.float64), w, mode="constant", cval=0.5)
        assert_close(ours, theirs.astype(output), mask.astype(np.uint8), w, cval=0.5)
    # The same numbers as the uint8 data with the same bytes.
    np.testing.assert_array_equal(pyconv.correlate(mask, w, output=np.uint8),
                                  pyconv.correlate(mask.astype(np.uint8), w))


def test_bool_input_gives_a_bool_result_as_in_scipy(rng):
    """Default output: bool, like scipy's. scipy stores the truncated sum's
    low byte in it (bytes 2, 3, ... in a bool array); pyconv stores
    ``sum != 0``, the same truth value wherever that byte is non-zero."""
    mask = rng.random((20, 30)) > 0.5
    for structure in STRUCTURES:
        for mode in ("constant", "reflect", "wrap"):
            ours = pyconv.convolve(mask, structure, mode=mode)
            theirs = ndi.convolve(mask, structure, mode=mode)
            assert ours.dtype == theirs.dtype == np.bool_
            assert ours.view(np.uint8).max() <= 1  # a well-formed bool array
            np.testing.assert_array_equal(ours, theirs.view(np.uint8) != 0)
            np.testing.assert_array_equal(
                ours, pyconv.convolve(mask, structure, output=np.float32, mode=mode) != 0)


@pytest.mark.parametrize("x_dtype", [bool, np.uint8, np.int32, np.float64])
def test_bool_output_is_nonzero(rng, x_dtype):
    """output=bool (a dtype or an array), for any input: sums > 1 are True,
    and the array given is the one filled and returned."""
    x = (rng.random((15, 16)) > 0.5).astype(x_dtype)
    w = np.array([[1.0, -1.0], [2.0, 0.0]])
    exact = pyconv.correlate(x, w, output=np.float64, mode="nearest")
    assert np.any(exact > 1) and np.any(exact < 0) and np.any(exact == 0)
    out = pyconv.correlate(x, w, output=bool, mode="nearest")
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out, exact != 0)
    given = np.zeros((15, 16), dtype=bool)
    assert pyconv.correlate(x, w, output=given, mode="nearest") is given
    np.testing.assert_array_equal(given, exact != 0)
    # Where scipy's byte is the sum itself (an integer in [0, 256): other
    # values are truncated, or converted out of range, which C leaves
    # undefined), scipy agrees.
    theirs = ndi.correlate(x, w, output=np.zeros((15, 16), bool), mode="nearest")
    plain = (exact == np.round(exact)) & (exact >= 0) & (exact < 256)
    np.testing.assert_array_equal(out[plain], theirs.view(np.uint8)[plain] != 0)


def test_bool_output_where_scipy_wraps_or_truncates():
    """The documented difference: a sum of 0.5 (truncated to 0) is True in
    pyconv, False in scipy; so is a sum of 256 in pyconv (scipy's byte
    wraps to 0 on x86-64: C leaves that conversion undefined)."""
    x = np.ones(300, dtype=bool)
    assert not ndi.correlate1d(x, [0.5], mode="nearest").any()
    assert pyconv.correlate1d(x, [0.5], mode="nearest").all()
    assert pyconv.correlate1d(x, np.ones(256), mode="nearest").all()
    assert pyconv.correlate1d(x, -np.ones(256), mode="nearest").all()


def test_bool_output_in_place_and_errors_first(rng):
    mask = rng.random((10, 10)) > 0.5
    expected = pyconv.convolve(mask, STRUCTURES[0], mode="constant")
    copy = mask.copy()
    assert pyconv.convolve(copy, STRUCTURES[0], output=copy, mode="constant") is copy
    np.testing.assert_array_equal(copy, expected)
    # Nothing is written to a bool output before every check has passed.
    out = np.ones((10, 10), dtype=bool)
    with pytest.raises(ValueError, match="mode"):
        pyconv.convolve(mask, STRUCTURES[0], output=out, mode="bogus")
    with pytest.raises(ValueError, match="output has shape"):
        pyconv.convolve(mask, STRUCTURES[0], output=out[:9])
    assert out.all()


def test_bool_zero_dimensional_and_dask(rng):
    assert pyconv.correlate(np.array(True), np.array(3.0)).dtype == np.bool_
    assert pyconv.correlate(np.array(True), np.array(3.0), output=np.uint8) == 3
    da = pytest.importorskip("dask.array")
    mask = rng.random((23, 19)) > 0.5
    lazy = pyconv.convolve(da.from_array(mask, chunks=(7, 6)), STRUCTURES[1], mode="constant")
    assert lazy.dtype == np.bool_
    np.testing.assert_array_equal(lazy.compute(),
                                  pyconv.convolve(mask, STRUCTURES[1], mode="constant"))


# --------------------------------------------------------------------------
# Complex data, real output dtype: scipy's warning and promotion
# --------------------------------------------------------------------------


@pytest.mark.parametrize("output", [np.float32, np.float64, float, np.dtype(np.float32),
                                    np.int16, np.int32, np.uint8, np.float16, bool])
def test_real_output_dtype_for_complex_data_is_promoted(rng, output):
    x = rng.standard_normal((8, 9))
    w = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    expected_dtype = np.promote_types(output, np.complex64)
    for data, weights in ((x + 1j * x[::-1], w.real), (x, w), (x + 0.5j, w)):
        with pytest.warns(UserWarning, match="^promoting specified output dtype to complex$"):
            theirs = ndi.correlate(data, weights, output=output)
        with pytest.warns(UserWarning, match="^promoting specified output dtype to complex$"):
            ours = pyconv.correlate(data, weights, output=output)
        assert ours.dtype == theirs.dtype == expected_dtype
        assert_close(ours, theirs, data, weights)
    with pytest.warns(UserWarning, match="promoting specified output dtype to complex") as caught:
        ours = pyconv.convolve1d(x, w[0], output=output)
    assert caught[0].filename == __file__  # the caller's line, not pyconv's
    assert ours.dtype == expected_dtype
