"""`python -m pyconv`, the main job: it runs, checks, and never reports a
speed-up for a result that failed its check."""

import ast
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import pyconv
from pyconv import bench
from pyconv.bench import _cli, _display, _timing, busy, missing, plot, scipy_table, small, streams


def test_main_job_quick_run(tmp_path):
    # A subprocess from outside the checkout, as a user runs it (its output
    # piped, as in CI: no progress bar without --no-progress either).
    out = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, "-m", "pyconv", "--quick", "--json", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert "pyconv benchmark" not in completed.stderr and "\r" not in completed.stderr
    printed = completed.stdout
    for word in ("case", "pyconv", "scipy", "speed-up", "max error", "openmp", "stride",
                 "dilation", "3-D", "1-D", "2-D"):
        assert word in printed
    results = json.loads(out.read_text())["results"]
    assert len(results) == len(scipy_table.cases("quick"))
    assert all(r["passed"] and r["speedup"] > 0 for r in results)
    assert {r["method"] for r in results} == {"direct", "fft"}


def test_sweep(capsys, tmp_path):
    out = tmp_path / "sweep.json"
    assert bench.main(["--quick", "--no-progress", "--sweep", "--json", str(out)]) == 0
    assert "kernel sweep" in capsys.readouterr().out
    points = json.loads(out.read_text())["sweep"]
    assert {p["signal"] for p in points} == {"1-D", "2-D"}
    assert all(p["passed"] and p["direct_seconds"] > 0 and p["fft_seconds"] > 0
               for p in points)


def test_help():
    completed = subprocess.run([sys.executable, "-m", "pyconv", "--help"],
                               capture_output=True, text=True, timeout=60, cwd="/")
    assert completed.returncode == 0
    for option in ("--quick", "--full", "--workers", "--json", "--plot", "--version",
                   "--small", "--busy", "--streams"):
        assert option in completed.stdout


def test_version():
    completed = subprocess.run([sys.executable, "-m", "pyconv", "--version"],
                               capture_output=True, text=True, timeout=60, cwd="/")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == f"pyconv {pyconv.__version__}\n"


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("tqdm_installed", [True, False])
def test_progress_bar_only_on_a_terminal(monkeypatch, tqdm_installed):
    if tqdm_installed:
        pytest.importorskip("tqdm")
    else:
        monkeypatch.setitem(sys.modules, "tqdm", None)
    items = scipy_table.cases("quick")[:3]
    for stream, enabled, shown in ((io.StringIO(), True, False), (Terminal(), True, True),
                                   (Terminal(), False, False)):
        monkeypatch.setattr(sys, "stderr", stream)
        assert list(_display.progress(items, enabled)) == items
        printed = stream.getvalue()
        assert bool(printed) == shown, (type(stream).__name__, enabled, printed)
        if shown:
            assert ("pyconv benchmark" if tqdm_installed else items[-1].name) in printed


def test_failed_check_prints_no_speedup(monkeypatch, capsys):
    original = scipy_table.reference_function

    def wrong_reference(case, x, w):
        function = original(case, x, w)
        if case.name.startswith("2-D image, small"):
            return lambda: function() + 1.0
        return function

    monkeypatch.setattr(scipy_table, "reference_function", wrong_reference)
    status = bench.main(["--quick", "--no-progress"])
    printed = capsys.readouterr().out
    assert status == 1
    row = next(line for line in printed.splitlines() if line.startswith("2-D image, small"))
    assert "FAILED" in row and "x " not in row + " "
    others = [line for line in printed.splitlines() if line.startswith("1-D signal")]
    assert others and all("x" in line for line in others)


