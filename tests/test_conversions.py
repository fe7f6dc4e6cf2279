"""Inputs the kernels convert as they gather them: float16, byte-swapped and
misaligned data read exactly (the results are their native copies' to
rounding: a converted input may take another summation order), and none is
copied whole; float16 outputs are written directly, rounded as numpy rounds."""

import tracemalloc

import numpy as np
import pytest
from common import ALL_DTYPES, assert_close, random_array
from reference import correlate as reference
from reference import to_dtype

import pyconv


def test_every_float16_value_is_read_exactly():
    values = np.arange(2**16, dtype=np.uint16).view(np.float16)
    read = pyconv.correlate(values, [1.0], output=np.float32, method="direct")
    np.testing.assert_array_equal(read, values.astype(np.float32))  # NaN where NaN


def test_float16_outputs_round_as_numpy_casts():
    rng = np.random.default_rng(5)
    patterns = np.concatenate([
        rng.integers(0, 2**32, 200_000, dtype=np.uint64).astype(np.uint32),
        np.arange(0x33000000, 0x33800000, 61, dtype=np.uint32),  # around 2**-25: zero or not
        np.arange(0x38000000, 0x38900000, 17, dtype=np.uint32),  # subnormal to normal
        np.arange(0x477FE000, 0x47801000, dtype=np.uint32),      # 65504, 65520, infinity
    ])
    values = patterns.view(np.float32)
    values = np.concatenate([values, -values])
    written = pyconv.correlate(values, [1.0], output=np.float16, method="direct")
    with np.errstate(over="ignore", invalid="ignore"):
        expected = (values * np.float32(1.0)).astype(np.float16)
    np.testing.assert_array_equal(written, expected)


@pytest.mark.parametrize("dtype", [d for d in ALL_DTYPES if np.dtype(d).itemsize > 1])
def test_byte_swapped_input_reads_as_its_native_copy(rng, dtype):
    native = random_array(rng, (23, 41), dtype)
    swapped = native.astype(native.dtype.newbyteorder())
    for weights, kwargs in [((3, 3), {}), ((1, 5), {"stride": 2, "mode": "wrap"}),
                            ((4, 2), {"dilation": 2, "padding": "full"})]:
        w = rng.standard_normal(weights)
        for x, v in ((swapped, w), (swapped.T, w.T)):
            result = pyconv.correlate(x, v, method="direct", **kwargs)
            assert result.dtype == native.dtype
            assert_close(result, to_dtype(reference(native if x is swapped else native.T, v,
                                                    **kwargs), dtype), native, v)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex128,
                                   np.int32, np.uint16])
def test_misaligned_input_and_fractional_strides(rng, dtype):
    native = random_array(rng, (30, 37), dtype)
    size = np.dtype(dtype).itemsize
    buffer = np.zeros(native.nbytes + 1, np.uint8)
    misaligned = buffer[1:].view(dtype).reshape(native.shape)
    misaligned[...] = native
    # A field of a packed record: strides that are no multiple of the itemsize.
    records = np.zeros(native.shape, dtype=[("tag", "u1"), ("value", dtype)])
    records["value"] = native
    field = records["value"]
    assert field.strides[-1] == size + 1
    w = rng.standard_normal((3, 4))
    for view in (misaligned, field, field[::-2, ::3], misaligned.T):
        copy = np.ascontiguousarray(view)
        assert_close(pyconv.correlate(view, w, method="direct", mode="mirror"),
                     to_dtype(reference(copy, w, mode="mirror"), dtype), copy, w)


@pytest.mark.parametrize("dtype", [np.float16, ">f4", ">f8"])
def test_converted_inputs_are_never_copied_whole(dtype):
    # A strided view and a broadcast: the kernels read them line by line.
    strided = np.ones(5 * 10**6, dtype)[::100]
    broadcast = np.broadcast_to(np.ones(1, dtype), (2**26,))
    for x in (strided, broadcast):
        tracemalloc.start()
        try:
            result = pyconv.correlate(x, [1.0, 2.0, 1.0], method="direct")
            extra = tracemalloc.get_traced_memory()[1] - result.nbytes
        finally:
            tracemalloc.stop()
        assert extra < 16 * 2**20, extra
        assert (result[1:-1] == 4).all()
