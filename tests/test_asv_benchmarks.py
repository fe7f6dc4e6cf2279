"""The asv suite cannot rot: every module imports, every benchmark runs once,
for every parameter combination, on tiny data; the suites use pyconv's
public API only; the quick pass stays small; asv.conf.json installs what
the suites import."""

import ast
import importlib
import importlib.util
import inspect
import itertools
import json
import math
import pkgutil
import sys
from pathlib import Path

import numpy as np
import pytest

SUITE = Path(__file__).resolve().parent.parent / "asv_benchmarks"
PREFIXES = ("time_", "peakmem_", "track_", "mem_")
# Suites that asv skips (setup raises NotImplementedError) without an
# optional dependency.
OPTIONAL = {"benchmarks.bench_opencv": "cv2", "benchmarks.bench_family": "cv2",
            "benchmarks.bench_dask": "dask.array", "benchmarks.bench_nan": "astropy"}
# The quick pass starts one process per benchmark and parameter combination
# (about 1.3 s each on 2 busy cores before any work): this many keeps
# `asv run --python=same --quick` within 5 minutes.
MAX_QUICK_PROCESSES = 115

pytestmark = pytest.mark.skipif(not (SUITE / "benchmarks").is_dir(),
                                reason="asv_benchmarks/ is not next to tests/")


def _import_suite(monkeypatch):
    monkeypatch.syspath_prepend(str(SUITE))
    for name in list(sys.modules):
        if name == "benchmarks" or name.startswith("benchmarks."):
            monkeypatch.delitem(sys.modules, name)
    package = importlib.import_module("benchmarks")
    return [importlib.import_module(f"benchmarks.{info.name}")
            for info in pkgutil.iter_modules(package.__path__)]


@pytest.fixture
def suite(monkeypatch):
    """The suite's modules as asv imports them (full-size tables)."""
    return _import_suite(monkeypatch)


@pytest.fixture
def benchmarks(monkeypatch):
    """The suite's modules with every case table shrunk in place (keys, hence
    asv's params, unchanged)."""
    modules = {module.__name__: module for module in _import_suite(monkeypatch)}

    def tiny(shape, side=6):
        return (side,) * len(shape)

    filters = modules["benchmarks.bench_filters"]
    for name, (shape, _, dtype, mode) in list(filters.CASES.items()):
        monkeypatch.setitem(filters.CASES, name, (tiny(shape), 3, dtype, mode))
    shape, _, dtype = filters.ALONG_AXES
    monkeypatch.setattr(filters, "ALONG_AXES", (tiny(shape), 3, dtype))
    geometry = modules["benchmarks.bench_geometry"]
    for table in (geometry.STRIDE_CASES, geometry.DILATION_CASES):
        for name, (shape, _, factor, dtype) in list(table.items()):
            monkeypatch.setitem(table, name, (tiny(shape, 9), 3, factor, dtype))
    methods = modules["benchmarks.bench_methods"]
    for name, (shape, _, dtype) in list(methods.POINTS.items()):
        monkeypatch.setitem(methods.POINTS, name, (tiny(shape), 3, dtype))
    threads = modules["benchmarks.bench_threads"]
    for name, (shape, _, dtype) in list(threads.CASES.items()):
        monkeypatch.setitem(threads.CASES, name, (tiny(shape), 3, dtype))
    dask_suite = modules["benchmarks.bench_dask"]
    for name, (shape, _, taps, dtype, mode) in list(dask_suite.CASES.items()):
        monkeypatch.setitem(dask_suite.CASES, name,
                            (tiny(shape, 9), (4,) * len(shape), taps, dtype, mode))
    monkeypatch.setattr(modules["benchmarks.bench_opencv"], "SCALE", 0.005)
    monkeypatch.setattr(modules["benchmarks.bench_family"], "SCALE", 0.005)
    small = modules["benchmarks.bench_small"]
    for name, (shape, taps, dtype) in list(small.CASES.items()):
        monkeypatch.setitem(small.CASES, name, (tiny(shape), taps, dtype))
    for module in (small, modules["benchmarks.bench_busy"]):
        monkeypatch.setattr(module, "CALLS", 3)
        monkeypatch.setattr(module, "BUDGET", 0.001)
    monkeypatch.setattr(small, "SWEEP_SIZES", (10, 100))
    monkeypatch.setattr(small, "SWEEP_BUDGET", 0.001)
    busy = modules["benchmarks.bench_busy"]
    for name, (shape, taps) in list(busy.CASES.items()):
        monkeypatch.setitem(busy.CASES, name, (tiny(shape), taps))
    monkeypatch.setattr(busy, "HOG_SECONDS", 30)
    streams = modules["benchmarks.bench_streams"]
    for table in (streams.CASES, streams.LFILTER_CASES):
        for name, (shape, _chunk, taps, dtype) in list(table.items()):
            monkeypatch.setitem(table, name, (tiny(shape, 12), 5, taps, dtype))
    nan_suite = modules["benchmarks.bench_nan"]
    monkeypatch.setattr(nan_suite, "SCALE", 0.05)
    monkeypatch.setattr(nan_suite, "CALLS", 2)
    monkeypatch.setattr(nan_suite, "BUDGET", 0.001)
    return list(modules.values())


