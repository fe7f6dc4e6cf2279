"""The FFT method's pair packing (pyconv._pairs) against plain NumPy, and the
paired FFT path storing into outputs of every kind (on scipy.fft, the
backend that packs real units in pairs)."""

import numpy as np
import pytest
from common import assert_close
from pyconv._pairs import pack_pairs, unpack_pairs
from reference import correlate as reference
from test_fft import small_tiles

import pyconv
from pyconv import _fft
from pyconv._normalize import normalize

COMPLEX = {np.float32: np.complex64, np.float64: np.complex128}


def packed_reference(tiles, unit):
    """Units 2p + 1j * 2p+1 along `unit`, written out with NumPy."""
    moved = np.moveaxis(tiles, unit, 0)
    count = moved.shape[0]
    out = np.zeros((-(-count // 2),) + moved.shape[1:], dtype=COMPLEX[tiles.dtype.type])
    out.real = moved[0::2]
    out.imag[: count // 2] = moved[1::2]
    return np.moveaxis(out, 0, unit)


def empty_packed(tiles, unit):
    shape = list(tiles.shape)
    shape[unit] = -(-shape[unit] // 2)
    # NaN, not zeros: every element must be written.
    return np.full(shape, np.nan, dtype=COMPLEX[tiles.dtype.type])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("count", [1, 2, 5, 6])
@pytest.mark.parametrize("layout", ["contiguous", "windows", "transposed", "batch"])
def test_pack_pairs_matches_numpy(rng, dtype, count, layout):
    if layout == "contiguous":
        tiles, unit = rng.standard_normal((count, 37)).astype(dtype), 0
    elif layout == "windows":  # overlapping windows of one signal, as _gather cuts them
        signal = rng.standard_normal(count * 30 + 40).astype(dtype)
        tiles = np.lib.stride_tricks.sliding_window_view(signal, 40)[::30][:count]
        unit = 0
    elif layout == "transposed":  # the line's step is not one element
        tiles, unit = rng.standard_normal((23, count)).astype(dtype).T, 0
    else:  # units along a middle axis, rows on either side of it
        tiles, unit = rng.standard_normal((3, count, 4, 11)).astype(dtype), 1
    packed = empty_packed(tiles, unit)
    pack_pairs(tiles, unit, packed)
    np.testing.assert_array_equal(packed, packed_reference(tiles, unit))


def test_pack_pairs_units_on_the_last_axis(rng):
    tiles = rng.standard_normal((6, 5))
    packed = empty_packed(tiles, 1)
    pack_pairs(tiles, 1, packed)
    np.testing.assert_array_equal(packed, packed_reference(tiles, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("steps", [(1, 1), (2, 1), (1, 3)])
def test_unpack_pairs_writes_both_units_and_nothing_else(rng, dtype, steps):
    value_step, target_step = steps
    shape = (3, 4, 9)
    values = (rng.standard_normal(shape[:-1] + (9 * value_step,))
              + 1j * rng.standard_normal(shape[:-1] + (9 * value_step,)))
    values = values.astype(COMPLEX[dtype])[..., ::value_step]
    # Units of 2 * 4 * target_step * 9 elements along the first axis, pairs in each
    # even unit and the next one.
    out = np.full((6, 4, 9 * target_step + 2), -7.0, dtype=dtype)
    target = out[0::2, :, : 9 * target_step : target_step]
    unpack_pairs(values, target, out.strides[0])
    expected = np.full_like(out, -7.0)
    expected[0::2, :, : 9 * target_step : target_step] = values.real
    expected[1::2, :, : 9 * target_step : target_step] = values.imag
    np.testing.assert_array_equal(out, expected)


def test_pair_kernels_refuse_what_they_cannot_write(rng):
    tiles = rng.standard_normal((4, 8))
    with pytest.raises(ValueError, match="packed"):
        pack_pairs(tiles, 0, np.empty((3, 8), np.complex128))  # wrong unit count
    with pytest.raises(ValueError, match="packed"):
        pack_pairs(tiles, 0, np.empty((2, 8), np.complex64))  # wrong precision
    with pytest.raises(ValueError, match="packed"):
        pack_pairs(tiles.astype(np.int64), 0, np.empty((2, 8), np.complex128))
    with pytest.raises(ValueError, match="tiles"):
        pack_pairs(tiles[0], 0, np.empty(4, np.complex128))
    values = np.zeros((2, 8), np.complex128)
    with pytest.raises(ValueError, match="target"):
        unpack_pairs(values, np.zeros((2, 7)), 8)
    with pytest.raises(ValueError, match="target"):
        unpack_pairs(values, np.zeros((2, 8), np.float32), 8)
    read_only = np.zeros((4, 8))
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="target"):
        unpack_pairs(values, read_only[::2], 64)


def misaligned(shape, dtype):
    raw = np.zeros(int(np.prod(shape)) * np.dtype(dtype).itemsize + 1, np.uint8)
    array = raw[1:].view(dtype).reshape(shape)
    assert not array.flags.aligned
    return array


@pytest.mark.parametrize("output", ["fresh", "reversed", "float32", "misaligned",
                                    "misaligned input"])
@pytest.mark.parametrize("length", [700, 760])
@pytest.mark.usefixtures("scipy_fft")
def test_paired_fft_into_every_kind_of_output(rng, monkeypatch, output, length):
    """Whole pairs are unpacked in one pass straight into the output when it
    is aligned and of the working dtype; any other output, and the units
    left over (an odd count, a partial last tile), go the NumPy way."""
    x = rng.standard_normal(length)
    w = rng.standard_normal(33)
    small_tiles(monkeypatch, 128)  # 6 or 7 tiles, boxes of 3
    problem = normalize(x, w, None, "reflect", 0.0, 0, axes=(0,), stride=1, dilation=1,
                        padding="same", workers=None, convolution=False, one_axis=True)
    assert _fft.plan(problem).paired
    expected = reference(x, w, mode="reflect")
    if output == "misaligned input":
        x_in = misaligned(x.shape, x.dtype)
        x_in[...] = x
        x = x_in
    out = {"fresh": None, "misaligned input": None,
           "reversed": np.empty(length)[::-1],
           "float32": np.empty(length, np.float32),
           "misaligned": misaligned((length,), np.float64)}[output]
    result = pyconv.correlate1d(x, w, output=out, mode="reflect", method="fft")
    assert out is None or result is out
    assert_close(result, expected.astype(result.dtype), x, w)


@pytest.mark.parametrize("rows", [7, 8])
@pytest.mark.usefixtures("scipy_fft")
def test_paired_batch_rows_with_a_partial_tile(rng, monkeypatch, rows):
    # More rows than tiles: pairs along the batch axis, each holding the
    # filtered axis' partial last tile (stored in a piece of its own).
    x = rng.standard_normal((rows, 300))
    w = rng.standard_normal(9)
    small_tiles(monkeypatch, 64)  # 6 tiles a row, one box
    monkeypatch.setattr(_fft, "BOX_ELEMENTS", 64 * 6 * rows)
    problem = normalize(x, w, None, "wrap", 0.0, 0, axes=(1,), stride=1, dilation=1,
                        padding="same", workers=None, convolution=False, one_axis=True)
    fft_plan = _fft.plan(problem)
    assert fft_plan.paired and fft_plan.box == (rows, fft_plan.axes[0].tiles) and \
        fft_plan.axes[0].tiles < rows
    result = pyconv.correlate1d(x, w, axis=1, mode="wrap", method="fft")
    assert_close(result, reference(x, w[None], mode="wrap"), x, w)
