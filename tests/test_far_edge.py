"""Any distance past the edge: kernels far longer than the input, huge
dilations and paddings, length-1 axes. The oracle is the NumPy reference
(scipy's N-d reflect reads outside its buffer once the kernel is more than
about 4x the input, so it cannot be used here).
"""

import numpy as np
import pytest
from common import ALL_MODES, MODES, assert_close
from pyconv._boundary import Mode, extend_indices
from reference import NP_PAD_MODE
from reference import correlate as reference

import pyconv
from pyconv._normalize import MODES as MODE_CODES


@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_boundary_rule_matches_np_pad(mode, n):
    """extend_index, the kernels' one boundary rule, against np.pad."""
    width = 7 * n + 5
    values = np.arange(n)
    padded = np.pad(values, width, mode=NP_PAD_MODE[mode],
                    **({"constant_values": -1} if "constant" in mode else {}))
    if mode == "mirror" and n == 1:
        padded = np.full(2 * width + 1, 0)
    positions = np.arange(-width, n + width)
    np.testing.assert_array_equal(extend_indices(positions, n, MODE_CODES[mode]), padded)


def test_boundary_rule_far_positions():
    """Reduction by the period is exact far beyond anything a loop would reach."""
    far = 10**15
    assert extend_indices([far], 5, Mode.WRAP)[0] == far % 5
    assert extend_indices([-far - 1], 5, Mode.WRAP)[0] == (-far - 1) % 5
    q = far % 10
    assert extend_indices([far], 5, Mode.REFLECT)[0] == (q if q < 5 else 9 - q)
    q = far % 8
    assert extend_indices([far], 5, Mode.MIRROR)[0] == (q if q < 5 else 8 - q)
    assert extend_indices([far, -far], 5, Mode.NEAREST).tolist() == [4, 0]
    assert extend_indices([far, -far], 5, Mode.CONSTANT).tolist() == [-1, -1]
    assert extend_indices([far], 1, Mode.MIRROR)[0] == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", [1, 2, 3, 7])
@pytest.mark.parametrize("taps", [4, 9, 31, 64])
def test_kernel_longer_than_input_1d(rng, mode, n, taps):
    x = rng.standard_normal(n)
    w = rng.standard_normal(taps)
    for padding in ("same", "full", "valid", (40, 3)):
        for stride, dilation in ((1, 1), (2, 1), (1, 3), (3, 5)):
            kwargs = dict(mode=mode, cval=0.25, stride=stride, dilation=dilation,
                          padding=padding)
            expected = reference(x, w, **kwargs)
            assert_close(pyconv.correlate1d(x, w, **kwargs), expected, x, w, cval=0.25)
            expected = reference(x, w, convolve=True, **kwargs)
            assert_close(pyconv.convolve1d(x, w, **kwargs), expected, x, w, cval=0.25)


@pytest.mark.parametrize("mode", MODES)
def test_kernel_longer_than_input_3d(rng, mode):
    x = rng.standard_normal((2, 3, 4))
    w = rng.standard_normal((9, 7, 13))
    for padding in ("same", "full"):
        expected = reference(x, w, mode=mode, cval=-2.0, padding=padding)
        actual = pyconv.correlate(x, w, mode=mode, cval=-2.0, padding=padding)
        assert_close(actual, expected, x, w, cval=-2.0)


@pytest.mark.parametrize("mode", MODES)
def test_scipy_reflect_out_of_buffer_case(rng, mode):
    """The case where scipy.ndimage.correlate reads garbage: kernel >> input."""
    x = rng.standard_normal((3, 4))
    w = rng.standard_normal((17, 21))
    expected = reference(x, w, mode=mode)
    assert_close(pyconv.correlate(x, w, mode=mode), expected, x, w)


@pytest.mark.parametrize("mode", MODES)
def test_huge_dilation_costs_no_memory(rng, mode):
    """Dilation of 10**9 on 6 samples: taps land ~10**9 periods away, exactly."""
    x = rng.standard_normal(6)
    w = rng.standard_normal(3)
    d = 10**9 + 7
    out = pyconv.correlate1d(x, w, mode=mode, dilation=d, cval=1.0)
    ext = {  # what x_ext reads at position p, straight from the mode's definition
        "reflect": lambda p: x[p % 12 if p % 12 < 6 else 11 - p % 12],
        "mirror": lambda p: x[p % 10 if p % 10 < 6 else 10 - p % 10],
        "wrap": lambda p: x[p % 6],
        "nearest": lambda p: x[min(max(p, 0), 5)],
        "constant": lambda p: x[p] if 0 <= p < 6 else 1.0,
    }[mode]
    expected = [sum(w[t] * ext(j - d + t * d) for t in range(3)) for j in range(6)]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_huge_padding_with_huge_stride():
    x = np.arange(5.0)
    p = 10**12
    out = pyconv.correlate1d(x, [1.0, 10.0], padding=(p, p), stride=p, mode="wrap")
    # Outputs j = 0, 1, 2 read positions j*p - p + {0, 1}.
    expected = [x[(-p) % 5] + 10 * x[(-p + 1) % 5], x[0] + 10 * x[1],
                x[p % 5] + 10 * x[(p + 1) % 5]]
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("mode", MODES)
def test_length_one_axes(rng, mode):
    x = rng.standard_normal((1, 6, 1))
    w = rng.standard_normal((4, 3, 5))
    for padding in ("same", "full"):
        expected = reference(x, w, mode=mode, padding=padding, cval=0.5)
        assert_close(pyconv.correlate(x, w, mode=mode, padding=padding, cval=0.5),
                     expected, x, w, cval=0.5)