def benchmark_classes(modules):
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and any(
                    name.startswith(PREFIXES) for name in dir(cls)):
                yield cls


def benchmark_names(cls):
    return [name for name in dir(cls) if name.startswith(PREFIXES)]


def combinations(cls):
    params = getattr(cls, "params", [])
    if params and not isinstance(params[0], (list, tuple)):
        params = [params]  # asv's shorthand for one parameter
    return list(itertools.product(*params))


def test_every_module_imports(suite):
    names = {module.__name__ for module in suite}
    assert {"benchmarks.common", "benchmarks.bench_filters", "benchmarks.bench_geometry",
            "benchmarks.bench_methods", "benchmarks.bench_threads", "benchmarks.bench_opencv",
            "benchmarks.bench_dask", "benchmarks.bench_small", "benchmarks.bench_busy",
            "benchmarks.bench_family", "benchmarks.bench_streams",
            "benchmarks.bench_nan"} <= names


def test_every_benchmark_runs_once_on_tiny_data(benchmarks):
    ran = skipped = 0
    for cls in benchmark_classes(benchmarks):
        assert len(combinations(cls)[0]) == len(getattr(cls, "param_names", [])), cls
        for combination in combinations(cls):
            instance = cls()
            try:
                if hasattr(instance, "setup"):  # (optional in asv)
                    instance.setup(*combination)
            except NotImplementedError:  # asv's skip: an optional dependency is missing
                dependency = OPTIONAL.get(cls.__module__)
                assert dependency is not None and not _importable(dependency), cls
                skipped += 1
                continue
            try:
                for name in benchmark_names(cls):
                    result = getattr(instance, name)(*combination)
                    if name.startswith("track_"):
                        assert isinstance(result, float) and math.isfinite(result), (cls, name)
                        assert result >= 0, (cls, name, result)
                    ran += 1
            finally:  # as asv does, even when the benchmark failed
                if hasattr(instance, "teardown"):
                    instance.teardown(*combination)
    assert ran > 40, (ran, skipped)


def _importable(module):
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def test_time_benchmarks_are_paired_with_a_memory_benchmark(suite):
    for cls in benchmark_classes(suite):
        names = set(dir(cls))
        if any(name.startswith("time_") for name in names):
            assert any(name.startswith(("peakmem_", "track_peak_memory")) for name in names), cls


def test_peak_memory_counts_the_scratch(suite):
    common = next(m for m in suite if m.__name__ == "benchmarks.common")
    x = np.ones(1_000_000)

    def with_scratch():
        scratch = x + 1  # (named: numpy does not reuse it for the result)
        return x + scratch

    assert common.peak_memory(lambda: x + 1, x.nbytes) == pytest.approx(1.0, abs=0.01)
    # A scratch array the size of the output: (input + 2 output) / (input + output).
    assert common.peak_memory(with_scratch, x.nbytes) == pytest.approx(1.5, abs=0.01)


def test_the_quick_pass_stays_small(suite):
    processes = sum(len(combinations(cls)) * len(benchmark_names(cls))
                    for cls in benchmark_classes(suite))
    assert processes <= MAX_QUICK_PROCESSES, processes
    for cls in benchmark_classes(suite):  # a hung benchmark cannot eat the budget
        assert getattr(cls, "timeout", 60) <= 180, cls


def _imports(path):
    """(module, name or None) for every import in the file, at any depth."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            for alias in node.names:
                yield node.module, alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "pyconv"):
            yield "pyconv", node.attr


def test_the_suites_use_only_pyconvs_public_api():
    import pyconv

    files = sorted((SUITE / "benchmarks").glob("*.py"))
    assert len(files) >= 9
    for path in files:
        for module, name in _imports(path):
            if module.split(".")[0] != "pyconv":
                continue
            assert module == "pyconv", (path.name, module)
            if name is not None:
                assert name in pyconv.__all__, (path.name, name)


def _load_asv_conf():
    """asv.conf.json without its // comments (none inside its strings)."""
    text = (SUITE / "asv.conf.json").read_text()
    kept = []
    for line in text.splitlines():
        in_string = False
        for i, char in enumerate(line):
            if char == '"' and (i == 0 or line[i - 1] != "\\"):
                in_string = not in_string
            elif char == "/" and line[i:i + 2] == "//" and not in_string:
                line = line[:i]
                break
        kept.append(line)
    return json.loads("\n".join(kept))


