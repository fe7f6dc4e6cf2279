"""How the direct method walks the output, checked path by path.

* Separable kernels run in strips (b along the line, then a across lines):
  within rounding of the full kernel in every mode, including ``constant``
  with a non-zero cval, with stride, dilation and every padding form.
* Gathered strips (input lines buffered once per strip, for short or
  converted lines): bitwise the same as the line-by-line loop.
* Column strips (a kernel one tap wide along the line with its taps on one
  other axis, several output lines summed at once): bitwise the same as the
  line-by-line loop.
* The line-by-line loop's edge pieces and register blocks: every line
  length, and an output's value does not depend on where blocks fall.
"""

import numpy as np
import pytest
import scipy.ndimage
from common import MODES, assert_close, random_array
from reference import correlate as reference
from reference import to_dtype

import pyconv
from pyconv import _direct_plan

PADDINGS = ["same", "valid", "full", 3, (0, 2)]


def kind(plan):
    return {_direct_plan.LINES: "lines", _direct_plan.SEPARABLE_STRIPS: "separable",
            _direct_plan.GATHERED_STRIPS: "gathered",
            _direct_plan.COLUMN_STRIPS: "column"}[plan.strips]


def per_axis(padding, n):
    return [padding] * n if isinstance(padding, tuple) else padding


# --------------------------------------------------------------------------
# Separable strips
# --------------------------------------------------------------------------


@pytest.mark.parametrize("padding", PADDINGS, ids=str)
@pytest.mark.parametrize("mode", MODES)
def test_separable_2d_every_mode_and_padding(rng, plans, mode, padding):
    x = rng.standard_normal((70, 37))
    w = np.outer(rng.standard_normal(5), rng.standard_normal(4))
    for stride, dilation in [(1, 1), ((2, 1), (1, 2)), (3, 2), ((1, 2), (3, 1))]:
        kwargs = dict(mode=mode, cval=1.5, stride=stride, dilation=dilation,
                      padding=per_axis(padding, 2))
        actual = pyconv.correlate(x, w, method="direct", **kwargs)
        assert kind(plans[-1]) == "separable"
        assert_close(actual, reference(x, w, **kwargs), x, w, cval=1.5)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128, np.uint8, np.int16])
