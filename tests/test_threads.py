"""Threads: bitwise-identical results for any `workers`, OpenMP limits
respected, concurrent calls safe, and the build really multi-threaded."""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import pyconv
from pyconv import _direct_plan, _kernels, _openmp

WORKERS = [1, 2, 3, -1]

CASES = [
    # (shape, weights shape, keyword arguments): each exercises a different
    # cut into work items (many lines, one long line, 3-D, strided, gathers).
    ((301, 257), (3, 3), {}),
    ((200_000,), (31,), {"mode": "constant"}),
    ((17, 40, 33), (3, 3, 3), {"mode": "wrap"}),
    ((120, 130), (7, 7), {"stride": (2, 3), "dilation": 2, "padding": "full"}),
    ((9, 50, 60), (5, 5), {"axes": (1, 2), "mode": "mirror"}),
]


def run(shape, wshape, kwargs, dtype, workers):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(wshape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape).astype(dtype)
    return pyconv.correlate(x, w, workers=workers, method="direct", **kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.uint8])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_bitwise_identical_for_every_workers(case, dtype):
    shape, wshape, kwargs = CASES[case]
    baseline = run(shape, wshape, kwargs, dtype, 1)
    for workers in WORKERS[1:] + [None]:
        result = run(shape, wshape, kwargs, dtype, workers)
        assert result.tobytes() == baseline.tobytes(), workers


def test_threadpool_limits_respected_and_results_unchanged():
    shape, wshape, kwargs = CASES[0]
    baseline = run(shape, wshape, kwargs, np.float64, 2)
    openmp_libraries = [info for info in threadpool_info() if info["user_api"] == "openmp"]
    if _openmp.have_openmp():
        assert openmp_libraries, "threadpoolctl does not see pyconv's OpenMP runtime"
    with threadpool_limits(1, user_api="openmp"):
        assert _openmp.effective_workers(None) == 1
        limited = run(shape, wshape, kwargs, np.float64, None)
        assert pyconv.show_config(mode="dicts")["openmp"]["default_workers"] == 1
    assert limited.tobytes() == baseline.tobytes()


def test_omp_num_threads_respected(tmp_path):
    # (run outside the checkout, where ./pyconv would shadow the installed package)
    code = "from pyconv import _openmp; print(_openmp.effective_workers(None))"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "1"
    if _openmp.have_openmp():
        env["OMP_NUM_THREADS"] = "3"
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True, cwd=tmp_path)
        assert out.stdout.strip() == "3"


def test_workers_resolution():
    cores = _openmp.num_procs()
    assert _openmp.effective_workers(4) == 4
    assert _openmp.effective_workers(-1) == cores
    if cores > 1:
        assert _openmp.effective_workers(-2) == cores - 1
    with pytest.raises(ValueError):
        _openmp.effective_workers(0)
    with pytest.raises(ValueError):
        _openmp.effective_workers(-cores - 1)
    with pytest.raises(TypeError):
        _openmp.effective_workers(2.0)
    assert _openmp.effective_workers(_openmp.MAX_WORKERS) == _openmp.MAX_WORKERS
    with pytest.raises(ValueError, match="more than the 1024 threads"):
        _openmp.effective_workers(_openmp.MAX_WORKERS + 1)