def test_asv_conf_installs_what_the_suites_import():
    conf = _load_asv_conf()
    assert "example.invalid" not in json.dumps(conf)
    assert conf["repo"] == ".." and conf["benchmark_dir"] == "benchmarks"
    required = set(conf["matrix"]["req"])
    distributions = {"cv2": "opencv-python-headless"}
    standard = set(sys.stdlib_module_names)
    for path in (SUITE / "benchmarks").glob("*.py"):
        for module, _ in _imports(path):
            top = module.split(".")[0]
            if top in standard or top in ("pyconv", "benchmarks"):
                continue
            assert distributions.get(top, top) in required, (path.name, module)


def test_the_dask_comparison_computes_what_pyconv_computes(benchmarks):
    pytest.importorskip("dask.array")
    import dask.array as da
    import scipy.ndimage as ndi

    import pyconv

    dask_suite = next(m for m in benchmarks if m.__name__ == "benchmarks.bench_dask")
    rng = np.random.default_rng(0)
    for mode in ("reflect", "constant", "nearest", "mirror", "wrap"):
        for shape, chunks, taps in (((23, 17), (5, 6), 5), ((9, 10, 11), (4, 4, 4), 3)):
            data = rng.standard_normal(shape)
            w = rng.standard_normal((taps,) * len(shape))
            x = da.from_array(data, chunks=chunks)
            theirs = dask_suite.map_overlap_correlate(x, w, mode).compute(scheduler="sync")
            np.testing.assert_allclose(theirs, ndi.correlate(data, w, mode=mode),
                                       rtol=1e-12, atol=1e-12)
            ours = pyconv.correlate(x, w, mode=mode).compute(scheduler="sync")
            np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


def test_an_opencv_anchor_that_disagrees_fails_the_setup(benchmarks, monkeypatch):
    pytest.importorskip("cv2")
    opencv = next(m for m in benchmarks if m.__name__ == "benchmarks.bench_opencv")
    name = opencv.NAMES[0]
    x, w, kwargs, anchor, _ = opencv.case(name)
    monkeypatch.setattr(opencv, "case",
                        lambda name: (x, w, kwargs, lambda: anchor() + 1.0, None))
    with pytest.raises(ValueError, match="differ"):
        opencv.VsOpenCV().setup(name)


def test_the_opencv_suite_times_the_same_table_as_the_command(suite):
    # The suite keeps its own copy of `python -m pyconv --opencv`'s cases.
    from pyconv.bench import opencv as command

    opencv = next(m for m in suite if m.__name__ == "benchmarks.bench_opencv")
    family = next(m for m in suite if m.__name__ == "benchmarks.bench_family")
    assert opencv.NAMES + family.NAMES == command.NAMES
    assert opencv.BORDERS == command.BORDERS


def test_the_small_suite_times_the_same_cases_as_the_command(suite):
    # The suite keeps its own copy of `python -m pyconv --small`'s cases.
    from pyconv.bench import small as command

    small = next(m for m in suite if m.__name__ == "benchmarks.bench_small")
    assert [(shape, taps, dtype) for shape, taps, dtype in small.CASES.values()] == [
        (case.shape, case.taps, case.dtype) for case in command.cases() if not case.function]
    assert list(small.FAMILY_CASES.values()) == [
        (case.function, case.shape, case.dtype, case.arguments) for case in command.cases()
        if case.function]
    assert small.SWEEP_SIZES == command.SWEEP_SIZES
    assert list(small.SWEEP_KERNELS.values()) == list(command.SWEEP_KERNELS.values())


def test_the_busy_suite_times_the_same_cases_as_the_command(suite):
    from pyconv.bench import busy as command

    busy = next(m for m in suite if m.__name__ == "benchmarks.bench_busy")
    assert tuple(busy.CASES.values()) == command.CASES
    assert tuple(busy.LOADS) == command.LOADS
    assert busy._SPIN == command._SPIN


def _running(process):
    return process.poll() is None


def test_the_busy_suite_stops_its_load_processes(benchmarks):
    busy = next(m for m in benchmarks if m.__name__ == "benchmarks.bench_busy")
    benchmark = busy.Busy()
    benchmark.setup(2, next(iter(busy.CASES)))
    processes = benchmark.processes
    try:
        assert len(processes) == 2 and all(map(_running, processes))
    finally:
        benchmark.teardown(2, next(iter(busy.CASES)))
    assert not any(map(_running, processes))
    assert all(process.stdout.closed for process in processes)


def test_a_load_process_stops_by_itself(benchmarks):
    # Past its lifetime, with no teardown (as when asv's process is killed).
    busy = next(m for m in benchmarks if m.__name__ == "benchmarks.bench_busy")
    processes = busy.start_hogs(1, 0.2)
    try:
        processes[0].wait(timeout=30)
    finally:
        busy.stop_hogs(processes)
    assert processes[0].returncode == 0