@pytest.mark.parametrize("mode", ["constant", "reflect", "wrap"])
def test_separable_3d_dtypes(rng, plans, dtype, mode):
    x = random_array(rng, (5, 40, 33), dtype)
    w = np.einsum("i,j,k->ijk", rng.standard_normal(3), rng.standard_normal(4),
                  rng.standard_normal(5))
    if np.dtype(dtype).kind == "c":
        w = w * (1 - 0.5j)
    kwargs = dict(mode=mode, cval=-2.0, padding="full", stride=(1, 2, 1))
    actual = pyconv.correlate(x, w, method="direct", **kwargs)
    assert kind(plans[-1]) == "separable"
    assert_close(actual, to_dtype(reference(x, w, **kwargs), dtype), x, w, out_dtype=dtype,
                 cval=-2.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_separable_intermediates_stay_within_range(plans, dtype):
    # Data near the dtype's limit and small weights: the result is finite,
    # and so must be the pass along the line (it sums one row's terms).
    big = np.finfo(dtype).max / 2
    x = np.full((8, 8), big, dtype)
    w = np.full((3, 3), 1e-3)
    actual = pyconv.correlate(x, w, method="direct")
    assert kind(plans[-1]) == "separable"
    expected = scipy.ndimage.correlate(x.astype(np.float64), w)
    assert np.isfinite(actual).all()
    np.testing.assert_allclose(actual, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)
    w = np.outer([1e-3, 2e-3, 1e-3], [3e-4, 1e-3, 5e-4])  # unequal factors
    actual = pyconv.correlate(x, w, mode="wrap", method="direct")
    assert kind(plans[-1]) == "separable"
    assert np.isfinite(actual).all()
    np.testing.assert_allclose(actual, scipy.ndimage.correlate(x.astype(np.float64), w,
                                                               mode="wrap"),
                               rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_separable_keeps_zero_taps_and_nan_local(rng, plans):
    # A zero row and column stay exactly zero in the factors, so a NaN under
    # a zero tap never reaches the output (as with the full kernel).
    w = np.outer([1.0, 0.0, 2.0, 1.0, -1.0], [0.5, 0.0, -1.0, 3.0, 2.0, 1.0])
    x = rng.standard_normal((40, 30))
    x[10, 10] = np.nan
    actual = pyconv.correlate(x, w, method="direct", mode="nearest")
    assert kind(plans[-1]) == "separable"
    expected = reference(np.nan_to_num(x), w, mode="nearest")
    poisoned = np.isnan(actual)
    for i, j in zip(*np.nonzero(poisoned), strict=True):
        # Only outputs whose window puts a non-zero tap on x[10, 10] (the
        # window of output (i, j) starts at (i - 2, j - 3)).
        assert w[10 - i + 2, 10 - j + 3] != 0
    assert poisoned.sum() == np.count_nonzero(w)
    assert_close(actual[~poisoned], expected[~poisoned], x[~np.isnan(x)], w)


SEPARABLE_COLUMN_CASES = {
    "2d": ((70, 37), np.float64, (5, 4), {"mode": "reflect"}),
    "2d float32 cval stride": ((70, 37), np.float32, (4, 3),
                               {"mode": "constant", "cval": 1.5, "stride": (3, 2)}),
    "dilation and padding": ((50, 40), np.float64, (3, 5),
                             {"dilation": (2, 1), "padding": "full", "mode": "wrap"}),
    "few lines": ((3, 40), np.float32, (5, 3), {"mode": "mirror"}),
    "converted output": ((70, 37), np.float32, (5, 3), {"output": np.int16}),
    "3d batch": ((4, 30, 37), np.float64, (1, 5, 3), {"mode": "nearest"}),
}


@pytest.mark.parametrize(("case", "nan_policy"), [
    (case, policy) for case, (*_, kwargs) in SEPARABLE_COLUMN_CASES.items()
    for policy in ("propagate", "omit")
    if policy == "propagate" or "output" not in kwargs])  # (omit: a floating output)
def test_separable_strips_sum_columns_as_a_line_at_a_time(rng, plans, monkeypatch, case,
                                                           nan_policy):
    # The pass across the buffered lines, several output lines at once (with
    # omit, of both sums): the same terms in the same order as one line at a time.
    shape, dtype, taps, kwargs = SEPARABLE_COLUMN_CASES[case]
    x = random_array(rng, shape, dtype) * 50
    a = rng.random(taps[-2]) + 0.1
    a[1] = 0  # a zero row: skipped either way
    w = np.multiply.outer(a, rng.random(taps[-1]) + 0.1).reshape(taps)
    if nan_policy == "omit":
        x[rng.random(shape) < 0.2] = np.nan
        kwargs = dict(kwargs, nan_policy="omit")
    columns = pyconv.correlate(x, w, method="direct", workers=2, **kwargs)
    assert kind(plans[-1]) == "separable" and plans[-1].sep_columns
    monkeypatch.setattr(_direct_plan, "separable_columns", lambda *args: False)
    lines = pyconv.correlate(x, w, method="direct", workers=2, **kwargs)
    assert kind(plans[-1]) == "separable" and not plans[-1].sep_columns
    np.testing.assert_array_equal(columns, lines, strict=True)


SPLIT_CASES = {
    "2d": ((70, 37), np.float64, (5, 4), {"mode": "reflect"}),
    "float32 NaN outside": ((70, 37), np.float32, (4, 5),
                            {"mode": "constant", "cval": np.nan}),
    "cval rows and stride": ((70, 37), np.float64, (4, 3),
                             {"mode": "constant", "cval": 1.5, "stride": (2, 1)}),
    "dilation and padding": ((50, 40), np.float64, (3, 5),
                             {"dilation": (2, 3), "padding": "full", "mode": "wrap"}),
    "long lines": ((30, 9000), np.float32, (3, 7), {"mode": "mirror"}),
    "line stride (masked sums)": ((40, 50), np.float64, (3, 5), {"stride": (1, 2)}),
    "a on two axes": ((5, 30, 37), np.float64, (2, 3, 4), {"mode": "nearest"}),
    "converted output": ((70, 37), np.float32, (5, 3),
                         {"output": np.float64, "mode": "nearest"}),
}


@pytest.mark.parametrize("case", SPLIT_CASES)
def test_omit_line_sums_over_split_values_as_with_a_mask_per_tap(rng, plans, monkeypatch,
                                                                 case):
    # b's two sums along the line with omit: plain sums over the values with
    # NaN as 0 and over 1 or 0, against masking every tap's value.
    shape, dtype, taps, kwargs = SPLIT_CASES[case]
    x = random_array(rng, shape, dtype) * 50
    x[rng.random(shape) < 0.2] = np.nan
    x[..., 3, :] = np.nan  # a whole line missing
    x[..., 10:22, 10:25] = np.nan  # windows with nothing present
    a = rng.random(taps[:-1]) - 0.3  # (negative weights: w * 0 is -0)
    w = np.multiply.outer(a, rng.random(taps[-1]) - 0.3)
    w[..., 1] = 0  # a zero tap along the line
    split = pyconv.correlate(x, w, method="direct", workers=2, nan_policy="omit", **kwargs)
    assert kind(plans[-1]) == "separable" and plans[-1].sep_split
    monkeypatch.setattr(_direct_plan, "split_present", lambda *args: False)
    masked = pyconv.correlate(x, w, method="direct", workers=2, nan_policy="omit", **kwargs)
    assert kind(plans[-1]) == "separable" and not plans[-1].sep_split
    np.testing.assert_array_equal(split, masked, strict=True)
    assert np.isnan(split).any() and not np.isnan(split).all()


# --------------------------------------------------------------------------
# Gathered strips: bitwise the line-by-line loop
# --------------------------------------------------------------------------

GATHERED_CASES = {
    "2d modes cval": ((70, 37), np.float64, (3, 4), {"cval": 1.5}),
    "2d stride y": ((70, 37), np.float64, (5, 3), {"stride": (2, 1), "mode": "wrap"}),
    "2d stride x dilation": ((70, 37), np.float32, (4, 3),
                             {"stride": (1, 2), "dilation": (2, 3), "padding": "full"}),
    "3d zero rows cval 0": ((6, 40, 33), np.float64, (3, 3, 3), {"mode": "constant"}),
    "3d zero rows cval 2": ((6, 40, 33), np.float32, (3, 3, 3),
                            {"mode": "constant", "cval": 2.0, "padding": "full"}),
    "4d": ((3, 4, 20, 18), np.float64, (2, 3, 3, 2), {"mode": "mirror"}),
    "converted long lines": ((40, 3000), np.uint8, (3, 3), {"mode": "nearest"}),
    "complex": ((50, 30), np.complex64, (3, 3), {"mode": "reflect"}),
    "batch axis": ((3, 50, 40), np.float64, (3, 5), {"axes": (1, 2)}),
    # A stride along the line: lines gathered as phases, read at unit step.
    "phases long in-place lines": ((30, 2100), np.float32, (3, 3),
                                   {"stride": 2, "mode": "constant", "cval": -1.0}),
    "phases stride 3": ((40, 300), np.float64, (3, 4), {"stride": (1, 3), "mode": "nearest"}),
    "phases one unused": ((40, 500), np.float32, (3, 3),
                          {"stride": 2, "dilation": (1, 2), "mode": "mirror"}),
    "phases converted": ((40, 700), np.int16, (3, 5), {"stride": 2, "mode": "wrap"}),
}


@pytest.mark.parametrize("case", GATHERED_CASES)
def test_gathered_strips_are_the_line_loop_bitwise(rng, plans, monkeypatch, case):
    shape, dtype, taps, kwargs = GATHERED_CASES[case]
    x = random_array(rng, shape, dtype)
    w = rng.standard_normal(taps)
    w[(1,) * (w.ndim - 1)] = 0  # a kernel row of zeros: skipped
    if np.dtype(dtype).kind == "c":
        w = w * (1 + 0.25j)
    strips = pyconv.correlate(x, w, method="direct", workers=2, **kwargs)
    assert kind(plans[-1]) == "gathered"
    monkeypatch.setattr(_direct_plan, "gathered_strip_choice", lambda *args: None)
    lines = pyconv.correlate(x, w, method="direct", workers=2, **kwargs)
    assert kind(plans[-1]) == "lines"
    np.testing.assert_array_equal(strips, lines)
    cval = kwargs.get("cval", 0.0)
    assert_close(strips, to_dtype(reference(x, w, **kwargs), dtype), x, w, cval=cval)


def test_gathered_strips_gather_only_the_phases_read(rng, plans):
    """With a stride s along the line, phase r is gathered only if some tap's
    offset is r modulo s (dilation 2, stride 2: the odd phase never is)."""
    for shape, taps, kwargs, phases in [
            ((40, 500), (3, 3), {"stride": 2, "dilation": (1, 2)}, [1, 0]),
            ((40, 300), (3, 4), {"stride": (1, 3)}, [1, 1, 1]),
            ((40, 300), (3, 4), {"stride": (1, 3), "dilation": (1, 3)}, [1, 0, 0])]:
        x = rng.standard_normal(shape).astype(np.float32)
        pyconv.correlate(x, rng.standard_normal(taps), method="direct", **kwargs)
        assert kind(plans[-1]) == "gathered", kwargs
        assert plans[-1].strip_phase_read.tolist() == phases, kwargs


def test_gathered_strips_split_long_converted_lines(rng, plans):
    x = random_array(rng, (40, 7000), np.uint16)  # longer than FILTERED_LIMIT allows
    w = rng.standard_normal((9, 3))
    actual = pyconv.correlate(x, w, method="direct", mode="mirror")
    plan = plans[-1]
    assert kind(plan) == "gathered" and plan.n_segments > 1
    assert_close(actual, to_dtype(reference(x, w, mode="mirror"), np.uint16), x, w)


# --------------------------------------------------------------------------
# Column strips: bitwise the line-by-line loop
# --------------------------------------------------------------------------

COLUMN_CASES = {
    "2d reflect": ((70, 37), np.float64, (5, 1), {}),
    "2d cval": ((70, 37), np.float32, (4, 1), {"mode": "constant", "cval": 1.5}),
    "2d cval 0, rows skipped": ((70, 37), np.float64, (7, 1), {"mode": "constant"}),
    "2d cval nan": ((30, 40), np.float64, (3, 1), {"mode": "constant", "cval": np.nan}),
    "stride": ((70, 37), np.float64, (5, 1), {"stride": (3, 1), "mode": "wrap"}),
    "dilation": ((70, 37), np.float32, (3, 1), {"dilation": (3, 1), "mode": "mirror"}),
    "stride and dilation": ((90, 20), np.float64, (4, 1),
                            {"stride": (2, 1), "dilation": (2, 1), "mode": "nearest"}),
    "padding full": ((70, 37), np.float64, (6, 1), {"padding": "full", "mode": "nearest"}),
    "padding explicit": ((50, 37), np.float32, (5, 1),
                         {"padding": [(7, 1), (0, 0)], "mode": "grid-wrap"}),
    "kernel longer than the axis": ((3, 40), np.float64, (9, 1), {"mode": "reflect"}),
    "one output line": ((1, 40), np.float64, (3, 1), {"mode": "constant", "cval": 2.0}),
    "short lines": ((50, 5), np.float32, (5, 1), {"mode": "reflect"}),
    "3d axis 0": ((20, 9, 33), np.float32, (5, 1, 1), {"mode": "reflect"}),
    "3d axis 1": ((6, 40, 33), np.float64, (1, 5, 1), {"mode": "constant", "cval": -2.0}),
    "3d axis 0, other axis past a constant edge": (
        (20, 9, 33), np.float64, (5, 1, 1),
        {"mode": "constant", "cval": 1.0, "padding": [(2, 2), (2, 1), (0, 0)]}),
    "3d strided other axis": ((20, 9, 33), np.float64, (5, 1, 1),
                              {"stride": (1, 2, 1), "mode": "mirror"}),
    "batch axis": ((3, 50, 40), np.float64, (5,), {"axes": (1,)}),
    "4d": ((3, 12, 4, 20), np.float32, (1, 1, 5, 1), {"mode": "wrap"}),
    "output strided along the line": ((70, 37), np.float64, (5, 1), {"output": "F"}),
    "integer output": ((70, 37), np.float32, (5, 1), {"output": np.int16}),
}


@pytest.mark.parametrize("case", COLUMN_CASES)
def test_column_strips_are_the_line_loop_bitwise(rng, plans, monkeypatch, case):
    shape, dtype, taps, kwargs = COLUMN_CASES[case]
    x = random_array(rng, shape, dtype) * 50
    x[tuple(n // 2 for n in shape)] = np.inf  # reaches exactly the windows that hold it
    w = rng.standard_normal(taps)
    if w.size >= 3:
        w.flat[1] = 0  # a zero tap: skipped, as the line loop skips it
    if kwargs.get("output") == "F":  # not the working dtype's unit steps: converted
        kwargs["output"] = np.empty(shape, dtype, order="F")
    columns = pyconv.correlate(x, w, method="direct", workers=2, **kwargs).copy()
    assert kind(plans[-1]) == "column"
    monkeypatch.setattr(_direct_plan, "column_axis", lambda problem: None)
    lines = pyconv.correlate(x, w, method="direct", workers=2, **kwargs)
    assert kind(plans[-1]) != "column"
    np.testing.assert_array_equal(columns, lines, strict=True)
    x[np.isinf(x)] = 0
    finite = pyconv.correlate(x, w, method="direct", **kwargs)
    output = kwargs.pop("output", None)
    expected = reference(x, w, **kwargs)
    if output is not None:
        expected = to_dtype(expected, output.dtype if isinstance(output, np.ndarray)
                            else output)
    assert_close(finite, expected, x, w, cval=kwargs.get("cval", 0.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_column_strips_every_line_length_and_strip(rng, plans, dtype):
    # Line lengths around one vector and the blocks of two; strips of 1 to
    # 2 groups of lines, their last group of 1 to COLUMN_LINES lines.
    w = rng.standard_normal((4, 1))
    for n in list(range(2, 40)) + [63, 64, 65]:
        for lines in (1, 2, 3, 5, 33, 38):
            x = rng.standard_normal((lines, n)).astype(dtype)
            actual = pyconv.correlate(x, w, mode="mirror", method="direct")
            assert kind(plans[-1]) == "column"
            assert_close(actual, reference(x, w, mode="mirror"), x, w)


def test_column_strips_do_not_depend_on_the_thread_count(rng):
    x = rng.standard_normal((300, 257))
    w = rng.standard_normal((9, 1))
    one = pyconv.correlate(x, w, method="direct", workers=1)
    np.testing.assert_array_equal(pyconv.correlate(x, w, method="direct", workers=2), one)
    np.testing.assert_array_equal(pyconv.correlate1d(x, w[:, 0], axis=0, workers=2), one)


def test_column_strips_only_where_they_apply(rng, plans):
    x = rng.standard_normal((40, 50))
    cases = [
        (x, (3, 1), {}, "column"),
        (x.astype(np.float32), (3, 1), {}, "column"),
        (x, (3, 2), {}, "lines"),  # two taps along the line
        (x, (1, 3), {}, "lines"),  # along the line only
        (x.astype(np.complex128), (3, 1), {}, "lines"),
        (x.astype(np.uint8), (3, 1), {}, "lines"),  # converted as gathered
        (x, (3, 1), {"stride": (1, 2)}, "lines"),  # a stride along the line
        (x, (3, 1), {"padding": [(1, 1), (1, 0)]}, "lines"),  # padding along it
        (x, (3, 1), {"nan_policy": "omit"}, "lines"),
        (x.T, (1, 3), {}, "column"),  # a Fortran-ordered input: its line axis is 0
    ]
    for data, taps, kwargs, expected in cases:
        pyconv.correlate(data, rng.standard_normal(taps) + 2, method="direct", **kwargs)
        assert kind(plans[-1]) != "column" if expected == "lines" else \
            kind(plans[-1]) == "column", (data.dtype, taps, kwargs)


# --------------------------------------------------------------------------
# The line-by-line loop: edge pieces and blocks
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_line_length(rng, plans, monkeypatch, dtype):
    # Lengths around the edge pieces (8 outputs) and the register blocks (one
    # vector, 2, 4 and 8 of them): every split of a line is exercised.
    monkeypatch.setattr(_direct_plan, "gathered_strip_choice", lambda *args: None)
    w = rng.standard_normal((3, 5))
    for n in range(1, 140):
        x = rng.standard_normal((4, n)).astype(dtype)
        for mode in ("reflect", "constant"):
            actual = pyconv.correlate(x, w, mode=mode, cval=0.5, method="direct")
            assert kind(plans[-1]) == "lines"
            assert_close(actual, reference(x, w, mode=mode, cval=0.5), x, w, cval=0.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_outputs_do_not_depend_on_where_blocks_fall(rng, dtype):
    # The same output computed at different places in a line (so in a block,
    # a partly overlapping last vector, or the one-by-one loop) is bitwise equal.
    x = random_array(rng, (5, 300), dtype)
    w = rng.standard_normal((3, 7))
    whole = pyconv.correlate(x, w, padding="valid", method="direct")
    for start in (0, 1, 3, 7, 13, 50):
        for stop in (start + 7, start + 9, start + 40, 300):
            part = pyconv.correlate(x[:, start:stop], w, padding="valid", method="direct")
            np.testing.assert_array_equal(part, whole[:, start:stop - 6])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
@pytest.mark.parametrize("stride", [2, 3, (1, 2), (2, 1)])
def test_strided_loads_are_the_dense_result_subsampled(rng, dtype, stride):
    # Stride 2 along the line loads two vectors and keeps every other value;
    # other strides load value by value. Either way each output is the dense
    # one, bitwise (same terms, same order), in place or gathered.
    x = random_array(rng, (40, 301), dtype)
    w = rng.standard_normal((3, 5))
    dense = pyconv.correlate(x, w, mode="mirror", method="direct")
    sy, sx = (stride, stride) if isinstance(stride, int) else stride
    strided = pyconv.correlate(x, w, mode="mirror", method="direct", stride=stride)
    np.testing.assert_array_equal(strided, dense[::sy, ::sx])