def test_plot_without_matplotlib_is_a_clear_error(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--quick", "--no-progress", "--plot", str(tmp_path / "x.png")])
    assert exit_info.value.code == 2
    assert "matplotlib" in capsys.readouterr().err


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "speedups.png"
    assert bench.main(["--quick", "--no-progress", "--plot", str(path)]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_labels_every_bar_and_names_the_run(tmp_path):
    pytest.importorskip("matplotlib")
    results = [
        scipy_table.Result("2-D image, small kernel", "ndimage", 0.002, 0.018, 9.04, 0.0,
                           1e-6, True, "direct"),
        scipy_table.Result("1-D signal, large kernel", "oaconvolve", 0.006, 0.0216, 3.6, 0.0,
                           1e-6, True, "fft"),
        scipy_table.Result("2-D image, stride 2", "ndimage then [::2, ::2]", float("nan"),
                           float("nan"), None, 1.0, 1e-6, False, "direct"),
    ]
    run = {"date": "2026-11-24 10:00:00", "machine": "Test CPU, 2 cores", "workers": 2,
           "size": "quick"}
    path = tmp_path / "speedups.png"
    figure = plot.plot(results, path, run)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (axis,) = figure.axes
    labels = [text.get_text() for text in axis.texts]
    assert labels == ["9.0x", "3.6x", "FAILED"]
    title = figure.get_suptitle() + " " + axis.get_title()
    for part in (f"pyconv {pyconv.__version__}", "workers=2", "2026-11-24",
                 "Test CPU, 2 cores", "quick"):
        assert part in title, (part, title)
    names = [label.get_text() for label in axis.get_yticklabels()]
    assert names[0] == "2-D image, small kernel (direct)"


def test_every_case_checks_against_an_independent_result():
    rng = np.random.default_rng(0)
    for case in scipy_table.cases("quick"):
        x, w = scipy_table.make_data(case, rng)
        reference = scipy_table.reference_function(case, x, w)()
        geometry = {k: v for k, v in case.kwargs.items() if k != "mode"}
        assert reference.shape == pyconv.output_shape(x.shape, w.shape, **geometry)


def test_the_warm_up_runs_for_its_time_or_its_rounds(monkeypatch):
    calls = []
    functions = [lambda: calls.append(0), lambda: calls.append(1)]
    monkeypatch.setattr(_timing, "WARM_UP_CALLS", 5)
    _timing.warm_up(functions)
    assert calls == [0, 1] * 5  # quick functions: every round
    calls.clear()
    monkeypatch.setattr(_timing, "WARM_UP", 0.0)
    _timing.warm_up(functions)
    assert calls == [0, 1]  # one round at least
    calls.clear()
    monkeypatch.setattr(_timing, "WARM_UP", 0.05)
    _timing.warm_up([lambda: calls.append(0) or time.sleep(0.02)])
    assert 2 <= len(calls) <= 3  # slow ones: until WARM_UP seconds have passed


@pytest.mark.parametrize("count", [1, 2, 3])
def test_the_two_compared_functions_see_mirror_histories(monkeypatch, count):
    # A call runs in the caches the two calls before it left: the first two
    # functions (the pair compared) must see the same histories, each with
    # the other in its place; a third (the anchor) always runs last.
    monkeypatch.setattr(_timing, "WARM_UP_CALLS", 1)  # (one warm-up round)
    sequence = []
    functions = [lambda index=index: sequence.append(index) for index in range(count)]
    timings = _timing.median_times(functions, budget=0, max_calls=12, min_calls=12)
    assert timings.calls == 12 and len(timings.medians) == count
    assert timings.times.shape == (count, 12)
    timed = sequence[count:]  # after one warm-up call each
    assert sorted(timed) == sorted(list(range(count)) * 12)
    if count == 3:
        assert timed[2::3] == [2] * 12
    if count > 1:
        swap = {0: 1, 1: 0, 2: 2}

        def histories(function, mirror=False):
            return Counter(tuple(swap[f] if mirror else f for f in sequence[i - 2:i])
                           for i in range(count, len(sequence))
                           if sequence[i] == function)

        assert histories(0) == histories(1, mirror=True)
    with pytest.raises(ValueError, match="one to three"):
        _timing.median_times(functions * 4, budget=0, max_calls=1)


def test_a_ratio_is_the_median_of_the_rounds_ratios():
    # Both calls of a round share the machine's state; a ratio of medians
    # would compare calls made under different states.
    timings = _timing.Timings(np.array([[1.0, 2.0, 3.0, 8.0], [2.0, 4.0, 1.0, 4.0]]))
    assert timings.medians == [2.5, 3.0]
    assert timings.ratio(0, 1) == np.median([0.5, 0.5, 3.0, 2.0]) == 1.25
    assert timings.ratio(1, 0) == np.median([2.0, 2.0, 1 / 3, 0.5]) == 1.25
    assert timings.calls == 4


def test_workers_are_counted_as_pyconv_counts_them(capsys):
    cores = pyconv.show_config(mode="dicts")["openmp"]["cores"]
    assert _timing.thread_count(None) == pyconv.show_config(mode="dicts")["openmp"][
        "default_workers"]
    assert _timing.thread_count(3) == 3
    assert _timing.thread_count(-1) == cores
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--quick", "--no-progress", "--workers", "0"])
    assert exit_info.value.code == 2
    assert "--workers" in capsys.readouterr().err


def test_the_bench_uses_only_the_public_api_and_imports_one_way():
    # pyconv.bench is pyconv's first user: pyconv's private modules stay free
    # to change under it. Within it, each module imports only those listed
    # before it in its package docstring, so there is no import cycle.
    package = Path(bench.__file__).parent
    order = ["_timing", "_display", "scipy_table", "sweep", "small", "busy", "plot", "opencv",
             "missing", "streams", "_cli", "__init__"]
    assert sorted(path.stem for path in package.glob("*.py")) == sorted(order)
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] != "pyconv" or len(parts) == 1:
                    continue
                if parts[1] == "bench" and len(parts) > 2:
                    assert order.index(parts[2]) < order.index(path.stem), (path.name, name)
                elif parts[1] != "bench":
                    assert not parts[1].startswith("_"), (path.name, name)


SMALL_KEYS = {"name", "size", "shape", "dtype", "taps", "default_seconds", "one_worker_seconds",
              "scipy_seconds", "default_ratio", "one_worker_ratio", "calls", "target",
              "max_error", "passed"}


def test_small_table(capsys, tmp_path):
    out = tmp_path / "small.json"
    assert bench.main(["--small", "--quick", "--no-progress", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    for word in ("fixed cost", "default/scipy", "1/scipy", "target", "<= 1.5x", "<= 1.0x",
                 "openmp"):
        assert word in printed
    assert "size sweep" not in printed and "case (float32)" not in printed
    report = json.loads(out.read_text())
    assert "small" in report and "size_sweep" not in report and "results" not in report
    rows = report["small"]
    assert [r["name"] for r in rows] == [c.name for c in small.cases()]
    assert [r["target"] for r in rows] == [1.5, 1.0, 1.0, None, 1.0, 1.0, 1.0, 1.0]
    for r in rows:
        assert set(r) == SMALL_KEYS
        assert r["passed"] and r["calls"] >= 2
        assert r["default_ratio"] > 0 and r["one_worker_ratio"] > 0
        assert r["name"] in printed


def _tiny_sweep(monkeypatch, size):
    monkeypatch.setattr(small, "SWEEP_SIZES", (10, 1000))
    for table, value in ((small.CALLS, 3), (small.BUDGET, 0.001), (small.MIN_CALLS, 1),
                         (small.SWEEP_BUDGET, 0.001)):
        monkeypatch.setitem(table, size, value)


def test_small_full_adds_the_size_sweep(monkeypatch, capsys, tmp_path):
    _tiny_sweep(monkeypatch, "full")
    out = tmp_path / "sweep.json"
    assert bench.main(["--small", "--full", "--no-progress", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "size sweep" in printed
    assert printed.count("slower than scipy (") == 2  # default workers, workers=1
    report = json.loads(out.read_text())
    points = report["size_sweep"]
    assert len(points) == len(small.SWEEP_KERNELS) * len(small.SWEEP_DTYPES) * 2
    assert {p["size"] for p in points} == {10, 1000}
    assert {p["dtype"] for p in points} == {"float32", "float64"}
    assert {len(p["shape"]) for p in points} == {1, 2, 3}
    assert all(set(p) == SMALL_KEYS and p["passed"] for p in points)
    assert {tuple(p["shape"]) for p in points if p["size"] == 1000} >= {(1000,), (32, 32),
                                                                        (10, 10, 10)}


def test_format_sweep_names_the_sizes_where_pyconv_is_slower():
    def row(name, size, ratio):
        return small.Row(name, size, (size,), "float64", 3, 1.0, 1.0, 1.0, ratio, 0.5, 5, 1.0,
                         0.0, True)

    rows = [row("1-D, 3 taps, float64", 10, 1.2), row("1-D, 3 taps, float64", 100_000, 0.5),
            row("2-D, 3x3, float64", 10, 0.9), row("2-D, 3x3, float64", 100_000, 1.01)]
    text = small.format_sweep(rows)
    assert ("slower than scipy (default) at:\n  1-D, 3 taps, float64: 10\n"
            "  2-D, 3x3, float64: 1e5\n") in text
    assert "slower than scipy (workers=1) at: no size" in text
    assert "1.20x" in text and "1e5" in text


def test_full_also_prints_the_small_table_and_the_size_sweep(monkeypatch, capsys, tmp_path):
    _tiny_sweep(monkeypatch, "full")
    monkeypatch.setattr(_cli, "cases", lambda size: scipy_table.cases("quick")[:2])
    monkeypatch.setitem(_cli.BUDGET, "full", 0.001)
    out = tmp_path / "full.json"
    assert bench.main(["--full", "--no-progress", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "speed-up" in printed and "fixed cost" in printed and "size sweep" in printed
    report = json.loads(out.read_text())
    assert len(report["results"]) == 2 and report["small"] and report["size_sweep"]
    assert "busy" not in report


BUSY_KEYS = {"load", "name", "shape", "taps", "default_seconds", "one_worker_seconds",
             "scipy_seconds", "default_over_one_worker", "default_over_scipy", "calls",
             "load_held", "max_error", "passed"}


def test_busy_table_stops_its_load_processes(monkeypatch, capsys, tmp_path):
    started = []
    hogs = busy.hogs

    def recording_hogs(count, lifetime):
        manager = hogs(count, lifetime)
        processes = manager.__enter__()
        started.append(processes)
        assert len(processes) == count and all(p.poll() is None for p in processes)
        return _Entered(manager, processes)

    monkeypatch.setattr(busy, "hogs", recording_hogs)
    out = tmp_path / "busy.json"
    assert bench.main(["--busy", "--quick", "--no-progress", "--json", str(out)]) == 0
    assert [len(processes) for processes in started] == list(busy.LOADS) == [2, 4]
    assert all(p.poll() is not None for processes in started for p in processes)
    printed = capsys.readouterr().out
    for word in ("busy machine", "default/1", "default/scipy", "<= 1.1x", "<= 1.0x", "others"):
        assert word in printed
    rows = json.loads(out.read_text())["busy"]
    assert len(rows) == len(busy.LOADS) * len(busy.CASES)
    assert [r["load"] for r in rows] == [2] * 4 + [4] * 4
    for r in rows:
        assert set(r) == BUSY_KEYS
        assert r["passed"] and r["load_held"] and r["calls"] >= 1
        assert r["default_over_one_worker"] > 0 and r["default_over_scipy"] > 0
    assert [r["name"] for r in rows[:4]] == ["2-D 16x16, 3x3", "1-D 50,000 samples, 7 taps",
                                             "2-D 128x128, 3x3", "2-D 512x512, 5x5"]


class _Entered:
    """An entered context manager, entered again as itself."""

    def __init__(self, manager, value):
        self.manager, self.value = manager, value

    def __enter__(self):
        return self.value

    def __exit__(self, *exc_info):
        return self.manager.__exit__(*exc_info)


def test_load_processes_stop_on_an_exception():
    with pytest.raises(KeyboardInterrupt), busy.hogs(2, 60) as processes:
        assert all(p.poll() is None for p in processes)
        raise KeyboardInterrupt
    assert all(p.poll() is not None for p in processes)
    assert all(p.stdout.closed for p in processes)


def test_a_load_process_stops_by_itself_after_its_lifetime():
    with busy.hogs(1, 0.2) as (process,):
        assert process.wait(timeout=30) == 0


def _state(pid):
    """A process's state letter from /proc, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def _gone(pids, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(_state(pid) in (None, "Z") for pid in pids):
            return True
        time.sleep(0.05)
    return False


def _children(pid):
    """The pids of `pid`'s child processes, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (ValueError, OSError):
            continue
    return found


needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs /proc")


@needs_proc
def test_a_load_process_stops_when_its_parent_dies(tmp_path):
    code = ("import os\nfrom pyconv.bench import busy\nwith busy.hogs(1, 120) as (p,):\n"
            "    print(p.pid, flush=True)\n    os._exit(0)\n")
    # (Outside the checkout: Python started there would import the source tree.)
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               timeout=60, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert _gone([int(completed.stdout)])


@needs_proc
def test_ctrl_c_during_the_busy_table_leaves_no_load_process(tmp_path):
    parent = subprocess.Popen([sys.executable, "-m", "pyconv", "--busy", "--no-progress"],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while len(children := _children(parent.pid)) < 2 and parent.poll() is None:
            assert time.monotonic() < deadline, "the load processes never started"
            time.sleep(0.02)
        parent.send_signal(signal.SIGINT)
        _, stderr = parent.communicate(timeout=60)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.communicate()
    assert parent.returncode != 0 and b"KeyboardInterrupt" in stderr
    assert _gone(children)


def test_streams_table(capsys, tmp_path):
    out = tmp_path / "streams.json"
    assert bench.main(["--streams", "--quick", "--no-progress", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "stream/whole" in printed and "lfilter" in printed
    rows = json.loads(out.read_text())["streams"]
    assert [r["name"] for r in rows] == [c.name for c in streams.CASES]
    for row in rows:
        assert row["passed"] and row["stream_seconds"] > 0 and row["whole_ratio"] > 0
    assert rows[0]["lfilter_ratio"] > 0 and rows[1]["lfilter_ratio"] is None


def test_streams_runs_alone(capsys):
    with pytest.raises(SystemExit):
        bench.main(["--streams", "--small"])
    assert "--streams runs alone" in capsys.readouterr().err


def test_stream_bench_checks_before_timing(monkeypatch):
    """A stream whose result differed would be reported FAILED, not timed."""
    monkeypatch.setattr(streams, "stream_through",
                        lambda w, x, chunk, workers: [np.zeros(x.shape, x.dtype)])
    row = streams.measure(streams.CASES[0], 1, "quick", np.random.default_rng(0))
    assert not row.passed and row.runs == 0
    assert "FAILED" in streams.format_table([row])
def test_nan_table_checks_then_times(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(missing, "SCALE", 0.05)
    monkeypatch.setattr(missing, "CALLS", 2)
    monkeypatch.setattr(missing, "BUDGET", 0.01)
    out = tmp_path / "nan.json"
    assert bench.main(["--nan", "--no-progress", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "nan_policy='omit'" in printed and "vs plain gaussian_filter" in printed
    rows = json.loads(out.read_text())["results"]
    assert [row["name"] for row in rows] == list(missing.NAMES)
    for row in rows:
        assert row["passed"]
        if not row["note"]:  # (astropy's row is skipped without it)
            assert row["ratio"] > 0 and row["max_error"] < 1e-4


def test_nan_table_reports_a_failed_check(monkeypatch, capsys):
    monkeypatch.setattr(missing, "SCALE", 0.05)
    real = missing.case

    def broken(name):  # omit that forgets the holes
        omit, anchor, check = real(name) or (None, None, None)
        return (omit, anchor, lambda: float("inf")) if omit else None

    monkeypatch.setattr(missing, "case", broken)
    assert bench.main(["--nan", "--no-progress"]) == 1
    assert "check failed" in capsys.readouterr().out


def test_nan_runs_alone(capsys):
    with pytest.raises(SystemExit):
        bench.main(["--nan", "--small"])
    assert "run alone" in capsys.readouterr().err
