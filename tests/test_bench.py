"""`python -m pyconv`, the main job: it runs, checks, and never reports a
speed-up for a result that failed its check."""

import ast
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pyconv
from pyconv import bench
from pyconv.bench import _display, _timing, plot, scipy_table


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
    for option in ("--quick", "--full", "--workers", "--json", "--plot", "--version"):
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
    order = ["_timing", "_display", "scipy_table", "sweep", "plot", "opencv", "_cli",
             "__init__"]
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