FORKED = """
import multiprocessing, numpy as np, pyconv
from pyconv import _openmp

def call(_):
    x = np.random.default_rng(0).standard_normal((256, 256))
    return pyconv.correlate(x, np.ones((3, 3)), workers=2).tobytes(), \
        _openmp.effective_workers(2)

if __name__ == "__main__":
    parent, _ = call(0)  # the parent starts OpenMP's thread pool
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map(call, range(4))
    assert all(result == parent for result, _ in results)
    print(sorted({workers for _, workers in results}), _openmp.effective_workers(2))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")
def test_a_forked_child_runs_after_the_parent_used_threads(tmp_path):
    # libgomp's pool does not survive fork(): the child computes on one thread
    # instead of waiting forever for threads that only the parent has.
    script = tmp_path / "forked.py"
    script.write_text(FORKED)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, check=True, cwd=tmp_path)
    assert out.stdout.split() == ["[1]", "2"]


@pytest.mark.skipif(os.environ.get("PYCONV_ALLOW_NO_OPENMP") == "1",
                    reason="PYCONV_ALLOW_NO_OPENMP=1: building without OpenMP is accepted")
def test_build_has_openmp():
    """Fails if the build silently lost OpenMP (set PYCONV_ALLOW_NO_OPENMP=1
    for a compiler that has none)."""
    assert _openmp.have_openmp(), "pyconv was built without OpenMP"
    assert pyconv.show_config(mode="dicts")["openmp"]["enabled"]
    assert _openmp.team_size(2) == 2, "a parallel region of 2 threads ran on fewer"


def test_concurrent_calls_from_python_threads():
    rng = np.random.default_rng(3)
    inputs = [rng.standard_normal((150, 170)).astype(np.float32) for _ in range(8)]
    weights = [rng.standard_normal((k, k)) for k in (3, 4, 5, 6, 7, 3, 4, 5)]
    expected = [pyconv.correlate(x, w, workers=1, method="direct")
                for x, w in zip(inputs, weights, strict=True)]
    results = [None] * 8
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait()
        for _ in range(5):
            out = pyconv.correlate(inputs[i], weights[i], workers=2, method="direct")
            if results[i] is None or out.tobytes() != expected[i].tobytes():
                results[i] = out
        if results[i] is None:
            results[i] = out

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for result, want in zip(results, expected, strict=True):
        assert result.tobytes() == want.tobytes()


def test_gil_is_released():
    """Another Python thread keeps running while a long call computes."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1500, 1500))
    w = rng.standard_normal((15, 15))  # not separable: a long call (~0.1 s)
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(1)
            done.wait(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    ticks.clear()
    pyconv.correlate(x, w, workers=1, method="direct")
    count = len(ticks)
    done.set()
    t.join()
    assert count >= 5, f"the ticker thread ran only {count} times during the call"


def test_scratch_is_thread_private(plans):
    """No two threads' scratch shares a cache line, nor does a thread's
    scratch share one with memory outside its block (malloc's neighbours),
    for each kind of cut; every region starts on a line of its own."""
    rng = np.random.default_rng(5)
    long_lines = rng.standard_normal((8, 3000))
    short_lines = rng.standard_normal((40, 50))
    for x, w in [(long_lines, rng.standard_normal((3, 3))),  # lines
                 (short_lines, np.outer(rng.standard_normal(5), rng.standard_normal(6))),
                 (short_lines, rng.standard_normal((5, 6)))]:  # strips: separable, gathered
        pyconv.correlate(np.tile(x, (8, 8)), w, workers=2, method="direct")
    assert [plan.strips for plan in plans] == [
        _direct_plan.LINES, _direct_plan.SEPARABLE_STRIPS, _direct_plan.GATHERED_STRIPS]
    for plan in plans:
        scratch = plan.scratch
        line = scratch.line
        assert plan.n_threads == 2
        offsets = [getattr(scratch, name) for name in (
            "acc", "row_bufs", "sources", "steps", "weights", "parts", "row_sources",
            "row_constant", "lines", "needed")]
        assert all(offset % line == 0 for offset in offsets)
        assert offsets == sorted(offsets)
        assert scratch.row_bytes % line == 0 and scratch.row_bytes >= offsets[-1] + 2 * line
        for _ in range(20):  # new blocks at various addresses
            block, lead = _kernels.direct.scratch_block(plan)
            first_row = block.ctypes.data + lead
            assert first_row % line == 0 and lead >= line
            # Each row, the last one included, ends with its spare line.
            assert block.nbytes >= lead + plan.n_threads * scratch.row_bytes


@pytest.fixture
def calm(monkeypatch):
    """A machine not found busy yet (the back-off state restored afterwards)."""
    monkeypatch.setattr(_openmp, "_backoff", 0.0)
    monkeypatch.setattr(_openmp, "_busy_until", 0.0)
    monkeypatch.setattr(_openmp, "_strike", False)


def test_a_busy_machine_backs_off_to_one_thread(calm, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(_openmp.time, "monotonic", lambda: now[0])
    assert _openmp.parallel_threads(2) == 2
    _openmp.record_wait(1e-3, 1e-4, 0.5)  # half the work, a short wait: threads paid
    assert _openmp.parallel_threads(2) == 2
    _openmp.record_wait(4e-3, 1e-3, 0.5)  # a wait stretched by time slices, but
    assert _openmp.parallel_threads(2) == 2  # two threads still beat one (5 < 0.9 * 8 ms)
    _openmp.record_wait(4e-3, 3e-3, 0.6)  # waited most of its own working time:
    assert _openmp.parallel_threads(2) == 2  # once on a calm machine, a hiccup
    _openmp.record_wait(1e-3, 1e-4, 0.5)  # (forgotten when the next call pays)
    _openmp.record_wait(4e-3, 3e-3, 0.6)
    assert _openmp.parallel_threads(2) == 2
    _openmp.record_wait(4e-3, 3e-3, 0.6)  # twice in a row: busy
    assert _openmp.parallel_threads(2) == 1
    _openmp.record_wait(1e-3, 1e-5, 0.5)  # a probe that pays: calm again
    assert _openmp._backoff == 0 and _openmp.parallel_threads(2) == 2
    backoffs = []
    for _ in range(9):  # did all the work, then waited: one thread would have been faster
        _openmp.record_wait(1e-3, 5e-3, 1.0)
        backoffs.append(_openmp._backoff)
    assert backoffs[0] == 0  # (the first, a hiccup)
    assert backoffs[1] == _openmp.MIN_BACKOFF
    assert backoffs[2] == 2 * _openmp.MIN_BACKOFF
    assert backoffs[-1] == _openmp.MAX_BACKOFF
    assert _openmp.parallel_threads(2) == 1 and _openmp.parallel_threads(1) == 1
    now[0] += _openmp.MAX_BACKOFF + 0.01  # the back-off ends: the next call probes
    assert _openmp.parallel_threads(4) == 4
    _openmp.record_wait(1e-3, 1e-5, 0.5)  # threads paid once: the back-off halves
    assert _openmp._backoff == _openmp.MAX_BACKOFF / 2 and _openmp.parallel_threads(4) == 1
    probes = 0
    while _openmp._backoff:  # each probe that pays halves it, down to calm
        now[0] += _openmp._backoff + 0.01
        assert _openmp.parallel_threads(4) == 4
        _openmp.record_wait(1e-3, 1e-5, 0.5)
        probes += 1
    # After waits of 4, 2, 1, 0.5 and 0.25 s (MIN_BACKOFF): calm.
    assert probes == 5 and _openmp.parallel_threads(4) == 4
    for _ in range(2):  # the first thread ran late and did nothing, twice
        _openmp.record_wait(0.0, 2e-2, 0.0)
    assert _openmp._backoff == _openmp.MIN_BACKOFF and _openmp.parallel_threads(4) == 1
    now[0] += _openmp._backoff + 0.01  # during a back-off, one late probe doubles it
    _openmp.record_wait(0.0, 2e-2, 0.0)
    assert _openmp._backoff == 2 * _openmp.MIN_BACKOFF


def test_parallel_calls_report_their_wait(calm, monkeypatch):
    """A call planned for two threads reports its first thread's work and
    wait; while backing off it runs on one thread, with the same bits."""
    reports = []
    real = _openmp.record_wait
    monkeypatch.setattr(_openmp, "record_wait", lambda *args: reports.append(args) or real(*args))
    rng = np.random.default_rng(3)
    x = rng.standard_normal((512, 512))
    w = rng.standard_normal((5, 5))
    parallel = pyconv.correlate(x, w, workers=2, method="direct")
    assert len(reports) == 1
    work, wait, share = reports[0]
    # (On a busy machine the first thread may start late and find no work
    # left: work 0, share 0; the report is then all wait.)
    assert work >= 0 and wait >= 0 and work + wait > 0 and 0 <= share <= 1
    assert (share == 0) == (work == 0)
    monkeypatch.setattr(_openmp, "_busy_until", float("inf"))
    reports.clear()
    serial = pyconv.correlate(x, w, workers=2, method="direct")
    assert reports == []  # one thread: nothing to wait for
    assert serial.tobytes() == parallel.tobytes()


def test_small_calls_run_on_one_thread(monkeypatch):
    """Work below THREAD_WORK multiply-adds per thread never wakes a team."""
    plans = []
    real = _direct_plan.plan
    monkeypatch.setattr(_direct_plan, "plan", lambda *a: plans.append(real(*a)) or plans[-1])
    monkeypatch.setattr(_direct_plan, "CACHED_PLANS", 0)
    x = np.ones((64, 64))
    pyconv.correlate(x, np.ones((3, 3)), workers=4)
    assert plans[-1].n_threads == 1
    big = np.ones((1024, 1024))
    pyconv.correlate(big, np.ones((3, 3)), workers=4)
    assert plans[-1].n_threads == 4
    assert 1024 * 1024 * 9 // 4 >= _direct_plan.THREAD_WORK
