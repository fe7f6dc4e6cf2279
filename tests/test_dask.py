"""pyconv on dask arrays: lazy, equal to the in-memory call for every keyword,
through the threaded scheduler and through dask.distributed worker processes."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from common import ALL_MODES, UNDER_ASAN, assert_close
from hypothesis import given
from hypothesis import strategies as st

import pyconv

da = pytest.importorskip("dask.array")


def random_chunks(draw, shape):
    """Uneven chunks, some smaller than any kernel."""
    chunks = []
    for n in shape:
        sizes, left = [], n
        while left > 0:
            size = min(left, draw(st.integers(1, max(1, n // 2 + 1))))
            sizes.append(size)
            left -= size
        chunks.append(tuple(sizes) or (0,))
    return tuple(chunks)


@st.composite
def problems(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 14), min_size=ndim, max_size=ndim)))
    n_axes = draw(st.integers(1, ndim))
    axes = tuple(draw(st.permutations(range(ndim)))[:n_axes])
    taps = draw(st.lists(st.integers(1, 6), min_size=n_axes, max_size=n_axes))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int16, np.complex64]))
    x = (rng.standard_normal(shape) * 10).astype(dtype)
    w = rng.standard_normal(taps)
    padding = [draw(st.one_of(st.sampled_from(["same", "valid", "full"]),
                              st.tuples(st.integers(0, 5), st.integers(0, 5))))
               for _ in range(n_axes)]
    kwargs = {
        "axes": axes,
        "mode": draw(st.lists(st.sampled_from(ALL_MODES), min_size=n_axes, max_size=n_axes)),
        "cval": draw(st.floats(-2, 2)),
        "stride": draw(st.lists(st.integers(1, 3), min_size=n_axes, max_size=n_axes)),
        "dilation": draw(st.lists(st.integers(1, 3), min_size=n_axes, max_size=n_axes)),
        "padding": padding,
        "method": draw(st.sampled_from(["auto", "direct", "fft"])),
    }
    return x, w, kwargs, random_chunks(draw, shape), draw(st.booleans())


@given(problems())
def test_equals_in_memory_for_random_chunkings(problem):
    x, w, kwargs, chunks, flip = problem
    function = pyconv.convolve if flip else pyconv.correlate
    lazy = function(da.from_array(x, chunks=chunks), w, **kwargs)
    assert isinstance(lazy, da.Array)
    eager = function(x, w, **kwargs)
    assert lazy.shape == eager.shape and lazy.dtype == eager.dtype
    # Equal to rounding: a chunk of length 1 on the contiguous axis makes the
    # direct kernel walk another axis, so the order of a sum may differ.
    assert_close(lazy.compute(scheduler="threads"), eager, x, w, cval=kwargs["cval"])


@pytest.mark.parametrize("mode", ALL_MODES)
def test_1d_functions_and_origin(mode):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((23, 31))
    w = rng.standard_normal(6)
    dx = da.from_array(x, chunks=(5, 4))
    for function in (pyconv.correlate1d, pyconv.convolve1d):
        for origin in (-3, 0, 2):
            for axis in (0, 1):
                lazy = function(dx, w, axis=axis, mode=mode, origin=origin, cval=1.5,
                                stride=2, method="direct")
                np.testing.assert_array_equal(
                    lazy.compute(), function(x, w, axis=axis, mode=mode, origin=origin,
                                             cval=1.5, stride=2, method="direct"))
        lazy = function(dx, w, mode=mode, padding=(7, 2), dilation=3, method="direct")
        np.testing.assert_array_equal(
            lazy.compute(), function(x, w, mode=mode, padding=(7, 2), dilation=3,
                                     method="direct"))


def test_kernel_longer_than_array_and_chunks():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 6))
    w = rng.standard_normal((13, 17))
    for mode in ALL_MODES:
        lazy = pyconv.correlate(da.from_array(x, chunks=(2, 1)), w, mode=mode,
                                padding="full", method="direct")
        np.testing.assert_array_equal(
            lazy.compute(), pyconv.correlate(x, w, mode=mode, padding="full",
                                             method="direct"))


@pytest.mark.parametrize("dilation", [10**5, 10**8])
@pytest.mark.parametrize("function", ["correlate", "convolve"])
def test_huge_dilation_costs_nothing_on_dask(dilation, function):
    # A halo as long as the dilated kernel would be materialised position by
    # position: an axis shorter than its halo is filtered whole instead.
    rng = np.random.default_rng(3)
    x = rng.standard_normal((10, 10))
    w = rng.standard_normal((3, 2))
    call = getattr(pyconv, function)
    for mode in ALL_MODES:
        kwargs = dict(mode=mode, cval=0.5, dilation=(1, dilation), method="direct")
        lazy = call(da.from_array(x, chunks=(3, 4)), w, **kwargs)
        assert lazy.chunks[0] != (10,) and lazy.chunks[1] == (10,)
        np.testing.assert_array_equal(lazy.compute(), call(x, w, **kwargs))
    kwargs = dict(dilation=(2, dilation), stride=(1, 3), padding=[(1, 4), "full"])
    np.testing.assert_array_equal(
        call(da.from_array(x, chunks=(3, 4)), w, **kwargs).compute(), call(x, w, **kwargs))


@pytest.mark.parametrize("stride", [1, 3])
def test_dilated_taps_read_only_their_own_runs(stride):
    # Taps further apart than a block's run: each task reads one run per tap,
    # not the whole dilated span between them.
    from pyconv._dask import _runs

    assert _runs((4, 9), False, 400, 1, 150, 3) == ([(4, 8), (154, 158), (304, 308)], 5)
    assert _runs((4, 9), False, 400, 1, 2, 3) == ([(4, 12)], 2)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((50, 400))
    w = rng.standard_normal((3, 3))
    for mode in ALL_MODES:
        for function in (pyconv.correlate, pyconv.convolve):
            kwargs = dict(mode=mode, cval=-1.0, dilation=(2, 150), stride=(1, stride),
                          method="direct")
            lazy = function(da.from_array(x, chunks=(10, 20)), w, **kwargs)
            assert len(lazy.chunks[1]) > 1
            np.testing.assert_array_equal(lazy.compute(), function(x, w, **kwargs))


def test_unknown_chunk_sizes_say_what_to_do():
    x = da.from_array(np.arange(20.0), chunks=5)
    picked = x[x > 3]  # chunk sizes unknown until computed
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        pyconv.correlate1d(picked, [1.0, 2.0])
    np.testing.assert_array_equal(
        pyconv.correlate1d(picked.compute_chunk_sizes(), [1.0, 2.0]).compute(),
        pyconv.correlate1d(np.arange(4.0, 20.0), [1.0, 2.0]))


def test_nothing_is_computed_until_asked():
    computed = []

    def source(block):
        computed.append(block.shape)
        return block

    lazy_input = da.ones((40, 40), chunks=10).map_blocks(source, dtype=float,
                                                         meta=np.empty((0, 0)))
    lazy = pyconv.correlate(lazy_input, np.ones((3, 3)), mode="wrap", stride=2)
    assert computed == [] and isinstance(lazy, da.Array)
    assert lazy.shape == (20, 20)
    lazy.compute()
    assert computed


def test_each_task_uses_one_thread_by_default(monkeypatch):
    from pyconv import _dask

    seen = []
    original = _dask._filter_block

    def spy(pieces, slices, convolution, weights, kwargs):
        seen.append(kwargs["workers"])
        return original(pieces, slices, convolution, weights, kwargs)

    monkeypatch.setattr(_dask, "_filter_block", spy)
    x = da.ones((64, 64), chunks=16)
    pyconv.correlate(x, np.ones((3, 3))).compute(scheduler="threads")
    assert seen and set(seen) == {1}
    seen.clear()
    pyconv.correlate(x, np.ones((3, 3)), workers=2).compute(scheduler="threads")
    assert set(seen) == {2}


def test_errors_are_raised_when_building_the_graph():
    x = da.ones((10, 10), chunks=5)
    with pytest.raises(ValueError, match="mode"):
        pyconv.correlate(x, np.ones((3, 3)), mode="bogus")
    with pytest.raises(ValueError, match="origin"):
        pyconv.correlate(x, np.ones((3, 3)), origin=1, padding="valid")
    with pytest.raises(TypeError, match="output"):
        pyconv.correlate(x, np.ones((3, 3)), output=np.empty((10, 10)))
    assert pyconv.correlate(x, np.ones((3, 3)), output=np.float32).dtype == np.float32


def test_empty_results():
    x = da.ones((0, 7), chunks=3)
    assert pyconv.correlate(x, np.ones((2, 2))).compute().shape == (0, 7)
    x = da.ones((3, 7), chunks=3)
    assert pyconv.correlate(x, np.ones((5, 2)), padding="valid").compute().shape == (0, 6)


def test_distributed_worker_processes():
    distributed = pytest.importorskip("dask.distributed")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((60, 70)).astype(np.float32)
    w = rng.standard_normal((5, 3))
    # A free port for the dashboard: another cluster on this machine may hold 8787.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        lazy = pyconv.correlate(da.from_array(x, chunks=(16, 20)), w, mode="mirror",
                                stride=(1, 2), dilation=(2, 1), method="direct")
        result = client.compute(lazy).result()
    np.testing.assert_array_equal(result, pyconv.correlate(x, w, mode="mirror",
                                                           stride=(1, 2), dilation=(2, 1),
                                                           method="direct"))


def test_pyconv_does_not_import_dask(tmp_path):
    code = textwrap.dedent("""
        import sys, numpy as np, pyconv
        pyconv.correlate(np.ones((5, 5)), np.ones((3, 3)))
        print(any(name == "dask" or name.startswith("dask.") for name in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
@pytest.mark.skipif(UNDER_ASAN,
                    reason="AddressSanitizer's shadow memory and quarantine inflate RSS; "
                           "the budget is checked in the normal test run")
@pytest.mark.skipif(sys.platform != "linux",
                    reason="reads the peak RSS from /proc/self/status")
def test_memory_stays_bounded_on_a_4_gb_array(tmp_path):
    """Filter a lazily generated 4 GiB array and reduce it: the peak RSS stays
    far below the array's size (chunks are filtered and dropped one by one)."""
    code = textwrap.dedent("""
        import numpy as np, dask, dask.array as da, pyconv
        x = da.random.default_rng(0).random((32768, 32768), chunks=(2048, 2048),
                                              dtype=np.float32)
        assert x.nbytes >= 4 * 2**30
        total = pyconv.correlate(x, np.full((3, 3), 1 / 9), mode="reflect").sum()
        value = float(total.compute(scheduler="threads", num_workers=2))
        # VmHWM is this process's own peak: ru_maxrss would carry over the
        # parent's (a pytest process that grew large) across fork and exec.
        with open("/proc/self/status") as status:
            peak = next(int(line.split()[1]) * 1024 for line in status
                        if line.startswith("VmHWM:"))
        print(value, peak)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=900, check=True)
    value, peak = map(float, out.stdout.split())
    assert abs(value / 32768**2 - 0.5) < 1e-3  # the mean of uniform [0, 1)
    assert peak < 1.5 * 2**30, f"peak RSS {peak / 2**30:.2f} GiB"


def test_docs_example_runs_at_a_small_size(tmp_path):
    """docs/examples/dask_zarr_volume.py: zarr in, LocalCluster, zarr out."""
    from pathlib import Path

    pytest.importorskip("zarr")
    pytest.importorskip("dask.distributed")
    script = Path(__file__).resolve().parent.parent / "docs" / "examples" / "dask_zarr_volume.py"
    if not script.exists():
        pytest.skip("docs/ is not next to tests/")
    completed = subprocess.run(
        [sys.executable, str(script), "--shape", "40", "48", "56", "--chunks", "16",
         "--workdir", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
        timeout=600)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "dashboard: http" in completed.stdout
    error = float(completed.stdout.split("max error in a corner")[1])
    assert error < 1e-5
    assert (tmp_path / "smoothed.zarr").exists() and (tmp_path / "half.zarr").exists()
