"""The asv suite cannot rot: every module imports, and every benchmark runs
once, for every parameter combination, on tiny data."""

import importlib
import inspect
import itertools
import pkgutil
import sys
from pathlib import Path

import pytest

SUITE = Path(__file__).resolve().parent.parent / "asv_benchmarks"
PREFIXES = ("time_", "peakmem_", "track_", "mem_")

pytestmark = pytest.mark.skipif(not (SUITE / "benchmarks").is_dir(),
                                reason="asv_benchmarks/ is not next to tests/")


@pytest.fixture
def benchmarks(monkeypatch):
    monkeypatch.syspath_prepend(str(SUITE))
    for name in list(sys.modules):
        if name == "benchmarks" or name.startswith("benchmarks."):
            monkeypatch.delitem(sys.modules, name)
    package = importlib.import_module("benchmarks")
    modules = [importlib.import_module(f"benchmarks.{info.name}")
               for info in pkgutil.iter_modules(package.__path__)]
    common = importlib.import_module("benchmarks.common")
    # Shrink every size table in place (keys, hence asv's params, unchanged).
    for ndim in common.SIZES:
        for size in common.SIZES[ndim]:
            monkeypatch.setitem(common.SIZES[ndim], size, (5,) * ndim)
            monkeypatch.setitem(common.TAPS[ndim], size, 3)
    methods = importlib.import_module("benchmarks.bench_methods")
    for point, (shape, _) in list(methods.GRID.items()):
        monkeypatch.setitem(methods.GRID, point, ((6,) * len(shape), 3))
    dask_suite = importlib.import_module("benchmarks.bench_dask")
    for case, (shape, _chunks, taps, dtype) in list(dask_suite.CASES.items()):
        monkeypatch.setitem(dask_suite.CASES, case, ((9,) * len(shape), (4,) * len(shape),
                                                     taps, dtype))
    opencv = importlib.import_module("benchmarks.bench_opencv")
    monkeypatch.setattr(opencv, "SCALE", 0.005)
    threads = importlib.import_module("benchmarks.bench_threads")
    for case, (shape, taps, dtype) in list(threads.CASES.items()):
        monkeypatch.setitem(threads.CASES, case, ((6,) * len(shape), (3,) * len(taps), dtype))
    return modules


def benchmark_classes(modules):
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and any(
                    name.startswith(PREFIXES) for name in dir(cls)):
                yield cls


def test_every_module_imports(benchmarks):
    names = {module.__name__ for module in benchmarks}
    assert {"benchmarks.bench_filters", "benchmarks.bench_geometry",
            "benchmarks.bench_methods", "benchmarks.bench_threads"} <= names


def test_every_benchmark_runs_once_on_tiny_data(benchmarks):
    ran = 0
    for cls in benchmark_classes(benchmarks):
        params = getattr(cls, "params", [])
        names = getattr(cls, "param_names", [])
        assert len(params) == len(names), cls
        for combination in itertools.product(*params):
            instance = cls()
            if hasattr(instance, "setup"):
                try:
                    instance.setup(*combination)
                except NotImplementedError:  # asv's skip: an optional dependency is missing
                    continue
            for name in dir(cls):
                if name.startswith(PREFIXES):
                    result = getattr(instance, name)(*combination)
                    if name.startswith("track_"):
                        assert result is not None and result == result, (cls, name)
                    ran += 1
    assert ran > 300


def test_time_benchmarks_are_paired_with_peakmem(benchmarks):
    for cls in benchmark_classes(benchmarks):
        names = set(dir(cls))
        if any(name.startswith("time_") for name in names):
            assert any(name.startswith("peakmem_") for name in names), cls
