"""A call repeated with the same arguments reuses what the first one decided
(pyconv._dispatch): the same results, and never a check skipped."""

import gc
import sys
import threading
import weakref

import numpy as np
import pytest
import scipy.ndimage as ndi

import pyconv
from pyconv import _dispatch


@pytest.fixture
def repeats(monkeypatch):
    """An empty cache of repeated calls, for this test only (the FFT backend
    chosen, as after the first call that may use it: it is part of the key)."""
    from pyconv import _fft_backends

    _fft_backends.current()
    monkeypatch.setattr(_dispatch, "_REPEATS", {})
    return _dispatch._REPEATS


def test_a_repeat_gives_the_first_calls_result_on_new_data(repeats, rng):
    w = rng.standard_normal((3, 3))
    for _ in range(3):
        x = rng.standard_normal((20, 30))
        got = pyconv.correlate(x, w, mode="wrap", stride=(1, 2))
        with _no_repeats():
            expected = pyconv.correlate(x, w, mode="wrap", stride=(1, 2))
        np.testing.assert_array_equal(got, expected)
    assert len(repeats) == 1


def test_the_key_is_the_arguments_not_the_data(repeats, rng):
    x = rng.standard_normal((16, 16))
    w = rng.standard_normal((3, 3))
    pyconv.correlate(x, w)
    pyconv.correlate(x + 1, w)  # new data: the same entry
    assert len(repeats) == 1
    w[1, 1] += 1  # the same weights array, other values: another entry
    np.testing.assert_array_equal(pyconv.correlate(x, w), _fresh(pyconv.correlate, x, w))
    pyconv.correlate(np.asfortranarray(x), w)  # other strides
    pyconv.correlate(x.astype(np.float32), w)  # other dtype
    pyconv.correlate(x, w, workers=1)
    pyconv.correlate(x, w, output=np.float32)
    assert len(repeats) == 6


def test_values_the_checks_refuse_never_find_an_entry(repeats):
    x, w = np.arange(10.0), [1.0, 2.0, 1.0]
    pyconv.correlate1d(x, w, origin=1, stride=1)
    with pytest.raises(TypeError, match="origin"):
        pyconv.correlate1d(x, w, origin=1.0, stride=1)
    with pytest.raises(TypeError, match="stride"):
        pyconv.correlate1d(x, w, origin=1, stride=True)
    with pytest.raises(ValueError, match="workers"):
        pyconv.correlate1d(x, w, origin=1, stride=1, workers=0)


def test_the_promotion_warning_comes_every_time(repeats, rng):
    x = rng.standard_normal(20)
    w = np.array([1.0, 1j])
    for _ in range(3):
        with pytest.warns(UserWarning, match="promoting"):
            pyconv.correlate1d(x, w, output=np.float64)


def test_a_repeat_keeps_no_data_alive(repeats, rng):
    x = rng.standard_normal((32, 32))
    pyconv.correlate(x, np.ones((3, 3)))
    watch = weakref.ref(x)
    del x
    gc.collect()
    assert watch() is None
    assert len(repeats) == 1


def test_repeats_from_threads_at_once(repeats, rng):
    w = rng.standard_normal((5, 5))
    _check_from_threads(lambda x: pyconv.correlate(x, w, workers=1),
                        [rng.standard_normal((64, 64)) for _ in range(8)])


def _check_from_threads(call, inputs):
    """`call` on each input from a thread of its own, 20 times over, all at
    once: every result is a fresh call's."""
    expected = [_fresh(call, x) for x in inputs]
    results = [None] * len(inputs)

    def work(i):
        for _ in range(20):
            results[i] = call(inputs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for got, want in zip(results, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_no_entry_for_arrays_given_as_output_or_bool_data(repeats, rng):
    x = rng.standard_normal((8, 8))
    pyconv.correlate(x, np.ones((3, 3)), output=np.empty((8, 8)))
    pyconv.correlate(x > 0, np.ones((3, 3)))
    pyconv.correlate(x, np.ones((3, 3)), output=bool)
    assert len(repeats) == 0


def test_the_fft_backend_in_use_is_part_of_the_key(monkeypatch):
    from pyconv import _fft_backends

    arguments = (np.ones(50), np.ones(5), None, "reflect", 0.0, 0,
                 dict(axes=None, method="auto", workers=None, convolution=False))
    key = _dispatch._repeat_key(*arguments[:-1], arguments[-1])
    assert key[-1] is _fft_backends.current_if_chosen()
    monkeypatch.setattr(_fft_backends._selection, "transforms", object())
    assert _dispatch._repeat_key(*arguments[:-1], arguments[-1]) != key


def test_the_call_that_chooses_the_fft_backend_leaves_the_next_calls_entry(monkeypatch):
    # Before any call needed an FFT backend, the key holds None; the call
    # that chooses one keeps its entry under the key the next call makes.
    from pyconv import _fft_backends

    monkeypatch.setattr(_dispatch, "_REPEATS", {})
    monkeypatch.setattr(_fft_backends._selection, "transforms", None)
    x, w = np.arange(50.0), np.ones(5)
    first = pyconv.correlate1d(x, w)  # method "auto": the plan asks the backend
    assert _fft_backends.current_if_chosen() is not None
    (key,) = _dispatch._REPEATS
    assert key[-1] is _fft_backends.current_if_chosen()
    np.testing.assert_array_equal(pyconv.correlate1d(x, w), first)
    assert list(_dispatch._REPEATS) == [key]  # found, not made anew


def _fresh(function, *args, **kwargs):
    with _no_repeats():
        return function(*args, **kwargs)


class _no_repeats:
    """Calls in this block neither find nor leave an entry."""

    def __enter__(self):
        self.saved = _dispatch._REPEATS
        _dispatch._REPEATS = {}
        self.limit, _dispatch.CACHED_REPEATS = _dispatch.CACHED_REPEATS, 0
        return self

    def __exit__(self, *exc):
        _dispatch._REPEATS = self.saved
        _dispatch.CACHED_REPEATS = self.limit
        return False



def test_nan_policy_on_repeated_calls(repeats, rng):
    w = rng.standard_normal((3, 3)) + 1
    clean = rng.standard_normal((12, 12))
    for _ in range(3):  # omit: each call's own missing samples
        x = clean.copy()
        x[rng.random(x.shape) < 0.1] = np.nan
        got = pyconv.correlate(x, w, nan_policy="omit", mode="constant", cval=np.nan)
        expected = _fresh(pyconv.correlate, x, w, nan_policy="omit", mode="constant",
                          cval=np.nan)
        np.testing.assert_array_equal(got, expected)
    pyconv.correlate(clean, w, nan_policy="raise")  # raise: each call's data scanned
    x = clean.copy()
    x[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        pyconv.correlate(x, w, nan_policy="raise")


def test_caches_evict_safely_from_many_threads(monkeypatch):
    """Calls from threads at once fill and evict the plan and repeat caches:
    an eviction never breaks another thread's (a dict changed during
    iteration, seen under ASan before the caches had locks)."""
    from pyconv import _direct_plan

    monkeypatch.setattr(_direct_plan, "CACHED_PLANS", 2)
    monkeypatch.setattr(_dispatch, "CACHED_REPEATS", 2)
    monkeypatch.setattr(_dispatch, "_REPEATS", {})
    monkeypatch.setattr(_direct_plan, "_PLANS", {})
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns between almost every bytecode
    errors = []

    def work(seed):
        rng = np.random.default_rng(seed)
        try:
            for _ in range(150):
                shape = tuple(rng.integers(3, 9, size=2))
                pyconv.correlate(rng.standard_normal(shape), np.ones((2, 3)), workers=1)
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    try:
        threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert not errors, errors[0]


# The filter family checks its shared arguments once per set of them
# (pyconv._separable.check_call keeps the outcome, not the data).


def _counted(monkeypatch, module, name):
    """The shapes of the first argument of each call of module.name from now
    on, its filter caches (preparations and checks) emptied."""
    from pyconv import _filters, _separable

    monkeypatch.setattr(_filters, "_PREPARED", {})
    monkeypatch.setattr(_separable, "_CHECKED", {})
    ran = []
    real = getattr(module, name)

    def counting(*args, **kwargs):
        ran.append(args[0].shape)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return ran


@pytest.fixture
def checks(monkeypatch):
    """Empty filter caches, and the count of checks that ran."""
    from pyconv import _separable

    return _counted(monkeypatch, _separable, "normalize")


def test_a_filter_checks_once_per_set_of_arguments(checks, rng):
    x = rng.standard_normal((12, 10))
    first = pyconv.gaussian_filter(x, 1.5, mode="wrap")
    for _ in range(3):
        np.testing.assert_array_equal(pyconv.gaussian_filter(x, 1.5, mode="wrap"), first)
    pyconv.gaussian_filter(x + 1, 1.5, mode="wrap")  # new data: no new check
    assert len(checks) == 1
    pyconv.gaussian_filter(x.astype(np.float32), 1.5, mode="wrap")  # other dtype
    pyconv.gaussian_filter(x[:6], 1.5, mode="wrap")  # other shape
    pyconv.gaussian_filter(x, 1.5, mode="nearest")
    pyconv.gaussian_filter(x, 1.5, mode="wrap", workers=1)
    pyconv.gaussian_filter(x, 1.5, mode="wrap", output=np.float32)
    pyconv.sobel(x, mode="wrap")  # method "direct", not "auto": another set
    pyconv.prewitt(x, mode="wrap")  # the same set as sobel's
    assert len(checks) == 7


def test_a_filter_check_keeps_types_apart_and_refusals_out(checks, rng):
    x = rng.standard_normal((8, 8))
    pyconv.uniform_filter(x, 3, cval=1, mode="constant")
    pyconv.uniform_filter(x, 3, cval=1.0, mode="constant")  # 1.0 is not 1
    assert len(checks) == 2
    pyconv.uniform_filter(x, 3, stride=1)
    with pytest.raises(TypeError, match="stride"):
        pyconv.uniform_filter(x, 3, stride=True)  # equal to 1, refused all the same
    with pytest.raises(ValueError, match="workers"):
        pyconv.uniform_filter(x, 3, workers=0)


def test_a_filter_scans_for_nan_and_warns_on_every_call(checks, rng):
    x = rng.standard_normal((8, 8))
    pyconv.gaussian_filter(x, 1.0, nan_policy="raise")
    x[3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        pyconv.gaussian_filter(x, 1.0, nan_policy="raise")
    complex_data = rng.standard_normal((8, 8)) + 1j
    for _ in range(2):  # a promoted output dtype warns each time
        with pytest.warns(UserWarning, match="promoting"):
            result = pyconv.gaussian_filter(complex_data, 1.0, output=np.float64)
        assert result.dtype == np.complex128


def test_cached_gaussian_weights_are_read_only():
    from pyconv import _separable

    weights = _separable.gaussian_weights(2.0, 1, 8)
    assert weights is _separable.gaussian_weights(2.0, 1, 8)
    with pytest.raises(ValueError, match="read-only"):
        weights[0] = 1.0


def test_fused_passes_make_the_cheap_key_of_scalar_arguments(repeats, monkeypatch, rng):
    # Two passes fused into one call pass one value for both axes where they
    # agree (and no axes for a 2-D input): a repeat freezes no sequence.
    frozen = []
    real = _dispatch._frozen
    monkeypatch.setattr(_dispatch, "_frozen", lambda value: frozen.append(value) or real(value))
    x = rng.standard_normal((20, 30))
    for _ in range(2):
        frozen.clear()  # (the first call's preparation and check freeze theirs)
        for function, arguments in [(pyconv.uniform_filter, (3,)),
                                    (pyconv.gaussian_filter, (1.0,)), (pyconv.sobel, ())]:
            np.testing.assert_allclose(function(x, *arguments),
                                       getattr(ndi, function.__name__)(x, *arguments),
                                       rtol=1e-12, atol=1e-12)
    assert frozen == [] and len(repeats) == 3
    # Per-axis values that differ: the same results through the sequences' key.
    for mode in (["reflect", "wrap"], ["nearest", "mirror"]):
        np.testing.assert_allclose(pyconv.uniform_filter(x, (3, 5), mode=mode),
                                   ndi.uniform_filter(x, (3, 5), mode=mode), rtol=1e-12,
                                   atol=1e-12)
    assert frozen


def test_fused_kernels_are_cached_read_only(rng):
    from pyconv import _separable

    a, b = rng.standard_normal(5), rng.standard_normal(3)
    outer = _separable._outer(a, b)
    np.testing.assert_array_equal(outer, np.multiply.outer(a, b))
    assert outer is _separable._outer(a.copy(), b.copy())
    with pytest.raises(ValueError, match="read-only"):
        outer[0, 0] = 1.0


# Above the checks, a filter keeps what it prepared (its parsed arguments,
# passes and check) for recent sets of arguments.


@pytest.fixture
def prepared(monkeypatch):
    """Empty filter caches, and the count of preparations that ran (each
    ends with one check)."""
    from pyconv import _filters

    return _counted(monkeypatch, _filters, "check_call")


FAMILY_CALLS = [
    ("gaussian_filter", (1.5,), {"mode": "wrap"}),
    ("gaussian_filter1d", (2.0,), {"axis": 0, "order": 1}),
    ("uniform_filter", (3,), {"mode": "nearest"}),
    ("uniform_filter1d", (5,), {"origin": 1}),
    ("sobel", (), {"axis": 0}),
    ("prewitt", (), {"axis": 0}),
    ("laplace", (), {"mode": "mirror"}),
    ("gaussian_laplace", (1.0,), {}),
    ("gaussian_gradient_magnitude", (1.0,), {"truncate": 3.0}),
]


@pytest.mark.parametrize("name, arguments, keywords", FAMILY_CALLS)
def test_a_filter_prepares_once_per_set_of_arguments(prepared, rng, name, arguments,
                                                      keywords):
    function = getattr(pyconv, name)
    x = rng.standard_normal((12, 10))
    expected = getattr(ndi, name)(x, *arguments, **keywords)
    first = function(x, *arguments, **keywords)
    np.testing.assert_allclose(first, expected, rtol=1e-12, atol=1e-12)
    for _ in range(3):
        np.testing.assert_array_equal(function(x, *arguments, **keywords), first)
    y = rng.standard_normal((12, 10))  # new data: nothing prepared anew
    np.testing.assert_allclose(function(y, *arguments, **keywords),
                               getattr(ndi, name)(y, *arguments, **keywords),
                               rtol=1e-12, atol=1e-12)
    assert len(prepared) == 1
    function(x.astype(np.float32), *arguments, **keywords)  # another dtype
    function(x[:6], *arguments, **keywords)  # another shape
    function(x, *arguments, **keywords, output=np.float32)
    assert len(prepared) == 4


@pytest.mark.parametrize("function", [pyconv.gaussian_filter, pyconv.uniform_filter])
def test_the_nan_policy_is_part_of_a_preparation(prepared, rng, function):
    x = rng.standard_normal((9, 7))
    x[4, 3] = np.nan
    for _ in range(2):
        omitted = function(x, 2, nan_policy="omit")
        propagated = function(x, 2)
        assert np.isfinite(omitted).all() and np.isnan(propagated).any()
    assert len(prepared) == 2


def test_sobel_and_prewitt_keep_their_own_preparations(prepared, rng):
    x = rng.standard_normal((9, 7))
    for _ in range(2):
        np.testing.assert_allclose(pyconv.sobel(x), ndi.sobel(x), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(pyconv.prewitt(x), ndi.prewitt(x), rtol=1e-12,
                                   atol=1e-12)
    assert len(prepared) == 2


def test_a_preparation_keeps_types_apart_and_refusals_out(prepared, rng):
    x = rng.standard_normal((8, 8))
    pyconv.uniform_filter1d(x, 3)
    pyconv.uniform_filter1d(x, 3.0)  # scipy takes a float size; 3.0 is not 3
    pyconv.gaussian_filter(x, 1)
    pyconv.gaussian_filter(x, 1.0)
    assert len(prepared) == 4
    for _ in range(2):  # a refused call is refused every time
        with pytest.raises(TypeError, match="sigma"):
            pyconv.gaussian_filter(x, True)  # equal to 1 and 1.0, which are kept
        with pytest.raises(ValueError, match="origin"):
            pyconv.uniform_filter1d(x, 3, origin=2)
        with pytest.raises(ValueError, match="sigma"):
            pyconv.gaussian_filter(x, -1.0)
        with pytest.raises(TypeError, match="stride"):
            pyconv.uniform_filter(x, 3, stride=True)



@pytest.mark.parametrize("function, arguments", [
    (pyconv.correlate1d, ([1.0, 2.0, 1.0],)),
    (pyconv.convolve1d, ([1.0, 2.0, 1.0],)),
    (pyconv.uniform_filter1d, (3,)),
    (pyconv.gaussian_filter1d, (1.0,)),
])
def test_a_1d_functions_axis_is_checked_whatever_its_type(rng, function, arguments):
    # A plain int axis goes into the key as it is; any other type still
    # goes through the axis checks.
    x = rng.standard_normal((5, 6))
    expected = function(x, *arguments, axis=0)
    np.testing.assert_array_equal(function(x, *arguments, axis=np.int64(0)), expected)
    np.testing.assert_array_equal(function(x, *arguments, axis=-2), expected)
    for _ in range(2):
        with pytest.raises(TypeError):
            function(x, *arguments, axis=True)
        with pytest.raises(TypeError):
            function(x, *arguments, axis=(0,))
        with pytest.raises(TypeError):
            function(x, *arguments, axis=0.0)
        with pytest.raises(ValueError, match="out of range"):
            function(x, *arguments, axis=2)


# A filter call repeated on data of the same layout replays the calls its
# chains made the first time (recorded through filter_any's `steps`).


@pytest.fixture
def replays(monkeypatch):
    """Empty filter caches and repeated calls (the FFT backend chosen, as in
    `repeats`), and the count of repeat keys made from now on."""
    from pyconv import _fft_backends, _filters, _separable

    _fft_backends.current()
    monkeypatch.setattr(_filters, "_PREPARED", {})
    monkeypatch.setattr(_separable, "_CHECKED", {})
    monkeypatch.setattr(_dispatch, "_REPEATS", {})
    keys = []
    real = _dispatch._repeat_key
    monkeypatch.setattr(_dispatch, "_repeat_key",
                        lambda *args: keys.append(args[0].shape) or real(*args))
    return keys


REPLAYED_CALLS = FAMILY_CALLS + [
    ("uniform_filter", (15,), {}),  # running sums
    ("uniform_filter", (15,), {"output": np.float32}),  # then a rounding
    ("uniform_filter1d", (20,), {"axis": 0, "stride": 3}),
    ("gaussian_filter", (1.0,), {"nan_policy": "omit", "mode": "constant", "cval": np.nan}),
    ("gaussian_filter", (2.0,), {"stride": 2, "mode": "mirror"}),
    ("gaussian_filter", ((1.0, 0.0),), {"axes": (0, 1), "stride": 2}),  # a copying pass
    ("sobel", (), {"axis": 1, "output": np.float32}),
    ("gaussian_gradient_magnitude", (1.0,), {"output": np.float32}),  # sum, then rounding
    ("laplace", (), {"axes": ()}),  # a copy
]


@pytest.mark.parametrize("name, arguments, keywords", REPLAYED_CALLS)
@pytest.mark.parametrize("shape, dtype", [((23, 17), np.float64), ((6, 5, 9), np.float32),
                                          ((30,), np.int16)])
def test_a_replay_gives_a_fresh_calls_result_on_new_data(replays, rng, name, arguments,
                                                        keywords, shape, dtype):
    function = getattr(pyconv, name)
    if name.endswith("1d") and "axis" in keywords and len(shape) == 1:
        keywords = {**keywords, "axis": 0}
    if any(a >= len(shape) for a in keywords.get("axes", ())) or \
            keywords.get("axis", 0) >= len(shape):
        pytest.skip("an axis the input lacks")
    if "nan_policy" in keywords and np.dtype(dtype).kind != "f":
        pytest.skip("omit needs a floating output")
    inputs = [(rng.standard_normal(shape) * 50).astype(dtype) for _ in range(4)]
    if keywords.get("nan_policy") == "omit":
        for x in inputs:
            x[rng.random(shape) < 0.1] = np.nan
    first = function(inputs[0], *arguments, **keywords)
    made = len(replays)
    results = [function(x, *arguments, **keywords) for x in inputs[1:]]
    assert len(replays) == made  # replayed: no repeat key made
    for x, got in zip(inputs, [first, *results], strict=True):
        expected = _fresh(function, x, *arguments, **keywords)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


def test_a_replay_is_bound_to_the_inputs_layout(replays, rng):
    from pyconv import _filters

    x = rng.standard_normal((20, 30))
    wide = rng.standard_normal((20, 40))
    layouts = [x, np.asfortranarray(x), wide[:, :30], x.astype(">f8")]
    for _ in range(2):
        for data in layouts:
            np.testing.assert_array_equal(pyconv.gaussian_filter(data, 1.5),
                                          _fresh(pyconv.gaussian_filter, data, 1.5))
    assert len(_filters._PREPARED) == len(layouts)


def test_a_running_sum_that_meets_a_nan_is_not_replayed_and_a_replay_meets_one(replays,
                                                                             rng):
    from pyconv import _filters

    clean = rng.standard_normal((40, 30))
    gappy = clean.copy()
    gappy[7, 9] = np.nan  # the running sums fall back to a correlation
    np.testing.assert_array_equal(pyconv.uniform_filter(gappy, 31),
                                  _fresh(pyconv.uniform_filter, gappy, 31))
    (entry,) = _filters._PREPARED.values()
    assert entry.replays == {}  # (the fallback is not what the next call should do)
    for data in (clean, gappy, clean):
        result = pyconv.uniform_filter(data, 31)
        np.testing.assert_array_equal(result, _fresh(pyconv.uniform_filter, data, 31))
        assert np.isnan(result).any() == (data is gappy)
    assert len(entry.replays) == 1


def test_replays_follow_the_thread_count(replays, rng):
    from threadpoolctl import threadpool_limits

    from pyconv import _filters

    x = rng.standard_normal((64, 64))
    expected = _fresh(pyconv.gaussian_filter, x, 2.0)
    np.testing.assert_array_equal(pyconv.gaussian_filter(x, 2.0), expected)
    with threadpool_limits(1, user_api="openmp"):
        np.testing.assert_array_equal(pyconv.gaussian_filter(x, 2.0), expected)
    (entry,) = _filters._PREPARED.values()
    assert len(entry.replays) == (
        2 if pyconv.show_config(mode="dicts")["openmp"]["default_workers"] > 1 else 1)


def test_no_replay_while_repeated_calls_are_not_kept(replays, monkeypatch, rng):
    from pyconv import _filters

    monkeypatch.setattr(_dispatch, "CACHED_REPEATS", 0)
    x = rng.standard_normal((30, 20))
    for _ in range(2):
        pyconv.uniform_filter(x, 15)  # (running sums, which need no repeat)
        pyconv.gaussian_laplace(x, 1.0)
    assert all(entry.replays == {} for entry in _filters._PREPARED.values())


def test_replays_from_threads_at_once(replays, rng):
    _check_from_threads(lambda x: pyconv.gaussian_gradient_magnitude(x, 1.5, workers=1),
                        [rng.standard_normal((48, 40)) for _ in range(8)])


def test_a_replay_keeps_no_data_alive(replays, rng):
    x = rng.standard_normal((32, 32))
    for _ in range(2):
        pyconv.uniform_filter(x, 15, output=np.float32)
        pyconv.gaussian_gradient_magnitude(x, 1.0)
    watch = weakref.ref(x)
    del x
    gc.collect()
    assert watch() is None
